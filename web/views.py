"""Views that are not a page area of their own: partials, health, errors."""

from __future__ import annotations

from html import escape

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from web import timing
from web.auth.guard import allows, current_user
from web.responses import Refused, error_page, error_title, fragment
from web.state import AppState
from web.streaming import for_stream, with_parts_inline


async def partial(request: Request) -> Response:
    """GET /partials/<name>: one partial, loaded or in its error state, never a 500."""
    state = AppState.of(request)
    name = request.path_params["name"]
    declared = state.registry.partials.get(name)
    if declared is None:
        return fragment(f'<p class="card__error">There is no partial named {escape(name)!s}.</p>', status_code=404)
    user = await current_user(request)
    # Checked before the cache is read: a cached partial never reaches a role that may not see it.
    if user is None or not allows(user.role, declared.role_for(request.scope["query_string"])):
        raise Refused(403, "Your account may not see this.")
    request_timing = timing.current()
    if request_timing is not None:
        request_timing.partial = name
    # today once: the input is read and cached under the same date
    rendered = await state.registry.serve(declared, request.scope["query_string"], state.today(), user.role)
    if request_timing is not None:
        request_timing.cache = rendered.cache
    html = rendered.html
    if state.settings.partials_mode == "stream" and for_stream(html)[1]:
        html = await with_parts_inline(request, html)
    return fragment(html, status_code=rendered.status)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_page(exc.status_code, error_title(exc.status_code), str(exc.detail))


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """The database is down, overloaded or locked past the request's budget: say so at once, and
    when to try again, rather than hold the request (issue #18)."""
    response = error_page(503, "Busy", "The database did not answer in time. Please try again in a moment.")
    response.headers["Retry-After"] = "2"
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    # The traceback goes to the log, never to the page.
    return error_page(500, "Something went wrong", "The error has been logged. Please try again.")
