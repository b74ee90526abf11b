from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OPERATOR = "operator", _("Operator")
    HEALTH_OFFICER = "health_officer", _("Health officer")
    CASEWORKER = "caseworker", _("Caseworker")
    SERVICE_AGENT = "service_agent", _("Service agent")
    DATA_PUBLISHER = "data_publisher", _("Data publisher")
    ADMINISTRATOR = "administrator", _("Administrator")


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    TRADITIONAL_CHINESE = "zh-hant", "繁體中文"
    SPANISH = "es", "Español"


class Department(models.Model):
    """A department of the city; its names are data, translated like a district's."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # Names in other languages, e.g. {"zh-hant": "...", "es": "..."} (as ``geo.District.names``).
    names = models.JSONField(_("translated names"), default=dict, blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """Its name in the active language, else its main name (as ``District.display_name``)."""
        return (self.names or {}).get((get_language() or "").lower()) or self.name


class CityUserManager(UserManager["User"]):
    def residents(self) -> models.QuerySet[User]:
        return self.filter(is_staff=False)

    def staff(self) -> models.QuerySet[User]:
        return self.filter(is_staff=True)


class User(AbstractUser):
    """A resident (``is_staff`` false) or a member of city staff.

    Residents sign in with email or phone; either may be empty but not both. Staff carry
    :class:`StaffRole` rows that scope them to departments and districts.
    """

    email = models.EmailField(_("email"), unique=True, null=True, blank=True)  # type: ignore[assignment]
    phone = models.CharField(
        _("phone number"),
        max_length=20,
        unique=True,
        null=True,
        blank=True,
        help_text=_("In international format, e.g. +1 415 555 0100."),
    )
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ENGLISH)
    district = models.ForeignKey(
        "geo.District",
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
    )

    objects = CityUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email__isnull=False) | models.Q(phone__isnull=False) | models.Q(is_staff=True),
                name="resident_has_email_or_phone",
            )
        ]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email or self.phone or self.username

    def role_names(self) -> set[str]:
        if not self.is_staff:
            return set()
        cached: set[str] | None = getattr(self, "_role_names", None)
        if cached is None:
            cached = set(self.staff_roles.values_list("role", flat=True))
            self._role_names = cached
        return cached

    def role_departments(self) -> set[tuple[str, str | None]]:
        """Each staff role held with its department's code (None: every department), read once."""
        if not self.is_staff:
            return set()
        cached: set[tuple[str, str | None]] | None = getattr(self, "_role_departments", None)
        if cached is None:
            cached = set(self.staff_roles.values_list("role", "department__code"))
            self._role_departments = cached
        return cached

    def has_role(self, role: str, *, department: Department | None = None, district_id: int | None = None) -> bool:
        """True when the person holds ``role`` (or is an administrator) within the given scope.

        A role with no departments or no districts covers all of them.
        """
        if not self.is_active or not self.is_staff:
            return False
        for staff_role in self.staff_roles.prefetch_related("districts"):
            if staff_role.role not in (role, Role.ADMINISTRATOR):
                continue
            if department is not None and staff_role.department_id not in (None, department.pk):
                continue
            if district_id is not None:
                districts = {d.pk for d in staff_role.districts.all()}
                if districts and district_id not in districts:
                    continue
            return True
        return False


class StaffRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty means every department."),
    )
    districts = models.ManyToManyField(
        "geo.District",
        verbose_name=_("districts"),
        blank=True,
        help_text=_("Empty means the whole city."),
    )

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "department"], name="unique_role_per_department")
        ]

    def __str__(self) -> str:
        scope = self.department.name if self.department else _("all departments")
        return f"{self.get_role_display()} ({scope})"


class PhoneConfirmation(models.Model):
    """A new phone number a person asked to use, waiting for the code texted to it.

    The account keeps its old number (and city texts go there) until the code is entered
    (``services.confirm_phone``). One waits per person; asking again replaces it.
    """

    # Bookkeeping that holds a code's hash: kept out of the audit log. The account's own change,
    # once confirmed, is logged like every change to it.
    audit_log = False

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="phone_confirmation")
    phone = models.CharField(_("phone number"), max_length=20)
    code_hash = models.CharField(max_length=64)
    sent_at = models.DateTimeField(_("code sent at"))
    attempts = models.PositiveSmallIntegerField(_("wrong codes entered"), default=0)

    class Meta:
        verbose_name = _("phone number to confirm")
        verbose_name_plural = _("phone numbers to confirm")

    def __str__(self) -> str:
        return self.phone
