"""A client's services (admins): the form to add or edit one, saving it, ending it and bringing it back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date

from starlette.requests import Request
from starlette.responses import Response

from web.auth.guard import signed_in
from web.forms import MAX_RATE_CENTS, FormReader, changed_fields, not_saved
from web.htmx import CLIENT_CHANGED, trigger
from web.periods import Month
from web.queries import clients, services
from web.queries.changes import ChangeSet, Conflict, recording
from web.queries.services import KIND_LABELS, KINDS, Service, ServiceInput
from web.responses import Refused, message, render_page
from web.state import AppState

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
    dated_price: bool = False  # editing a retainer: its price changes from a month on (price_from)
    confirm: bool = False  # a price change into a month gone by, said in `message`: sent again, it is saved

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
        raise Refused(404, f"There is no client with id {client_id}.")
    form = _new_service_form(client_id, state.today())
    return render_page(request, "service-form.html", ServiceFormFragment(form))


async def edit_service_form(request: Request) -> Response:
    client_id, service = await _service(request)
    if service is None:
        raise Refused(404, _no_such_service(request))
    values = _service_values(service, AppState.of(request).today())
    form = ServiceForm(
        f"/clients/{client_id}/services/{service.id}",
        values,
        {},
        service.version,
        loaded=values,
        dated_price=service.kind == "recurring",
    )
    return render_page(request, "service-form.html", ServiceFormFragment(form))


async def save_service(request: Request) -> Response:
    """Add a service (no service id in the path) or edit one."""
    state = AppState.of(request)
    client_id = request.path_params["client_id"]
    service_id = request.path_params.get("service_id")
    if await clients.get_client(state.db, client_id) is None:
        raise Refused(404, f"There is no client with id {client_id}.")
    today = state.today()
    saved = (await _service(request))[1] if service_id is not None else None
    if service_id is not None and saved is None:
        # Another client's service (or none): a wrong URL, not a service someone deleted meanwhile.
        missing = _new_service_form(client_id, today, notice=_no_such_service(request), is_error=True)
        return _service_form(request, missing, 404)
    reader = FormReader(await request.form())  # type: ignore[arg-type]
    dated = saved is not None and saved.kind == "recurring"
    parsed = _read_service(reader, today if dated else None)
    version = reader.version() if service_id else None
    action = f"/clients/{client_id}/services" + (f"/{service_id}" if service_id else "")
    form = ServiceForm(action, reader.values, reader.errors, version, loaded=reader.loaded(), dated_price=dated)
    if parsed is None or (service_id and version is None):
        return _service_form(request, form, 422)
    if saved is not None and _rewrites_the_past(saved, parsed, today) and reader.raw("confirm") != "1":
        return _service_form(request, replace(form, message=_past_price_warning(parsed, today), confirm=True), 200)
    viewer = signed_in(request)
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
        theirs = _service_values(current, today)
        touched = reader.touched(_SERVICE_LABELS)
        yours = not_saved(
            changed_fields(
                _service_values(parsed, today), theirs, _SERVICE_LABELS, touched, {"kind": KIND_LABELS.__getitem__}
            )
        )
        shown = ServiceForm(
            action, theirs, {}, current.version, str(exc) + yours, True, loaded=theirs, dated_price=dated
        )
        return _service_form(request, shown, 409, changed=True)  # the services list shows theirs too
    blank = _new_service_form(client_id, today, kind=parsed.kind, notice=f"Saved {parsed.name}.")
    return _service_form(request, blank, 200, changed=True)


def _rewrites_the_past(saved: Service, edited: ServiceInput, today: date) -> bool:
    """A retainer's new price from a month before this one: revenue already reported changes."""
    start = edited.price_from
    return (
        start is not None
        and start < Month.of(today).first_day
        and edited.kind == "recurring"
        and saved.price_on(start) != edited.price_cents
    )


def _past_price_warning(edited: ServiceInput, today: date) -> str:
    assert edited.price_from is not None
    since, until = Month.of(edited.price_from), Month.of(today).plus(-1)
    months = since.label if since == until else f"{since.label} – {until.label}"
    return (
        f"The new price applies from {since.label}: the revenue of {months}, already reported, changes with it."
        " Save again to confirm, or pick this month."
    )


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
    viewer = signed_in(request)
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


def _read_service(reader: FormReader, dated_from: date | None = None) -> ServiceInput | None:
    """The form's service; with `dated_from` (today, editing a retainer) the month its price applies
    from, this month when left empty."""
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
    price_from = None
    if dated_from is not None and kind == "recurring":
        price_from = reader.month("price_from", "New price from", default=Month.of(dated_from).first_day)
    if reader.errors or price is None or start is None:
        return None
    return ServiceInput(name, kind, price, start, end, price_from)


def _service_values(service: Service | ServiceInput, today: date) -> dict[str, str]:
    """A service's fields as its form shows them: a retainer's price as it is today, to change from
    this month unless another is picked."""
    price = service.shown_price(today) if isinstance(service, Service) else service.price_cents
    values = {
        "name": service.name,
        "kind": service.kind,
        "price": f"{price / 100:.2f}",
        "start_date": service.start_date.isoformat(),
        "end_date": service.end_date.isoformat() if service.end_date else "",
    }
    if service.kind == "recurring":
        chosen = service.price_from if isinstance(service, ServiceInput) else None
        values["price_from"] = (chosen or Month.of(today).first_day).strftime("%Y-%m")
    return values


_SERVICE_LABELS = {
    "name": "name",
    "kind": "kind",
    "price": "price",
    "price_from": "new price from",
    "start_date": "start date",
    "end_date": "end date",
}


def _service_form(request: Request, form: ServiceForm, status_code: int, *, changed: bool = False) -> Response:
    response = render_page(request, "service-form.html", ServiceFormFragment(form), status_code=status_code)
    if changed:
        trigger(response, CLIENT_CHANGED)
    return response
