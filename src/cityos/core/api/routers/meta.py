"""/api/v1/meta: facts about this installation that clients need (public)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_info
from ninja import Router, Schema

from cityos.core.api.pagination import LimitOffsetNextPagination, csv_export, paginate

router = Router()


class LanguageOut(Schema):
    code: str
    name: str
    name_local: str


def available_languages() -> list[LanguageOut]:
    languages = []
    for code, _label in settings.LANGUAGES:
        info = get_language_info(code)
        languages.append(LanguageOut(code=code, name=info["name"], name_local=info["name_local"]))
    return languages


@router.get("/languages", response=list[LanguageOut], summary="Languages residents can choose")
@csv_export(LanguageOut, filename="languages")
@paginate(LimitOffsetNextPagination)
def list_languages(request: HttpRequest) -> list[LanguageOut]:
    """The languages of the portal, messages and API errors (send one as Accept-Language)."""
    return available_languages()
