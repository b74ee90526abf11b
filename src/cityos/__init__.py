"""CityOS: one platform for a city's digital services and operations."""

__version__ = "0.1.0"
