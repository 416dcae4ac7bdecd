"""The console: each role's daily work in the browser, server-rendered (Jinja2 and htmx).

Its pages call the same services as the API and are admitted by the same permission table;
no business rule lives in a template or a console route.
"""

from __future__ import annotations

from fastapi import FastAPI

from app.console.pages.auth import PUBLIC_PATHS as _AUTH_PUBLIC
from app.console.pages.static import PUBLIC_PATHS as _STATIC_PUBLIC

# Signing in and the console's own scripts and styles are reachable without a session.
PUBLIC_PATHS = _AUTH_PUBLIC | _STATIC_PUBLIC


def install(app: FastAPI) -> None:
    """Mount every console page on ``app`` and bind the navigation to the routes' roles."""
    from app.console import nav
    from app.console.pages import ROUTERS

    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    nav.bind(app)
