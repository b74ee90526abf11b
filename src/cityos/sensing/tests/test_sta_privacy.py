"""Private Things: a council home's sensor, its place and readings are not public.

To anyone whose sensing role does not cover the home, the home and whatever only it leads to do
not exist on any path of the SensorThings API; the staff whose role covers it read it, and every
such read is in the audit trail.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest
from django.test import Client
from django.utils import timezone

from cityos.conftest import verified_client
from cityos.core.accounts.models import Department, Role, StaffRole, User
from cityos.core.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from cityos.core.api.services import issue_token
from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.sensing import services
from cityos.sensing.ingest.publisher import EntityPublisher
from cityos.sensing.models import Observation, Thing
from cityos.sensing.simulators import city
from cityos.sensing.tests.conftest import CELSIUS, STA, T0, get, operator_of, patch, post, thing_payload

pytestmark = pytest.mark.django_db

ADDRESS = "178 Hill Ave, Flat 11"
REVIEWER = {"$filter": "properties/kind eq 'home-climate'", "$expand": "Locations,Datastreams/Observations"}
# Filters that find something of the home (for those who may see it), through links or not.
FINDING_THE_HOME = [
    ("Sensors", f"Datastreams/Thing/properties/address eq '{ADDRESS}'"),
    ("ObservedProperties", "Datastreams/Observations/result eq 21.7"),
    ("Sensors", "not (Datastreams/name ne 'H-0011 living room temperature')"),
    ("Observations", "Datastream/Thing/properties/kind eq 'home-climate'"),
    ("Datastreams", "substringof('H-0011', Thing/name)"),
    ("Locations", f"description eq '{ADDRESS}'"),
    ("FeaturesOfInterest", "Observations/result eq 21.7"),
    ("HistoricalLocations", "Thing/properties/home_ref eq 'H-0011'"),
]


@pytest.fixture
def housing(db: None) -> Department:
    return cast(Department, DepartmentFactory(code="housing"))


@pytest.fixture
def housing_operator(housing: Department) -> User:
    return operator_of(housing)


@pytest.fixture
def station(make_station: Callable[..., Thing]) -> Thing:
    """A public water station, whose Sensor and ObservedProperty the home shares."""
    return make_station("Station 1", count=3)


@pytest.fixture
def home(housing_operator: User, station: Thing) -> Thing:
    """A council home's climate sensor: private because its kind is ("home-climate")."""
    public_stream = station.datastreams.get()
    payload = {
        "name": "Council home H-0011 climate sensor",
        "description": f"Temperature sensor in the living room of {ADDRESS}",
        "properties": {"kind": "home-climate", "department": "housing", "home_ref": "H-0011", "address": ADDRESS},
        "Locations": [
            {
                "name": "H-0011",
                "description": ADDRESS,
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [121.5123, 25.0456]},
            }
        ],
        "Datastreams": [
            {
                "name": "H-0011 living room temperature",
                "description": "living room",
                "unitOfMeasurement": CELSIUS,
                "observationType": public_stream.observation_type,
                "Sensor": {"@iot.id": public_stream.sensor_id},
                "ObservedProperty": {"@iot.id": public_stream.observed_property_id},
                "Observations": [{"phenomenonTime": T0.isoformat(), "result": 21.7}],
            }
        ],
    }
    return cast(Thing, services.create_entity("Thing", payload, user=housing_operator))


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [entity["@iot.id"] for entity in response.json()["value"]]


def everything_of(home: Thing) -> dict[str, Any]:
    datastream = home.datastreams.get()
    observation = datastream.observations.get()
    return {
        "Things": home.pk,
        "Locations": home.locations.get().pk,
        "HistoricalLocations": home.historical_locations.get().pk,
        "Datastreams": datastream.pk,
        "Observations": observation.pk,
        "FeaturesOfInterest": observation.feature_of_interest_id,
    }


