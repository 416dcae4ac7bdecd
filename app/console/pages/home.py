"""The console's home page: for each role, what needs that person now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.auth.permissions import Action
from app.console.deps import ConsoleAction
from app.console.home import panels_for
from app.console.rendering import page
from app.console.sessions import SignedIn
from app.db import SessionDep

router = APIRouter(prefix="/console")


@router.get("")
def home(request: Request, session: SessionDep,
         signed_in: Annotated[SignedIn, ConsoleAction(Action.IDENTITY_READ)]) -> Response:
    """The signed-in person's home page."""
    return page(request, signed_in, "home.html", title="Home",
                panels=panels_for(session, signed_in))
