from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from cityos.core.accounts.models import User
from cityos.core.accounts.phones import looks_like_phone, normalise_phone


def find_user(identifier: str) -> User | None:
    """The account for an email address, a phone number (any format) or a staff username."""
    identifier = identifier.strip()
    if not identifier:
        return None
    if "@" in identifier:
        return User.objects.filter(email__iexact=identifier).first()
    if looks_like_phone(identifier):
        try:
            phone = normalise_phone(identifier)
        except ValidationError:
            phone = None
        if phone:
            user = User.objects.filter(phone=phone).first()
            if user:
                return user
    return User.objects.filter(username=identifier).first()


class EmailOrPhoneBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if not username or password is None:
            return None
        user = find_user(username)
        if user is None:
            User().set_password(password)  # same work whether or not the account exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
