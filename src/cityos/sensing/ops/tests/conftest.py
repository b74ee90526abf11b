"""Fixtures for the rules engine and operations-centre tests: two districts, two departments,
stations with datastreams, operators scoped to them, and helpers that write observations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, cast

import pytest
from django.test import Client
from django.utils import timezone

from cityos.conftest import verified_client
from cityos.core.accounts.models import Department, Role, StaffRole, User
from cityos.core.accounts.tests.factories import DepartmentFactory, StaffFactory
from cityos.core.geo.models import District
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.core.web.tests.conftest import _chromium, page, sign_in_browser  # noqa: F401
from cityos.sensing import services
from cityos.sensing.models import Datastream, ObservationType, Thing
from cityos.sensing.ops import rules

NTU = {"name": "nephelometric turbidity unit", "symbol": "NTU", "definition": "http://qudt.org/vocab/unit/NTU"}
PERCENT = {"name": "percent", "symbol": "%", "definition": "http://qudt.org/vocab/unit/PERCENT"}


@pytest.fixture(autouse=True)
def _fresh_rule_index() -> Iterator[None]:
    rules.invalidate()
    yield
    rules.invalidate()


@pytest.fixture(autouse=True)
def _immediate_jobs(settings: Any, tmp_path: Any) -> None:
    """Event subscribers and message delivery run at commit, here; outbox files in tmp."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": []}}
    settings.VAR_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def north(db: None) -> District:
    return cast(District, DistrictFactory(code="north", name="North"))


@pytest.fixture
def south(db: None) -> District:
    return cast(District, DistrictFactory(code="south", name="South"))


@pytest.fixture
def water(db: None) -> Department:
    return cast(Department, DepartmentFactory(code="water", name="Water Services"))


@pytest.fixture
def environment(db: None) -> Department:
    return cast(Department, DepartmentFactory(code="environment", name="Environment"))


def staff(
    role: str = Role.OPERATOR,
    department: Department | None = None,
    districts: tuple[District, ...] = (),
    **fields: Any,
) -> User:
    user = cast(User, StaffFactory(**fields))
    staff_role = StaffRole.objects.create(user=user, role=role, department=department)
    staff_role.districts.set(districts)
    return user


@pytest.fixture
def publisher(db: None) -> User:
    """Writes observations, like the ingest worker's account."""
    return staff(Role.DATA_PUBLISHER, username="publisher")


def station_payload(
    name: str, kind: str, department: str, district: str, streams: tuple[str, ...], lon: float, lat: float
) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"a {kind} device",
        "properties": {"department": department, "district": district, "kind": kind},
        "Locations": [
            {
                "name": f"{name} site",
                "description": "site",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [lon, lat]},
            }
        ],
        "Datastreams": [
            {
                "name": f"{name}: {stream}",
                "description": stream,
                "unitOfMeasurement": PERCENT if stream == "battery" else NTU,
                "observationType": ObservationType.MEASUREMENT,
                "Sensor": {"name": "probe", "description": "probe", "encodingType": "application/pdf", "metadata": "x"},
                "ObservedProperty": {
                    "name": stream,
                    "definition": f"https://example.org/{stream}",
                    "description": stream,
                },
            }
            for stream in streams
        ],
    }


@pytest.fixture
def make_thing(publisher: User, django_capture_on_commit_callbacks: Any) -> Callable[..., Thing]:
    counter = iter(range(1, 1000))

    def make(
        kind: str = "water-quality",
        department: str = "water",
        district: str = "north",
        streams: tuple[str, ...] = ("turbidity",),
        name: str = "",
    ) -> Thing:
        number = next(counter)
        payload = station_payload(
            name or f"{kind} {number}", kind, department, district, streams, 0.001 * number, 0.002 * number
        )
        with django_capture_on_commit_callbacks(execute=True):  # EntityChanged refreshes the rule index
            thing = cast(Thing, services.create_entity("Thing", payload, user=publisher))
        thing.refresh_from_db()
        if not thing.kind:  # the write path keeps Thing.kind; set it here in case it does not yet
            Thing.objects.filter(pk=thing.pk).update(kind=kind)
            thing.refresh_from_db()
        return thing

    return make


@pytest.fixture
def observe(publisher: User, django_capture_on_commit_callbacks: Any) -> Callable[..., list[int]]:
    """Store values for a datastream at given times (minutes before now, or datetimes), committing
    so that the rules subscriber runs."""

    def write(datastream: Datastream, *values: tuple[Any, float]) -> list[int]:
        now = timezone.now()
        rows = []
        for when, value in values:
            at = when if isinstance(when, datetime) else now - timedelta(minutes=when)
            rows.append(services.NewObservation(datastream_id=datastream.pk, phenomenon_time=(at, None), result=value))
        with django_capture_on_commit_callbacks(execute=True):
            result = services.create_observations(rows, user=publisher)
        refused = [r for r in result if not isinstance(r, int)]
        assert not refused, refused
        return [r for r in result if isinstance(r, int)]

    return write


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    return verified_client
