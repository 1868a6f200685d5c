"""The client page, and creating and changing clients and their services (admins)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from web.auth.guard import current_user, refusal
from web.clients.history import HistoryLine, history_lines
from web.clients.partials import PARTIALS, ClientParams
from web.dashboard.client_list import period_query
from web.dashboard.filters import parse_filters
from web.forms import MAX_RATE_CENTS, FormReader, changed_fields, not_saved
from web.htmx import CLIENT_CHANGED, redirect, trigger, wants_fragment
from web.partial import BadInput
from web.periods import PERIOD_LABELS
from web.queries import clients, services
from web.queries.changes import ChangeSet, Conflict, recording
from web.queries.clients import ClientDetail, ClientInput, InvalidClient, Manager
from web.queries.scope import CLIENT_STATUSES
from web.queries.services import KIND_LABELS, KINDS, Service, ServiceInput
from web.queries.users import staff_list
from web.responses import message, render_page
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


async def client_page(request: Request) -> Response:
    state = AppState.of(request)
    viewer = await current_user(request)
    assert viewer is not None
    client_id = request.path_params["client_id"]
    detail = await clients.client_detail(state.db, client_id) if 0 < client_id < 2**63 else None
    if detail is None:
        return refusal(request, 404, f"There is no client with id {client_id}.")
    try:
        filters = parse_filters(request.query_params, state.today())
    except BadInput as exc:
        return refusal(request, 400, str(exc))
    params = ClientParams(detail.id, filters.period, period_query(filters))
    placeholders = [state.registry.placeholder(p, params) for p in PARTIALS]
    form = history = None
    if viewer.role == "admin":
        managers = await _managers(state, keep=detail.manager_id)
        values = _values_of(detail)
        form = ClientForm(f"/clients/{detail.id}", values, {}, managers, detail.version, loaded=values)
        history = history_lines(await clients.client_history(state.db, detail.id))
    url = f"/clients/{detail.id}?{urlencode(params.period_query)}"
    periods = list(PERIOD_LABELS.items())[:-1]
    if filters.period.name == "custom":  # from a dashboard link: shown as its dates, kept until changed
        periods.append(("custom", filters.period.label))
    page = ClientPage(detail, filters.period.name, periods, placeholders, form, history or [], url, params.period_query)
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
    form = ClientForm("/clients", reader.values, reader.errors, await _managers(state))
    if parsed is None:
        return _new_client_form(request, form)
    viewer = await current_user(request)
    assert viewer is not None
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
    parsed = _read_client(reader)
    version = reader.version()
    # The manager as chosen, even when another field is wrong: a disabled one must stay offered.
    managers = await _managers(state, keep=parsed.manager_id if parsed else reader.typed_id("manager_id"))
    form = ClientForm(f"/clients/{client_id}", reader.values, reader.errors, managers, version, loaded=reader.loaded())
    if parsed is None or version is None:
        return _client_form(request, form, 422)
    viewer = await current_user(request)
    assert viewer is not None
    try:
        async with recording(state.db, state.registry.versions, viewer.id) as changes:
            await clients.update_client(state.db, changes, client_id, version, parsed)
    except InvalidClient as exc:
        return _client_form(request, replace(form, errors={exc.field: str(exc)}), 422)
    except Conflict as exc:
        current = await clients.client_detail(state.db, client_id)
        if current is None:
            return refusal(request, 404, str(exc))
        managers = await _managers(state, keep=current.manager_id)
        names = {str(m.id): m.name for m in form.managers}  # offered with yours kept (see _managers)
        theirs_values = _values_of(current)
        yours = not_saved(
            changed_fields(
                _client_values(parsed.name, parsed.status, parsed.manager_id, parsed.hourly_rate_cents),
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
    values = _values_of(saved)
    done = ClientForm(form.action, values, {}, managers, saved.version, "Saved.", loaded=values)
    response = _client_form(request, done, 200)
    trigger(response, CLIENT_CHANGED)
    return response


@dataclass(frozen=True)
class ClientFormFragment:
    form: ClientForm


def _client_form(request: Request, form: ClientForm, status_code: int) -> Response:
    return render_page(request, "client-form.html", ClientFormFragment(form), status_code=status_code)


def _read_client(reader: FormReader) -> ClientInput | None:
    name = clients.visible_name(reader.text("name", "Name"))
    if not name and "name" not in reader.errors:
        reader.fail("name", "Name is required: it has no visible characters.")
    status = reader.choice("status", "Status", CLIENT_STATUSES)
    manager_id = reader.id("manager_id", "Account manager", required=False)
    rate = reader.money_cents("hourly_rate", "Hourly rate", required=False, maximum=MAX_RATE_CENTS)
    if reader.errors:
        return None
    return ClientInput(name, status, manager_id, rate)


def _values_of(detail: ClientDetail) -> dict[str, str]:
    return _client_values(detail.name, detail.status, detail.manager_id, detail.hourly_rate_cents)


def _client_values(name: str, status: str, manager_id: int | None, rate_cents: int | None) -> dict[str, str]:
    """A client's fields as its form shows them."""
    rate = "" if rate_cents is None else f"{rate_cents / 100:.2f}"
    return {"name": name, "status": status, "manager_id": str(manager_id or ""), "hourly_rate": rate}


