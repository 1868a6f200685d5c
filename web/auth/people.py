"""People (admins): every account, its role, its capacity (hours a week, from a date on) and where it
is signed in, with a way to change the capacity and to end a session."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth.guard import signed_in
from web.forms import MAX_RANGE_DAYS, FormReader, is_id
from web.periods import Month
from web.queries import capacity
from web.queries.changes import recording
from web.queries.sessions import Person, end_sessions_now, people
from web.queries.users import get_user
from web.responses import Refused, render_page
from web.state import AppState

log = logging.getLogger("billable.auth")
SESSION_ID = re.compile(r"[0-9a-f]{12}")  # as listed: the first 12 hex digits of its digest


@dataclass(frozen=True)
class Capacity:
    """A person's hours a week as the page shows them: today's, and a change to come."""

    weekly_minutes: int | None  # in effect today; None before any
    since: date | None
    next_change: capacity.CapacityChange | None  # the first one after today


@dataclass(frozen=True)
class CapacityForm:
    """The capacity form of one person sent back: what was typed, what is wrong, or what to confirm."""

    user_id: int
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    confirm: str | None = None  # a change into a month gone by: said, and asked for again


@dataclass(frozen=True)
class PeoplePage:
    people: list[Person]
    ended: str | None  # what was just ended or changed, said at the top
    capacities: dict[int, Capacity]  # by person
    today: date
    form: CapacityForm | None = None


async def people_page(request: Request) -> Response:
    return await _render(request)


async def _render(request: Request, form: CapacityForm | None = None) -> Response:
    state = AppState.of(request)
    today = state.today()
    everyone = await people(state.db, state.settings.session_lifetime)
    changes = await capacity.capacity_changes(state.db)
    capacities = {person.id: _capacity_on(changes.get(person.id, []), today) for person in everyone}
    said = None if form else _what_was_done(request.query_params, everyone)
    status = 200 if form is None or form.confirm else 422
    return render_page(request, "people.html", PeoplePage(everyone, said, capacities, today, form), status_code=status)


def _what_was_done(query: Mapping[str, str], everyone: list[Person]) -> str | None:
    """The notice after a change (the page is where a change redirects to)."""
    ended = {"one": "The session has ended.", "all": "Every session of that person has ended."}
    if query.get("ended") in ended:
        return ended[query["ended"]]
    changed = next((p for p in everyone if str(p.id) == query.get("capacity")), None)
    return None if changed is None else f"The capacity of {changed.name} is saved; their row shows it."


def _capacity_on(changes: list[capacity.CapacityChange], today: date) -> Capacity:
    past = [c for c in changes if c.from_date <= today]
    future = [c for c in changes if c.from_date > today]
    current = past[-1] if past else None
    return Capacity(
        current.weekly_minutes if current else None, current.from_date if current else None, next(iter(future), None)
    )


async def set_person_capacity(request: Request) -> Response:
    """POST /people/{user_id}/capacity with `hours` (a week) and `from` (a date); `confirm` when that
    date lies in a month gone by, whose utilization was already reported."""
    admin = signed_in(request)
    state = AppState.of(request)
    user_id = request.path_params["user_id"]
    person = await get_user(state.db, user_id) if is_id(user_id) else None
    if person is None:
        raise Refused(404, "There is no such person.")
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    reader = FormReader(values)
    weekly = reader.hours_a_week("hours", "Hours a week")
    today = state.today()
    ten_years = timedelta(days=MAX_RANGE_DAYS)
    since = reader.date("from", "From", earliest=today - ten_years, latest=today + ten_years)
    if weekly is None or since is None:
        return await _render(request, CapacityForm(user_id, values, reader.errors))
    if since < Month.of(today).first_day and values.get("confirm") != "1":
        said = (
            f"From {since:%-d %b %Y} changes {person.name}'s utilization of months already gone by."
            " Save it if that is what you mean."
        )
        return await _render(request, CapacityForm(user_id, values, confirm=said))
    async with recording(state.db, state.registry.versions, admin.id) as changes:
        before = await capacity.set_capacity(state.db, user_id, since, weekly)
        if before != weekly:
            changes.add(
                "user",
                user_id,
                "update",
                client_id=None,
                before={"weekly_minutes": before, "from": since},
                after={"weekly_minutes": weekly, "from": since},
            )
    log.info("%s set the capacity of user %s to %d minutes from %s", admin.email, user_id, weekly, since)
    return RedirectResponse(f"/people?capacity={user_id}#person-{user_id}", status_code=303)


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
