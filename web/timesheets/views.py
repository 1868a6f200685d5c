"""The timesheet page: log time, see a week, edit or delete entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from web.auth.guard import current_user, refusal
from web.forms import FormReader
from web.htmx import ENTRIES_CHANGED, trigger
from web.money import format_duration
from web.periods import named_period
from web.queries import entries
from web.queries.changes import Conflict, recording
from web.queries.entries import ClientChoices, Entry, EntryInput, InvalidEntry, ServiceChoice
from web.queries.users import User, get_user, staff_list
from web.responses import message, render_page
from web.state import AppState
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

    @property
    def minutes(self) -> int:
        return sum(d.minutes for d in self.days)

    @property
    def billable_minutes(self) -> int:
        return sum(d.billable_minutes for d in self.days)

    @property
    def query(self) -> str:
        return urlencode({"user": self.person.id, "week": self.monday.isoformat()})


@dataclass(frozen=True)
class EntryForm:
    person_id: int
    values: dict[str, str]  # as typed
    errors: dict[str, str]
    clients: ClientChoices
    services: list[ServiceChoice]
    entry_id: int | None = None  # editing this entry; None: a new one
    version: int | None = None
    message: str | None = None  # a success or conflict message above the form
    message_is_error: bool = False


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
    whose = await _whose_week(request)
    if isinstance(whose, Response):
        return whose
    viewer, person, monday = whose
    state = AppState.of(request)
    week = await _week(state, viewer, person, monday)
    form = await _blank_form(state, person.id, default_day=_default_day(monday, state.today()))
    people = await staff_list(state.db) if viewer.role == "admin" else []

    def url(day: date) -> str:
        return "/timesheet?" + urlencode({"user": person.id, "week": day.isoformat()})

    summaries = []
    if viewer.role == "admin":
        period = named_period("this_month", state.today())
        params = [SummaryParams(by, period, {"period": period.name}) for by in GROUPINGS]
        summaries = [state.registry.placeholder(SUMMARY, p) for p in params]
    page = TimesheetPage(
        week,
        form,
        people,
        url(monday - timedelta(days=7)),
        url(monday + timedelta(days=7)),
        url(state.today()),
        summaries,
    )
    return render_page(request, "timesheet.html", page)


async def week_fragment(request: Request) -> Response:
    whose = await _whose_week(request)
    if isinstance(whose, Response):
        return whose
    viewer, person, monday = whose
    week = await _week(AppState.of(request), viewer, person, monday)
    return render_page(request, "timesheet-week.html", TimesheetFragment(week))


@dataclass(frozen=True)
class TimesheetFragment:
    week: Week


async def services_options(request: Request) -> Response:
    """The service <select> for the chosen client (only that client's services)."""
    reader = FormReader(request.query_params)
    client_id = reader.id("client_id", "Client", required=False)
    services = await entries.service_choices(AppState.of(request).db, client_id) if client_id else []
    return render_page(request, "timesheet-services.html", ServicesFragment(services, None))


@dataclass(frozen=True)
class ServicesFragment:
    services: list[ServiceChoice]
    selected: int | None


async def new_form(request: Request) -> Response:
    viewer = await current_user(request)
    assert viewer is not None
    reader = FormReader(request.query_params)
    person_id = reader.id("user_id", "Person", required=False) or viewer.id
    if person_id != viewer.id and viewer.role != "admin":
        return refusal(request, 403, "You can only log your own time.")
    state = AppState.of(request)
    return _form_response(request, await _blank_form(state, person_id, default_day=state.today()))


async def edit_form(request: Request) -> Response:
    entry, refused = await _own_entry(request)
    if refused is not None:
        return refused
    assert entry is not None
    state = AppState.of(request)
    form = EntryForm(
        person_id=entry.user_id,
        values=_values_of(entry),
        errors={},
        clients=await _client_choices(state, entry.user_id),
        services=await entries.service_choices(state.db, entry.client_id),
        entry_id=entry.id,
        version=entry.version,
    )
    return _form_response(request, form)


# Section: writes


async def create(request: Request) -> Response:
    viewer = await current_user(request)
    assert viewer is not None
    form_data = await request.form()
    parsed, form = await _read_entry(request, form_data)
    if parsed is None:
        return _form_response(request, form, status_code=422)
    if parsed.user_id != viewer.id and viewer.role != "admin":
        return refusal(request, 403, "You can only log your own time.")
    state = AppState.of(request)
    try:
        async with recording(state.db, state.registry.versions, viewer.id) as changes:
            await entries.create_entry(state.db, changes, parsed)
    except InvalidEntry as exc:
        return _form_response(request, _with_error(form, exc.field, str(exc)), status_code=422)
    blank = await _blank_form(state, parsed.user_id, default_day=parsed.work_date, client_id=parsed.client_id)
    saved = EntryForm(
        **{**blank.__dict__, "message": f"Logged {format_duration(parsed.minutes)} on {parsed.work_date:%a %d %b}."}
    )
    return _form_response(request, saved, changed=True)


async def update(request: Request) -> Response:
    entry, refused = await _own_entry(request)
    if refused is not None:
        return refused
    assert entry is not None
    form_data = await request.form()
    parsed, form = await _read_entry(request, form_data, editing=entry)
    version = FormReader(form_data).version()  # type: ignore[arg-type]
    if parsed is None or version is None:
        return _form_response(request, form, status_code=422)
    state = AppState.of(request)
    viewer = await current_user(request)
    assert viewer is not None
    try:
        async with recording(state.db, state.registry.versions, viewer.id) as changes:
            await entries.update_entry(state.db, changes, entry.id, version, parsed)
    except InvalidEntry as exc:
        return _form_response(request, _with_error(form, exc.field, str(exc)), status_code=422)
    except Conflict as exc:
        return await _conflict(request, entry.id, str(exc))
    blank = await _blank_form(state, entry.user_id, default_day=parsed.work_date)
    return _form_response(request, EntryForm(**{**blank.__dict__, "message": "Entry saved."}), changed=True)


async def delete(request: Request) -> Response:
    entry, refused = await _own_entry(request)
    if refused is not None:
        return refused
    assert entry is not None
    form_data = await request.form()
    version = FormReader(form_data).version()  # type: ignore[arg-type]
    state = AppState.of(request)
    viewer = await current_user(request)
    assert viewer is not None
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
        f"Deleted {format_duration(entry.minutes)} for {entry.client} on {entry.work_date:%a %d %b}.",
        trigger=ENTRIES_CHANGED,
    )


