"""The service refuses to start with a route that declares no roles, and checks every route."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, FastAPI

from app.auth.deps import RequireRoles
from app.auth.principal import Principal
from app.auth.roles import Role
from app.main import PUBLIC_PATHS, check_every_route_declares_roles, create_app

Admin = Annotated[Principal, RequireRoles(Role.ADMIN)]


def _app_with(router: APIRouter) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    return app


def test_the_service_refuses_to_start_with_a_route_that_declares_no_roles(monkeypatch):
    from app import main

    def latest_export() -> dict[str, str]:
        return {}

    users_and_more = APIRouter()
    users_and_more.include_router(main.users_router)
    users_and_more.add_api_route("/exports/latest", latest_export)
    monkeypatch.setattr(main, "users_router", users_and_more)
    with pytest.raises(RuntimeError, match="route /exports/latest declares no roles"):
        main.create_app()


def test_included_route_without_roles_stops_the_start():
    router = APIRouter(prefix="/loans")

    @router.get("/{loan_id}")
    def read_loan(loan_id: int) -> dict[str, int]:
        return {"loan_id": loan_id}

    with pytest.raises(RuntimeError, match=r"route /loans/\{loan_id\} declares no roles"):
        check_every_route_declares_roles(_app_with(router))


def test_route_of_a_nested_router_without_roles_stops_the_start():
    inner = APIRouter(prefix="/exports")

    @inner.get("/latest")
    def latest() -> dict[str, str]:
        return {}

    outer = APIRouter(prefix="/admin")
    outer.include_router(inner)
    with pytest.raises(RuntimeError, match="route /admin/exports/latest declares no roles"):
        check_every_route_declares_roles(_app_with(outer))


def test_roles_declared_by_the_route_or_by_its_router_both_count():
    own = APIRouter()

    @own.get("/own")
    def declared_by_route(actor: Admin) -> dict[str, str]:
        return {}

    inherited = APIRouter()

    @inherited.get("/inherited")
    def declared_by_router() -> dict[str, str]:
        return {}

    app = _app_with(own)
    app.include_router(inherited, dependencies=[RequireRoles(Role.ADMIN)])
    assert check_every_route_declares_roles(app) == 2


def test_plain_starlette_route_stops_the_start():
    app = FastAPI()

    async def export(request: object) -> None:
        return None

    app.add_route("/export", export)
    with pytest.raises(RuntimeError, match="route /export cannot declare roles"):
        check_every_route_declares_roles(app)


def test_every_route_of_the_service_is_checked():
    from app.auth.permissions import route_access

    app = create_app()
    schema = app.openapi()
    operations = [(method, path) for path, item in schema["paths"].items() for method in item
                  if path not in PUBLIC_PATHS]
    # The console's pages are not in the API's schema; they are checked all the same.
    pages = [r for r in route_access(app) if r.path.startswith("/console")
             and r.path not in PUBLIC_PATHS]
    assert len(operations) > 20 and len(pages) > 20
    assert check_every_route_declares_roles(app) == len(operations) + len(pages)