def assert_unseen(client: Client, home: Thing, station: Thing, **extra: Any) -> None:
    """Neither the home nor anything only it leads to, on any path; the station as before."""
    hidden = everything_of(home)
    assert get(client, "/Things", **REVIEWER, **extra).json()["value"] == []
    for plural, pk in hidden.items():
        listed = ids(get(client, f"/{plural}", **extra))
        assert pk not in listed, plural
        assert listed, f"the public station's {plural} are still listed"
        response = get(client, f"/{plural}({pk})", **extra)
        assert response.status_code == 404, (plural, response.content)
        assert get(client, f"/{plural}({pk})/$ref", **extra).status_code == 404
    assert get(client, f"/Things({home.pk})/properties", **extra).status_code == 404
    assert get(client, f"/Things({home.pk})/Datastreams", **extra).status_code == 404
    assert get(client, f"/Datastreams({hidden['Datastreams']})/Observations", **extra).status_code == 404
    # The shared catalogue leads only to the public station.
    sensor = station.datastreams.get().sensor_id
    assert ids(get(client, f"/Sensors({sensor})/Datastreams", **extra)) == [station.datastreams.get().pk]
    expanded = get(client, f"/Sensors({sensor})", **{"$expand": "Datastreams($count=true)"}, **extra).json()
    assert [d["@iot.id"] for d in expanded["Datastreams"]] == [station.datastreams.get().pk]
    assert expanded["Datastreams@iot.count"] == 1
    # Filters through links do not find it either.
    for plural, condition in FINDING_THE_HOME:
        assert ids(get(client, f"/{plural}", **{"$filter": condition}, **extra)) == [], condition
    assert AuditEntry.objects.filter(action=AuditAction.READ).count() == 0


def test_a_home_is_private_by_its_kind_and_kept_so(home: Thing, housing_operator: User) -> None:
    assert home.private
    changed = services.update_entity(
        "Thing", home.pk, {"properties": {"kind": "home-climate", "private": False}}, user=housing_operator
    )
    assert changed.private  # a kind declared private stays private, whatever the properties say


def test_anonymous_readers_see_nothing_of_a_home(client: Client, home: Thing, station: Thing) -> None:
    assert_unseen(client, home, station)
    body = get(client, f"/Things({station.pk})", **{"$expand": "Locations,Datastreams/Observations"}).json()
    assert len(body["Datastreams"][0]["Observations"]) == 3  # the public station is unchanged


@pytest.mark.parametrize("who", ["resident", "water operator", "housing caseworker", "housing of another district"])
def test_nor_do_people_whose_role_does_not_cover_it(
    who: str, home: Thing, station: Thing, housing: Department, operator: User
) -> None:
    if who == "resident":
        user = cast(User, ResidentFactory())
    elif who == "water operator":
        user = operator
    else:
        user = cast(User, StaffFactory())
        role = StaffRole.objects.create(
            user=user, role=Role.CASEWORKER if who == "housing caseworker" else Role.OPERATOR, department=housing
        )
        if who == "housing of another district":
            home.district = DistrictFactory()
            home.save()
            role.districts.add(DistrictFactory())
    assert_unseen(verified_client(user), home, station)


def test_a_location_shared_with_a_public_thing_stays_public_without_its_home(
    client: Client, home: Thing, housing_operator: User
) -> None:
    place = home.locations.get()
    lamp = post(
        verified_client(housing_operator),
        "/Things",
        {"name": "Street lamp", "description": "outside", "Locations": [{"@iot.id": place.pk}]},
    )
    assert lamp.status_code == 201, lamp.content
    assert ids(get(client, f"/Locations({place.pk})/Things")) == [lamp.json()["@iot.id"]]
    assert ids(get(client, f"/Locations({place.pk})/HistoricalLocations")) == list(
        Thing.objects.get(pk=lamp.json()["@iot.id"]).historical_locations.values_list("pk", flat=True)
    )
    assert ids(get(client, "/Locations", **{"$filter": "Things/name eq 'Council home H-0011 climate sensor'"})) == []
    assert ids(get(client, "/Locations", **{"$filter": "Things/name eq 'Street lamp'"})) == [place.pk]
    expanded = get(client, f"/Locations({place.pk})", **{"$expand": "Things,HistoricalLocations/Thing"}).json()
    assert [t["name"] for t in expanded["Things"]] == ["Street lamp"]
    assert {h["Thing"]["name"] for h in expanded["HistoricalLocations"]} == {"Street lamp"}


