"""Fixtures: a department's operator, an API token, and a small network of stations."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from django.db.models import Max
from django.test import Client

from cityos.conftest import verified_client
from cityos.core.accounts.models import Department, Role, StaffRole, User
from cityos.core.accounts.tests.factories import DepartmentFactory, StaffFactory
from cityos.core.api.services import issue_token
from cityos.sensing import services
from cityos.sensing.models import Datastream, ObservationType, Thing

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


@dataclass(frozen=True)
class Elsewhere:
    """Datastreams of the housing department, where a water operator may not write: a council
    home's (its Thing private) and a housing station's (not private); and an id naming nothing."""

    home: Datastream
    public: Datastream
    missing: int
    housing_operator: User

    def each(self) -> list[tuple[str, int]]:
        return [("home", self.home.pk), ("public", self.public.pk), ("missing", self.missing)]


def housing_streams() -> Elsewhere:
    housing = Department.objects.filter(code="housing").first() or DepartmentFactory(code="housing")
    housing_operator = operator_of(housing)

    def stream(name: str, *, private: bool) -> Datastream:
        payload = thing_payload(name)
        payload["properties"] = {"department": "housing", "kind": "room-climate", "private": private}
        thing = cast(Thing, services.create_entity("Thing", payload, user=housing_operator))
        assert thing.private is private
        return thing.datastreams.get()

    home, public = stream("Council home H-0042", private=True), stream("Housing depot", private=False)
    missing = (Datastream.objects.aggregate(top=Max("pk"))["top"] or 0) + 1000  # no id is assumed
    return Elsewhere(home, public, missing, housing_operator)


def without_id(text: str, pk: int) -> str:
    """``text`` with the id ``pk`` written as <id>: answers about different ids, compared."""
    return re.sub(rf"(?<!\d){pk}(?!\d)", "<id>", text)


def masked(body: Any, pk: int) -> Any:
    """A JSON answer with the id ``pk`` written as <id> in its texts (not in the request's own
    address, "instance", where /api/v1/ would read /api/v<id>/ for id 1)."""
    if isinstance(body, dict):
        return {key: value if key == "instance" else masked(value, pk) for key, value in body.items()}
    if isinstance(body, list):
        return [masked(value, pk) for value in body]
    return without_id(body, pk) if isinstance(body, str) else body


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
