"""Every write of epi: validation, one transaction, events on commit.

Three kinds of daily report arrive by API, staff form and CSV upload:

- ``cases``: new cases per district and day, local and imported (from lab-confirmed results);
- ``lab``: tests done and positive per district and day;
- ``hospital``: a hospital's beds, ICU beds and ventilators, total and occupied, per day.

A report for a day already reported replaces it (a correction). A CSV import is all or
nothing, as district imports are: the report says row by row what would be saved and what was
refused and why, and one refused row saves nothing of the file.

:func:`record_case` is the hook for the health (case) module: one confirmed case, counted.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from cityos.core.accounts.permissions import holds_any_role
from cityos.core.events import publish
from cityos.core.geo.models import District, Place, PlaceKind
from cityos.core.geo.services import ImportAction, ImportReport, ItemReport
from cityos.epi import conf
from cityos.epi.events import EpiDataChanged
from cityos.epi.models import RESOURCES, CaseCount, HospitalReport, LabResult

MAX_COUNT = 10_000_000
_WHOLE_NUMBER = re.compile(r"^[+-]?\d{1,12}$")
MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_CSV_ROWS = 50_000
EARLIEST_DATE = datetime.date(2000, 1, 1)


@dataclass(frozen=True)
class ReportKind:
    """One kind of daily report: its model, the field naming where, and its counts."""

    key: str
    model: type[Model]
    where: str  # "district" (a code) or "hospital" (a place id)
    counts: tuple[str, ...]


KINDS: dict[str, ReportKind] = {
    "cases": ReportKind("cases", CaseCount, "district", ("local", "imported")),
    "lab": ReportKind("lab", LabResult, "district", ("tests", "positives")),
    "hospital": ReportKind(
        "hospital", HospitalReport, "hospital", tuple(f"{r}_{p}" for r in RESOURCES for p in ("total", "occupied"))
    ),
}


def _kind(key: str) -> ReportKind:
    if key not in KINDS:
        raise ValidationError({"kind": _("Unknown kind of report “%(kind)s”.") % {"kind": key}})
    return KINDS[key]


def require_writer(user: Any) -> None:
    """Health officers (and administrators) write; anyone else is refused."""
    if not holds_any_role(user, conf.WRITE_ROLES):
        raise PermissionDenied(_("Only health officers may enter epidemic data."))


# --- Validation ------------------------------------------------------------------------------


@dataclass
class Lookups:
    """Districts by code and hospitals by id, loaded once for a whole file."""

    districts: dict[str, District]
    hospitals: dict[int, Place]

    @classmethod
    def load(cls) -> Lookups:
        return cls(
            districts={d.code: d for d in District.objects.all()},
            hospitals={p.pk: p for p in Place.objects.filter(kind=PlaceKind.HOSPITAL)},
        )


def _clean_date(value: Any, errors: dict[str, str]) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            errors["date"] = _("“%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2026-03-01.") % {"value": value}
            return None
    if not isinstance(value, datetime.date):
        errors["date"] = _("Give the day of the report as YYYY-MM-DD.")
        return None
    today = timezone.localdate()
    if value > today:
        errors["date"] = _("%(date)s is in the future; report days up to today (%(today)s).") % {
            "date": value.isoformat(),
            "today": today.isoformat(),
        }
        return None
    if value < EARLIEST_DATE:
        errors["date"] = _("%(date)s is before %(earliest)s; check the year.") % {
            "date": value.isoformat(),
            "earliest": EARLIEST_DATE.isoformat(),
        }
        return None
    return value


def _clean_count(name: str, value: Any, errors: dict[str, str]) -> int | None:
    if isinstance(value, str):
        value = value.strip()
        if _WHOLE_NUMBER.match(value):
            value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        errors[name] = _("“%(value)s” is not a whole number; give a count such as 0, 1 or 25.") % {"value": value}
        return None
    if not 0 <= value <= MAX_COUNT:
        errors[name] = _("%(value)s is outside 0 to %(most)s; a count cannot be negative.") % {
            "value": value,
            "most": MAX_COUNT,
        }
        return None
    return value


def _clean_where(kind: ReportKind, value: Any, lookups: Lookups, errors: dict[str, str]) -> Model | None:
    if kind.where == "district":
        code = value.code if isinstance(value, District) else str(value or "").strip()
        district = lookups.districts.get(code)
        if district is None:
            errors["district"] = (
                _("There is no district with the code “%(code)s”.") % {"code": code}
                if code
                else _("Give the district's code.")
            )
        return district
    if isinstance(value, Place):
        value = value.pk
    text = str(value if value is not None else "").strip()
    hospital = lookups.hospitals.get(int(text)) if text.isdigit() else None
    if hospital is None:
        errors["hospital"] = _("There is no hospital with the id “%(id)s”; use the id of a place of kind hospital.") % {
            "id": text
        }
    return hospital


def _cross_checks(kind: ReportKind, counts: Mapping[str, int], errors: dict[str, str]) -> None:
    if kind.key == "lab" and counts["positives"] > counts["tests"]:
        errors["positives"] = _(
            "%(positives)s positive tests is more than the %(tests)s tests done; positives cannot exceed tests."
        ) % {"positives": counts["positives"], "tests": counts["tests"]}
    if kind.key == "hospital":
        for resource in RESOURCES:
            total, occupied = counts[f"{resource}_total"], counts[f"{resource}_occupied"]
            if occupied > total:
                errors[f"{resource}_occupied"] = _(
                    "%(occupied)s occupied is more than the %(total)s the hospital has (%(field)s); "
                    "occupied cannot exceed the total."
                ) % {"occupied": occupied, "total": total, "field": f"{resource}_total"}


def clean_report(kind_key: str, data: Mapping[str, Any], lookups: Lookups | None = None) -> dict[str, Any]:
    """The report's model fields, or ValidationError naming each bad field and why."""
    kind = _kind(kind_key)
    lookups = lookups or Lookups.load()
    errors: dict[str, str] = {}
    where = _clean_where(kind, data.get(kind.where), lookups, errors)
    date = _clean_date(data.get("date"), errors)
    counts: dict[str, int] = {}
    for name in kind.counts:
        raw = data.get(name)
        if raw is None or raw == "":
            if kind.key == "cases":
                raw = 0  # a day with only local or only imported cases may leave the other out
            else:
                errors[name] = _("Give the number (0 if none).")
                continue
        value = _clean_count(name, raw, errors)
        if value is not None:
            counts[name] = value
    if len(counts) == len(kind.counts):
        _cross_checks(kind, counts, errors)
    if errors:
        raise ValidationError({name: [message] for name, message in errors.items()})
    return {kind.where: where, "date": date, **counts}


