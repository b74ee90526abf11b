from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.forms import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cityos.core.accounts.models import Department, Role, StaffRole, User

ADMINISTRATOR_EVERYWHERE = _(
    "An administrator counts in every department and district, whatever department or districts are "
    "chosen here, and may use this back office."
)


class StaffRoleForm(forms.ModelForm):
    class Meta:
        model = StaffRole
        fields = ("role", "department", "districts")
        help_texts = {"role": ADMINISTRATOR_EVERYWHERE}


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    form = StaffRoleForm
    extra = 0
    filter_horizontal = ("districts",)


def granted_administrator(formset: BaseInlineFormSet) -> bool:
    """The saved ``formset`` of staff roles gave someone the administrator role just now."""
    return any(
        form.instance.role == Role.ADMINISTRATOR and "role" in form.changed_data
        for form in formset.forms
        if form not in formset.deleted_forms and form.instance.pk is not None
    )


@admin.register(User)
class CityUserAdmin(UserAdmin):
    list_display = ("username", "email", "phone", "first_name", "last_name", "is_staff", "language", "district")
    list_filter = ("is_staff", "is_active", "language", "district", "staff_roles__role")
    search_fields = ("username", "email", "phone", "first_name", "last_name")
    inlines = [StaffRoleInline]
    # Follows the administrator role (accounts.signals): shown, never set by hand.
    readonly_fields = ("is_superuser",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal data"), {"fields": ("first_name", "last_name", "email", "phone", "language", "district")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is StaffRole and granted_administrator(formset):
            messages.warning(
                request,
                _("%(person)s is now an administrator. %(warning)s")
                % {"person": form.instance.display_name, "warning": ADMINISTRATOR_EVERYWHERE},
            )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
