"""The request body's size limit, enforced before anything is parsed.

A body larger than the limit is refused with 413 as soon as its declared length (or, when it
is sent in chunks, the bytes read so far) passes the limit: nothing beyond the limit is read
into memory, and the server goes on serving others.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import get_settings
from app.errors import error_body


class _TooLarge(BaseException):
    # Not an Exception: the framework turns any Exception raised while reading a body into a
    # 400; this must reach the middleware to become the 413 it is.
    pass


# Paths that take an uploaded document, with the larger limit ``max_upload_bytes``.
UPLOAD_PATHS = frozenset({"/console/reports/verify"})


class BodySizeLimit:
    """ASGI middleware refusing request bodies over ``max_request_bytes`` (settings) with 413."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        # Uploading a report's PDF to verify it is the one request that carries a document.
        limit = (settings.max_upload_bytes if scope["path"] in UPLOAD_PATHS
                 else settings.max_request_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(send, limit, scope["path"])
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, limit, scope["path"])

    async def _refuse(self, send: Send, limit: int, path: str) -> None:
        if path.startswith("/console"):
            # A person in the browser: a page, not a JSON body.
            body = (f"<!doctype html><html lang=en><title>Too large</title><h1>Too large</h1>"
                    f"<p>What you sent is over the {limit:,} byte limit; nothing was saved. "
                    f"Go back and send less, or <a href=\"/console\">return to the console</a>."
                    f"</p></html>").encode()
            content_type = b"text/html; charset=utf-8"
        else:
            body = json.dumps(error_body(
                "request_too_large", f"the request body is over the {limit} byte limit; "
                "an application is a few kilobytes")).encode()
            content_type = b"application/json"
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", content_type),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