# Section: helpers


async def _whose_week(request: Request) -> tuple[User, User, date] | Response:
    """The viewer, the person whose week it is and its Monday; or the refusal saying what was wrong
    with ?user= and ?week= (a typed URL is input too)."""
    viewer = await current_user(request)
    assert viewer is not None  # the route needs a signed-in user
    state = AppState.of(request)
    reader = FormReader(request.query_params)
    week = reader.date("week", "Week", required=False) or state.today()
    person_id = reader.id("user", "Person", required=False) or viewer.id
    if reader.errors:
        return refusal(request, 400, " ".join(reader.errors.values()))
    if person_id != viewer.id and viewer.role != "admin":
        return refusal(request, 403, "You can only open your own timesheet.")
    person = viewer if person_id == viewer.id else await get_user(state.db, person_id)
    if person is None:
        return refusal(request, 404, f"There is no staff member with id {person_id}.")
    return viewer, person, week - timedelta(days=week.weekday())


async def _week(state: AppState, viewer: User, person: User, monday: date) -> Week:
    rows = await entries.week_entries(state.db, person.id, monday, monday + timedelta(days=6))
    days = [
        Day(monday + timedelta(days=n), [e for e in rows if e.work_date == monday + timedelta(days=n)])
        for n in range(7)
    ]
    return Week(person, monday, days, editable=viewer.id == person.id or viewer.role == "admin")


