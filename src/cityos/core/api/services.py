"""Every write of the API app: issuing and revoking tokens (a person's own details are
``accounts.services.change_own_details``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import is_staff_member
from cityos.core.api.models import TOKEN_PREFIX, ApiToken, hash_token
from cityos.core.api.scopes import valid_scopes
from cityos.core.api.selectors import is_administrator
from cityos.core.audit.context import with_reason
from cityos.core.events import Event, publish
from cityos.core.inputs import clean_text

# last_used_at is bookkeeping: writing it once a minute is plenty and spares a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, kw_only=True)
class ApiTokenIssued(Event):
    name = "api.token_issued"
    token_id: int
    owner_id: int


@dataclass(frozen=True, kw_only=True)
class ApiTokenRevoked(Event):
    name = "api.token_revoked"
    token_id: int
    owner_id: int


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the full token: shown to its creator once, never stored


def _new_secret() -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    return prefix, f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def issue_token(
    *,
    name: str,
    owner: User,
    scopes: list[str],
    created_by: User,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """Create a token acting as ``owner``. Raises ValidationError with an entry per bad field."""
    errors: dict[str, list[ValidationError]] = {}
    name = clean_text(name).strip()  # the pages, the API and device tokens alike
    if not name:
        errors.setdefault("name", []).append(
            ValidationError(_("Name the token after what will use it."), code="required")
        )
    elif len(name) > 100:
        errors.setdefault("name", []).append(ValidationError(_("Use at most 100 characters."), code="max_length"))
    if not is_staff_member(owner):
        errors.setdefault("owner", []).append(
            ValidationError(_("Tokens act as an active staff member or service account."), code="invalid")
        )
    elif owner.pk != created_by.pk and not is_administrator(created_by):
        errors.setdefault("owner", []).append(
            ValidationError(_("Only administrators create tokens for someone else."), code="forbidden")
        )
    unknown = sorted(set(scopes) - valid_scopes())
    if not scopes:
        errors.setdefault("scopes", []).append(ValidationError(_("Choose at least one scope."), code="required"))
    elif unknown:
        errors.setdefault("scopes", []).append(
            ValidationError(_("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)}, code="invalid")
        )
    if expires_at is not None and expires_at <= timezone.now():
        errors.setdefault("expires_at", []).append(
            ValidationError(_("The expiry must be in the future."), code="invalid")
        )
    if errors:
        raise ValidationError(errors)  # type: ignore[arg-type]

    prefix, secret = _new_secret()
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name,
            owner=owner,
            prefix=prefix,
            token_hash=hash_token(secret),
            scopes=sorted(set(scopes)),
            created_by=created_by,
            expires_at=expires_at,
        )
        publish(ApiTokenIssued(token_id=token.pk, owner_id=owner.pk))
    return IssuedToken(token=token, secret=secret)


def revoke_token(token: ApiToken, *, by: User, reason: str) -> ApiToken:
    """Revoke ``token`` for good; the reason goes into the token and the audit log."""
    reason = reason.strip()
    if not (is_administrator(by) or (is_staff_member(by) and token.owner_id == by.pk)):
        raise ValidationError(_("Only administrators and the token's owner may revoke it."), code="forbidden")
    if not reason:
        raise ValidationError({"reason": _("Say why the token is revoked.")}, code="required")
    if len(reason) > 500:
        raise ValidationError({"reason": _("Use at most 500 characters.")}, code="max_length")
    if token.revoked_at is not None:
        raise ValidationError(_("This token is already revoked."), code="revoked")
    with transaction.atomic(), with_reason(reason):
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.revoked_reason = reason
        token.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
        publish(ApiTokenRevoked(token_id=token.pk, owner_id=token.owner_id))
    return token


def note_token_used(token: ApiToken) -> None:
    """Record when the token was last used, at most once a minute (no audit entry: bookkeeping)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
