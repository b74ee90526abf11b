"""Bins and their fill, depots, disposal sites and vehicles; daily plans with routes and stops;
the stored results of simulated policy comparisons.

Places are WGS 84 longitude/latitude pairs. Volumes are litres of loose waste (a compacting bin
holds ``compaction_factor`` times its body volume), weights kilograms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cityos.core.accounts.models import Language
from cityos.core.storage import private_storage

# The same limits the API's schemas put on these fields, so a form and the API refuse alike.
LONGITUDE = [MinValueValidator(-180), MaxValueValidator(180)]
LATITUDE = [MinValueValidator(-90), MaxValueValidator(90)]


def between(low: float, high: float) -> list[MinValueValidator | MaxValueValidator]:
    return [MinValueValidator(low), MaxValueValidator(high)]


# What a plan could not do (``Plan.problems``) and why it left a bin out (``Omission.reason``):
# stored as codes and said in the language of whoever reads the plan, not of whoever built it.
PROBLEM_MESSAGES: dict[str, Callable[[int], str]] = {
    "bin_without_location": lambda n: gettext("%(n)d bin(s) have no location and cannot be routed.") % {"n": n},
    "vehicle_too_small": lambda n: gettext("%(n)d bin(s) hold more than the largest vehicle can take.") % {"n": n},
    "window_unreachable": lambda n: gettext("%(n)d bin(s) can only be reached outside every shift.") % {"n": n},
    "no_vehicle": lambda n: gettext("There is no vehicle in service: %(n)d bin(s) cannot be collected.") % {"n": n},
    "shift_over": lambda n: (
        ngettext(
            "No vehicle has shift time left today: %(n)d bin waits for the next plan.",
            "No vehicle has shift time left today: %(n)d bins wait for the next plan.",
            n,
        )
        % {"n": n}
    ),
    "fleet_too_small": lambda n: (
        gettext("The fleet's capacity and shifts cannot take every bin that must be collected: %(n)d left out.")
        % {"n": n}
    ),
}
REASON_MESSAGES: dict[str, Callable[[], str]] = {
    "no_location": lambda: gettext("No location"),
    "too_big": lambda: gettext("Larger than any vehicle"),
    "time_window": lambda: gettext("Access window outside every shift"),
    "no_vehicle": lambda: gettext("No vehicle in service"),
    "shift_over": lambda: gettext("No shift time left today"),
    "fleet_full": lambda: gettext("No room left in the fleet's shifts"),
    "not_worth_it": lambda: gettext("Not full enough to be worth the detour"),
}


def parse_weekdays(text: str) -> tuple[int, ...]:
    """Weekdays (0 = Monday) written "0,3"; what is not a weekday number is ignored."""
    return tuple(sorted({int(d) for d in text.split(",") if d.strip().isdigit() and int(d) < 7}))


def format_weekdays(days: Iterable[int]) -> str:
    return ",".join(str(day) for day in sorted(set(days)))


# A note written by a resident or a crew (a report's, a bin not collected's).
NOTE_MAX_LENGTH = 500


class BinKind(models.TextChoices):
    GENERAL = "general", _("General waste")
    RECYCLING = "recycling", _("Mixed recycling")
    PAPER = "paper", _("Paper and card")
    GLASS = "glass", _("Glass")
    ORGANIC = "organic", _("Food and garden")


# Loose-waste densities (kg per litre) used to turn a bin's fill into a weight for the truck.
DENSITY_KG_PER_LITRE: dict[str, float] = {
    BinKind.GENERAL: 0.12,
    BinKind.RECYCLING: 0.05,
    BinKind.PAPER: 0.08,
    BinKind.GLASS: 0.30,
    BinKind.ORGANIC: 0.45,
}


class Depot(models.Model):
    """Where vehicles start and end their shift."""

    name = models.CharField(_("name"), max_length=200)
    longitude = models.FloatField(_("longitude"), validators=LONGITUDE)
    latitude = models.FloatField(_("latitude"), validators=LATITUDE)
    address = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("depot")
        verbose_name_plural = _("depots")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class DisposalSite(models.Model):
    """Where a full vehicle tips its load (a transfer station, recycling centre or landfill)."""

    name = models.CharField(_("name"), max_length=200)
    longitude = models.FloatField(_("longitude"), validators=LONGITUDE)
    latitude = models.FloatField(_("latitude"), validators=LATITUDE)
    address = models.CharField(_("address"), max_length=300, blank=True)
    unload_minutes = models.PositiveIntegerField(_("minutes to unload"), default=15, validators=between(0, 240))
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)

    class Meta:
        verbose_name = _("disposal site")
        verbose_name_plural = _("disposal sites")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Opening hours are within one day; a site open through the night has none (both empty).
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValidationError(
                {"closes_at": _("The site must close after it opens (for a site open all night, leave both empty).")}
            )


class Bin(models.Model):
    """A public or communal bin, usually with a fill-level sensor in the sensing module.

    ``thing_id``/``datastream_id`` are the ids of its SensorThings Thing and fill-level Datastream
    (read through ``cityos.sensing.selectors``; no foreign key across domains). A bin without a
    sensor keeps its fill history in :class:`FillReading` instead.
    """

    ref = models.SlugField(_("reference"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=BinKind.choices, default=BinKind.GENERAL)
    volume_litres = models.PositiveIntegerField(_("volume (litres)"), validators=between(10, 40_000))
    compaction_factor = models.FloatField(
        _("compaction factor"),
        default=1.0,
        validators=between(1, 20),
        help_text=_("How many litres of loose waste a litre of bin holds (1 = none)."),
    )
    longitude = models.FloatField(_("longitude"), null=True, blank=True, validators=LONGITUDE)
    latitude = models.FloatField(_("latitude"), null=True, blank=True, validators=LATITUDE)
    address = models.CharField(_("address"), max_length=300, blank=True)
    district = models.ForeignKey(
        "geo.District", verbose_name=_("district"), null=True, blank=True, on_delete=models.SET_NULL
    )
    access_from = models.TimeField(_("accessible from"), null=True, blank=True)
    access_until = models.TimeField(_("accessible until"), null=True, blank=True)
    service_minutes = models.FloatField(_("minutes to empty"), default=2.0, validators=between(0, 60))
    # Weekdays (0 = Monday) of the area's fixed round, e.g. "1" or "0,3"; blank: no round.
    round_weekdays = models.CharField(_("fixed round weekdays"), max_length=13, blank=True)
    thing_id = models.PositiveBigIntegerField(_("sensor thing id"), null=True, blank=True, unique=True)
    datastream_id = models.PositiveBigIntegerField(_("fill-level datastream id"), null=True, blank=True)
    is_active = models.BooleanField(_("in service"), default=True)
    # Cached from the latest reading and the forecast, so lists and the planner read one row.
    last_fill = models.FloatField(_("last fill (%)"), null=True, blank=True)
    last_fill_at = models.DateTimeField(_("last reading"), null=True, blank=True)
    fill_rate = models.FloatField(_("mean fill rate (%/h)"), null=True, blank=True)
    full_at = models.DateTimeField(_("predicted full at"), null=True, blank=True)
    full_at_early = models.DateTimeField(_("full at, early bound"), null=True, blank=True)
    full_at_late = models.DateTimeField(_("full at, late bound"), null=True, blank=True)
    overflow_risk = models.FloatField(_("overflow risk by next shift"), null=True, blank=True)
    forecast_at = models.DateTimeField(_("forecast made"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bin")
        verbose_name_plural = _("bins")
        ordering = ["ref"]
        constraints = [
            models.CheckConstraint(condition=models.Q(compaction_factor__gte=1), name="waste_bin_compaction_ge_1"),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def has_location(self) -> bool:
        return self.longitude is not None and self.latitude is not None

    @property
    def round_days(self) -> tuple[int, ...]:
        return parse_weekdays(self.round_weekdays)

    @property
    def capacity_litres(self) -> float:
        """Loose litres the bin holds when full."""
        return self.volume_litres * self.compaction_factor

    def clean(self) -> None:
        if not self.has_location:
            raise ValidationError({"longitude": _("A bin needs a location: give its longitude and latitude.")})
        days = [d.strip() for d in self.round_weekdays.split(",") if d.strip()]
        if any(not d.isdigit() or int(d) > 6 for d in days):
            raise ValidationError(
                {"round_weekdays": _("Give weekdays as numbers 0 (Monday) to 6, separated by commas.")}
            )
        if self.access_from and self.access_until and self.access_from >= self.access_until:
            raise ValidationError({"access_until": _("The access window must end after it starts.")})


class FillReading(models.Model):
    """A fill level of a bin without a sensor, or recorded by a crew at pickup."""

    bin = models.ForeignKey(Bin, on_delete=models.CASCADE, related_name="readings")
    at = models.DateTimeField(_("time"))
    percent = models.FloatField(_("fill (%)"))

    class Meta:
        ordering = ["bin", "at"]
        indexes = [models.Index(fields=["bin", "at"])]

    def __str__(self) -> str:
        return f"{self.bin_id} {self.at:%Y-%m-%d %H:%M} {self.percent:.0f}%"


class Vehicle(models.Model):
    """A collection vehicle with its crew's shift."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    registration = models.CharField(_("registration"), max_length=20, blank=True)
    depot = models.ForeignKey(Depot, verbose_name=_("depot"), on_delete=models.PROTECT, related_name="vehicles")
    volume_litres = models.PositiveIntegerField(
        _("capacity (litres)"),
        help_text=_("Loose litres it takes before it must tip, after its own compaction."),
        validators=between(100, 200_000),
    )
    weight_kg = models.PositiveIntegerField(_("payload (kg)"), validators=between(100, 40_000))
    shift_start = models.TimeField(_("shift starts"))
    shift_end = models.TimeField(_("shift ends"))
    break_minutes = models.PositiveIntegerField(_("crew break (minutes)"), default=30, validators=between(0, 240))
    break_after_minutes = models.PositiveIntegerField(
        _("break after (minutes of work)"), default=240, validators=between(0, 720)
    )
    co2_kg_per_km = models.FloatField(_("CO₂ (kg per km)"), default=1.2, validators=between(0, 10))
    is_active = models.BooleanField(_("in service"), default=True)

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.shift_start and self.shift_end and self.shift_start >= self.shift_end:
            raise ValidationError({"shift_end": _("The shift must end after it starts.")})


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")


