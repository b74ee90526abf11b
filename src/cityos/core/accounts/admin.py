from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from cityos.core.accounts.models import Department, StaffRole, User


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 0
    filter_horizontal = ("districts",)


@admin.register(User)
class CityUserAdmin(UserAdmin):
    list_display = ("username", "email", "phone", "first_name", "last_name", "is_staff", "language", "district")
    list_filter = ("is_staff", "is_active", "language", "district", "staff_roles__role")
    search_fields = ("username", "email", "phone", "first_name", "last_name")
    inlines = [StaffRoleInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal data"), {"fields": ("first_name", "last_name", "email", "phone", "language", "district")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
