"""What a token may do: ``read`` or ``write``, for the whole API or one module.

A scope is ``read``/``write`` (every module) or ``<module>:read``/``<module>:write``, where
the module is the router's prefix under /api/v1/ (``geo``, ``notifications``...). ``write``
includes ``read``. Safe methods (GET, HEAD, OPTIONS) need read; everything else needs write.
The owner's roles still apply on top: a scope never grants more than the owner may do.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cityos.core.registry import registry

READ = "read"
WRITE = "write"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def access_for(method: str) -> str:
    return READ if method.upper() in SAFE_METHODS else WRITE


def scope_choices() -> list[tuple[str, str | Promise]]:
    choices: list[tuple[str, str | Promise]] = [
        (READ, _("Read everything")),
        (WRITE, _("Read and change everything")),
    ]
    for prefix in sorted(registry.api_routers):
        choices.append((f"{prefix}:{READ}", _("Read %(module)s") % {"module": prefix}))
        choices.append((f"{prefix}:{WRITE}", _("Read and change %(module)s") % {"module": prefix}))
    return choices


def valid_scopes() -> set[str]:
    return {value for value, _label in scope_choices()}


def allows(scopes: Iterable[str], module: str, method: str) -> bool:
    """True when ``scopes`` let a request with ``method`` reach ``module``."""
    granted = set(scopes)
    needed = access_for(method)
    if not module:  # the API index: any token may read it
        return needed == READ or WRITE in granted
    acceptable = {WRITE, f"{module}:{WRITE}"}
    if needed == READ:
        acceptable |= {READ, f"{module}:{READ}"}
    return bool(granted & acceptable)


def needed_scope(module: str, method: str) -> str:
    access = access_for(method)
    return f"{module}:{access}" if module else access
