"""Epidemic intelligence: the reproduction number (Rt) of case series, and later forecasts,
hospital capacity and the public dashboard (issue 5)."""
