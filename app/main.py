"""The HTTP application: routers, error handlers, the deny-by-default check, and the ledger's
checkpointer running alongside."""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.applications.endpoints import monitoring_router
from app.applications.endpoints import router as applications_router
from app.audit.checkpointer import run_checkpoints
from app.audit.endpoints import router as audit_router
from app.auth.endpoints import public_router as auth_public_router
from app.auth.endpoints import router as auth_router
from app.auth.permissions import declared_roles
from app.config import get_settings
from app.console import PUBLIC_PATHS as CONSOLE_PUBLIC_PATHS
from app.console import errors as console_errors
from app.console import install as install_console
from app.console.security import ConsoleHeaders
from app.db import get_engine, start_checkpoints
from app.drift.endpoints import router as drift_router
from app.early_warning.endpoints import router as early_warning_router
from app.errors import RiskdeskError, error_body
from app.fairness.endpoints import router as fairness_router
from app.health.endpoints import router as health_router
from app.limits import BodySizeLimit
from app.monitoring.endpoints import router as jobs_router
from app.notices.endpoints import router as notices_router
from app.openapi import install as install_openapi
from app.outcomes.endpoints import router as outcomes_router
from app.reports.endpoints import router as reports_router
from app.reviews.endpoints import router as reviews_router
from app.scoring.endpoints import router as scoring_router
from app.screening.endpoints import router as screening_router
from app.subjects.endpoints import retention_router
from app.subjects.endpoints import router as subjects_router
from app.users.endpoints import router as users_router

logger = logging.getLogger("riskdesk")

# Routes that are deliberately reachable without a role; everything else must declare its roles.
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/auth/token"}) | CONSOLE_PUBLIC_PATHS


_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Type tags pydantic puts in the location of a union member's error; no API field has these names.
_TYPE_TAGS = frozenset({"decimal", "str", "int", "float", "bool", "date", "datetime", "none",
                        "list", "dict", "literal"})


def _validation_details(exc: RequestValidationError) -> list[dict[str, object]]:
    """One entry per offending field, named by its dotted path in the request.

    Pydantic adds the tried member of a union (``literal['no_account']``) or a validator's name
    to an error's location; those say nothing to the person fixing the request, so they are
    dropped and the errors of one field are merged.
    """
    merged: dict[tuple[str, str | None], dict[str, object]] = {}
    for err in exc.errors():
        location = err.get("loc", ())
        parts = [str(p) for p in location[1:]
                 if isinstance(p, int) or (_FIELD_NAME.match(str(p)) and p not in _TYPE_TAGS)]
        source = str(location[0]) if location else "body"
        field = ".".join(parts) or None
        message = str(err.get("msg"))
        entry = merged.setdefault((source, field), {"field": field, "message": message,
                                                    "type": err.get("type"),
                                                    "location": source})
        if message not in str(entry["message"]):
            entry["message"] = f"{entry['message']}; or {message}"
    return list(merged.values())


