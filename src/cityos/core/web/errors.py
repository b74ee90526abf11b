"""The error pages that need more than Django's defaults."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cityos.core.accounts.permissions import DepartmentRefused


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 403 page (``handler403``). A department refusal says whose work it is and what to ask
    for, and nothing else: the general "your role does not include this page" would half
    contradict it. Any other refusal gives its reason, if it has one, and the general advice."""
    context = {"exception": str(exception), "department_refusal": isinstance(exception, DepartmentRefused)}
    return render(request, "403.html", context, status=403)
