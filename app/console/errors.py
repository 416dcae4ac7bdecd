"""How the console answers an error: the sign-in page when the session has ended, else a page
(or, for htmx, a message in place) saying what went wrong in words a person can act on. Never
a stack trace."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.console.rendering import is_htmx, page
from app.console.security import PREFIX, add_headers

# The page's title for each status a console route may answer.
TITLES = {400: "This request cannot be done", 403: "Not allowed", 404: "Not found",
          409: "This cannot be done now", 413: "Too large", 422: "Please check what you entered",
          429: "Too many attempts", 503: "Busy: try again shortly"}


def handles(request: Request) -> bool:
    """Whether an error on this request is the console's to render."""
    return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")


def sign_in_again(request: Request) -> Response:
    """Send the browser to sign in, returning it here afterwards (htmx follows HX-Redirect)."""
    back = request.url.path if request.method == "GET" else request.headers.get("HX-Current-URL",
                                                                                 PREFIX)
    target = f"{PREFIX}/login?next={quote(_local(back))}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _local(url: str) -> str:
    # Only a path on this site: a full address from a header is cut to its path.
    if "://" in url:
        url = "/" + url.split("://", 1)[1].partition("/")[2]
    return url if url.startswith(PREFIX) else PREFIX


def render(request: Request, status_code: int, code: str, message: str,
           details: object = None) -> HTMLResponse | Response:
    """The console's answer to an error of ``status_code``."""
    if status_code == 401:
        response = sign_in_again(request)
    else:
        signed_in = getattr(request.state, "signed_in", None)
        title = TITLES.get(status_code, "Something went wrong")
        if is_htmx(request):
            # Shown in the page's message area, whatever part of the page asked.
            response = page(request, signed_in, "error_message.html", status_code=status_code,
                            title=title, code=code, message=message, details=details)
            response.headers["HX-Retarget"] = "#messages"
            response.headers["HX-Reswap"] = "innerHTML"
        else:
            response = page(request, signed_in, "error.html", status_code=status_code,
                            title=title, code=code, message=message, details=details)
    # An unexpected error's page is rendered outside the console's header middleware (by the
    # server's outermost error handler): it carries the headers itself.
    add_headers(response.headers, https=request.url.scheme == "https")
    return response
