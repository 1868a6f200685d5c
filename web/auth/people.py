"""People (admins): every account, its role, and where it is signed in, with a way to end a session."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth.guard import signed_in
from web.queries.sessions import Person, end_sessions_now, people
from web.responses import Refused, render_page
from web.state import AppState

log = logging.getLogger("billable.auth")
SESSION_ID = re.compile(r"[0-9a-f]{12}")  # as listed: the first 12 hex digits of its digest


@dataclass(frozen=True)
class PeoplePage:
    people: list[Person]
    ended: str | None  # what was just ended, said at the top


async def people_page(request: Request) -> Response:
    state = AppState.of(request)
    ended = request.query_params.get("ended")
    said = {"one": "The session has ended.", "all": "Every session of that person has ended."}.get(ended or "")
    everyone = await people(state.db, state.settings.session_lifetime)
    return render_page(request, "people.html", PeoplePage(everyone, said))


async def end_person_sessions(request: Request) -> Response:
    """POST /people/{user_id}/sessions/end with `session` (an id as listed) or none: all of them."""
    admin = signed_in(request)
    form = await request.form()
    session = form.get("session")
    if session is not None and not (isinstance(session, str) and SESSION_ID.fullmatch(session)):
        raise Refused(400, "That is not a session id from this page.")
    state = AppState.of(request)
    user_id = request.path_params["user_id"]
    count = await end_sessions_now(state.db, state.registry.versions, user_id, prefix=session)
    log.info("%s ended %d session(s) of user %s", admin.email, count, user_id)
    return RedirectResponse(f"/people?ended={'one' if session else 'all'}", status_code=303)