# --- Writes ----------------------------------------------------------------------------------


def _existing_keys(kind: ReportKind, rows: Iterable[Mapping[str, Any]]) -> set[tuple[int, datetime.date]]:
    rows = list(rows)
    where_ids = {row[kind.where].pk for row in rows}
    dates = [row["date"] for row in rows]
    if not rows:
        return set()
    found = kind.model._default_manager.filter(
        **{f"{kind.where}_id__in": where_ids, "date__gte": min(dates), "date__lte": max(dates)}
    ).values_list(f"{kind.where}_id", "date")
    return set(found)


def _save(kind: ReportKind, rows: list[dict[str, Any]]) -> None:
    """Insert or replace the rows (matched by place and day) in one statement batch."""
    kind.model._default_manager.bulk_create(
        [kind.model(**row) for row in rows],
        update_conflicts=True,
        unique_fields=[kind.where, "date"],
        update_fields=[*kind.counts, "updated_at"],
        batch_size=1000,
    )
    publish(EpiDataChanged(kind=kind.key, rows=len(rows)))


def save_report(kind_key: str, data: Mapping[str, Any], *, by: Any) -> Model:
    """Save one day's report (or replace the day's earlier one); ``by`` must be a health officer."""
    require_writer(by)
    kind = _kind(kind_key)
    row = clean_report(kind_key, data)
    with transaction.atomic():
        _save(kind, [{**row, "updated_at": timezone.now()}])
    return kind.model._default_manager.get(**{kind.where: row[kind.where], "date": row["date"]})


