from __future__ import annotations

from datetime import datetime

import factory

from cityos.checkin import services
from cityos.checkin.models import CheckIn, Venue, VenueKind
from cityos.core.accounts.models import User


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    name = factory.Sequence(lambda n: f"Venue {n}")
    kind = VenueKind.SHOP
    address = "1 Main Street"
    contact_email = factory.Sequence(lambda n: f"venue{n}@example.org")
    short_code = factory.Sequence(lambda n: f"T{n:05d}")


def visit(
    venue: Venue, at: datetime, *, person: User | None = None, contact: str = "", out: datetime | None = None
) -> CheckIn:
    """A stored check-in at any time (the service refuses past times beyond retention, tests need them)."""
    fields: dict[str, object] = {}
    if person is None:
        parsed = services.parse_contact(contact)
        fields = {
            "contact_encrypted": services.encrypt_contact(parsed.address),
            "contact_channel": parsed.channel,
            "contact_digest": services.contact_digest(parsed.address),
            "language": "en",
        }
    else:
        fields = {"person": person, "language": person.language}
    return CheckIn.objects.create(venue=venue, checked_in_at=at, checked_out_at=out, **fields)
