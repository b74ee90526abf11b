"""/api/v1/accounts: residents sign up and manage themselves; administrators list staff."""

from __future__ import annotations

from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import Throttled
from ninja.responses import Status

from cityos.core.accounts import services as accounts
from cityos.core.accounts.models import Language, Role, StaffRole, User
from cityos.core.accounts.services import sign_up_resident
from cityos.core.api.auth import api_auth, require_roles, require_user
from cityos.core.api.pagination import LimitOffsetNextPagination, csv_export, paginate
from cityos.core.api.schemas import CLEAN_TEXT, Email
from cityos.core.api.selectors import staff_with_roles
from cityos.core.ratelimit import retry_after, sign_up_refusal

router = Router()

LanguageCode = Literal["en", "zh-hant", "es"]
RoleName = Literal["operator", "health_officer", "caseworker", "service_agent", "data_publisher", "administrator"]
assert set(LanguageCode.__args__) == set(Language.values), "LanguageCode must list accounts.Language"  # type: ignore[attr-defined]
assert set(RoleName.__args__) == set(Role.values), "RoleName must list accounts.Role"  # type: ignore[attr-defined]
Name = Annotated[str, Field(max_length=150), CLEAN_TEXT]  # as typed, without the bidi controls


class SignUpIn(Schema):
    email: Email | None = Field(None, description="An email address or a phone number (or both) is needed.")
    phone: str | None = Field(None, max_length=32, description="In international format, e.g. +1 415 555 0100.")
    password: str = Field(..., min_length=1, max_length=128)
    language: LanguageCode = "en"
    first_name: Name = ""
    last_name: Name = ""


class MeOut(Schema):
    id: int
    email: str | None
    phone: str | None
    first_name: str
    last_name: str
    language: str
    phone_pending: str | None = Field(
        description="A new phone number waiting for the code texted to it; `phone` stays in use until then."
    )
    is_staff: bool
    roles: list[str]

    @staticmethod
    def resolve_roles(user: User) -> list[str]:
        return sorted(user.role_names())

    @staticmethod
    def resolve_phone_pending(user: User) -> str | None:
        pending = accounts.pending_phone_change(user)
        return pending.phone if pending else None


class MePatch(Schema):
    language: LanguageCode | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    email: str | None = Field(None, max_length=254, description='A new email address; "" removes it.')
    phone: str | None = Field(
        None,
        max_length=32,
        description=(
            "A new phone number: a code is texted to it, and it is used once the code is sent to "
            "`POST /me/phone-confirmation` (the same number again texts a new code; the current one "
            'withdraws it); "" removes the number.'
        ),
    )
    current_password: str | None = Field(
        None, max_length=128, description="Needed to change `email` or `phone` when the account has a password."
    )


class PhoneCodeIn(Schema):
    code: str = Field(..., max_length=20, description="The 6-digit code texted to the new number.")


class StaffRoleOut(Schema):
    role: str
    department: str | None = Field(None, description="Department code; empty means every department.")
    districts: list[int] = Field(description="District ids; empty means the whole city.")

    @staticmethod
    def resolve_department(staff_role: StaffRole) -> str | None:
        return staff_role.department.code if staff_role.department else None

    @staticmethod
    def resolve_districts(staff_role: StaffRole) -> list[int]:
        return sorted(d.pk for d in staff_role.districts.all())


class StaffOut(Schema):
    id: int
    username: str
    display_name: str
    email: str | None
    is_active: bool
    roles: list[StaffRoleOut]

    @staticmethod
    def resolve_roles(user: User) -> list[StaffRole]:
        return list(user.staff_roles.all())


class StaffFilters(Schema):
    role: RoleName | None = Field(None, description="Only staff holding this role.")
    q: str | None = Field(None, max_length=100, description="Matches username, name or email.")


@router.post("/sign-up", response={201: MeOut}, summary="Sign up as a resident")
def sign_up(request: HttpRequest, payload: SignUpIn) -> Status:
    """Creates a resident account. A taken email or phone, a weak password or a malformed phone
    number is a 422 problem naming the field; nothing is saved then. Counted with the web form's
    sign-ups, per address and per email or phone number (429 past either, with Retry-After)."""
    if sign_up_refusal(request, email=payload.email or "", phone=payload.phone or "") is not None:
        raise Throttled(wait=retry_after())
    user = sign_up_resident(
        password=payload.password,
        email=payload.email or "",
        phone=payload.phone or "",
        language=payload.language,
        first_name=payload.first_name,
        last_name=payload.last_name,
    )
    return Status(201, user)


@router.get("/me", response=MeOut, auth=api_auth, summary="Who I am")
def read_me(request: HttpRequest) -> User:
    return require_user(request)


@router.patch("/me", response=MeOut, auth=api_auth, summary="Change my details")
def update_me(request: HttpRequest, payload: MePatch) -> User:
    """Changes what is given, all or nothing: name and language, email address and phone number
    (these two with `current_password`). A new phone number waits for its code
    (`phone_pending`); a taken email or number, or a bad one, is a 422 naming the field."""
    user = require_user(request)
    changes = payload.model_dump(exclude_unset=True)
    return accounts.change_own_details(
        user,
        current_password=changes.get("current_password") or "",
        email=changes.get("email"),
        phone=changes.get("phone"),
        language=changes.get("language"),
        first_name=changes.get("first_name"),
        last_name=changes.get("last_name"),
    ).user


@router.post("/me/phone-confirmation", response=MeOut, auth=api_auth, summary="Confirm my new phone number")
def confirm_my_phone(request: HttpRequest, payload: PhoneCodeIn) -> User:
    """The code texted to `phone_pending`: from now on it is `phone`. A wrong or expired code is a
    422 on `code`; after 5 wrong codes only a new one works (PATCH the same number again)."""
    return accounts.confirm_phone(require_user(request), payload.code)


@router.delete("/me/phone-confirmation", response={204: None}, auth=api_auth, summary="Keep my current phone number")
def cancel_my_phone_change(request: HttpRequest) -> Status:
    accounts.cancel_phone_change(require_user(request))
    return Status(204, None)


@router.get("/staff", response=list[StaffOut], auth=api_auth, summary="Staff and their roles (administrators)")
@csv_export(StaffOut, filename="staff")
@paginate(LimitOffsetNextPagination)
def list_staff(request: HttpRequest, filters: Query[StaffFilters]) -> object:
    require_roles(request, "administrator")
    return staff_with_roles(role=filters.role, search=filters.q)
