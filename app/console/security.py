"""The console's response headers: a Content-Security-Policy that admits no inline script and
no third-party origin, no framing, no caching of pages that show personal data."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/console"
# No 'unsafe-inline' anywhere: scripts and styles come from the console's own files, and
# charts are SVG drawn with attributes, not style rules.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def add_headers(headers: MutableHeaders, *, static: bool = False, https: bool = False) -> None:
    """The console's security headers on a response (those it sets itself are kept)."""
    for name, value in _HEADERS.items():
        headers.setdefault(name, value)
    if https:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if not static:
        # Pages show personal data: never kept by the browser or a proxy.
        headers.setdefault("Cache-Control", "no-store")


class ConsoleHeaders:
    """ASGI middleware adding the console's security headers to every ``/console`` response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(PREFIX + "/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_headers(MutableHeaders(scope=message), static=static,
                            https=scope.get("scheme") == "https")
            await send(message)

        await self.app(scope, receive, send_with_headers)
