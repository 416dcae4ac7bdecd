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
# The one path that takes a batch of records (up to MAX_EVENTS_PER_BATCH account events), with
# its own limit ``max_events_bytes``.
EVENTS_PATH = "/events"


def limit_for(path: str) -> tuple[int, str]:
    """The body limit of a path, and what to tell a sender over it."""
    settings = get_settings()
    if path in UPLOAD_PATHS:
        return settings.max_upload_bytes, "a report's PDF is at most this size"
    if path == EVENTS_PATH:
        return settings.max_events_bytes, "split the batch into smaller ones"
    return settings.max_request_bytes, "an application is a few kilobytes"


class BodySizeLimit:
    """ASGI middleware refusing request bodies over ``max_request_bytes`` (settings) with 413."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, hint = limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(send, limit, scope["path"], hint)
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
                await self._refuse(send, limit, scope["path"], hint)

    async def _refuse(self, send: Send, limit: int, path: str, hint: str) -> None:
        if path.startswith("/console"):
            # A person in the browser: a page, not a JSON body.
            body = (f"<!doctype html><html lang=en><title>Too large</title><h1>Too large</h1>"
                    f"<p>What you sent is over the {limit:,} byte limit; nothing was saved. "
                    f"Go back and send less, or <a href=\"/console\">return to the console</a>."
                    f"</p></html>").encode()
            content_type = b"text/html; charset=utf-8"
        else:
            body = json.dumps(error_body(
                "request_too_large",
                f"the request body is over the {limit:,} byte limit; {hint}")).encode()
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
