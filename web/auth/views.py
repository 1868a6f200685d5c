"""Sign in and sign out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth.guard import csrf_token, current_user, safe_next
from web.queries.users import authenticate, recent_failures, record_attempt
from web.responses import render_page
from web.state import AppState

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
WRONG = "Email or password is incorrect."


@dataclass(frozen=True)
class LoginPage:
    email: str
    next: str
    error: str | None


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
    wait = await _throttled_for(request, email, address)
    if wait is not None:
        return again(f"Too many failed sign-ins. Try again in {wait} minute{'s' if wait != 1 else ''}.", 429)
    user = await authenticate(db, email, password)
    await record_attempt(db, email, address, succeeded=user is not None)
    if user is None:
        return again(WRONG, 401)
    request.session.clear()  # a new session on sign-in: nothing from before carries over
    request.session.update({"user_id": user.id, "signed_in": datetime.now(UTC).isoformat()})
    csrf_token(request)
    return RedirectResponse(next_url, status_code=303)


async def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def _throttled_for(request: Request, email: str, address: str) -> int | None:
    """Minutes until this account or address may try again, or None when it may now."""
    failures = await recent_failures(AppState.of(request).db, email, address, WINDOW)
    blocked_since = []
    if failures.by_email >= MAX_FAILURES_PER_ACCOUNT and failures.oldest_email:
        blocked_since.append(failures.oldest_email)
    if failures.by_address >= MAX_FAILURES_PER_ADDRESS and failures.oldest_address:
        blocked_since.append(failures.oldest_address)
    if not blocked_since:
        return None
    remaining = max(since + WINDOW for since in blocked_since) - datetime.now(UTC)
    return max(1, math.ceil(remaining.total_seconds() / 60))
