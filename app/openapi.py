"""The OpenAPI schema as the service really answers: every error status an operation can give,
each with the one error body (:func:`app.errors.error_body`).

FastAPI documents only the success and a 422 whose body (``{"detail": [...]}``) is not what
riskdesk sends. The statuses every operation shares follow from what the operation is, so they
are added here rather than repeated on each route:

- a signed-in operation (one with a security requirement): 401 and 403;
- a path parameter: 404 (no such row);
- a request body: 413 (over ``max_request_bytes``) and 422;
- query parameters: 422;
- any operation that opens a database session: 503 (the gate is full or the database is
  unreachable; ``Retry-After`` says when to retry).

What only some operations give (409 for a state conflict, 429 for throttled sign-ins) each route
declares itself, with ``responses=errors_for(409)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA_NAME = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "Stable, machine-readable."},
                "message": {"type": "string", "description": "What to do about it."},
                "details": {"description": "Per-field findings or other specifics, or null."},
            },
        },
    },
}

DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not signed in, or the token or API key is not valid (expired, revoked)",
    403: "The caller's role may not do this, or not to this row",
    404: "No such row",
    409: "The row's state does not allow this now",
    410: "The personal data this needs was erased",
    413: "The request body is over the size limit",
    422: "The request is not valid; details name each field",
    429: "Too many attempts; Retry-After says when to try again",
    503: "Overloaded or the database is unreachable; nothing was saved; retry after Retry-After",
}

# Operations that answer without a database session.
_NO_DATABASE = frozenset({("get", "/healthz")})


def errors_for(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that can also answer ``statuses`` (each with the error body)."""
    return {status: {"description": DESCRIPTIONS[status]} for status in statuses}


def _error_response(status: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    content = (existing or {}).get("content", {}).get("application/json", {})
    if content and "ValidationError" not in str(content):
        return existing or {}  # the route declared its own body for this status
    description = (existing or {}).get("description") or DESCRIPTIONS.get(status, "Error")
    if description == "Validation Error":  # FastAPI's default, describing its own body
        description = DESCRIPTIONS[422]
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}}}


def _statuses(method: str, path: str, operation: dict[str, Any]) -> Iterable[int]:
    parameters = operation.get("parameters", [])
    if operation.get("security"):
        yield from (401, 403)
    if any(p.get("in") == "path" for p in parameters):
        yield 404
    if "requestBody" in operation:
        yield from (413, 422)
    if parameters:
        yield 422
    if (method, path) not in _NO_DATABASE:
        yield 503


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared error statuses to every operation of ``schema`` and give every error
    status (shared or declared by the route) the error body."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    # FastAPI's validation-error bodies are never sent.
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for status in _statuses(method, path, operation):
                responses.setdefault(str(status), {})
            for status in list(responses):
                if status.isdigit() and int(status) >= 400:
                    responses[status] = _error_response(int(status), responses[status])
    return schema


def install(app: FastAPI) -> None:
    """Serve the documented schema as ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