def record_case(district_code: str, date: datetime.date, imported: bool = False) -> CaseCount:
    """Count one confirmed case (for the health module): adds 1 to the district's day.

    Raises ValidationError for an unknown district or a date out of range.
    """
    errors: dict[str, str] = {}
    lookups = Lookups(districts={d.code: d for d in District.objects.filter(code=district_code)}, hospitals={})
    district = _clean_where(KINDS["cases"], district_code, lookups, errors)
    day = _clean_date(date, errors)
    if errors or not isinstance(district, District) or day is None:
        raise ValidationError({name: [message] for name, message in errors.items()})
    field = "imported" if imported else "local"
    with transaction.atomic():
        count, _created = CaseCount.objects.select_for_update().get_or_create(district=district, date=day)
        CaseCount.objects.filter(pk=count.pk).update(**{field: F(field) + 1}, updated_at=timezone.now())
        publish(EpiDataChanged(kind="cases", rows=1))
    count.refresh_from_db()
    return count


# --- CSV import ------------------------------------------------------------------------------


def csv_columns(kind_key: str) -> list[str]:
    kind = _kind(kind_key)
    return [kind.where, "date", *kind.counts]


def import_csv(kind_key: str, source: bytes | str, *, by: Any, dry_run: bool = False) -> ImportReport:
    """Save every row of a CSV file (header: the kind's columns), or nothing if any row is refused."""
    require_writer(by)
    kind = _kind(kind_key)
    report = ImportReport(dry_run=dry_run)
    if len(source) > MAX_CSV_BYTES:
        report.file_errors.append(
            _("The file is larger than %(most)s MB; split it into smaller files.") % {"most": MAX_CSV_BYTES // 2**20}
        )
        return report
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.file_errors.append(_("The file is not UTF-8 text; save it as UTF-8 and try again."))
            return report
    # Text pasted from a file saved as "CSV UTF-8" keeps the byte-order mark the bytes path drops.
    source = source.removeprefix("\ufeff")
    # newline="" lets the csv module handle quoted line breaks and \r\n itself.
    reader = csv.DictReader(io.StringIO(source, newline=""))
    try:
        return _import_rows(kind_key, kind, reader, report, by=by, dry_run=dry_run)
    except csv.Error as error:
        report.file_errors.append(_("The file is not valid CSV (%(problem)s).") % {"problem": error})
        return report


def _import_rows(
    kind_key: str, kind: Any, reader: csv.DictReader[str], report: ImportReport, *, by: Any, dry_run: bool
) -> ImportReport:
    # Headers as people write them ("District", " date"): matched trimmed and in lower case.
    reader.fieldnames = [c.strip().lower() for c in (reader.fieldnames or [])]
    columns = list(reader.fieldnames)
    missing = [c for c in csv_columns(kind_key) if c not in columns and not (kind.key == "cases" and c == "imported")]
    if missing:
        report.file_errors.append(
            _("The CSV header lacks the column(s): %(columns)s. Expected: %(expected)s.")
            % {"columns": ", ".join(missing), "expected": ",".join(csv_columns(kind_key))}
        )
        return report
    lookups = Lookups.load()
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, raw in enumerate(reader, start=1):
        if number > MAX_CSV_ROWS:
            report.file_errors.append(
                _("The file has more than %(most)s rows; split it into smaller files.") % {"most": MAX_CSV_ROWS}
            )
            return report
        data = {(k or "").strip(): v for k, v in raw.items()}
        key = (str(data.get(kind.where) or "").strip(), str(data.get("date") or "").strip())
        item = ItemReport(number=number, key=key[0], label=key[1])
        try:
            row = clean_report(kind_key, data, lookups)
        except ValidationError as error:
            item.errors = [f"{name}: {m}" for name, messages in error.message_dict.items() for m in messages]
        else:
            if key in seen:
                item.errors.append(
                    _("This place and day are already in row %(row)s; give each day once.") % {"row": seen[key]}
                )
            else:
                seen[key] = number
                rows.append(row)
        report.items.append(item)
    if not report.items:
        report.file_errors.append(_("The file has no rows."))
        return report
    existing = _existing_keys(kind, rows) if report.ok else set()
    accepted = iter(rows)
    for item in report.items:
        if item.accepted:
            row = next(accepted)
            exists = (row[kind.where].pk, row["date"]) in existing
            item.action = ImportAction.UPDATE if exists else ImportAction.CREATE
    if dry_run or not report.ok:
        return report
    now = timezone.now()
    with transaction.atomic():
        _save(kind, [{**row, "updated_at": now} for row in rows])
    report.saved = True
    return report
