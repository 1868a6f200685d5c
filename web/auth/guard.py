"""Every endpoint declares the role it needs; `guarded` enforces it, and CSRF on every write.

Anonymous requests for pages are sent to /login; anonymous partial requests get 401 with an
HX-Redirect to /login (htmx then loads the login page). A signed-in user without the role gets 403.
Every state-changing request must carry the session's CSRF token (the `X-CSRF-Token` header that
static/app.js adds to htmx requests, or a `csrf_token` form field); without it: 403, nothing changes.
Past the guard, a view refuses by raising `web.responses.Refused` (someone else's entry, no such
client, a bad ?week=), answered in one place: a fragment for htmx, a small page otherwise.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from functools import wraps
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth.csrf import csrf_ok
from web.db import DatabaseUnavailable
from web.db.versions import Versions
from web.forms import is_id
from web.htmx import current_page, is_htmx, wants_fragment
from web.queries import sessions
from web.queries.users import User, get_user, user_of_session
from web.responses import Refused, refusal
from web.state import AppState
from web.timing import within

Endpoint = Callable[[Request], Awaitable[Response]]

ROLE_RANK = {"staff": 1, "admin": 2}
PUBLIC = None  # the role of endpoints anyone may call
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
log = logging.getLogger("billable.auth")
SESSION_KEY = "sid"  # the session cookie's token, of a row in the sessions table (web/queries/sessions.py)
USER_RECHECK_S = 30.0  # how often a session is checked (and marked used) while nothing else says to
# The re-check is one small query: when the database does not answer it this soon, the user as last
# read stands (for another RECHECK_RETRY_S), so a cached partial is still served at once (issue #18).
RECHECK_WAIT_S = 1.0
RECHECK_RETRY_S = 5.0


def allows(role: str, required: str | None) -> bool:
    return required is None or ROLE_RANK.get(role, 0) >= ROLE_RANK[required]


def guarded(endpoint: Endpoint, role: str | None) -> Endpoint:
    """The endpoint, refusing requests without `role` (None: public) or without a valid CSRF token."""

    @wraps(endpoint)
    async def guard(request: Request) -> Response:
        if request.method not in SAFE_METHODS and not await csrf_ok(request):
            return _csrf_refusal(request)
        if role is not None:
            user = await current_user(request)
            if user is None:
                return _to_login(request)
            if not allows(user.role, role):
                raise Refused(403, "Your account may not see this.")
        # Path ids ({..:int}) match any number of digits; one no row can have is simply not found.
        if any(isinstance(v, int) and not is_id(v) for v in request.path_params.values()):
            raise Refused(404, "There is nothing at this address.")
        return await endpoint(request)

    guard.required_role = role  # type: ignore[attr-defined]  # read by the route-table test
    return guard


async def current_user(request: Request) -> User | None:
    """The signed-in, enabled user of this request's session. Checked against the database (which
    also marks the session used) at most every USER_RECHECK_S, and at once after any of the person's
    sessions ended in any process (a new version of their sessions scope, pushed by NOTIFY)."""
    if "user" in request.scope.get("state", {}):
        return request.state.user  # type: ignore[no-any-return]
    token = request.session.get(SESSION_KEY)
    user = None
    if isinstance(token, str):
        state = AppState.of(request)
        check = state.session_checks.get(token)
        if check is None or not check.holds(state.registry.versions):
            check = state.session_checks[token] = await _recheck(state, token, check)
        user = check.user
        if user is None:
            request.session.clear()
    request.state.user = user
    return user


def signed_in(request: Request) -> User:
    """The user of a request that the guard let through for a role (it read and checked them): what
    a view behind `guarded(..., "staff")` or `"admin"` uses, with no refusal of its own to make."""
    user: User | None = request.state.user
    if user is None:
        raise RuntimeError(f"{request.url.path}: signed_in() on a route the guard does not sign in")
    return user


@dataclass(frozen=True)
class SessionCheck:
    """A session as last checked: when (time.monotonic()), its person's sessions version then, and
    its user (None: ended or expired)."""

    at: float
    version: int
    user: User | None

    def holds(self, versions: Versions) -> bool:
        if time.monotonic() - self.at >= USER_RECHECK_S:
            return False
        return self.user is None or versions.get(sessions.scope(self.user.id)) == self.version


async def _recheck(state: AppState, token: str, last: SessionCheck | None) -> SessionCheck:
    """The session as read now; or, when the database does not answer within RECHECK_WAIT_S, as last
    read, to be checked again RECHECK_RETRY_S from now."""
    versions = state.registry.versions
    moved = versions.generation
    try:
        with within(RECHECK_WAIT_S) if last is not None else nullcontext():
            user = await user_of_session(state.db, token, state.settings.session_lifetime)
    except DatabaseUnavailable as exc:
        if last is None:
            raise  # nothing to fall back on
        log.warning("session not re-checked (%s): kept as last read for %.0f s", exc, RECHECK_RETRY_S)
        return replace(last, at=time.monotonic() - USER_RECHECK_S + RECHECK_RETRY_S)
    # A session ended while it was read is read again on the next request.
    at = time.monotonic() if versions.generation == moved else 0.0
    return SessionCheck(at, versions.get(sessions.scope(user.id)) if user else 0, user)


CSRF_REFUSED_HEADER = "X-Billable-CSRF-Refused"


async def person_for(request: Request, viewer: User, person_id: int, own_only: str) -> User:
    """The person whose time `viewer` asks for: themselves, or, for an admin, anyone who exists.
    Otherwise Refused: 403 saying `own_only` to staff, 404 for no such person."""
    if person_id == viewer.id:
        return viewer
    if viewer.role != "admin":
        raise Refused(403, own_only)
    person = await get_user(AppState.of(request).db, person_id)
    if person is None:
        raise Refused(404, f"There is no staff member with id {person_id}.")
    return person


def _csrf_refusal(request: Request) -> Response:
    """A write without this session's token: the session changed since the page was loaded (signed
    out and in again in another tab), or the request did not come from Billable. For htmx nothing is
    swapped, so the form and what was typed in it stay; static/app.js fetches the page's current
    token and sends the request again once, or says what happened."""
    response = refusal(request, 403, "This form has expired or did not come from Billable. Reload the page.")
    if is_htmx(request):
        response.headers["HX-Reswap"] = "none"
        response.headers[CSRF_REFUSED_HEADER] = "true"
    return response


def _to_login(request: Request) -> Response:
    """Send an anonymous request to sign in: a redirect for a page, 401 + HX-Redirect for htmx
    (a followed redirect would swap the login page into a card)."""
    parts = current_page(request)
    target = f"/login?next={quote(parts.path + ('?' + parts.query if parts.query else ''), safe='')}"
    if wants_fragment(request) or is_htmx(request):
        response = refusal(request, 401, "Your session has ended. Sign in again.")
        response.headers["HX-Redirect"] = target
        return response
    return RedirectResponse(target, status_code=303)


def safe_next(value: Any) -> str:
    """A local path to go to after signing in; anything else (other sites, schemes) becomes /."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value[:2000]
