"""Domain errors: each carries its HTTP status and a stable machine-readable code."""

from __future__ import annotations

from typing import Any


class RiskdeskError(Exception):
    """Base of every error a service may raise; rendered as ``{"error": {...}}``."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers
        if code is not None:
            self.code = code


class NotAuthenticated(RiskdeskError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(RiskdeskError):
    status_code = 403
    code = "forbidden"


class NotFound(RiskdeskError):
    status_code = 404
    code = "not_found"


class Conflict(RiskdeskError):
    status_code = 409
    code = "conflict"


class Unprocessable(RiskdeskError):
    status_code = 422
    code = "unprocessable"


class TooManyRequests(RiskdeskError):
    status_code = 429
    code = "too_many_requests"


class ServiceUnavailable(RiskdeskError):
    status_code = 503
    code = "service_unavailable"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The one shape of every error response."""
    return {"error": {"code": code, "message": message, "details": details}}
