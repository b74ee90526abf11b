"""Rules and alerts, and the operations-centre pages: live map, alert feed, charts, device health."""
