"""The triage rule that flags a self-declaration for a test.

A declaration is flagged when any of these holds (the first that holds is the reason kept):

1. close contact with a confirmed case, with or without symptoms;
2. shortness of breath;
3. fever together with cough or loss of taste or smell;
4. any symptom together with travel outside the city in the last 14 days.

Anything else (no symptoms, or mild symptoms without contact or travel) is not flagged: the
resident is told to declare again tomorrow and to call the health line if they feel worse.
"""

from __future__ import annotations

from collections.abc import Collection

from cityos.health.models import FlagReason, Symptom


def triage(symptoms: Collection[str], *, travelled: bool, contact_with_case: bool) -> FlagReason | None:
    """Why a test is advised, or None."""
    present = set(symptoms)
    if contact_with_case:
        return FlagReason.CONTACT
    if Symptom.BREATH in present:
        return FlagReason.BREATH
    if Symptom.FEVER in present and present & {Symptom.COUGH, Symptom.TASTE_SMELL}:
        return FlagReason.FEVER
    if present and travelled:
        return FlagReason.TRAVEL
    return None
