"""Console pages: compliance (being built)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.auth.permissions import Action
from app.console.deps import ConsoleAction
from app.console.rendering import page
from app.console.sessions import SignedIn

router = APIRouter(prefix="/console")


@router.get("/compliance")
def placeholder_1(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.FAIRNESS_READ)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/compliance")


@router.get("/fairness")
def placeholder_2(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.FAIRNESS_READ)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/fairness")


@router.get("/reports")
def placeholder_3(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.REPORT_READ)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/reports")


@router.get("/screening")
def placeholder_4(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.SCREENING_READ)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/screening")
