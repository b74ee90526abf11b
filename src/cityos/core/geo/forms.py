# ruff: noqa: RUF001 - sort labels name ranges with an en dash
from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cityos.core.geo import services
from cityos.core.geo.models import District, Place, PlaceKind
from cityos.core.geo.selectors import PLACE_SORTS, localized_name

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class DistrictChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A district chosen by its name in the reader's language (繁體中文 readers see 中西區)."""

    def label_from_instance(self, obj: District) -> str:  # type: ignore[override]
        return obj.display_name


def _district_choices() -> list[tuple[str, str | Promise]]:
    districts = District.objects.order_by("name").values_list("code", "name", "names")
    return [("", _("All districts")), *((code, localized_name(name, names)) for code, name, names in districts)]


class PlaceFilterForm(forms.Form):
    """The public map's filters; plain GET parameters, so they work without JavaScript."""

    kind = forms.MultipleChoiceField(
        label=_("Kind of place"), required=False, choices=PlaceKind.choices, widget=forms.CheckboxSelectMultiple
    )
    district = forms.ChoiceField(label=_("District"), required=False)
    open_now = forms.BooleanField(label=_("Open now only"), required=False)
    q = forms.CharField(label=_("Name or address"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = _district_choices()  # type: ignore[attr-defined]


class ManagePlacesForm(PlaceFilterForm):
    """Staff list filters: withdrawn places too, and a sort order."""

    ACTIVE_CHOICES = [("", _("Active and withdrawn")), ("yes", _("Active")), ("no", _("Withdrawn"))]
    SORT_LABELS = {
        "name": _("Name (A–Z)"),
        "-name": _("Name (Z–A)"),
        "kind": _("Kind"),
        "district": _("District"),
        "-updated": _("Recently updated"),
    }

    kind = forms.MultipleChoiceField(label=_("Kind of place"), required=False, choices=PlaceKind.choices)
    active = forms.ChoiceField(label=_("Status"), required=False, choices=ACTIVE_CHOICES)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["size"] = 4
        self.fields["sort"].choices = [(key, self.SORT_LABELS[key]) for key in PLACE_SORTS]  # type: ignore[attr-defined]


class GeoJSONUploadForm(forms.Form):
    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_(
            "A FeatureCollection of Polygon or MultiPolygon features in WGS 84 (EPSG:4326), each with "
            "the properties code and name, and optionally names (zh-hant, es) and population."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json,application/json"}),
    )
    dry_run = forms.BooleanField(label=_("Check only (dry run): show the report and save nothing"), required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is %(size)s MB; the limit is %(limit)s MB."),
                params={"size": round(upload.size / 1_048_576, 1), "limit": MAX_UPLOAD_BYTES // 1_048_576},
            )
        return upload


class DistrictAdminForm(forms.ModelForm):
    """Edits a boundary by hand: the same checks as an import."""

    class Meta:
        model = District
        fields = ["code", "name", "names", "population", "geometry"]

    def clean_geometry(self) -> Any:
        geometry = self.cleaned_data.get("geometry")
        services.clean_boundary(geometry)
        return geometry


class PlaceAdminForm(forms.ModelForm):
    """The back office's place form: the service's checks, errors next to their fields."""

    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")

    class Meta:
        model = Place
        fields = list(services.PLACE_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            cleaned = services.validate_place({k: data.get(k) for k in services.PLACE_FIELDS if k in data})
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                if name in self.errors:
                    continue  # the field's own check already said what is wrong
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        else:
            data.update(cleaned)
        return data
