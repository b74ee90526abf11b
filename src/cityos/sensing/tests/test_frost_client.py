"""An existing SensorThings client, FROST's Python client, against a live server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import frost_sta_client as fsc
import pytest
from frost_sta_client.service.auth_handler import AuthHandler
from geojson import Point

from cityos.core.accounts.models import User
from cityos.core.api.services import issue_token
from cityos.sensing.models import Observation

pytestmark = pytest.mark.django_db(transaction=True)


def test_frost_client_creates_a_thing_and_reads_it_back(live_server: object, operator: User) -> None:
    secret = issue_token(name="frost", owner=operator, scopes=["write"], created_by=operator).secret
    service = fsc.SensorThingsService(f"{live_server.url}/sta/v1.1", auth_handler=AuthHandler("frost", secret))  # type: ignore[attr-defined]

    location = fsc.Location(
        name="Harbour buoy",
        description="north basin",
        encoding_type="application/geo+json",
        location=Point((121.48, 25.17)),
    )
    thing = fsc.Thing(
        name="Buoy 7", description="water-quality buoy", properties={"department": "water"}, locations=[location]
    )
    sensor = fsc.Sensor(
        name="pH probe",
        description="glass electrode",
        encoding_type="application/pdf",
        metadata="https://example.org/ph.pdf",
    )
    observed_property = fsc.ObservedProperty(name="pH", definition="http://vocab.example.org/pH", description="acidity")
    datastream = fsc.Datastream(
        name="Buoy 7 pH",
        description="pH every minute",
        observation_type=("http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"),
        unit_of_measurement=fsc.UnitOfMeasurement(name="pH", symbol="pH", definition="http://qudt.org/vocab/unit/PH"),
        thing=thing,
        sensor=sensor,
        observed_property=observed_property,
    )
    service.create(datastream)  # deep insert of the Thing, its Location, Sensor and ObservedProperty
    assert isinstance(datastream.id, int)

    start = datetime(2026, 3, 1, tzinfo=UTC)
    for minute, value in enumerate([7.1, 7.4, 6.9, 8.2]):
        observation = fsc.Observation(
            result=value, phenomenon_time=(start + timedelta(minutes=minute)).isoformat(), datastream=datastream
        )
        service.create(observation)
    assert Observation.objects.count() == 4

    things = service.things().query().filter("name eq 'Buoy 7'").expand("Datastreams,Locations").list()
    (found,) = list(things)
    assert found.name == "Buoy 7"
    assert [d.name for d in found.datastreams] == ["Buoy 7 pH"]

    high_first = service.observations().query().filter("result gt 7").orderby("result", "desc").list()
    assert [o.result for o in high_first] == [8.2, 7.4, 7.1]

    fetched = service.datastreams().find(datastream.id)
    assert fetched.name == "Buoy 7 pH"
    newest = fetched.get_observations().query().orderby("phenomenonTime", "desc").top(1).list()
    assert [o.result for o in newest.entities] == [8.2]  # the first page; iterating would follow nextLink
