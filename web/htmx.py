"""htmx in one place: reading its request headers, and the response headers views send it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TypeVar
from urllib.parse import SplitResult, urlsplit

from starlette.requests import Request
from starlette.responses import Response

# Events sent with HX-Trigger after a write; the page parts that show that data reload on them.
ENTRIES_CHANGED = "entries-changed"
CLIENT_CHANGED = "client-changed"
# The same names for templates, as `events` (e.g. hx-trigger="{{ events.client_changed }} from:body").
EVENTS = SimpleNamespace(entries_changed=ENTRIES_CHANGED, client_changed=CLIENT_CHANGED)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def wants_fragment(request: Request) -> bool:
    """htmx asked for a piece of a page (a partial), not a whole page."""
    return request.url.path.startswith("/partials/") or (
        is_htmx(request) and request.headers.get("HX-Request-Type") != "full"
    )


def current_page(request: Request) -> SplitResult:
    """The page the request comes from: htmx says which (HX-Current-URL); else, or when what it says
    is no URL (a header anyone can send), this request's own."""
    said = request.headers.get("HX-Current-URL")
    if said:
        try:
            return urlsplit(said)
        except ValueError:  # "http://[x": not an address
            pass
    return urlsplit(str(request.url))


R = TypeVar("R", bound=Response)


def trigger(response: R, event: str | None) -> R:
    """Have htmx fire `event` on the page once this response arrives."""
    if event:
        response.headers["HX-Trigger"] = event
    return response


def redirect(request: Request, url: str) -> Response:
    """Go to `url`: with HX-Redirect for htmx (a followed 303 would be swapped in), else a 303."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return Response(status_code=303, headers={"Location": url})
