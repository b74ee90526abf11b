"""SensorThings-style errors: ``{"code": 400, "type": "error", "message": "..."}``.

The message is translated where the error is raised (gettext), so it is in the request's
language (LocaleMiddleware reads Accept-Language); the shape and codes stay the standard's.
"""

from __future__ import annotations


class StaError(Exception):
    """A request the API refuses; ``code`` is the HTTP status."""

    code = 400

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "type": "error", "message": self.message}


class NotFound(StaError):
    code = 404


class Forbidden(StaError):
    code = 403


class Unauthorized(StaError):
    code = 401
