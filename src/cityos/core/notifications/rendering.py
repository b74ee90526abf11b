"""Turning a template into the text one person gets, and the length rules of each channel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.utils import translation
from django.utils.translation import gettext as _

from cityos.core.notifications import conf

# Written languages that put no space between sentences (after "。").
NO_SPACE_BETWEEN_SENTENCES = ("zh", "ja")


def join_sentences(*sentences: str) -> str:
    """Sentences of one reply, joined as the active language writes them: with a space in English
    and Spanish, with none in Chinese. Empty ones are left out."""
    language = (translation.get_language() or "").lower()
    glue = "" if language.startswith(NO_SPACE_BETWEEN_SENTENCES) else " "
    return glue.join(sentence for sentence in sentences if sentence)


# GSM 03.38: the alphabet of a plain SMS; the extension characters take two places each.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€\f")


@lru_cache(maxsize=1)
def engine() -> Engine:
    """A template engine for message texts: no loaders (no {% include %} of site templates), no
    HTML escaping (texts are plain), and a missing variable renders as nothing."""
    return Engine(autoescape=False, string_if_invalid="", libraries={})


@lru_cache(maxsize=512)
def compile_text(text: str) -> Template:
    return engine().from_string(text)


@dataclass(frozen=True)
class SmsLength:
    characters: int
    parts: int
    unicode: bool


def sms_length(text: str) -> SmsLength:
    """How many parts a concatenated SMS of ``text`` needs (GSM-7 if it can, else UCS-2)."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text):
        units = sum(2 if ch in GSM_EXTENSION else 1 for ch in text)
        single, per_part, is_unicode = 160, 153, False
    else:
        # UCS-2 counts UTF-16 code units: a character outside the BMP takes two.
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, per_part, is_unicode = 70, 67, True
    parts = 1 if units <= single else -(-units // per_part)
    return SmsLength(characters=len(text), parts=parts, unicode=is_unicode)


def length_problem(channel: str, text: str) -> str | None:
    """Why ``text`` is too long for ``channel``, or None when it fits."""
    if channel == "sms":
        length = sms_length(text)
        if length.parts > conf.sms_max_parts():
            return _("The text is %(characters)d characters, %(parts)d SMS parts; the most is %(most)d parts.") % {
                "characters": length.characters,
                "parts": length.parts,
                "most": conf.sms_max_parts(),
            }
    elif channel == "whatsapp" and len(text) > conf.WHATSAPP_MAX_CHARS:
        return _("The text is %(characters)d characters; WhatsApp takes at most %(most)d.") % {
            "characters": len(text),
            "most": conf.WHATSAPP_MAX_CHARS,
        }
    elif channel == "voice" and len(text) > conf.VOICE_MAX_CHARS:
        return _("The text is %(characters)d characters; a voice call reads at most %(most)d.") % {
            "characters": len(text),
            "most": conf.VOICE_MAX_CHARS,
        }
    return None


def check_template_text(text: str, *, channel: str = "") -> None:
    """Raise ValidationError when ``text`` is not a valid template, or is too long for ``channel``
    even before personalisation."""
    try:
        template = compile_text(text)
    except TemplateSyntaxError as error:
        raise ValidationError(
            _("This is not a valid template: %(error)s. Write variables as {{ person.first_name }}.")
            % {"error": error},
            code="template_syntax",
        ) from error
    if channel:
        problem = length_problem(channel, template.render(Context({}, autoescape=False)))
        if problem:
            raise ValidationError(problem, code="too_long")


def person_context(person: Any) -> dict[str, str]:
    """What a template may say about its recipient: names and district, never the whole account."""
    if person is None:
        return {"first_name": "", "last_name": "", "name": "", "district": ""}
    district = getattr(person, "district", None)
    district_name = ""
    if district is not None:
        language = translation.get_language() or "en"
        district_name = (district.names or {}).get(language, district.name)
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "name": person.get_full_name() or person.first_name,
        "district": district_name,
    }


def render_text(text: str, *, language: str, person: Any, context: Mapping[str, Any]) -> str:
    """Render ``text`` for ``person`` in ``language`` (dates and numbers follow the language)."""
    with translation.override(language):
        data = {**context, "person": person_context(person)}
        return compile_text(text).render(Context(data, autoescape=False)).strip()
