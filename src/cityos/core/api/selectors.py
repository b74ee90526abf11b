"""Reads used by the API's views, pages and routers."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import holds_any_role
from cityos.core.api.models import TOKEN_PREFIX, ApiToken, hash_token


def is_administrator(user: User) -> bool:
    return holds_any_role(user, ("administrator",))


def tokens_visible_to(user: User) -> QuerySet[ApiToken]:
    """Administrators see every token; other staff see the tokens that act as them."""
    tokens = ApiToken.objects.select_related("owner", "created_by", "revoked_by")
    return tokens if is_administrator(user) else tokens.filter(owner=user)


def token_for_secret(secret: str) -> ApiToken | None:
    """The token with this full secret, whatever its state (callers check ``is_active``)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    return ApiToken.objects.select_related("owner").filter(token_hash=hash_token(secret)).first()


def token_owner_choices(user: User) -> QuerySet[User]:
    """Whom ``user`` may create a token for: any active staff member for administrators, else themselves."""
    staff = User.objects.staff().filter(is_active=True).order_by("username")
    return staff if is_administrator(user) else staff.filter(pk=user.pk)


def staff_with_roles(*, role: str | None = None, search: str | None = None) -> QuerySet[User]:
    staff = User.objects.staff().prefetch_related("staff_roles__department", "staff_roles__districts")
    if role:
        staff = staff.filter(staff_roles__role=role)
    if search:
        staff = staff.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(email__icontains=search)
        )
    return staff.distinct().order_by("username", "pk")
