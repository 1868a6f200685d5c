"""Your account: change your password, and see (and end) where you are signed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth.guard import SESSION_KEY, signed_in
from web.auth.views import LIMITS, try_again_at
from web.queries.sessions import SessionInfo, active_sessions, digest, end_sessions_now
from web.queries.users import (
    MIN_PASSWORD,
    User,
    authenticate,
    check_password_rules,
    finish_attempt,
    reserve_attempt,
    set_password,
)
from web.responses import render_page
from web.state import AppState

SAID = {
    "password": "Your password has changed. Every other browser signed in as you has been signed out.",
    "others": "Every other browser signed in as you has been signed out.",
}


@dataclass(frozen=True)
class AccountPage:
    user: User
    sessions: list[SessionInfo]  # active, newest first
    this_session: str  # its id as listed
    said: str | None = None
    errors: dict[str, str] = field(default_factory=dict)  # the password form's, by field
    min_password: int = MIN_PASSWORD


async def account_page(request: Request) -> Response:
    return await _page(request, said=SAID.get(request.query_params.get("done", "")))


async def change_password(request: Request) -> Response:
    """The current password, then the new one twice. A wrong current password counts as a failed
    sign-in (the same lockout), so a borrowed session cannot guess it."""
    user = signed_in(request)
    form = await request.form()
    current, new, again = (str(form.get(name, ""))[:1024] for name in ("current", "new", "again"))
    errors: dict[str, str] = {}
    if not current:
        errors["current"] = "Enter your current password."
    try:
        check_password_rules(new)
    except ValueError as exc:
        errors["new"] = f"The new password {str(exc).removeprefix('the password ')}."
    if "new" not in errors and new != again:
        errors["again"] = "The two new passwords differ."
    if "new" not in errors and new == current:
        errors["new"] = "The new password is the one you have now."
    if errors:
        return await _page(request, errors=errors, status_code=400)
    state = AppState.of(request)
    address = request.client.host if request.client else "unknown"
    attempt = await reserve_attempt(state.db, user.email, address, LIMITS)
    if isinstance(attempt, datetime):
        message = f"Too many wrong passwords. {try_again_at(attempt)}"
        return await _page(request, errors={"current": message}, status_code=429)
    checked = await authenticate(state.db, user.email, current)
    await finish_attempt(state.db, attempt, succeeded=checked is not None)
    if checked is None:
        return await _page(request, errors={"current": "That is not your current password."}, status_code=400)
    await set_password(state.db, user.email, new, keep_session=request.session[SESSION_KEY])
    return RedirectResponse("/account?done=password", status_code=303)


async def end_other_sessions(request: Request) -> Response:
    user = signed_in(request)
    state = AppState.of(request)
    await end_sessions_now(state.db, state.registry.versions, user.id, keep=request.session[SESSION_KEY])
    return RedirectResponse("/account?done=others", status_code=303)


async def _page(
    request: Request, *, said: str | None = None, errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    user = signed_in(request)
    state = AppState.of(request)
    sessions = await active_sessions(state.db, user.id, state.settings.session_lifetime)
    this = digest(request.session[SESSION_KEY])[:12]
    page = AccountPage(user, sessions, this, said, errors or {})
    return render_page(request, "account.html", page, status_code=status_code)
