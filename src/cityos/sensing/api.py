"""The sensing app's JSON API under /api/v1/sensing/ (the SensorThings API itself is at /sta/v1.1)."""

from __future__ import annotations

from ninja import Router

from cityos.sensing.ingest.api import router as ingest_router
from cityos.sensing.ops.api import router as ops_router

router = Router()
router.add_router("", ingest_router)
router.add_router("", ops_router)
