"""Fixtures for the API tests: tokens and clients that send them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from cityos.core.accounts.models import Role, User
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.api.services import IssuedToken, issue_token


@pytest.fixture
def make_token(db: None) -> Callable[..., IssuedToken]:
    """``make_token(owner=None, scopes=("write",), roles=("operator",), **kw)`` issues a token."""

    def make(
        owner: User | None = None,
        *,
        scopes: tuple[str, ...] = ("write",),
        roles: tuple[str, ...] = (Role.OPERATOR,),
        name: str = "Test gateway",
        expires_at: datetime | None = None,
    ) -> IssuedToken:
        owner = owner or StaffFactory(roles=list(roles))
        return issue_token(name=name, owner=owner, scopes=list(scopes), created_by=owner, expires_at=expires_at)

    return make


@pytest.fixture
def token_client() -> Callable[[str], Client]:
    """A client that sends ``Authorization: Bearer <secret>`` with every request."""

    def make(secret: str) -> Client:
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return make


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with ``status``; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body
