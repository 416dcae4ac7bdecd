"""The console's own scripts, styles and vendored libraries, served from the package.

Only files present when the process starts are served (no path from a request reaches the
file system), each with its ETag so a browser revalidates instead of downloading again.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.errors import NotFound

STATIC = Path(__file__).resolve().parent.parent / "static"
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}


def _load() -> dict[str, tuple[bytes, str, str]]:
    files = {}
    for path in sorted(STATIC.rglob("*")):
        if path.is_file() and path.suffix in _TYPES:
            body = path.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            files[path.relative_to(STATIC).as_posix()] = (
                body, _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "", etag)
    return files


_FILES = _load()
# Versioned names (vendor/htmx-2.0.11.min.js) never change; the console's own files may.
_IMMUTABLE = "public, max-age=31536000, immutable"

router = APIRouter(prefix="/console/static")
# Public: the sign-in page needs its styles before anyone is signed in; nothing here is private.
PUBLIC_PATHS = frozenset({"/console/static/{name:path}"})


def asset_version(name: str) -> str:
    """A short digest of a static file, for cache-busting links to the console's own files."""
    return _FILES[name][2].strip('"')[:12]


@router.get("/{name:path}")
def static_file(name: str, request: Request) -> Response:
    """One of the console's static files."""
    found = _FILES.get(name)
    if found is None:
        raise NotFound("no such file")
    body, media_type, etag = found
    cache = _IMMUTABLE if name.startswith("vendor/") or request.query_params.get("v") \
        else "no-cache"
    headers = {"ETag": etag, "Cache-Control": cache}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
