"""The timesheet page: log time, see a week, edit or delete entries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from fractions import Fraction
from urllib.parse import parse_qs, urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from web.auth.guard import person_for, signed_in
from web.forms import FormReader, not_saved, parse_iso_date
from web.htmx import ENTRIES_CHANGED, current_page
from web.money import format_hours, format_money
from web.periods import named_period
from web.queries import capacity, entries
from web.queries.changes import Conflict, recording
from web.queries.entries import Entry, EntryInput, InvalidEntry, ServiceChoice
from web.queries.users import User, staff_list
from web.responses import Refused, message, render_page
from web.state import AppState
from web.streaming import render_streamed
from web.timesheets.entry_form import (
    EntryForm,
    Typed,
    blank_form,
    form_response,
    read_entry,
)
from web.timesheets.partials import GROUPINGS, SUMMARY, SummaryParams

# Section: view models


@dataclass(frozen=True)
class Day:
    day: date
    entries: list[Entry]

    @property
    def minutes(self) -> int:
        return sum(e.minutes for e in self.entries)

    @property
    def billable_minutes(self) -> int:
        return sum(e.minutes for e in self.entries if e.billable)


@dataclass(frozen=True)
class Week:
    person: User
    monday: date
    days: list[Day]
    editable: bool  # the viewer may change these entries
    capacity_for_week: Fraction = Fraction(0)  # the person's, in minutes (web/queries/capacity.py)

    @property
    def minutes(self) -> int:
        return sum(d.minutes for d in self.days)

    @property
    def billable_minutes(self) -> int:
        return sum(d.billable_minutes for d in self.days)

    @property
    def utilization(self) -> capacity.Utilization:
        """The week's billable time over the person's capacity for it."""
        return capacity.Utilization.of(self.billable_minutes, self.capacity_for_week)

    @property
    def query(self) -> str:
        return urlencode({"user": self.person.id, "week": self.monday.isoformat()})


@dataclass(frozen=True)
class TimesheetPage:
    week: Week
    form: EntryForm
    people: list[User] = field(default_factory=list)  # admins may open anyone's week
    previous_url: str = ""
    next_url: str = ""
    this_week_url: str = ""
    summaries: list[Markup] = field(default_factory=list)  # admins: this month per client and per staff member


# Section: pages and fragments


async def timesheet_page(request: Request) -> Response:
    viewer, person, monday = await _whose_week(request)
    state = AppState.of(request)
    week = await _week(state, viewer, person, monday)
    form = await blank_form(state, person.id, default_day=_default_day(monday, state.today()))
    # The person whose week it is stays offered once disabled: the select shows whose week it is.
    people = await staff_list(state.db, including=person.id) if viewer.role == "admin" else []

    summaries = []
    if viewer.role == "admin":
        period = named_period("this_month", state.today())
        params = [SummaryParams(by, period, {"period": period.name}) for by in GROUPINGS]
        summaries = [state.registry.placeholder(SUMMARY, p) for p in params]
    page = TimesheetPage(
        week,
        form,
        people,
        _week_url(person.id, monday - timedelta(days=7)),
        _week_url(person.id, monday + timedelta(days=7)),
        _week_url(person.id, state.today()),
        summaries,
    )
    return render_streamed(request, "timesheet.html", page)


async def week_fragment(request: Request) -> Response:
    viewer, person, monday = await _whose_week(request)
    week = await _week(AppState.of(request), viewer, person, monday)
    return render_page(request, "timesheet-week.html", TimesheetFragment(week))


@dataclass(frozen=True)
class TimesheetFragment:
    week: Week


async def services_options(request: Request) -> Response:
    """The service <select> for the chosen client (only that client's services)."""
    reader = FormReader(request.query_params)
    client_id = reader.id("client_id", "Client", required=False)
    state = AppState.of(request)
    services = await entries.service_choices(state.db, client_id, state.today()) if client_id else []
    return render_page(request, "timesheet-services.html", ServicesFragment(services, None))


@dataclass(frozen=True)
class ServicesFragment:
    services: list[ServiceChoice]
    selected: int | None


async def new_form(request: Request) -> Response:
    """A blank form for ?user_id= (Cancel while editing)."""
    return await _new_entry_form(request)


async def edit_form(request: Request) -> Response:
    entry = await _own_entry(request)
    if entry is None:
        # Deleted in another tab (or by someone else) since the week was shown: the form stays a form.
        return await _new_entry_form(request, gone=f"{ENTRY_GONE} You can log new time below.")
    return form_response(request, await Typed.of(entry).form(AppState.of(request), focus=True))


# Section: writes


async def create(request: Request) -> Response:
    viewer = signed_in(request)
    form_data = await request.form()
    parsed, typed = await read_entry(request, form_data)
    state = AppState.of(request)
    if parsed is None:
        return form_response(request, await typed.form(state), status_code=422)
    _refuse_unless_may_log_for(viewer, parsed.user_id)
    try:
        async with recording(state.db, state.registry.versions, viewer.id) as changes:
            await entries.create_entry(state.db, changes, parsed)
    except InvalidEntry as exc:
        return form_response(request, await _with_error(state, typed, exc), status_code=422)
    blank = await blank_form(
        state, parsed.user_id, default_day=parsed.work_date, client_id=parsed.client_id, service_id=parsed.service_id
    )
    logged = f"Logged {format_hours(parsed.minutes)} on {_day_label(parsed.work_date, state.today())}."
    link = _link_to_its_week(request, parsed.user_id, parsed.work_date, state.today())
    return form_response(request, replace(blank, message=logged, message_link=link), changed=True)


async def update(request: Request) -> Response:
    entry = await _own_entry(request)
    if entry is None:
        return await _deleted_while_editing(request)
    form_data = await request.form()
    parsed, typed = await read_entry(request, form_data, editing=entry)
    state = AppState.of(request)
    if parsed is None or typed.version is None:
        return form_response(request, await typed.form(state), status_code=422)
    viewer = signed_in(request)
    try:
        async with recording(state.db, state.registry.versions, viewer.id) as changes:
            rate = await entries.update_entry(state.db, changes, entry.id, typed.version, parsed)
    except InvalidEntry as exc:
        return form_response(request, await _with_error(state, typed, exc), status_code=422)
    except Conflict as exc:
        return await _conflict(request, entry.id, str(exc), yours=(parsed, typed.touched))
    blank = await blank_form(state, entry.user_id, default_day=parsed.work_date)
    said = "Entry saved."
    if rate != entry.rate_cents:  # issue #20: a move re-prices the entry, and people must see it
        said += (
            f" On another client or service it is priced at that one's rate: {format_money(rate)} an hour"
            f" (was {format_money(entry.rate_cents)})."
        )
    return form_response(request, replace(blank, message=said), changed=True)


async def delete(request: Request) -> Response:
    entry = await _own_entry(request)
    if entry is None:
        # The page showed it, so the week reloads.
        return message(request, "This entry does not exist (any more).", status_code=404, trigger=ENTRIES_CHANGED)
    form_data = await request.form()
    version = FormReader(form_data).version()  # type: ignore[arg-type]
    state = AppState.of(request)
    viewer = signed_in(request)
    if version is None:
        return message(request, "This request did not say which version of the entry it deletes.", status_code=422)
    try:
        async with recording(state.db, state.registry.versions, viewer.id) as changes:
            await entries.delete_entry(state.db, changes, entry.id, version)
    except Conflict as exc:
        # The week reloads, so its buttons carry the current versions.
        return message(request, str(exc), status_code=409, trigger=ENTRIES_CHANGED)
    return message(
        request,
        f"Deleted {format_hours(entry.minutes)} for {entry.client} on {_day_label(entry.work_date, state.today())}.",
        trigger=ENTRIES_CHANGED,
    )


# Section: helpers


async def _whose_week(request: Request) -> tuple[User, User, date]:
    """The viewer, the person whose week it is and its Monday; or Refused, saying what was wrong
    with ?user= and ?week= (a typed URL is input too)."""
    viewer = signed_in(request)
    state = AppState.of(request)
    reader = FormReader(request.query_params)
    week = reader.date("week", "Week", required=False) or state.today()
    person_id = reader.id("user", "Person", required=False) or viewer.id
    if reader.errors:
        raise Refused(400, " ".join(reader.errors.values()))
    person = await person_for(request, viewer, person_id, "You can only open your own timesheet.")
    return viewer, person, _monday(week)


async def _week(state: AppState, viewer: User, person: User, monday: date) -> Week:
    sunday = monday + timedelta(days=6)
    rows, available = await asyncio.gather(
        entries.week_entries(state.db, person.id, monday, sunday),
        capacity.capacities(state.db, monday, sunday, [person.id]),
    )
    days = [
        Day(monday + timedelta(days=n), [e for e in rows if e.work_date == monday + timedelta(days=n)])
        for n in range(7)
    ]
    editable = viewer.id == person.id or viewer.role == "admin"
    return Week(person, monday, days, editable, capacity_for_week=available.get(person.id, Fraction(0)))


# Said when the entry being opened or saved is gone: the page showed it, another tab deleted it.
ENTRY_GONE = "This entry was deleted meanwhile (in another tab, or by someone else)."


async def _new_entry_form(request: Request, *, gone: str | None = None) -> Response:
    """A blank form for ?user_id= (the viewer by default), taking focus. `gone`: the entry being
    opened was deleted meanwhile; said above the form, with a 404, and the week reloads without it."""
    viewer = signed_in(request)
    reader = FormReader(request.query_params)
    person_id = reader.id("user_id", "Person", required=False) or viewer.id
    _refuse_unless_may_log_for(viewer, person_id)
    state = AppState.of(request)
    form = replace(
        await blank_form(state, person_id, default_day=state.today()),
        focus=True,
        message=gone,
        message_is_error=gone is not None,
    )
    return form_response(request, form, status_code=404 if gone else 200, changed=gone is not None)


async def _deleted_while_editing(request: Request) -> Response:
    """Saving an entry deleted meanwhile (in another tab, or by someone else): the form comes back as
    a new entry's, with everything typed kept, so saving again logs it anew; the week reloads."""
    viewer = signed_in(request)
    _, typed = await read_entry(request, await request.form())
    _refuse_unless_may_log_for(viewer, typed.person_id)
    warned = await typed.form(
        AppState.of(request),
        message=f"{ENTRY_GONE} Saving will log what is below as a new entry.",
        message_is_error=True,
        focus=True,
    )
    return form_response(request, warned, status_code=409, changed=True)


async def _with_error(state: AppState, typed: Typed, exc: InvalidEntry) -> EntryForm:
    """The form as typed, with the database's refusal next to its field (a day over 24 hours, ...)."""
    return await typed.form(state, errors={**typed.errors, exc.field: str(exc)})


def _refuse_unless_may_log_for(viewer: User, person_id: int) -> None:
    """Only admins log others' time."""
    if person_id != viewer.id and viewer.role != "admin":
        raise Refused(403, "You can only log your own time.")


def _link_to_its_week(request: Request, person_id: int, day: date, today: date) -> tuple[str, str] | None:
    """A link to the week of `day` when the page shows another one (its URL, which htmx sends as
    HX-Current-URL, says which): time logged for last week is otherwise nowhere to be seen."""
    shown = parse_qs(current_page(request).query).get("week", [""])[-1]
    try:
        shown_day = parse_iso_date(shown)
    except ValueError:
        shown_day = today  # the page's default: this week
    monday = _monday(day)
    if _monday(shown_day) == monday:
        return None
    return f"Show the week of {monday:%-d %B}", _week_url(person_id, monday)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_url(person_id: int, day: date) -> str:
    """The timesheet page of `person_id`, on the week of `day`."""
    return "/timesheet?" + urlencode({"user": person_id, "week": day.isoformat()})


def _default_day(monday: date, today: date) -> date:
    return today if monday <= today <= monday + timedelta(days=6) else monday


def _day_label(day: date, today: date) -> str:
    """'Tue 31 Dec' in messages; with the year when it is not this one ('Tue 31 Dec 2199')."""
    return f"{day:%a %-d %b}" + (f" {day.year}" if day.year != today.year else "")


async def _own_entry(request: Request) -> Entry | None:
    """The entry in the path, None when it does not exist (any more); Refused when it is someone
    else's and the viewer is not an admin."""
    viewer = signed_in(request)
    raw = request.path_params["entry_id"]
    entry = await entries.get_entry(AppState.of(request).db, raw) if 0 < raw < 2**63 else None
    if entry is not None and entry.user_id != viewer.id and viewer.role != "admin":
        raise Refused(403, "You can only change your own entries.")
    return entry


async def _conflict(
    request: Request, entry_id: int, text: str, yours: tuple[EntryInput, set[str]] | None = None
) -> Response:
    """The entry as saved now, in the form, and the message; `yours`: the refused save and the fields
    changed in it."""
    state = AppState.of(request)
    current = await entries.get_entry(state.db, entry_id)
    if current is None:
        return await _deleted_while_editing(request)
    if yours is not None:
        text += not_saved(_unsaved(*yours, current))
    form = await Typed.of(current).form(state, message=text, message_is_error=True)
    return form_response(request, form, status_code=409, changed=True)  # the week shows theirs too


def _unsaved(yours: EntryInput, touched: set[str], theirs: Entry) -> list[str]:
    """What a refused save would have changed: the fields changed in its form (`touched`) that differ
    from what is saved now. The form shows their version, so the message keeps these, to be made again."""
    changes = []
    if "work_date" in touched and yours.work_date != theirs.work_date:
        changes.append(f"date {yours.work_date.isoformat()}")
    if touched & {"client_id", "service_id"} and (yours.client_id, yours.service_id) != (
        theirs.client_id,
        theirs.service_id,
    ):
        changes.append("another client or service")
    if "duration" in touched and yours.minutes != theirs.minutes:
        changes.append(f"duration {format_hours(yours.minutes)}")
    if "billable" in touched and yours.billable != theirs.billable:
        changes.append("billable" if yours.billable else "not billable")
    if "description" in touched and yours.description != theirs.description:
        changes.append(f"description “{yours.description}”" if yours.description else "no description")
    return changes