def test_a_filter_through_a_shared_link_still_finds_public_things(client: Client, home: Thing, station: Thing) -> None:
    sensor = station.datastreams.get().sensor_id
    assert ids(get(client, "/Sensors", **{"$filter": "Datastreams/Observations/result ge 10"})) == [sensor]
    assert ids(get(client, "/Sensors", **{"$filter": "Datastreams/Observations/result eq 21.7"})) == []
    assert ids(get(client, "/Sensors", **{"$filter": "not (Datastreams/Observations/result eq 21.7)"})) == [sensor]
    refused = get(client, "/Sensors", **{"$filter": "Datastreams/name eq name"})
    assert refused.status_code == 400 and "through Datastreams" in refused.json()["message"]


def audit_entries() -> dict[str, AuditEntry]:
    return {e.object_type: e for e in AuditEntry.objects.filter(action=AuditAction.READ).order_by("pk")}


def test_staff_whose_role_covers_a_home_read_it_and_each_read_is_audited(
    home: Thing, station: Thing, housing_operator: User
) -> None:
    client = verified_client(housing_operator)
    body = get(client, "/Things", **REVIEWER).json()
    (found,) = body["value"]
    assert found["properties"]["address"] == ADDRESS
    assert found["Datastreams"][0]["Observations"][0]["result"] == 21.7
    entries = audit_entries()
    assert set(entries) == {"sensing.Thing", "sensing.Location", "sensing.Datastream", "sensing.Observation"}
    thing = entries["sensing.Thing"]
    assert thing.actor_id == housing_operator.pk and thing.changes["ids"] == [str(home.pk)]
    assert {"name", "properties"} <= set(thing.fields)
    assert thing.object_repr.startswith("SensorThings API GET /sta/v1.1/Things?")
    assert entries["sensing.Observation"].fields and "result" in entries["sensing.Observation"].fields
    # One entity, one property, a dataArray: each a read of its own.
    hidden = everything_of(home)
    for path, params in [
        (f"/FeaturesOfInterest({hidden['FeaturesOfInterest']})", {}),
        (f"/Things({home.pk})/properties", {}),
        (f"/Datastreams({hidden['Datastreams']})/Observations", {"$resultFormat": "dataArray"}),
    ]:
        before = AuditEntry.objects.filter(action=AuditAction.READ).count()
        response = get(client, path, **params)
        assert response.status_code == 200, response.content
        assert AuditEntry.objects.filter(action=AuditAction.READ).count() == before + 1, path
    # Reading only public things records nothing.
    before = AuditEntry.objects.filter(action=AuditAction.READ).count()
    assert get(client, f"/Things({station.pk})", **{"$expand": "Datastreams/Observations"}).status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.READ).count() == before


def test_a_token_of_covering_staff_reads_it_audited_as_the_token(home: Thing, housing_operator: User) -> None:
    secret = issue_token(name="analysis", owner=housing_operator, scopes=["read"], created_by=housing_operator).secret
    client = Client()
    basic = base64.b64encode(f"me:{secret}".encode()).decode()
    for header in (f"Bearer {secret}", f"Basic {basic}"):
        response = client.get(f"{STA}/Things({home.pk})", HTTP_AUTHORIZATION=header)
        assert response.status_code == 200 and response.json()["properties"]["address"] == ADDRESS
    entries = AuditEntry.objects.filter(action=AuditAction.READ, object_type="sensing.Thing")
    assert entries.count() == 2
    assert {e.actor_label for e in entries} == {f"{housing_operator.get_username()} via token analysis"}
    assert {e.actor_id for e in entries} == {housing_operator.pk}


