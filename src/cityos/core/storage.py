"""Private files: stored under ``PRIVATE_MEDIA_ROOT``, outside ``MEDIA_ROOT``, with no public URL.

A view that checks the reader's role (and audits the read) serves them; the web server never
does. The location is read from the settings on every use, so tests can move it."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no public URL: serve them from a view that checks the reader.")


# Readable by the server's own user only: other accounts on the machine never see residents' files.
_private = PrivateStorage(file_permissions_mode=0o600, directory_permissions_mode=0o700)


def private_storage() -> PrivateStorage:
    """The storage of private files (a callable, so model fields and migrations name it, not a path)."""
    return _private
