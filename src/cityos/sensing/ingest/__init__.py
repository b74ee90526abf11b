"""MQTT ingest: the embedded broker for the demo, the ingest worker, dead letters, publish grants."""
