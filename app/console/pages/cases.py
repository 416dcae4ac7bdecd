"""Console pages: cases (being built)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.auth.permissions import Action
from app.console.deps import ConsoleAction
from app.console.rendering import page
from app.console.sessions import SignedIn

router = APIRouter(prefix="/console")


@router.get("/cases")
def placeholder_1(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.CASE_READ)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/cases")


@router.get("/approvals")
def placeholder_2(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.APPROVAL_DECIDE)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/approvals")
