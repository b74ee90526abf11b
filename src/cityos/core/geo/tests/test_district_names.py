"""A district is named in the reader's language wherever it is chosen or listed."""

from __future__ import annotations

import pytest
from django.utils import translation

from cityos.core.geo.forms import DistrictChoiceField
from cityos.core.geo.models import District
from cityos.core.geo.tests.factories import DistrictFactory

pytestmark = pytest.mark.django_db


def test_a_district_is_chosen_and_shown_by_its_name_in_the_readers_language():
    central = DistrictFactory(code="central", name="Central and Western", names={"zh-hant": "中西區"})
    field = DistrictChoiceField(District.objects.all(), to_field_name="code")

    with translation.override("zh-hant"):
        assert ("central", "中西區") in [(str(value), label) for value, label in field.choices]
        assert central.display_name == "中西區"
    with translation.override("es"):  # no Spanish name: its main one
        assert central.display_name == "Central and Western"
