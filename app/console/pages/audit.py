"""Console pages: audit (being built)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.auth.permissions import Action
from app.console.deps import ConsoleAction
from app.console.rendering import page
from app.console.sessions import SignedIn

router = APIRouter(prefix="/console")


@router.get("/ledger")
def placeholder_1(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.LEDGER_READ)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/ledger")


@router.get("/ledger/verify")
def placeholder_2(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.LEDGER_READ)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/ledger/verify")


@router.get("/reports/verify")
def placeholder_3(request: Request,
                   signed_in: Annotated[SignedIn, ConsoleAction(Action.REPORT_VERIFY)]) -> Response:
    return page(request, signed_in, "placeholder.html", title="/reports/verify")
