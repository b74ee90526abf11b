"""How epi hears of other modules' data: events only, never their models."""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import ValidationError

from cityos.epi import services
from cityos.health.events import CaseConfirmed

logger = logging.getLogger(__name__)


def count_confirmed_case(event: CaseConfirmed) -> None:
    """A case confirmed by the health module adds one to its district's count for the lab date."""
    if not event.district_code:
        # Not a resident with a known district: the health officer's daily report covers it.
        logger.info("confirmed case without a district not counted", extra={"case": event.case_ref})
        return
    try:
        services.record_case(event.district_code, datetime.date.fromisoformat(event.lab_date), imported=event.imported)
    except ValidationError as error:
        logger.warning("confirmed case not counted", extra={"case": event.case_ref, "why": error.messages})
