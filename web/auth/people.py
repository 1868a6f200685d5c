"""People (admins): every account, its role, its capacity (hours a week) and cost rate (per hour),
each from a date on, and where it is signed in, with a way to change those and to end a session."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth.guard import signed_in
from web.db import Database
from web.forms import MAX_RANGE_DAYS, MAX_RATE_CENTS, FormReader, is_id
from web.periods import Month
from web.queries import capacity, costs
from web.queries.changes import recording
from web.queries.sessions import Person, end_sessions_now, people
from web.queries.users import get_user
from web.responses import Refused, render_page
from web.state import AppState

log = logging.getLogger("billable.auth")
SESSION_ID = re.compile(r"[0-9a-f]{12}")  # as listed: the first 12 hex digits of its digest


@dataclass(frozen=True)
class Dated:
    """A person's value that changes from a date on, as the page shows it: today's, and one to come."""

    value: int | None  # in effect today (weekly minutes, or cents an hour); None before any
    since: date | None
    next_value: int | None = None  # the first change after today
    next_since: date | None = None

    @classmethod
    def on(cls, changes: list[tuple[date, int]], today: date) -> Dated:
        past = [c for c in changes if c[0] <= today]
        future = [c for c in changes if c[0] > today]
        current, upcoming = (past[-1] if past else (None, None)), (future[0] if future else (None, None))
        return cls(current[1], current[0], upcoming[1], upcoming[0])


@dataclass(frozen=True)
class DatedForm:
    """One person's capacity or cost rate form sent back: what was typed, what is wrong, or what to confirm."""

    user_id: int
    kind: str  # "capacity" | "cost"
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    confirm: str | None = None  # a change into a month gone by: said, and asked for again


@dataclass(frozen=True)
class PeoplePage:
    people: list[Person]
    ended: str | None  # what was just ended or changed, said at the top
    capacities: dict[int, Dated]  # by person: weekly minutes
    cost_rates: dict[int, Dated]  # by person: cents an hour
    today: date
    form: DatedForm | None = None


async def people_page(request: Request) -> Response:
    return await _render(request)


async def _render(request: Request, form: DatedForm | None = None) -> Response:
    state = AppState.of(request)
    today = state.today()
    everyone = await people(state.db, state.settings.session_lifetime)
    weekly, rates = await asyncio.gather(
        capacity.capacity_changes(state.db), costs.cost_rates(state.db, [p.id for p in everyone])
    )
    capacities = {
        p.id: Dated.on([(c.from_date, c.weekly_minutes) for c in weekly.get(p.id, [])], today) for p in everyone
    }
    cost_rates = {p.id: Dated.on([(r.since, r.cents) for r in rates.get(p.id, [])], today) for p in everyone}
    said = None if form else _what_was_done(request.query_params, everyone)
    status = 200 if form is None or form.confirm else 422
    page = PeoplePage(everyone, said, capacities, cost_rates, today, form)
    return render_page(request, "people.html", page, status_code=status)


def _what_was_done(query: Mapping[str, str], everyone: list[Person]) -> str | None:
    """The notice after a change (the page is where a change redirects to)."""
    ended = {"one": "The session has ended.", "all": "Every session of that person has ended."}
    if query.get("ended") in ended:
        return ended[query["ended"]]
    for kind, what in (("capacity", "capacity"), ("cost", "cost rate")):
        changed = next((p for p in everyone if str(p.id) == query.get(kind)), None)
        if changed is not None:
            return f"The {what} of {changed.name} is saved; their row shows it."
    return None


# What a change of each dated value into a month gone by changes (said before it is saved).
_CHANGES_THE_PAST = {"capacity": "utilization", "cost": "costs and margins"}


async def set_person_capacity(request: Request) -> Response:
    """POST /people/{user_id}/capacity with `hours` (a week) and `from` (a date)."""
    return await _set_dated(
        request,
        "capacity",
        lambda reader: reader.hours_a_week("hours", "Hours a week"),
        capacity.set_capacity,
        "weekly_minutes",
    )


async def set_person_cost_rate(request: Request) -> Response:
    """POST /people/{user_id}/cost with `rate` (euros an hour) and `from` (a date)."""
    return await _set_dated(
        request,
        "cost",
        lambda reader: reader.money_cents("rate", "Cost per hour", maximum=MAX_RATE_CENTS),
        costs.set_cost_rate,
        "cost_rate_cents",
        # Every client the person's time went to may cost more or less now: rare enough to
        # recompute everything once rather than find them.
        scopes=("epoch",),
    )


async def _set_dated(
    request: Request,
    kind: str,
    read: Callable[[FormReader], int | None],
    save: Callable[[Database, int, date, int], Awaitable[int | None]],
    audited_as: str,
    scopes: tuple[str, ...] = (),
) -> Response:
    """A person's capacity or cost rate from a date on; `confirm` when that date lies in a month gone
    by, whose figures were already reported."""
    admin = signed_in(request)
    state = AppState.of(request)
    user_id = request.path_params["user_id"]
    person = await get_user(state.db, user_id) if is_id(user_id) else None
    if person is None:
        raise Refused(404, "There is no such person.")
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    reader = FormReader(values)
    value = read(reader)
    today = state.today()
    ten_years = timedelta(days=MAX_RANGE_DAYS)
    since = reader.date("from", "From", earliest=today - ten_years, latest=today + ten_years)
    if value is None or since is None:
        return await _render(request, DatedForm(user_id, kind, values, reader.errors))
    if since < Month.of(today).first_day and values.get("confirm") != "1":
        said = (
            f"From {since:%-d %b %Y} changes {person.name}'s {_CHANGES_THE_PAST[kind]} of months already gone by."
            " Save it if that is what you mean."
        )
        return await _render(request, DatedForm(user_id, kind, values, confirm=said))
    async with recording(state.db, state.registry.versions, admin.id) as changes:
        before = await save(state.db, user_id, since, value)
        if before != value:
            changes.add(
                "user",
                user_id,
                "update",
                client_id=None,
                before={audited_as: before, "from": since},
                after={audited_as: value, "from": since},
                scopes=scopes,
            )
    log.info("%s set the %s of user %s to %d from %s", admin.email, kind, user_id, value, since)
    return RedirectResponse(f"/people?{kind}={user_id}#person-{user_id}", status_code=303)


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
