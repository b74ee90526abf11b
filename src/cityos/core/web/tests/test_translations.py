"""Every string ships in every language: each app's catalogues hold all of its strings, each
entry is translated and not fuzzy, and each compiled .mo matches its .po.

Needs GNU gettext (msgfmt, xgettext): skipped without it, except in CI, where it must be there.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

import cityos
from cityos.conftest import need

PACKAGE = Path(cityos.__file__).resolve().parent
SHIPPED = [code.replace("-hant", "_Hant") for code, _name in settings.LANGUAGES if code != "en"]
CATALOGUES = sorted(PACKAGE.rglob("locale/*/LC_MESSAGES/*.po"))
APPS = sorted(p.parent for p in PACKAGE.rglob("apps.py") if "tests" not in p.parts)


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


@pytest.fixture
def gettext_tools() -> None:
    tools = ("msgfmt", "msgen", "xgettext")
    need(all(shutil.which(tool) for tool in tools), "GNU gettext (apt-get install gettext)")


def _catalogue(mo_file: Path) -> dict[object, str]:
    with mo_file.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


def _msgids(po_file: Path, work: Path) -> set[str]:
    """The msgids of a .po file, read by gettext's own tools rather than a hand-written parser."""
    english, compiled = work / f"{po_file.parent.parent.name}-en.po", work / f"{po_file.parent.parent.name}-en.mo"
    # msgen fills every msgstr with its msgid, so untranslated entries reach the .mo too.
    subprocess.run(["msgen", "-o", str(english), str(po_file)], check=True, capture_output=True)
    subprocess.run(["msgfmt", "-o", str(compiled), str(english)], check=True, capture_output=True)
    return {str(key[0] if isinstance(key, tuple) else key) for key in _catalogue(compiled)} - {""}


def test_each_app_ships_every_language() -> None:
    for app in APPS:
        if not (app / "locale").exists():
            continue
        for language in SHIPPED:
            assert (app / "locale" / language / "LC_MESSAGES" / "django.po").exists(), f"{_name(app)}: no {language}"


@pytest.mark.parametrize("po_file", CATALOGUES, ids=_name)
def test_every_entry_is_translated_and_none_is_fuzzy(po_file: Path, gettext_tools: None, tmp_path: Path) -> None:
    text = po_file.read_text(encoding="utf-8")
    fuzzy = [block.split("\n")[-1] for block in re.findall(r"^#,.*\bfuzzy\b.*\n(?:#.*\n)*msgid .*", text, re.M)]
    assert not fuzzy, f"{_name(po_file)} has fuzzy entries (review them, then drop the flag): {fuzzy}"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "check.mo"), str(po_file)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"{_name(po_file)} does not compile:\n{result.stderr}"
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, f"{_name(po_file)}: {result.stderr}"


@pytest.mark.parametrize("po_file", CATALOGUES, ids=_name)
def test_each_compiled_catalogue_matches_its_source(po_file: Path, gettext_tools: None, tmp_path: Path) -> None:
    mo_file = po_file.with_suffix(".mo")
    assert mo_file.exists(), f"{_name(po_file)} is not compiled: run compilemessages"
    fresh = tmp_path / "fresh.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(po_file)], check=True, capture_output=True)
    assert _catalogue(mo_file) == _catalogue(fresh), f"{_name(mo_file)} is older than its .po: run compilemessages"


@pytest.mark.parametrize("app", APPS, ids=_name)
def test_each_apps_catalogue_holds_all_of_its_strings(
    app: Path, gettext_tools: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Extract the app's strings afresh (from a copy) and compare with the committed catalogue."""
    copy = tmp_path / app.name
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.mo"))
    # Its own locale folder, so makemessages never falls back to the project's one.
    (copy / "locale").mkdir(exist_ok=True)
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["es"], ignore_patterns=["tests/*"], verbosity=0)
    extracted = copy / "locale" / "es" / "LC_MESSAGES" / "django.po"
    if not extracted.exists():
        return  # nothing to translate in this app
    found = _msgids(extracted, tmp_path)
    committed_po = app / "locale" / "es" / "LC_MESSAGES" / "django.po"
    assert committed_po.exists(), f"{_name(app)} has {len(found)} strings but no locale/: run makemessages there"
    missing = found - _msgids(committed_po, tmp_path / app.name)
    assert not missing, f"{_name(app)}: strings missing from its catalogues (run makemessages): {sorted(missing)}"
