"""Console pages: admin (being built)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.auth.permissions import Action
from app.console.deps import ConsoleAction
from app.console.rendering import page
from app.console.sessions import SignedIn

router = APIRouter(prefix="/console")


@router.get("/users")
def placeholder_1(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.USER_ADMIN)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/users")


@router.get("/api-keys")
def placeholder_2(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.USER_ADMIN)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/api-keys")


@router.get("/notice-parties")
def placeholder_3(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.USER_ADMIN)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/notice-parties")