def test_administrators_read_every_home_audited(home: Thing, station: Thing) -> None:
    admin = cast(User, StaffFactory())
    StaffRole.objects.create(user=admin, role=Role.ADMINISTRATOR)
    client = verified_client(admin)
    for plural, condition in FINDING_THE_HOME:
        assert ids(get(client, f"/{plural}", **{"$filter": condition})), condition
    assert home.pk in ids(get(client, "/Things"))
    assert set(ids(get(client, "/Observations"))) == set(Observation.objects.values_list("pk", flat=True))
    latest = AuditEntry.objects.filter(action=AuditAction.READ, object_type="sensing.Observation").order_by("-pk")[0]
    assert latest.changes["ids"] == [str(everything_of(home)["Observations"])]


def test_any_thing_marked_private_in_its_properties_is_private(
    client: Client, writer: Client, station: Thing, operator: User
) -> None:
    payload = thing_payload("Tenant's water meter")
    payload["properties"]["private"] = True
    created = post(writer, "/Things", payload)
    assert created.status_code == 201, created.content
    meter = Thing.objects.get(pk=created.json()["@iot.id"])
    assert meter.private and meter.kind == "water-quality"
    assert get(client, f"/Things({meter.pk})").status_code == 404
    assert get(writer, f"/Things({meter.pk})").status_code == 200  # the water operator covers it
    # New properties without the flag keep it; only an explicit false lifts it.
    assert patch(writer, f"/Things({meter.pk})", {"properties": {"kind": "water-quality"}}).status_code == 200
    assert Thing.objects.get(pk=meter.pk).private
    refused = patch(writer, f"/Things({meter.pk})", {"properties": {"private": "yes"}})
    assert refused.status_code == 400 and "properties.private must be true or false" in refused.json()["message"]
    assert patch(writer, f"/Things({meter.pk})", {"properties": {"private": False}}).status_code == 200
    assert get(client, f"/Things({meter.pk})").status_code == 200


def test_staff_outside_its_scope_cannot_write_through_a_private_thing(home: Thing, writer: Client) -> None:
    """A writer of another department gets the same 404 as a reader: the home does not exist."""
    response = post(
        writer, f"/Things({home.pk})/Datastreams", {"name": "x", "description": "x", "unitOfMeasurement": CELSIUS}
    )
    assert response.status_code == 404


def test_a_writer_outside_its_scope_cannot_link_to_a_homes_place_feature_or_datastream(
    client: Client, home: Thing, station: Thing, writer: Client
) -> None:
    """A link by @iot.id to what the writer may not see is to nothing (as an unknown id is): a new
    Thing standing at the home, or an observation of the home's feature, would make the home's
    place public; a refusal that differed from an unknown id's would confirm the home exists."""
    place = home.locations.get()
    stream = home.datastreams.first()
    observation = Observation.objects.filter(datastream=stream).first()
    assert observation is not None
    feature = observation.feature_of_interest_id
    payload = thing_payload("Squatter", Locations=[{"@iot.id": place.pk}])
    linked = post(writer, "/Things", payload)
    assert linked.status_code == 400 and f"There is no Location with @iot.id {place.pk}" in linked.json()["message"]
    public_stream = station.datastreams.get()
    observed = post(
        writer,
        "/Observations",
        {
            "result": 1,
            "phenomenonTime": "2026-11-27T10:00:00Z",
            "Datastream": {"@iot.id": public_stream.pk},
            "FeatureOfInterest": {"@iot.id": feature},
        },
    )
    assert observed.status_code == 400 and "There is no FeatureOfInterest" in observed.json()["message"]
    into_home = post(
        writer,
        "/Observations",
        {"result": 1, "phenomenonTime": "2026-11-27T10:00:00Z", "Datastream": {"@iot.id": stream.pk}},
    )
    unknown = post(
        writer,
        "/Observations",
        {"result": 1, "phenomenonTime": "2026-11-27T10:00:00Z", "Datastream": {"@iot.id": 999999}},
    )
    assert into_home.status_code == unknown.status_code == 400
    assert into_home.json()["message"] == unknown.json()["message"].replace("999999", str(stream.pk))
    assert get(client, f"/Locations({place.pk})").status_code == 404
    assert get(client, f"/FeaturesOfInterest({feature})").status_code == 404


