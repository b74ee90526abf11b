"""Simulated devices of the demo city, publishing over MQTT with daily patterns and faults."""
