"""The client page, and creating and changing clients (admins); their services: web/clients/service_views.py."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from web.auth.guard import allows, signed_in
from web.clients.history import HistoryLine, history_lines
from web.clients.partials import PARTIALS, ClientParams
from web.dashboard.client_list import period_query
from web.dashboard.filters import parse_filters
from web.forms import MAX_RATE_CENTS, FormReader, changed_fields, not_saved
from web.htmx import CLIENT_CHANGED, redirect, trigger, wants_fragment
from web.partial import BadInput
from web.periods import PERIOD_LABELS, Month
from web.queries import clients, statuses
from web.queries.changes import Conflict, recording
from web.queries.clients import ClientDetail, ClientInput, InvalidClient, Manager
from web.queries.history import client_history
from web.queries.scope import CLIENT_STATUSES
from web.queries.statuses import StatusRun
from web.queries.users import staff_list
from web.responses import Refused, render_page
from web.state import AppState
from web.streaming import render_streamed

# Section: the client page


@dataclass(frozen=True)
class ClientForm:
    action: str  # where the form posts
    values: dict[str, str]
    errors: dict[str, str]
    managers: list[Manager]
    version: int | None = None  # editing; None: a new client
    message: str | None = None
    message_is_error: bool = False
    statuses: tuple[str, ...] = CLIENT_STATUSES
    loaded: dict[str, str] = field(default_factory=dict)  # editing: the values as loaded (see forms.LOADED)
    confirm: bool = False  # a rate or status change from a month gone by, said in `message`: sent again, saved


@dataclass(frozen=True)
class ClientPage:
    client: ClientDetail
    period: str
    periods: list[tuple[str, str]]
    partials: list[Markup]
    form: ClientForm | None  # admins only
    history: list[HistoryLine]  # admins only: the audit trail, newest first
    url: str  # this page for this period: its head and history reload from it after an edit
    period_query: dict[str, str]  # the period as asked for: period, and from and to for a custom one
    today: date  # the rate in effect today is the one shown
    statuses: list[StatusRun]  # first to now: the first is the client's start


async def client_page(request: Request) -> Response:
    state = AppState.of(request)
    viewer = signed_in(request)
    client_id = request.path_params["client_id"]
    detail = await clients.client_detail(state.db, client_id) if 0 < client_id < 2**63 else None
    if detail is None:
        raise Refused(404, f"There is no client with id {client_id}.")
    try:
        filters = parse_filters(request.query_params, state.today())
    except BadInput as exc:
        raise Refused(400, str(exc)) from None
    params = ClientParams(detail.id, filters.period, period_query(filters))
    placeholders = [state.registry.placeholder(p, params) for p in PARTIALS if allows(viewer.role, p.role)]
    form = history = None
    if viewer.role == "admin":
        managers = await _managers(state, keep=detail.manager_id)
        values = _values_of(detail, state.today())
        form = ClientForm(f"/clients/{detail.id}", values, {}, managers, detail.version, loaded=values)
        history = history_lines(await client_history(state.db, detail.id))
    url = f"/clients/{detail.id}?{urlencode(params.period_query)}"
    periods = list(PERIOD_LABELS.items())[:-1]
    if filters.period.name == "custom":  # from a dashboard link: shown as its dates, kept until changed
        periods.append(("custom", filters.period.label))
    page = ClientPage(
        detail,
        filters.period.name,
        periods,
        placeholders,
        form,
        history or [],
        url,
        params.period_query,
        state.today(),
        await statuses.status_runs(state.db, detail.id),
    )
    return render_streamed(request, "client.html", page)


# Section: creating and editing clients


@dataclass(frozen=True)
class NewClientPage:
    form: ClientForm


async def new_client_page(request: Request) -> Response:
    form = ClientForm("/clients", {"status": "lead"}, {}, await _managers(AppState.of(request)))
    return render_page(request, "client-new.html", NewClientPage(form))


async def create_client(request: Request) -> Response:
    state = AppState.of(request)
    reader = FormReader(await request.form())  # type: ignore[arg-type]
    parsed = _read_client(reader)
    if parsed is not None:
        parsed = replace(parsed, status_from=state.today())  # the client's start: today, where the app is
    form = ClientForm("/clients", reader.values, reader.errors, await _managers(state))
    if parsed is None:
        return _new_client_form(request, form)
    viewer = signed_in(request)
    try:
        async with recording(state.db, state.registry.versions, viewer.id) as changes:
            client_id = await clients.create_client(state.db, changes, parsed)
    except InvalidClient as exc:
        return _new_client_form(request, replace(form, errors={exc.field: str(exc)}))
    return redirect(request, f"/clients/{client_id}")


def _new_client_form(request: Request, form: ClientForm) -> Response:
    """The form again, with what was wrong: htmx swaps the form alone; without JavaScript, the page."""
    if wants_fragment(request):
        return _client_form(request, form, 422)
    return render_page(request, "client-new.html", NewClientPage(form), status_code=422)


async def update_client(request: Request) -> Response:
    state = AppState.of(request)
    client_id = request.path_params["client_id"]
    data = await request.form()
    reader = FormReader(data)  # type: ignore[arg-type]
    today = state.today()
    parsed = _read_client(reader, today)
    version = reader.version()
    # The manager as chosen, even when another field is wrong: a disabled one must stay offered.
    managers = await _managers(state, keep=parsed.manager_id if parsed else reader.typed_id("manager_id"))
    form = ClientForm(f"/clients/{client_id}", reader.values, reader.errors, managers, version, loaded=reader.loaded())
    if parsed is None or version is None:
        return _client_form(request, form, 422)
    if reader.raw("confirm") != "1" and (warning := await _past_change_warning(state, client_id, parsed, today)):
        return _client_form(request, replace(form, message=warning, confirm=True), 200)
    viewer = signed_in(request)
    try:
        async with recording(state.db, state.registry.versions, viewer.id) as changes:
            await clients.update_client(state.db, changes, client_id, version, parsed)
    except InvalidClient as exc:
        return _client_form(request, replace(form, errors={exc.field: str(exc)}), 422)
    except Conflict as exc:
        current = await clients.client_detail(state.db, client_id)
        if current is None:
            raise Refused(404, str(exc)) from None
        managers = await _managers(state, keep=current.manager_id)
        names = {str(m.id): m.name for m in form.managers}  # offered with yours kept (see _managers)
        theirs_values = _values_of(current, today)
        yours = not_saved(
            changed_fields(
                _client_values(
                    parsed.name,
                    parsed.status,
                    parsed.manager_id,
                    parsed.hourly_rate_cents,
                    parsed.rate_from,
                    parsed.status_from,
                ),
                theirs_values,
                _CLIENT_LABELS,
                reader.touched(_CLIENT_LABELS),
                {"status": str.capitalize, "manager_id": lambda id_: names.get(id_, f"#{id_}")},
            )
        )
        message = str(exc) + yours
        theirs = ClientForm(
            form.action, theirs_values, {}, managers, current.version, message, True, loaded=theirs_values
        )
        # The rest of the page shows the client as it was too: it reloads, as after a save.
        return trigger(_client_form(request, theirs, 409), CLIENT_CHANGED)
    saved = await clients.client_detail(state.db, client_id)
    assert saved is not None
    values = _values_of(saved, today)
    done = ClientForm(form.action, values, {}, managers, saved.version, "Saved.", loaded=values)
    response = _client_form(request, done, 200)
    trigger(response, CLIENT_CHANGED)
    return response


@dataclass(frozen=True)
class ClientFormFragment:
    form: ClientForm


def _client_form(request: Request, form: ClientForm, status_code: int) -> Response:
    return render_page(request, "client-form.html", ClientFormFragment(form), status_code=status_code)


def _read_client(reader: FormReader, editing_on: date | None = None) -> ClientInput | None:
    """The form's client; editing (`editing_on` today), the day a changed rate applies from, today
    when left empty."""
    name = clients.visible_name(reader.text("name", "Name"))
    if not name and "name" not in reader.errors:
        reader.fail("name", "Name is required: it has no visible characters.")
    status = reader.choice("status", "Status", CLIENT_STATUSES)
    manager_id = reader.id("manager_id", "Account manager", required=False)
    rate = reader.money_cents("hourly_rate", "Hourly rate", required=False, maximum=MAX_RATE_CENTS)
    rate_from = status_from = None
    if editing_on is not None:
        rate_from = reader.date("rate_from", "New rate from", required=False) or editing_on
        status_from = reader.date("status_from", "Status from", required=False) or editing_on
        if status_from > editing_on:
            reader.fail("status_from", "A new status takes effect today or on a day gone by, not ahead.")
    if reader.errors:
        return None
    return ClientInput(name, status, manager_id, rate, rate_from, status_from)


async def _past_change_warning(state: AppState, client_id: int, edited: ClientInput, today: date) -> str | None:
    """What a rate or status change from a month gone by does, to be confirmed; None for any other
    edit (most: no read of the client before saving)."""
    this_month = Month.of(today).first_day
    rate_since, status_since = edited.rate_from, edited.status_from
    if (rate_since is None or rate_since >= this_month) and (status_since is None or status_since >= this_month):
        return None
    saved = await clients.client_detail(state.db, client_id)
    if saved is None:
        return None
    warnings = []
    if rate_since is not None and rate_since < this_month and saved.rate_on(rate_since) != edited.hourly_rate_cents:
        warnings.append(
            f"The new rate applies from {rate_since:%-d %b %Y}: time logged from now on for days since then takes"
            " it, though those months were reported (time already logged keeps its rate)."
        )
    if status_since is not None and status_since < this_month and saved.status != edited.status:
        last = await statuses.last_change(state.db, client_id)
        if last is not None and status_since < last:
            return None  # refused on saving, with its reason: nothing to confirm
        warnings.append(
            f"The status is {edited.status} from {status_since:%-d %b %Y}: the active, new and churned clients"
            " of months already reported change with it."
        )
    return " ".join(warnings) + " Save again to confirm." if warnings else None


def _values_of(detail: ClientDetail, today: date) -> dict[str, str]:
    return _client_values(detail.name, detail.status, detail.manager_id, detail.rate_on(today), today, today)


def _client_values(
    name: str,
    status: str,
    manager_id: int | None,
    rate_cents: int | None,
    rate_from: date | None,
    status_from: date | None,
) -> dict[str, str]:
    """A client's fields as its form shows them: its rate as it is today, a new rate or status to
    take effect from today unless another day is picked."""
    rate = "" if rate_cents is None else f"{rate_cents / 100:.2f}"
    values = {"name": name, "status": status, "manager_id": str(manager_id or ""), "hourly_rate": rate}
    days = {"rate_from": rate_from, "status_from": status_from}
    return values | {name: day.isoformat() for name, day in days.items() if day}


_CLIENT_LABELS = {
    "name": "name",
    "status": "status",
    "manager_id": "account manager",
    "hourly_rate": "hourly rate",
    "rate_from": "new rate from",
    "status_from": "status from",
}


async def _managers(state: AppState, keep: int | None = None) -> list[Manager]:
    """Who can manage a client: the enabled staff, and `keep` (the client's manager) even once
    disabled, so that saving the client's other fields does not drop them unasked."""
    people = await staff_list(state.db, including=keep)
    return [Manager(u.id, f"{u.name} (disabled)" if u.disabled else u.name) for u in people]
