"""Residents sign up with an email or a phone number and choose their language."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityos.core.accounts.models import User
from cityos.core.accounts.tests.factories import TEST_PASSWORD, ResidentFactory

pytestmark = pytest.mark.django_db


def sign_up(client, **fields):
    data = {"first_name": "Mei", "email": "", "phone": "", "language": "en", "password": TEST_PASSWORD, **fields}
    return client.post(reverse("accounts:sign-up"), data)


def test_a_resident_signs_up_with_a_phone_number_and_is_signed_in(client):
    response = sign_up(client, phone="(415) 555-2671", language="zh-hant")
    assert response.status_code == 302
    user = User.objects.get(phone="+14155552671")
    assert user.language == "zh-hant" and not user.is_staff
    assert user.password.startswith("argon2")
    assert client.get(reverse("web:me")).status_code == 200


def test_a_resident_signs_up_with_an_email(client):
    assert sign_up(client, email="Mei@Example.org").status_code == 302
    assert User.objects.filter(email="mei@example.org").exists()


def test_a_taken_email_is_refused_next_to_the_field_and_nothing_is_saved(client):
    ResidentFactory(email="taken@example.org")
    before = User.objects.count()
    response = sign_up(client, email="taken@example.org")
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["email"][0]
    assert User.objects.count() == before


def test_a_malformed_phone_number_is_refused(client):
    response = sign_up(client, phone="12")
    assert "phone" in response.context["form"].errors
    assert not User.objects.filter(first_name="Mei").exists()


def test_neither_email_nor_phone_is_refused(client):
    response = sign_up(client)
    assert "email" in response.context["form"].errors


def test_a_weak_password_is_refused(client):
    response = sign_up(client, email="weak@example.org", password="12345678")
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(email="weak@example.org").exists()


def test_errors_come_in_the_residents_language(client):
    ResidentFactory(email="taken@example.org")
    client.cookies["django_language"] = "es"
    response = sign_up(client, email="taken@example.org", language="es")
    assert "Ya existe" in response.context["form"].errors["email"][0]


def test_sign_ups_from_one_address_are_limited(client, settings):
    settings.CITYOS_SIGNUP_LIMIT_PER_HOUR = 2
    assert sign_up(client, email="one@example.org").status_code == 302
    client.logout()
    assert sign_up(client, email="two@example.org").status_code == 302
    client.logout()
    response = sign_up(client, email="three@example.org")
    assert response.status_code == 429
    assert "Too many accounts" in response.content.decode()
    assert not User.objects.filter(email="three@example.org").exists()
