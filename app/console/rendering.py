"""Rendering the console's pages: one Jinja2 environment, the layout's values, and the filters
every page formats figures with."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Undefined
from markupsafe import Markup

from app.console import nav
from app.console.deps import CSRF_FIELD
from app.console.pages.static import asset_version
from app.console.sessions import SignedIn

TEMPLATES = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=TEMPLATES)
templates.env.trim_blocks = templates.env.lstrip_blocks = True


def _when(value: datetime | date | str | None, with_seconds: bool = False) -> str:
    """A time as the console shows it: UTC, to the minute (or second)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        # A service's answer built for JSON carries its times as ISO 8601 text.
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC" if with_seconds
                                          else "%Y-%m-%d %H:%M UTC")


def _missing(value: object) -> bool:
    # A figure a record does not hold (an older model's metrics, say) shows as a dash.
    return value is None or value == "" or isinstance(value, Undefined)


def _money(value: Decimal | float | int | str | None, currency: str | None = None) -> str:
    if _missing(value):
        return "—"
    amount = f"{Decimal(str(value)):,.2f}"
    return f"{amount} {currency}" if currency else amount


def _percent(value: float | Decimal | None, places: int = 1) -> str:
    return "—" if _missing(value) else f"{float(value) * 100:.{places}f}%"  # type: ignore[arg-type]


def _number(value: float | Decimal | int | None, places: int = 3) -> str:
    if value is None or _missing(value):
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{float(value):,.{places}f}"


def _label(value: object) -> str:
    """An enum or snake_case code as words: ``refer_to_underwriter`` → ``refer to underwriter``."""
    return "—" if value is None else str(value).replace("_", " ")


templates.env.filters.update(when=_when, money=_money, percent=_percent, number=_number,
                             label=_label)
templates.env.globals["asset_version"] = asset_version


def csrf_input(signed_in: SignedIn | None) -> Markup:
    """The hidden field carrying the CSRF token, for forms that work without script too."""
    if signed_in is None:
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD,
                                                                         signed_in.csrf_token)


def is_htmx(request: Request) -> bool:
    """Whether htmx made the request (it then wants a fragment, not a whole page)."""
    return request.headers.get("HX-Request") == "true"


def page(request: Request, signed_in: SignedIn | None, template: str, *,
         status_code: int = 200, title: str = "", **values: Any) -> HTMLResponse:
    """Render a page (or, for an htmx request, the same template's fragment: templates extend
    ``layout.html``, which leaves the chrome out when ``fragment`` is set)."""
    role = signed_in.principal.role if signed_in else None
    context = {
        "request": request, "signed_in": signed_in, "title": title,
        "csrf": csrf_input(signed_in),
        "csrf_token": signed_in.csrf_token if signed_in else "",
        "nav": nav.sections_for(role) if role else [],
        # Whether this person may open a screen (a route's path): links to screens a role
        # cannot use are not shown.
        "may_open": (lambda path: nav.may_open(role, path)) if role else (lambda path: False),
        "fragment": is_htmx(request) and not request.headers.get("HX-Boosted"),
        "current_path": request.url.path,
        "status_code": status_code,
        **values,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)