_CLIENT_LABELS = {"name": "name", "status": "status", "manager_id": "account manager", "hourly_rate": "hourly rate"}


async def _managers(state: AppState, keep: int | None = None) -> list[Manager]:
    """Who can manage a client: the enabled staff, and `keep` (the client's manager) even once
    disabled, so that saving the client's other fields does not drop them unasked."""
    people = await staff_list(state.db, including=keep)
    return [Manager(u.id, f"{u.name} (disabled)" if u.disabled else u.name) for u in people]


# Section: services


@dataclass(frozen=True)
class ServiceForm:
    action: str
    values: dict[str, str]
    errors: dict[str, str]
    version: int | None = None
    message: str | None = None
    message_is_error: bool = False
    kinds: tuple[str, ...] = KINDS
    loaded: dict[str, str] = field(default_factory=dict)  # editing: the values as loaded (see forms.LOADED)

    @property
    def blank_url(self) -> str:
        """A new service's form, for Cancel while editing (the action is /clients/<id>/services/<service id>)."""
        return self.action.rsplit("/", 1)[0] + "/new"


@dataclass(frozen=True)
class ServiceFormFragment:
    form: ServiceForm


async def new_service_form(request: Request) -> Response:
    state = AppState.of(request)
    client_id = request.path_params["client_id"]
    if await clients.get_client(state.db, client_id) is None:
        return refusal(request, 404, f"There is no client with id {client_id}.")
    form = _new_service_form(client_id, state.today())
    return render_page(request, "service-form.html", ServiceFormFragment(form))


async def edit_service_form(request: Request) -> Response:
    client_id, service = await _service(request)
    if service is None:
        return refusal(request, 404, _no_such_service(request))
    values = _service_values(service)
    form = ServiceForm(f"/clients/{client_id}/services/{service.id}", values, {}, service.version, loaded=values)
    return render_page(request, "service-form.html", ServiceFormFragment(form))


async def save_service(request: Request) -> Response:
    """Add a service (no service id in the path) or edit one."""
    state = AppState.of(request)
    client_id = request.path_params["client_id"]
    service_id = request.path_params.get("service_id")
    if await clients.get_client(state.db, client_id) is None:
        return refusal(request, 404, f"There is no client with id {client_id}.")
    if service_id is not None and (await _service(request))[1] is None:
        # Another client's service (or none): a wrong URL, not a service someone deleted meanwhile.
        missing = _new_service_form(client_id, state.today(), notice=_no_such_service(request), is_error=True)
        return _service_form(request, missing, 404)
    reader = FormReader(await request.form())  # type: ignore[arg-type]
    parsed = _read_service(reader)
    version = reader.version() if service_id else None
    action = f"/clients/{client_id}/services" + (f"/{service_id}" if service_id else "")
    form = ServiceForm(action, reader.values, reader.errors, version, loaded=reader.loaded())
    if parsed is None or (service_id and version is None):
        return _service_form(request, form, 422)
    viewer = await current_user(request)
    assert viewer is not None
    try:
        async with recording(state.db, state.registry.versions, viewer.id) as changes:
            if service_id is None:
                await services.add_service(state.db, changes, client_id, parsed)
            else:
                assert version is not None
                await services.update_service(state.db, changes, client_id, service_id, version, parsed)
    except Conflict as exc:
        _, current = await _service(request)
        if current is None:
            return message(request, str(exc), status_code=409, trigger=CLIENT_CHANGED)
        theirs = _service_values(current)
        touched = reader.touched(_SERVICE_LABELS)
        yours = not_saved(
            changed_fields(_service_values(parsed), theirs, _SERVICE_LABELS, touched, {"kind": KIND_LABELS.__getitem__})
        )
        shown = ServiceForm(action, theirs, {}, current.version, str(exc) + yours, True, loaded=theirs)
        return _service_form(request, shown, 409, changed=True)  # the services list shows theirs too
    blank = _new_service_form(client_id, state.today(), kind=parsed.kind, notice=f"Saved {parsed.name}.")
    return _service_form(request, blank, 200, changed=True)


# A write behind one of a service's buttons, given the service and the version the page showed; it
# returns what to tell the user.
ServiceChange = Callable[[ChangeSet, int, Service, int], Awaitable[str]]


