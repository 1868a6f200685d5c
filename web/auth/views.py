"""Sign in and sign out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth.csrf import csrf_token
from web.auth.guard import SESSION_KEY, current_user, safe_next
from web.queries.sessions import end_session, start_session
from web.queries.users import LoginLimits, authenticate, finish_attempt, reserve_attempt
from web.responses import render_page
from web.state import AppState

LIMITS = LoginLimits(window=timedelta(minutes=15), per_account=5, per_address=20)
WRONG = "Email or password is incorrect."


@dataclass(frozen=True)
class LoginPage:
    email: str
    next: str
    error: str | None


def try_again_at(unlocked: datetime) -> str:
    """When a lock ends, as people read it: "Try again in 15 minutes." """
    wait = max(1, math.ceil((unlocked - datetime.now(UTC)).total_seconds() / 60))
    return f"Try again in {wait} minute{'s' if wait != 1 else ''}."


async def login_page(request: Request) -> Response:
    if await current_user(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    csrf_token(request)  # the form needs one before anyone is signed in
    return render_page(request, "login.html", LoginPage("", safe_next(request.query_params.get("next")), None))


async def login(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip()[:320]
    password = str(form.get("password", ""))[:1024]
    next_url = safe_next(form.get("next"))
    db = AppState.of(request).db
    address = request.client.host if request.client else "unknown"

    def again(message: str, status: int) -> Response:
        return render_page(request, "login.html", LoginPage(email, next_url, message), status_code=status)

    if not email or not password:
        return again("Enter your email and your password.", 400)
    if "\x00" in email or "\x00" in password:  # no account can have one; PostgreSQL text cannot hold it
        return again(WRONG, 401)
    attempt = await reserve_attempt(db, email, address, LIMITS)
    if isinstance(attempt, datetime):
        return again(f"Too many failed sign-ins. {try_again_at(attempt)}", 429)
    user = await authenticate(db, email, password)
    await finish_attempt(db, attempt, succeeded=user is not None)
    if user is None:
        return again(WRONG, 401)
    token = await start_session(db, user.id, address, request.headers.get("user-agent", ""))
    request.session.clear()  # a new session on sign-in: nothing from before carries over
    request.session[SESSION_KEY] = token
    csrf_token(request)
    return RedirectResponse(next_url, status_code=303)


async def logout(request: Request) -> Response:
    """Ends the session on the server, in every app process at once: a copy of the cookie taken
    before opens nothing after."""
    token = request.session.get(SESSION_KEY)
    if isinstance(token, str):
        state = AppState.of(request)
        await end_session(state.db, state.registry.versions, token)
        state.session_checks.pop(token, None)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
