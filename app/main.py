"""The HTTP application: routers, error handlers and the deny-by-default check."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.audit.endpoints import router as audit_router
from app.auth.deps import declared_roles
from app.auth.endpoints import public_router as auth_public_router
from app.auth.endpoints import router as auth_router
from app.errors import RiskdeskError, error_body
from app.health.endpoints import router as health_router
from app.users.endpoints import router as users_router

logger = logging.getLogger("riskdesk")

# Routes that are deliberately reachable without a role; everything else must declare its roles.
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/auth/token"})


def _validation_details(exc: RequestValidationError) -> list[dict[str, object]]:
    details = []
    for err in exc.errors():
        location = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        details.append({"field": ".".join(location) or None, "message": err.get("msg"),
                        "type": err.get("type"), "location": err.get("loc", ("body",))[0]})
    return details


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RiskdeskError)
    async def _domain_error(_request: Request, exc: RiskdeskError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(error_body(exc.code, exc.message, exc.details),
                            status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        fields = ", ".join(sorted({str(d["field"]) for d in details if d["field"]}))
        return JSONResponse(
            error_body("validation_error",
                       f"the request is not valid; check: {fields or 'the request body'}",
                       details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        return JSONResponse(error_body("internal_error",
                                       "an unexpected error occurred; nothing was saved"),
                            status_code=500)


def _check_every_route_declares_roles(app: FastAPI) -> None:
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path not in PUBLIC_PATHS:
            if declared_roles(route.dependant) is None:
                raise RuntimeError(f"route {route.path} declares no roles; add RequireRoles")


def create_app() -> FastAPI:
    """Build the riskdesk API."""
    app = FastAPI(
        title="riskdesk",
        version="0.1.0",
        description="Credit risk assessment and compliance: scorecard decisions with specific "
        "reasons, fairness audits, regulatory reports and a verifiable audit ledger.",
    )
    _install_error_handlers(app)
    for router in (health_router, auth_public_router, auth_router, users_router, audit_router):
        app.include_router(router)
    _check_every_route_declares_roles(app)
    return app


app = create_app()
