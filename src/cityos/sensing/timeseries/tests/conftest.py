"""The sensing fixtures (a water department's operator, stations with observations) reused here."""

from cityos.sensing.tests.conftest import department, make_station, operator, token, writer

__all__ = ["department", "make_station", "operator", "token", "writer"]
