"""JSON API of this part, mounted under /api/v1/sensing/ by cityos.sensing.api."""

from __future__ import annotations

from ninja import Router

router = Router()
