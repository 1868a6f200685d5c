"""Responses shared by every view: full pages and partial fragments, with the headers they need."""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from typing import Any

import anyio
from jinja2 import Environment
from markupsafe import escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from web import htmx, timing
from web.auth.csrf import csrf_token
from web.db import DatabaseUnavailable
from web.state import AppState
from web.static_files import static_url

log = logging.getLogger("billable.responses")

# Company figures: private to the signed-in browser, and revalidated every time.
PRIVATE = {"Cache-Control": "private, no-cache"}


def render_page(request: Request, template: str, page: Any, *, status_code: int = 200) -> HTMLResponse:
    """Render a page template with the fields of its context dataclass, plus what the layout needs:
    the signed-in user (or None) and the session's CSRF token."""
    return page_response(page_html(request, template, page), status_code=status_code)


def page_html(request: Request, template: str, page: Any) -> str:
    return render_template(
        AppState.of(request).env,
        template,
        page,
        current_user=getattr(request.state, "user", None),
        csrf_token=csrf_token(request),
        active_nav=template.removesuffix(".html"),  # the layout marks that page's link as current
    )


def page_response(html: str, *, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status_code, headers=PRIVATE)


def render_template(env: Environment, template: str, page: Any, **extra: Any) -> str:
    """A template given the fields of its context dataclass (and `extra`), timed as render."""
    context = {f.name: getattr(page, f.name) for f in fields(page)}
    with timing.measure_render():
        return env.get_template(template).render(context, **extra)


def fragment(html: str, *, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status_code, headers=PRIVATE)


@dataclass(frozen=True)
class MessageFragment:
    message: str
    error: bool


def message(request: Request, text: str, *, status_code: int = 200, trigger: str | None = None) -> HTMLResponse:
    """A one-line message fragment; an error when the status is 4xx/5xx. `trigger` names an event
    (HX-Trigger) on which the page's affected parts reload themselves."""
    response = render_page(request, "message.html", MessageFragment(text, status_code >= 400), status_code=status_code)
    return htmx.trigger(response, trigger)


class StreamCut(Exception):
    """A streamed body that cannot be finished (its database stopped answering mid-download). Raised
    so that the server closes the connection: the browser then shows a failed download, not a short
    file that looks whole. Said in one warning line; `quiet_stream_cuts` keeps the server's log
    from adding a traceback (issue #18: a fault costs 0 tracebacks)."""


def quiet_stream_cuts(record: logging.LogRecord) -> bool:
    """A filter for uvicorn's error log: drop its "Exception in ASGI application" for a StreamCut."""
    return not (record.exc_info and isinstance(record.exc_info[1], StreamCut))


class ClosingStreamingResponse(StreamingResponse):
    """A streamed response that closes its body on every path: finished, failed, cancelled, or
    abandoned by a client that went away. Starlette leaves a body generator suspended when a
    disconnect stops it mid-send, and the database cursor inside stays open until garbage collection
    (issue #18). The close is shielded from the request's cancellation and bounded, so a stuck
    dependency cannot hold a shutting-down worker."""

    CLOSE_WITHIN_S = 5.0

    async def stream_response(self, send: Send) -> None:
        # The headers go with the first chunk, not before it: a browser commits to a page when its
        # headers arrive, and one whose body then keeps it waiting renders an empty frame and lays
        # the page out in pieces (issue #17); and a body that fails before its first chunk still
        # gets an error status instead of a cut stream.
        chunks = aiter(self.body_iterator)
        first = await anext(chunks, b"")
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        self.started = True
        await send({"type": "http.response.body", "body": self._bytes(first), "more_body": True})
        async for chunk in chunks:
            await send({"type": "http.response.body", "body": self._bytes(chunk), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _bytes(self, chunk: str | bytes | memoryview) -> bytes | memoryview:
        return chunk if isinstance(chunk, bytes | memoryview) else chunk.encode(self.charset)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.started = False
        try:
            await super().__call__(scope, receive, send)
        except DatabaseUnavailable as exc:
            if not self.started:  # nothing sent yet: the app's handler answers 503
                raise
            log.warning("%s cut mid-body: %s", scope["path"], exc)
            raise StreamCut(str(exc)) from None
        finally:
            close = getattr(self.body_iterator, "aclose", None)
            if close is not None:
                with anyio.move_on_after(self.CLOSE_WITHIN_S, shield=True):
                    await close()


_ERROR_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} · Billable</title>
<link rel="icon" href="{favicon}" type="image/svg+xml"><link rel="stylesheet" href="{css}">
</head><body><main id="main" class="error-page">
<h1>{title}</h1><p>{detail}</p><p><a href="/">Back to the dashboard</a></p></main></body></html>"""


class Refused(Exception):
    """A request refused for a reason its sender can read (a bad ?week=, someone else's entry, no
    such client): raised wherever on the request's path that is found, and answered in one place
    (`refused`, registered in web/app.py)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return refusal(request, exc.status, exc.message)


def refusal(request: Request, status: int, message: str) -> HTMLResponse:
    """A refusal as a fragment for htmx, or as a small page."""
    if htmx.wants_fragment(request):
        return HTMLResponse(f'<p class="card__error" role="alert">{escape(message)}</p>', status_code=status)
    return error_page(status, error_title(status), message)


def error_page(status: int, title: str, detail: str) -> HTMLResponse:
    page = _ERROR_PAGE.format(
        title=escape(title), detail=escape(detail), favicon=static_url("favicon.svg"), css=static_url("app.css")
    )
    return HTMLResponse(page, status_code=status)


def error_title(status: int) -> str:
    return {401: "Sign in", 403: "Not allowed", 404: "Page not found", 405: "Method not allowed"}.get(
        status, "Request not understood"
    )
