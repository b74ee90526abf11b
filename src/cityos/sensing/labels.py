"""Names, in the reader's language, for the device kinds and observed properties that CityOS's
modules and simulators use. Both are data (a city may add its own), so an unknown code is shown
as it is; the API and exports always carry the code."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


def kind_labels() -> dict[str, Promise | str]:
    return {
        "water-quality": _("water quality"),
        "air-quality": _("air quality"),
        "parking-bay": _("parking bay"),
        "home-climate": _("home climate"),
        "waste-bin": _("waste bin"),
        "predator-trap": _("predator trap"),
    }


def property_labels() -> dict[str, Promise | str]:
    return {
        "pH": "pH",
        "turbidity": _("turbidity"),
        "chlorine": _("free chlorine"),
        "conductivity": _("conductivity"),
        "pm25": "PM2.5",
        "pm10": "PM10",
        "no2": "NO₂",
        "o3": "O₃",
        "occupied": _("bay occupied"),
        "temperature": _("temperature"),
        "relative-humidity": _("relative humidity"),
        "fill-level": _("fill level"),
        "trap-event": _("trap catch"),
        "battery": _("battery"),
    }


def kind_label(code: str) -> str:
    return str(kind_labels().get(code, code))


def property_label(name: str) -> str:
    return str(property_labels().get(name, name))