class Plan(models.Model):
    """One day's collection plan: which bins, by which vehicle, in what order."""

    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replans = models.ForeignKey(
        "self",
        verbose_name=_("re-plans"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replanned_by",
    )
    travel_model = models.CharField(_("travel times from"), max_length=40, default="haversine")
    solver_seconds = models.FloatField(_("solver time (s)"), default=0)
    feasible = models.BooleanField(_("every constraint met"), default=True)
    # [{"code", "message"}]: constraints that could not be met.
    problems = models.JSONField(_("problems"), default=list, blank=True)
    distance_m = models.FloatField(_("distance (m)"), default=0)
    bins_planned = models.PositiveIntegerField(_("bins planned"), default=0)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.date} #{self.pk}"

    @property
    def distance_km(self) -> float:
        return self.distance_m / 1000

    def problem_list(self) -> list[dict[str, object]]:
        """The plan's problems (code, count), each with its message in the active language."""
        said = []
        for problem in self.problems:
            code, count = problem.get("code", ""), int(problem.get("count", 0))
            message = PROBLEM_MESSAGES[code](count) if code in PROBLEM_MESSAGES else str(problem.get("message", ""))
            said.append({"code": code, "count": count, "message": message})
        return said


class RouteStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    UNDERWAY = "underway", _("Underway")
    DONE = "done", _("Done")
    BROKEN_DOWN = "broken_down", _("Broken down")


