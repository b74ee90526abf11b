"""``{% sort_header %}``: a column header that sorts its list, announced with aria-sort."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cityos.health.listing import Sort

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context: dict[str, Any], column: str, label: str, sort: Sort, param: str = "sort") -> SafeString:
    query = context["request"].GET.copy()
    active = sort.column == column
    # A second click on the sorted column reverses it.
    query[param] = f"-{column}" if active and not sort.descending else column
    query.pop("page", None)
    query.pop(f"{param}_page", None)
    if not active:
        return format_html(
            '<th scope="col"><a href="?{}">{}<span class="visually-hidden"> ({})</span></a></th>',
            query.urlencode(),
            label,
            _("sort"),
        )
    direction = "descending" if sort.descending else "ascending"
    return format_html(
        '<th scope="col" aria-sort="{}"><a href="?{}">{} <span aria-hidden="true">{}</span>'
        '<span class="visually-hidden"> ({})</span></a></th>',
        direction,
        query.urlencode(),
        label,
        "▼" if sort.descending else "▲",
        _("sorted descending, select to sort ascending")
        if sort.descending
        else _("sorted ascending, select to sort descending"),
    )


@register.simple_tag(takes_context=True)
def page_query(context: dict[str, Any], number: int, param: str = "page") -> str:
    """The current query string with another page number (filters and sort kept)."""
    query = context["request"].GET.copy()
    query[param] = str(number)
    return "?" + query.urlencode()
