"""The check-in settings, read at call time so tests and cities can change them.

Each is a Django setting of the same name or, failing that, an environment variable.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

from django.conf import settings

from cityos.core.conf import module_setting
from cityos.core.registry import module_roles

# Each list counts for roles of its departments or of no department; administrators pass too.
# Staff roles that see venues' check-ins, propose and send exposure alerts: health data (case
# references, visit times), so public health's alone (CITYOS_CHECKIN_ALERTS_DEPARTMENT, "health").
ALERT_ROLES = module_roles("checkin-alerts", "health_officer")
# Staff roles that may register venues on an owner's behalf and list venues: public health and the
# operations centre that registers them (CITYOS_CHECKIN_DEPARTMENT, default "health,operations").
VENUE_ROLES = module_roles("checkin", "operator", "health_officer")


def retention_days() -> int:
    """Check-ins older than this are deleted by the retention job (CITYOS_CHECKIN_RETENTION_DAYS)."""
    return int(module_setting("CITYOS_CHECKIN_RETENTION_DAYS", "21"))


def buffer_minutes() -> int:
    """Minutes added before and after a case's visit when matching (CITYOS_CHECKIN_BUFFER_MINUTES)."""
    return int(module_setting("CITYOS_CHECKIN_BUFFER_MINUTES", "30"))


def double_check_in_window() -> timedelta:
    """A second check-in by the same person at the same venue within this time is refused."""
    return timedelta(minutes=int(module_setting("CITYOS_CHECKIN_DOUBLE_MINUTES", "30")))


def page_limit_per_hour() -> int:
    """Check-in attempts from the poster page per client address per hour
    (CITYOS_CHECKIN_LIMIT_PER_HOUR); generous, as a venue's wifi puts many visitors behind one address."""
    return int(module_setting("CITYOS_CHECKIN_LIMIT_PER_HOUR", "120"))


def contact_key() -> bytes:
    """Fernet key for the contacts of anonymous check-ins (CITYOS_CHECKIN_CONTACT_KEY, or derived
    from SECRET_KEY so a laptop needs no setup)."""
    configured = module_setting("CITYOS_CHECKIN_CONTACT_KEY", "")
    if configured:
        return configured.encode()
    digest = hashlib.sha256(b"cityos.checkin.contact-key:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def digest_key() -> bytes:
    """Key of the keyed hash that finds repeat check-ins of one contact without decrypting."""
    return hashlib.sha256(b"cityos.checkin.contact-digest:" + contact_key()).digest()


# Future check-in times up to this much ahead are clock drift, not a mistake.
CLOCK_SKEW = timedelta(minutes=2)
