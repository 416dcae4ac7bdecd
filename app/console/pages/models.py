"""Console pages: models (being built)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.auth.permissions import Action
from app.console.deps import ConsoleAction
from app.console.rendering import page
from app.console.sessions import SignedIn

router = APIRouter(prefix="/console")


@router.get("/models")
def placeholder_1(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.MODEL_READ)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/models")


@router.get("/policies")
def placeholder_2(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.POLICY_READ)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/policies")