async def end_service(request: Request) -> Response:
    db = AppState.of(request).db
    reader = FormReader(await request.form())  # type: ignore[arg-type]
    end = reader.date("end_date", "End date")

    async def end_it(changes: ChangeSet, client_id: int, service: Service, version: int) -> str:
        assert end is not None  # else the reader has an error and nothing is written
        await services.set_end_date(db, changes, client_id, service.id, version, end)
        return f"Ended {service.name} on {end.isoformat()}."

    return await _change_service(request, reader, end_it)


async def reactivate_service(request: Request) -> Response:
    state = AppState.of(request)
    reader = FormReader(await request.form())  # type: ignore[arg-type]
    today = state.today()

    async def reactivate(changes: ChangeSet, client_id: int, service: Service, version: int) -> str:
        billing = await services.reactivate(state.db, changes, client_id, service.id, version, today)
        if billing == service.id:
            return f"Reactivated {service.name}."
        return f"Reactivated {service.name} from {today.isoformat()}; its ended run stays listed as history."

    return await _change_service(request, reader, reactivate)


async def _change_service(request: Request, reader: FormReader, change: ServiceChange) -> Response:
    """Run `change` in one recorded transaction; a conflict reloads the services with their current versions."""
    state = AppState.of(request)
    client_id, service = await _service(request)
    if service is None:
        return message(request, _no_such_service(request), status_code=404)
    version = reader.version()
    if reader.errors or version is None:
        return message(request, " ".join(reader.errors.values()), status_code=422)
    viewer = await current_user(request)
    assert viewer is not None
    try:
        async with recording(state.db, state.registry.versions, viewer.id) as changes:
            done = await change(changes, client_id, service, version)
    except Conflict as exc:
        # No form shows their version here: the services list reloads with it.
        text = (
            f"{service.name} was changed by someone else meanwhile; the list now shows it as it is. "
            "Try again if it is still needed."
            if exc.current is not None
            else str(exc)
        )
        return message(request, text, status_code=409, trigger=CLIENT_CHANGED)
    except ValueError as exc:
        return message(request, str(exc), status_code=422)
    return message(request, done, trigger=CLIENT_CHANGED)


async def _service(request: Request) -> tuple[int, Service | None]:
    """The client in the path, and the service in the path if it is that client's."""
    client_id = request.path_params["client_id"]
    service_id = request.path_params["service_id"]
    found = [s for s in await services.client_services(AppState.of(request).db, client_id) if s.id == service_id]
    return client_id, (found[0] if found else None)


def _no_such_service(request: Request) -> str:
    return f"There is no service {request.path_params['service_id']} for this client."


def _new_service_form(
    client_id: int, today: date, *, kind: str = "recurring", notice: str | None = None, is_error: bool = False
) -> ServiceForm:
    """An empty form to add a service, starting today; `notice` says what became of the last one."""
    values = {"kind": kind, "start_date": today.isoformat()}
    return ServiceForm(f"/clients/{client_id}/services", values, {}, message=notice, message_is_error=is_error)


def _read_service(reader: FormReader) -> ServiceInput | None:
    name = reader.text("name", "Name")
    kind = reader.choice("kind", "Kind", KINDS)
    label = {"recurring": "Monthly price", "one_off": "Price", "hourly": "Hourly rate"}.get(kind, "Price")
    maximum = MAX_RATE_CENTS if kind == "hourly" else 10_000_000_000
    price = reader.money_cents("price", label, maximum=maximum)
    start = reader.date("start_date", "Date" if kind == "one_off" else "Start date")
    end = reader.date("end_date", "End date", required=False)
    if kind == "one_off" and end:
        # Said rather than dropped: a one-off is delivered on its date and bills once.
        reader.fail("end_date", "A one-off service has no end date (it bills once, on its date); leave End empty.")
    elif start and end and end < start:
        reader.fail("end_date", "The end date must be on or after the start date.")
    if reader.errors or price is None or start is None:
        return None
    return ServiceInput(name, kind, price, start, end)


def _service_values(service: Service | ServiceInput) -> dict[str, str]:
    """A service's fields as its form shows them."""
    return {
        "name": service.name,
        "kind": service.kind,
        "price": f"{service.price_cents / 100:.2f}",
        "start_date": service.start_date.isoformat(),
        "end_date": service.end_date.isoformat() if service.end_date else "",
    }


_SERVICE_LABELS = {"name": "name", "kind": "kind", "price": "price", "start_date": "start date", "end_date": "end date"}


def _service_form(request: Request, form: ServiceForm, status_code: int, *, changed: bool = False) -> Response:
    response = render_page(request, "service-form.html", ServiceFormFragment(form), status_code=status_code)
    if changed:
        trigger(response, CLIENT_CHANGED)
    return response