def test_create_observations_knows_no_home_datastream_or_feature_outside_the_writers_scope(
    home: Thing, station: Thing, writer: Client
) -> None:
    """The dataArray write answers a home's datastream as it answers an unknown one, and a row
    naming the home's feature is an error in its place, as an unknown feature's is."""
    stream = home.datastreams.first()
    feature = Observation.objects.filter(datastream=stream).values_list("feature_of_interest_id", flat=True).first()

    def rows(datastream_id: int, components: list[str], data: list[list[Any]]) -> Any:
        body = [{"Datastream": {"@iot.id": datastream_id}, "components": components, "dataArray": data}]
        return post(writer, "/CreateObservations", body)

    into_home = rows(stream.pk, ["phenomenonTime", "result"], [["2026-11-27T10:00:00Z", 1]])
    unknown = rows(999999, ["phenomenonTime", "result"], [["2026-11-27T10:00:00Z", 1]])
    assert into_home.status_code == unknown.status_code == 400
    assert into_home.json()["message"] == unknown.json()["message"].replace("999999", str(stream.pk))
    public = station.datastreams.get()
    linked = rows(
        public.pk, ["phenomenonTime", "result", "FeatureOfInterest/id"], [["2026-11-27T10:00:00Z", 1, feature]]
    )
    assert linked.json() == ["error"]
    assert not Observation.objects.filter(datastream=public, feature_of_interest_id=feature).exists()


def test_exports_of_a_home_datastream_are_for_covering_staff_only_and_audited(
    client: Client, home: Thing, housing_operator: User, writer: Client
) -> None:
    datastream = home.datastreams.get()
    url = f"/sensing/datastreams/{datastream.pk}/observations.csv"
    assert client.get(url).status_code == 404
    assert writer.get(url).status_code == 404  # a water operator
    response = verified_client(housing_operator).get(url)
    assert response.status_code == 200
    assert "21.7" in b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.object_type == "sensing.Datastream" and entry.object_id == str(datastream.pk)
    assert entry.actor_id == housing_operator.pk


def test_private_things_are_never_published_over_mqtt(home: Thing, station: Thing) -> None:
    published: list[str] = []
    client = SimpleNamespace(publish=lambda topic, payload, qos: published.append(topic))
    publisher = EntityPublisher()
    observations = list(Observation.objects.order_by("pk").values_list("pk", "datastream_id"))
    publisher._publish(client, "observations", [pk for pk, _ in observations])
    public = station.datastreams.get().pk
    assert set(published) == {f"v1.1/Datastreams({public})/Observations", "v1.1/Observations"}
    assert len(published) == 2 * 3
    published.clear()
    hidden = everything_of(home)
    for plural, pk in hidden.items():
        type_name = {"Things": "Thing", "Locations": "Location", "HistoricalLocations": "HistoricalLocation"}.get(
            plural, plural.removesuffix("s").replace("FeaturesOfInterest", "FeatureOfInterest")
        )
        publisher._publish(client, "entity", (type_name, pk, "updated"))
    publisher._publish(client, "entity", ("Thing", station.pk, "updated"))
    assert published == [f"v1.1/Things({station.pk})"]


def test_the_demo_marks_council_homes_private() -> None:
    homes = [d for d in city.plan_city(random.Random(1), [], timezone.now(), scale=0.05) if d.kind == "home-climate"]
    assert homes and all(d.thing_properties()["private"] is True for d in homes)