async def _blank_form(state: AppState, person_id: int, *, default_day: date, client_id: int | None = None) -> EntryForm:
    values = {"work_date": default_day.isoformat(), "billable": "on", "user_id": str(person_id)}
    if client_id is not None:
        values["client_id"] = str(client_id)
    services = await entries.service_choices(state.db, client_id) if client_id else []
    return EntryForm(person_id, values, {}, await _client_choices(state, person_id), services)


async def _client_choices(state: AppState, person_id: int) -> ClientChoices:
    return await entries.client_choices(state.db, person_id, state.today())


def _default_day(monday: date, today: date) -> date:
    return today if monday <= today <= monday + timedelta(days=6) else monday


async def _read_entry(
    request: Request, data: FormData, editing: Entry | None = None
) -> tuple[EntryInput | None, EntryForm]:
    reader = FormReader(data)  # type: ignore[arg-type]
    viewer = await current_user(request)
    assert viewer is not None
    person_id = editing.user_id if editing else (reader.id("user_id", "Person", required=False) or viewer.id)
    work_date = reader.date("work_date", "Date")
    client_id = reader.id("client_id", "Client")
    service_id = reader.id("service_id", "Service", required=False)
    minutes = reader.duration_minutes("duration", "Duration")
    description = reader.text("description", "Description", required=False, max_length=2000)
    billable = reader.checkbox("billable")
    state = AppState.of(request)
    form = EntryForm(
        person_id=person_id,
        values={
            k: reader.raw(k) for k in ("work_date", "client_id", "service_id", "duration", "description", "billable")
        },
        errors=reader.errors,
        clients=await _client_choices(state, person_id),
        services=await entries.service_choices(state.db, client_id) if client_id else [],
        entry_id=editing.id if editing else None,
        # The version the user read, as submitted: re-showing the current one would let a resubmit
        # overwrite someone else's change unnoticed.
        version=reader.version() if editing else None,
    )
    if reader.errors or work_date is None or client_id is None or minutes is None:
        return None, form
    return EntryInput(person_id, client_id, service_id, work_date, minutes, billable, description), form


async def _own_entry(request: Request) -> tuple[Entry | None, Response | None]:
    viewer = await current_user(request)
    assert viewer is not None
    raw = request.path_params["entry_id"]
    entry = await entries.get_entry(AppState.of(request).db, raw) if 0 < raw < 2**63 else None
    if entry is None:
        return None, message(request, "This entry does not exist (any more).", status_code=404)
    if entry.user_id != viewer.id and viewer.role != "admin":
        return None, refusal(request, 403, "You can only change your own entries.")
    return entry, None


async def _conflict(request: Request, entry_id: int, text: str) -> Response:
    state = AppState.of(request)
    current = await entries.get_entry(state.db, entry_id)
    if current is None:
        return message(request, text, status_code=409)
    form = EntryForm(
        current.user_id,
        _values_of(current),
        {},
        await _client_choices(state, current.user_id),
        await entries.service_choices(state.db, current.client_id),
        current.id,
        current.version,
        text,
        message_is_error=True,
    )
    return _form_response(request, form, status_code=409)


def _values_of(entry: Entry) -> dict[str, str]:
    return {
        "work_date": entry.work_date.isoformat(),
        "client_id": str(entry.client_id),
        "service_id": str(entry.service_id or ""),
        "duration": format_duration(entry.minutes, unit=False),
        "description": entry.description,
        "billable": "on" if entry.billable else "",
    }


def _with_error(form: EntryForm, name: str, message: str) -> EntryForm:
    return EntryForm(**{**form.__dict__, "errors": {**form.errors, name: message}})


def _form_response(request: Request, form: EntryForm, *, status_code: int = 200, changed: bool = False) -> Response:
    response = render_page(request, "timesheet-entry-form.html", FormFragment(form), status_code=status_code)
    if changed:
        trigger(response, ENTRIES_CHANGED)  # the week and summaries reload themselves
    return response


@dataclass(frozen=True)
class FormFragment:
    form: EntryForm