def _exception_name(exc: BaseException) -> str:
    """The exception's type (and a database error's driver type), never its message: messages
    can quote the values of the failed statement, which may be personal data."""
    name = type(exc).__name__
    original = getattr(exc, "orig", None)
    return f"{name} ({type(original).__name__})" if original is not None else name


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RiskdeskError)
    async def _domain_error(request: Request, exc: RiskdeskError) -> Response:
        if console_errors.handles(request):
            return console_errors.render(request, exc.status_code, exc.code, exc.message,
                                         exc.details)
        headers = dict(exc.headers or {})
        if exc.status_code == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse(error_body(exc.code, exc.message, exc.details),
                            status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        details = _validation_details(exc)
        fields = ", ".join(sorted({str(d["field"]) for d in details if d["field"]}))
        if console_errors.handles(request):
            return console_errors.render(request, 422, "validation_error",
                                         f"please check: {fields or 'what you entered'}",
                                         details)
        return JSONResponse(
            error_body("validation_error",
                       f"the request is not valid; check: {fields or 'the request body'}",
                       details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        if console_errors.handles(request):
            return console_errors.render(request, exc.status_code, code, str(exc.detail))
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> Response:
        # A lost or refused connection is the database being unavailable, not a bug: the pool
        # replaces dead connections (pre-ping), so a retry succeeds once the database is back.
        if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            logger.warning("database unavailable on %s %s: %s", request.method, request.url.path,
                           _exception_name(exc))
            if console_errors.handles(request):
                return console_errors.render(request, 503, "database_unavailable",
                                             "the database cannot be reached; nothing was "
                                             "saved; try again shortly")
            return JSONResponse(error_body("database_unavailable", "the database cannot be "
                                           "reached; nothing was saved; retry shortly"),
                                status_code=503, headers={"Retry-After": "1"})
        return await _unexpected(request, exc)

    @app.exception_handler(PoolTimeoutError)
    async def _pool_exhausted(request: Request, exc: PoolTimeoutError) -> Response:
        if console_errors.handles(request):
            return console_errors.render(request, 503, "overloaded",
                                         "the service is busy; nothing was saved; try again")
        return JSONResponse(error_body("overloaded", "no database connection came free; "
                                       "retry shortly"), status_code=503,
                            headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logger.error("unhandled %s on %s %s\n%s", _exception_name(exc), request.method,
                     request.url.path, "".join(traceback.format_tb(exc.__traceback__)))
        if console_errors.handles(request):
            return console_errors.render(request, 500, "internal_error",
                                         "something went wrong on our side; nothing was saved")
        return JSONResponse(error_body("internal_error",
                                       "an unexpected error occurred; nothing was saved"),
                            status_code=500)


def check_every_route_declares_roles(app: FastAPI) -> int:
    """Refuse to start if a route admits callers without declaring its roles; return how many
    routes were checked.

    Included routers' routes are not ``APIRoute`` objects, so the routes are walked with
    ``iter_route_contexts``, which gives each one as served: full path, and the dependencies of
    the routers it was included through. A route without dependencies (a plain Starlette route
    or mount) cannot declare roles, so only the API documentation may be one.
    """
    documentation = {app.openapi_url, app.docs_url, app.redoc_url,
                     app.swagger_ui_oauth2_redirect_url}
    checked = 0
    for route in iter_route_contexts(app.routes):
        path = route.path
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            if path in documentation:
                continue
            raise RuntimeError(f"route {path} cannot declare roles; serve it from an APIRouter")
        if path in PUBLIC_PATHS:
            continue
        checked += 1
        if declared_roles(dependant) is None:
            raise RuntimeError(f"route {path} declares no roles; add RequireAction")
    return checked


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start-up and shut-down of a serving process: the ledger's checkpointer runs (not with
    CHECKPOINT_POLL_SECONDS=0), and SQLite's log is checkpointed from a thread of its own."""
    settings = get_settings()
    task = (asyncio.create_task(run_checkpoints(app, settings))
            if settings.checkpoint_poll_seconds > 0 else None)
    wal = start_checkpoints(get_engine())
    try:
        yield
    finally:
        if wal is not None:
            wal.stop()
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


def create_app() -> FastAPI:
    """Build the riskdesk API."""
    app = FastAPI(
        lifespan=_lifespan,
        title="riskdesk",
        version="0.1.0",
        description="Credit risk assessment and compliance: scorecard decisions with specific "
        "reasons, fairness audits, regulatory reports and a verifiable audit ledger.",
    )
    _install_error_handlers(app)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(ConsoleHeaders)
    for router in (health_router, auth_public_router, auth_router, users_router, audit_router,
                   applications_router, monitoring_router, notices_router, scoring_router,
                   fairness_router, reports_router, subjects_router, retention_router,
                   reviews_router, screening_router, jobs_router):
        app.include_router(router)
    app.include_router(drift_router)
    app.include_router(outcomes_router)
    app.include_router(early_warning_router)
    install_console(app)
    check_every_route_declares_roles(app)
    install_openapi(app)
    return app


app = create_app()
