"""Django's own messages speak Spanish with tú, like the rest of CityOS.

Django's Spanish catalogues say usted ("Introduzca un valor válido"); the project catalogue
(``cityos/locale``, from the marks in ``cityos.core.django_strings``) rewords those messages and
wins over every other catalogue. Traditional Chinese keeps Django's own text.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import django
import pytest
from django import forms
from django.apps import apps
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import translation

import cityos
from cityos.conftest import need

PACKAGE = Path(cityos.__file__).resolve().parent

# A usted form in a Spanish message: the pronouns and the imperatives Django's catalogues use.
USTED = re.compile(
    r"\b(usted|su|sus|le|asegúrese|introduzca|introduza|ingrese|escoja|seleccione|compruebe|envíe|corrija|pulse|"
    r"escriba|elija|confirme|vuelva|habilite|desmarque|mantenga|empiece|observe|inténtelo|obtenga|solicite|"
    r"verifique|vaya|olvidó|ha olvidado|está seguro|quiere|desea|podrá|cuenta con|deba|recibe|se ha autenticado|"
    r"está autorizado)\b",
    re.IGNORECASE,
)

# Usted messages left alone, each for a reason.
LEFT_ALONE = {
    # Django's CSRF page: CityOS renders its own 403_csrf.html, without these.
    "You are seeing this message because this HTTPS site requires a “Referer header” to be sent by your web browser, but none was sent. This header is required for security reasons, to ensure that your browser is not being hijacked by third parties.",  # noqa: E501
    "If you have configured your browser to disable “Referer” headers, please re-enable them, at least for this site, or for HTTPS connections, or for “same-origin” requests.",  # noqa: E501
    'If you are using the <meta name="referrer" content="no-referrer"> tag or including the “Referrer-Policy: no-referrer” header, please remove them. The CSRF protection requires the “Referer” header to do strict referer checking. If you’re concerned about privacy, use alternatives like <a rel="noreferrer" …> for links to third-party sites.',  # noqa: E501, RUF001
    "If you have configured your browser to disable cookies, please re-enable them, at least for this site, or for “same-origin” requests.",  # noqa: E501
    # Django's welcome page, shown only in DEBUG without URLs.
    'You are seeing this page because <a href="https://docs.djangoproject.com/en/%(version)s/ref/settings/#debug" target="_blank" rel="noopener">DEBUG=True</a> is in your settings file and you have not configured any URLs.',  # noqa: E501
    # "sus" is the user's, a third person.
    "Whether the user will be able to authenticate using a password or not. If disabled, they may still be able to authenticate using other backends, such as Single Sign-On or LDAP.",  # noqa: E501
    "The groups this user belongs to. A user will get all permissions granted to each of their groups.",
    # django-otp's sign-in has it without a plural; the admin's plural entry holds the msgid.
    "Please correct the error below.",
}


def _django_catalogues(language: str) -> Iterator[tuple[str, gettext.GNUTranslations]]:
    """The Django catalogues whose messages CityOS shows: Django's, auth's, the admin's, django-otp's."""
    folders = [Path(django.__file__).parent / "conf" / "locale"]
    folders += [Path(apps.get_app_config(label).path) / "locale" for label in ("auth", "admin", "django_otp")]
    for folder in folders:
        mo_file = folder / language / "LC_MESSAGES" / "django.mo"
        if mo_file.exists():
            with mo_file.open("rb") as handle:
                yield str(folder), gettext.GNUTranslations(handle)


def _usted_msgids() -> set[str]:
    found: set[str] = set()
    for _name, catalogue in _django_catalogues("es"):
        for key, text in catalogue._catalog.items():  # type: ignore[attr-defined]
            msgid = key[0] if isinstance(key, tuple) else key
            if msgid and USTED.search(text):
                found.add(msgid)
    return found


def _plural_msgids() -> set[str]:
    return {
        key[0]
        for _name, catalogue in _django_catalogues("es")
        for key in catalogue._catalog  # type: ignore[attr-defined]
        if isinstance(key, tuple)
    }


def _say(msgid: str) -> list[str]:
    """Every form the active language gives the message: once, or for 1, 2 and a million."""
    if msgid in _plural_msgids():
        return [translation.ngettext(msgid, msgid, n) for n in (1, 2, 1_000_000)]
    return [translation.gettext(msgid)]


class _Signup(forms.Form):
    name = forms.CharField(max_length=5)
    email = forms.EmailField()
    colour = forms.ChoiceField(choices=[("red", "Red")])


def test_a_django_forms_messages_say_tu_in_spanish() -> None:
    with translation.override("es"):
        form = _Signup(data={"name": "Montserrat", "email": "not an address", "colour": "blue"})
        assert not form.is_valid()
        assert form.errors["name"] == ["Asegúrate de que este valor tenga como máximo 5 caracteres (tiene 10)."]
        assert form.errors["email"] == ["Escribe un correo electrónico válido."]
        assert form.errors["colour"] == ["Elige una opción válida. blue no es una de las opciones disponibles."]
        # A message Django already words without addressing anyone stays Django's.
        assert _Signup(data={}).errors["email"] == ["Este campo es obligatorio."]


def test_a_django_validators_message_says_tu_in_spanish() -> None:
    with translation.override("es"):
        with pytest.raises(ValidationError) as error:
            forms.IntegerField(max_value=10).clean("11")
        assert error.value.messages == ["Asegúrate de que este valor sea menor o igual que 10."]


def test_the_password_rules_say_tu_in_spanish() -> None:
    """contrib.auth's messages: its catalogue comes before CityOS's apps', not before the project's."""
    with translation.override("es"):
        rules = password_validation.password_validators_help_texts()
    assert "Tu contraseña debe contener al menos 10 caracteres." in rules
    assert "Tu contraseña no puede ser solo numérica." in rules


@pytest.mark.django_db
def test_the_back_office_sign_in_says_tu_in_spanish(client: Client) -> None:
    response = client.post(
        "/admin/login/",
        {"username": "nobody", "password": "wrong password", "otp_token": "123456"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert "Introduce el nombre de usuario y la contraseña correctos de una cuenta de personal." in response.text


def test_no_django_message_says_usted_in_spanish() -> None:
    """Fails when a Django upgrade brings a new usted message: reword it in cityos.core.django_strings."""
    with translation.override("es"):
        said = {msgid: _say(msgid) for msgid in sorted(_usted_msgids() - LEFT_ALONE)}
    still_usted = {msgid: forms for msgid, forms in said.items() if any(USTED.search(form) for form in forms)}
    assert not still_usted


def test_traditional_chinese_keeps_djangos_own_text() -> None:
    msgids = sorted(_usted_msgids() - LEFT_ALONE)
    with translation.override("zh-hant"):
        ours = {msgid: _say(msgid) for msgid in msgids}
    with override_settings(LOCALE_PATHS=[]), translation.override("zh-hant"):
        djangos = {msgid: _say(msgid) for msgid in msgids}
    # Equal, except where Django had no Chinese (English) and another of its catalogues has it.
    changed = {msgid for msgid in msgids if ours[msgid] != djangos[msgid] and djangos[msgid][0] != msgid}
    assert not changed


def test_make_messages_keeps_the_reworded_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The marks extract into the project catalogue, so `make messages` never drops its entries as obsolete."""
    need(all(shutil.which(tool) for tool in ("msgfmt", "msgen", "xgettext")), "GNU gettext (apt-get install gettext)")
    copy = tmp_path / "cityos"
    (copy / "core").mkdir(parents=True)
    shutil.copy(PACKAGE / "core" / "django_strings.py", copy / "core")
    (copy / "locale").mkdir()
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", locale=["es"], ignore_patterns=["tests/*"], verbosity=0)
    extracted = copy / "locale" / "es" / "LC_MESSAGES" / "django.po"
    assert "core/django_strings.py" in extracted.read_text(encoding="utf-8")

    def msgids(po_file: Path) -> set[str]:
        english, compiled = tmp_path / f"{po_file.parent.parent.parent.parent.name}.po", tmp_path / "en.mo"
        subprocess.run(["msgen", "-o", str(english), str(po_file)], check=True, capture_output=True)
        subprocess.run(["msgfmt", "-o", str(compiled), str(english)], check=True, capture_output=True)
        with compiled.open("rb") as handle:
            keys = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
        return {str(key[0] if isinstance(key, tuple) else key) for key in keys} - {""}

    marked = msgids(extracted)
    assert marked >= _usted_msgids() - LEFT_ALONE
    assert marked <= msgids(PACKAGE / "locale" / "es" / "LC_MESSAGES" / "django.po")
