"""The timesheet's entry form: what it shows, reading (and checking) what was typed into it, and its response."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from web.auth.guard import signed_in
from web.forms import FormReader, touched_fields
from web.htmx import ENTRIES_CHANGED, trigger
from web.money import format_hours
from web.queries import entries
from web.queries.entries import ClientChoices, Entry, EntryInput, ServiceChoice
from web.responses import render_page
from web.state import AppState


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
    message_link: tuple[str, str] | None = None  # (text, url): where to see what the message is about
    focus: bool = False  # its first field takes focus when it arrives (edit, cancel): the keyboard follows
    loaded: dict[str, str] = field(default_factory=dict)  # editing: the values as loaded (see forms.LOADED)


async def blank_form(
    state: AppState, person_id: int, *, default_day: date, client_id: int | None = None, service_id: int | None = None
) -> EntryForm:
    """A form for the next entry: the day, and the client and service of the last one when given
    (time is often logged in a row for the same work)."""
    values = {"work_date": default_day.isoformat(), "billable": "on", "user_id": str(person_id)}
    if client_id is not None:
        values["client_id"] = str(client_id)
    services = await entries.service_choices(state.db, client_id, state.today()) if client_id else []
    if service_id is not None and any(s.id == service_id for s in services):
        values["service_id"] = str(service_id)
    # A new entry cannot go to a churned client: it is offered only to the entry that has it.
    return EntryForm(person_id, values, {}, await client_choices(state, person_id, None), services)


async def client_choices(state: AppState, person_id: int, including: int | None) -> ClientChoices:
    return await entries.client_choices(state.db, person_id, state.today(), including=including)


EARLIEST_WORK_DATE = date(2000, 1, 1)


def _work_date(reader: FormReader, today: date) -> date | None:
    """The entry's date, refused (next to its field) before 2000 or more than a year after today:
    such a date is a typo (2199 for 2019), and once saved it is billed and sits in every report."""
    return reader.date("work_date", "Date", earliest=EARLIEST_WORK_DATE, latest=_a_year_after(today))


def _a_year_after(day: date) -> date:
    return date(day.year + 1, 2, 28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year + 1)


@dataclass(frozen=True)
class Typed:
    """What was typed into the entry form, and what was wrong with it. The form that shows it again
    reads its client and service lists only when it is shown: a saved entry shows a blank form."""

    person_id: int
    values: dict[str, str]
    errors: dict[str, str]
    client_id: int | None
    entry_id: int | None  # editing this entry
    version: int | None  # the version the user read, when editing
    # The edited entry's client as saved: offered even once churned (no new entry may have it).
    saved_client_id: int | None = None
    loaded: dict[str, str] = field(default_factory=dict)  # editing: the values the form was loaded with

    @classmethod
    def of(cls, entry: Entry) -> Typed:
        """A saved entry, as if typed: for its edit form."""
        values = values_of(entry)
        return cls(entry.user_id, values, {}, entry.client_id, entry.id, entry.version, entry.client_id, values)

    @property
    def touched(self) -> set[str]:
        """The fields changed since the form was loaded."""
        return touched_fields(self.values, self.loaded)

    async def form(self, state: AppState, **changes: Any) -> EntryForm:
        services = await entries.service_choices(state.db, self.client_id, state.today()) if self.client_id else []
        form = EntryForm(
            person_id=self.person_id,
            values=self.values,
            errors=self.errors,
            clients=await client_choices(state, self.person_id, self.saved_client_id),
            services=services,
            entry_id=self.entry_id,
            # As submitted: re-showing the current one would let a resubmit overwrite someone else's
            # change unnoticed.
            version=self.version,
            loaded=self.loaded,
        )
        return replace(form, **changes)


async def read_entry(request: Request, data: FormData, editing: Entry | None = None) -> tuple[EntryInput | None, Typed]:
    reader = FormReader(data)  # type: ignore[arg-type]
    viewer = signed_in(request)
    person_id = editing.user_id if editing else (reader.id("user_id", "Person", required=False) or viewer.id)
    work_date = _work_date(reader, AppState.of(request).today())
    client_id = reader.id("client_id", "Client")
    service_id = reader.id("service_id", "Service", required=False)
    minutes = reader.duration_minutes("duration", "Duration")
    description = reader.text("description", "Description", required=False, max_length=2000)
    billable = reader.checkbox("billable")
    version = reader.version() if editing else None
    typed = Typed(
        person_id,
        {k: reader.raw(k) for k in ENTRY_FIELDS},
        reader.errors,
        client_id,
        editing.id if editing else None,
        version,
        editing.client_id if editing else None,
        reader.loaded() if editing else {},
    )
    if reader.errors or work_date is None or client_id is None or minutes is None:
        return None, typed
    return EntryInput(person_id, client_id, service_id, work_date, minutes, billable, description), typed


ENTRY_FIELDS = ("work_date", "client_id", "service_id", "duration", "description", "billable")


def values_of(entry: Entry) -> dict[str, str]:
    return {
        "work_date": entry.work_date.isoformat(),
        "client_id": str(entry.client_id),
        "service_id": str(entry.service_id or ""),
        "duration": format_hours(entry.minutes, unit=False),
        "description": entry.description,
        "billable": "on" if entry.billable else "",
    }


def form_response(request: Request, form: EntryForm, *, status_code: int = 200, changed: bool = False) -> Response:
    response = render_page(request, "timesheet-entry-form.html", FormFragment(form), status_code=status_code)
    if changed:
        trigger(response, ENTRIES_CHANGED)  # the week and summaries reload themselves
    return response


@dataclass(frozen=True)
class FormFragment:
    form: EntryForm