class Route(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="routes")
    vehicle = models.ForeignKey(Vehicle, verbose_name=_("vehicle"), on_delete=models.PROTECT, related_name="routes")
    status = models.CharField(_("status"), max_length=20, choices=RouteStatus.choices, default=RouteStatus.PLANNED)
    start_at = models.DateTimeField(_("starts"))
    end_at = models.DateTimeField(_("ends"))
    distance_m = models.FloatField(_("distance (m)"), default=0)
    trips = models.PositiveIntegerField(_("trips to the disposal site"), default=0)
    load_litres = models.FloatField(_("load (litres)"), default=0)
    load_kg = models.FloatField(_("load (kg)"), default=0)
    # Set when a breakdown re-plans the day: how far the vehicle had driven along this route
    # (its start, then its stops up to the last bin the crew dealt with). The re-plan's routes
    # start from there, so the day's kilometres are this plus the re-plan's.
    driven_m = models.FloatField(_("driven before the re-plan (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        ordering = ["plan", "vehicle__name"]

    def __str__(self) -> str:
        return f"{self.plan} {self.vehicle}"

    @property
    def distance_km(self) -> float:
        return self.distance_m / 1000


# Photos in core's private storage: residents' (bin reports) and crews' (bins not collected).
PHOTO_DIR = "waste/reports"
STOP_PHOTO_DIR = "waste/stops"


class StopKind(models.TextChoices):
    BIN = "bin", _("Empty bin")
    DISPOSAL = "disposal", _("Tip at disposal site")
    BREAK = "break", _("Crew break")
    DEPOT = "depot", _("Depot")


class MissedReason(models.TextChoices):
    """Why a crew could not empty a bin on its route (what fleet crews report as an exception)."""

    BLOCKED = "blocked", _("Access blocked (parked car, works)")
    NOT_FOUND = "not_found", _("Bin not there")
    DAMAGED = "damaged", _("Bin damaged: cannot be lifted")
    CONTAMINATED = "contaminated", _("Wrong waste inside")
    OTHER = "other", _("Other reason")


class Stop(models.Model):
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops")
    sequence = models.PositiveIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=20, choices=StopKind.choices)
    bin = models.ForeignKey(Bin, null=True, blank=True, on_delete=models.PROTECT, related_name="stops")
    longitude = models.FloatField(_("longitude"), validators=LONGITUDE)
    latitude = models.FloatField(_("latitude"), validators=LATITUDE)
    label = models.CharField(_("label"), max_length=200, blank=True)
    eta = models.DateTimeField(_("expected at"))
    required = models.BooleanField(_("must be collected"), default=False)
    predicted_fill = models.FloatField(_("predicted fill (%)"), null=True, blank=True)
    collected = models.BooleanField(_("collected"), default=False)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fill_at_pickup = models.FloatField(_("fill at pickup (%)"), null=True, blank=True)
    # The crew came but could not empty it (blank: not reported). The bin's readings still show it
    # full, so the next plan takes it again when it must.
    missed_reason = models.CharField(
        _("not collected because"), max_length=20, choices=MissedReason.choices, blank=True, default=""
    )
    missed_note = models.CharField(_("what the crew saw"), max_length=NOTE_MAX_LENGTH, blank=True)
    missed_at = models.DateTimeField(_("reported not collected at"), null=True, blank=True)
    missed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A photo of what the crew saw (re-encoded by ``photos.prepare``, without metadata; planners
    # only, each view audited). It may show a number plate or a person: cleared with the other
    # missed fields, and by the daily retention job with residents' photos.
    missed_photo = models.FileField(
        _("photo of what the crew saw"), storage=private_storage, upload_to=f"{STOP_PHOTO_DIR}/%Y/%m/", blank=True
    )

    class Meta:
        verbose_name = _("stop")
        verbose_name_plural = _("stops")
        ordering = ["route", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["route", "sequence"], name="waste_stop_route_sequence"),
            models.CheckConstraint(
                condition=~(models.Q(collected=True) & ~models.Q(missed_reason="")),
                name="waste_stop_collected_or_missed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.route_id}.{self.sequence} {self.label}"

    @property
    def handled(self) -> bool:
        """The crew has dealt with it: emptied, or reported why not."""
        return self.collected or bool(self.missed_reason)


class Omission(models.Model):
    """A bin a plan left out, and why (so the supervisor sees what was not possible)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="omissions")
    bin = models.ForeignKey(Bin, on_delete=models.CASCADE, related_name="+")
    required = models.BooleanField(_("was required"), default=False)
    reason = models.CharField(_("reason"), max_length=40)
    # For "crew_missed", the crew's MissedReason; else empty (older plans: the reason in words).
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["plan", "-required", "bin__ref"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.bin_id} {self.reason}"

    @property
    def explanation(self) -> str:
        """Why the bin was left out, in the active language."""
        if self.reason == "crew_missed" and self.detail in MissedReason.values:
            label = MissedReason(self.detail).label
            return gettext("The crew could not collect it: %(reason)s") % {"reason": label}
        if self.reason in REASON_MESSAGES:
            return REASON_MESSAGES[self.reason]()
        return self.detail


class ComparisonStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ComparisonFailure(models.TextChoices):
    # Labels are what the results page tells the planner.
    CITY = (
        "city",
        _(
            "The last simulation could not run: it needs bins with a location, a vehicle in service and a "
            "disposal site."
        ),
    )
    ABANDONED = (
        "abandoned",
        _(
            "The last simulation was given up: it had not reported for 10 minutes (its worker stopped, or none was "
            "free). Run it again."
        ),
    )
    CRASHED = "crashed", _("The last simulation failed; the server's log says why. Run it again.")


class Comparison(models.Model):
    """A simulation of the sensor-driven plan against the fixed weekly schedule: requested, run
    by a job (it takes a minute or more) with its progress, then stored with its results."""

    created_at = models.DateTimeField(auto_now_add=True)
    # The last progress: a running comparison not heard from for a while was abandoned.
    updated_at = models.DateTimeField(auto_now=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ComparisonStatus.choices, default=ComparisonStatus.DONE
    )
    days = models.PositiveIntegerField(_("days"))
    seed = models.IntegerField(_("seed"))
    # The weekdays the plan's trucks go out ("0,2,4,5"; empty: the city's shift days).
    plan_days = models.CharField(_("plan's weekdays"), max_length=13, blank=True)
    solver_seconds = models.FloatField(_("solver seconds per day"), default=0.5)
    bins = models.PositiveIntegerField(_("bins"), default=0)
    vehicles = models.PositiveIntegerField(_("vehicles"), default=0)
    # Simulated days so far, of ``steps`` (the warm-up and each policy's days).
    done_steps = models.PositiveIntegerField(_("steps done"), default=0)
    steps = models.PositiveIntegerField(_("steps"), default=0)
    error = models.CharField(_("error"), max_length=10, choices=ComparisonFailure.choices, blank=True)
    # {"planned": {...totals}, "fixed": {...totals}, "planned_daily": [...], "plan_days": [...], ...}
    results = models.JSONField(_("results"), default=dict)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One simulation at a time, also when two planners ask at the same moment.
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="running"), name="waste_one_running_comparison"
            )
        ]

    def __str__(self) -> str:
        return f"{self.days} days, seed {self.seed}"

    @property
    def plan_weekdays(self) -> tuple[int, ...]:
        return parse_weekdays(self.plan_days)

    @property
    def percent_done(self) -> int:
        """How far a running simulation has got (its warm-up and each policy's days)."""
        return int(100 * self.done_steps / self.steps) if self.steps else 0


class PlanJobStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PlanJob(models.Model):
    """A plan asked for through the API with ``Prefer: respond-async``: a job builds it while the
    client polls this, instead of holding a request open for the solve."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    date = models.DateField(_("date"))
    seconds = models.FloatField(_("solver time, at most (s)"))
    # The requester's language: what went wrong is told in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PlanJobStatus.choices, default=PlanJobStatus.RUNNING)
    # When a worker took it up (one worker only: it is claimed by a conditional update).
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.date} ({self.status})"


class ReportProblem(models.TextChoices):
    FULL = "full", _("Full or overflowing")
    DAMAGED = "damaged", _("Damaged")
    OTHER = "other", _("Something else")


class ReportChannel(models.TextChoices):
    WEB = "web", _("Web")
    SMS = "sms", _("SMS")
    OPEN311 = "open311", _("Open311 app")
    CREW = "crew", _("Collection crew")


class ReportResolution(models.TextChoices):
    COLLECTED = "collected", _("Collected")
    DISMISSED = "dismissed", _("Dismissed")


MEDIA_URL_MAX_LENGTH = 500
# Numbers texted about one report besides its first: bounds what one report can cost in texts.
FOLLOWERS_MAX = 20


class BinReport(models.Model):
    """A resident's report that a bin is full, damaged or otherwise wrong (web page, QR sticker or SMS).

    One open report per bin and problem: a repeat adds to ``count``. ``phone`` (an SMS report's
    sender, or the first number left on it) is kept only to text the resident once the bin is
    emptied, in ``language``; residents who report it after them and leave a number follow it
    (:class:`ReportFollower`). Numbers are cleared when the report is resolved, and ``phone``,
    ``note``, ``photo`` and ``media_url`` of reports older than ``CITYOS_WASTE_REPORT_PHONE_DAYS``
    are cleared by a daily job (personal data)."""

    # Personal data that staff pages and the API show in full (the phone is masked, the photo
    # has a page of its own): showing either is an audited read.
    SHOWN_IN_FULL = ("note", "media_url")

    bin = models.ForeignKey(Bin, verbose_name=_("bin"), on_delete=models.CASCADE, related_name="reports")
    problem = models.CharField(_("problem"), max_length=20, choices=ReportProblem.choices)
    note = models.CharField(_("note"), max_length=NOTE_MAX_LENGTH, blank=True)
    # A photo sent with the form (re-encoded, no metadata; staff only) or, from an Open311 app,
    # the address where the app keeps it.
    photo = models.FileField(_("photo"), storage=private_storage, upload_to=f"{PHOTO_DIR}/%Y/%m/", blank=True)
    media_url = models.URLField(_("photo link"), max_length=MEDIA_URL_MAX_LENGTH, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=ReportChannel.choices, default=ReportChannel.WEB)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, blank=True)
    count = models.PositiveIntegerField(_("times reported"), default=1)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    last_reported_at = models.DateTimeField(_("last reported at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=20, choices=ReportResolution.choices, blank=True)

    class Meta:
        verbose_name = _("bin report")
        verbose_name_plural = _("bin reports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["bin", "problem"],
                condition=models.Q(resolved_at__isnull=True),
                name="waste_binreport_one_open_per_problem",
            )
        ]
        indexes = [models.Index(fields=["resolved_at", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.bin_id} {self.problem}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def media_host(self) -> str:
        """The site that keeps an Open311 app's photo, so staff see where a link goes: in ASCII
        (punycode), so a look-alike name in another script cannot pass for a known site."""
        host = urlsplit(self.media_url).hostname or ""
        try:
            return host.encode("idna").decode("ascii")
        except UnicodeError:
            return host

    @property
    def followers_to_text(self) -> int:
        """How many residents besides the first left a number to be texted (annotated as
        ``follower_count`` by ``selectors.reports``, else counted)."""
        annotated = getattr(self, "follower_count", None)
        return int(annotated) if annotated is not None else self.followers.count()

    @property
    def masked_phone(self) -> str:
        """Enough to tell reports apart in a list, not to call the resident."""
        from cityos.core.accounts.selectors import mask_phone

        return mask_phone(self.phone)


class ReportFollower(models.Model):
    """Another resident who reported the same full bin and left a number: texted with the first
    when it is emptied. Deleted then, or by the daily retention job (personal data)."""

    report = models.ForeignKey(BinReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="followers")
    phone = models.CharField(_("phone"), max_length=32)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, blank=True)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        verbose_name = _("report follower")
        verbose_name_plural = _("report followers")
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["report", "phone"], name="waste_reportfollower_one_per_number")]

    def __str__(self) -> str:
        return f"{self.report_id} follower {self.pk}"
