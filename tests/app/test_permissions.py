"""The permission table: every action admits its roles, routes record their action, and
docs/api.md carries the table as the code has it."""

import asyncio
from typing import Annotated

import pytest
from fastapi import APIRouter, FastAPI

from app.auth.deps import RequireAction, require_action
from app.auth.permissions import (
    DOC_PATH,
    PERMISSIONS,
    Action,
    documented_section,
    main,
    permissions_markdown,
    route_access,
)
from app.auth.principal import Principal
from app.auth.roles import Role
from app.errors import Forbidden


def test_every_action_admits_some_role():
    assert set(PERMISSIONS) == set(Action)
    assert all(PERMISSIONS[action] for action in Action)


def test_a_route_records_the_action_it_declares():
    router = APIRouter()

    @router.post("/runs")
    def run(actor: Annotated[Principal, RequireAction(Action.FAIRNESS_RUN)]) -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    [access] = route_access(app)
    assert (access.method, access.path, access.action) == ("POST", "/runs", Action.FAIRNESS_RUN)
    assert access.roles == PERMISSIONS[Action.FAIRNESS_RUN]


@pytest.mark.parametrize("action", list(Action))
def test_require_action_admits_exactly_the_tables_roles(action):
    check = require_action(action)
    for role in Role:
        actor = Principal("user", "1", role)
        if role in PERMISSIONS[action]:
            assert asyncio.run(check(actor)) is actor
        else:
            with pytest.raises(Forbidden):
                asyncio.run(check(actor))


def test_a_route_declaring_nothing_has_no_action_or_roles():
    router = APIRouter()

    @router.get("/open")
    def open_route() -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    [access] = route_access(app)
    assert (access.action, access.roles) == (None, None)


def test_api_doc_carries_the_permission_table():
    from app.main import create_app

    documented = documented_section(DOC_PATH.read_text(encoding="utf-8"))
    assert documented == permissions_markdown(create_app()), (
        "docs/api.md is out of date: run `python -m app.auth.permissions --write`")


def test_markdown_option_prints_the_table(capsys):
    from app.main import create_app

    assert main(["--markdown"]) == 0
    assert capsys.readouterr().out == permissions_markdown(create_app()) + "\n"
