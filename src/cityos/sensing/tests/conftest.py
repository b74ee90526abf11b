"""Fixtures: a department's operator, an API token, and a small network of stations."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from django.test import Client

from cityos.conftest import verified_client
from cityos.core.accounts.models import Department, Role, StaffRole, User
from cityos.core.accounts.tests.factories import DepartmentFactory, StaffFactory
from cityos.core.api.services import issue_token
from cityos.sensing import services
from cityos.sensing.models import ObservationType, Thing

STA = "/sta/v1.1"
T0 = datetime(2026, 3, 1, tzinfo=UTC)
CELSIUS = {"name": "degree Celsius", "symbol": "°C", "definition": "http://qudt.org/vocab/unit/DEG_C"}


def operator_of(department: Department | None) -> User:
    user = cast(User, StaffFactory())
    StaffRole.objects.create(user=user, role=Role.OPERATOR, department=department)
    return user


@pytest.fixture
def department(db: None) -> Department:
    return cast(Department, DepartmentFactory(code="water"))


@pytest.fixture
def operator(department: Department) -> User:
    return operator_of(department)


@pytest.fixture
def writer(operator: User) -> Client:
    """A verified staff session of an operator of the water department."""
    return verified_client(operator)


@pytest.fixture
def token(operator: User) -> str:
    return issue_token(name="gateway", owner=operator, scopes=["write"], created_by=operator).secret


def post(client: Client, path: str, body: Any, **extra: Any) -> Any:
    return client.post(STA + path, data=json.dumps(body), content_type="application/json", **extra)


def patch(client: Client, path: str, body: Any, **extra: Any) -> Any:
    return client.patch(STA + path, data=json.dumps(body), content_type="application/json", **extra)


def get(client: Client, path: str, **params: Any) -> Any:
    return client.get(STA + path, params)


def thing_payload(name: str = "Station 1", *, lon: float = 121.5, lat: float = 25.0, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "A water-quality station",
        "properties": {"department": "water", "kind": "water-quality"},
        "Locations": [
            {
                "name": f"{name} site",
                "description": "riverbank",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [lon, lat]},
            }
        ],
        "Datastreams": [
            {
                "name": f"{name} temperature",
                "description": "water temperature",
                "unitOfMeasurement": CELSIUS,
                "observationType": ObservationType.MEASUREMENT,
                "Sensor": {
                    "name": "probe",
                    "description": "thermistor",
                    "encodingType": "application/pdf",
                    "metadata": "https://example.org/probe.pdf",
                },
                "ObservedProperty": {
                    "name": "temperature",
                    "definition": "http://vocab.example.org/temperature",
                    "description": "water temperature",
                },
            }
        ],
        **extra,
    }


@pytest.fixture
def make_station(operator: User) -> Callable[..., Thing]:
    """A Thing with one temperature Datastream and ``count`` hourly observations from T0."""

    def make(name: str = "Station 1", *, count: int = 5, lon: float = 121.5, lat: float = 25.0) -> Thing:
        thing = cast(Thing, services.create_entity("Thing", thing_payload(name, lon=lon, lat=lat), user=operator))
        datastream = thing.datastreams.get()
        rows = [
            services.NewObservation(
                datastream_id=datastream.pk,
                phenomenon_time=(T0 + timedelta(hours=i), None),
                result=float(10 + i),
            )
            for i in range(count)
        ]
        services.create_observations(rows, user=operator)
        return thing

    return make
