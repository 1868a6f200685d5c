"""The dashboard page: the shell only. Figures arrive as partials (see web/registry.py)."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import TypeVar

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from web.auth.csrf import csrf_token
from web.auth.guard import signed_in
from web.dashboard.cards import CARDS
from web.dashboard.client_list import LIST
from web.dashboard.filters import PAGE_SIZES, parse_filters
from web.partial import BadInput
from web.periods import PERIOD_LABELS
from web.queries.clients import Manager, account_managers
from web.queries.scope import CLIENT_STATUSES
from web.responses import page_html, render_page, render_template
from web.state import AppState
from web.streaming import page_response

T = TypeVar("T")


@dataclass(frozen=True)
class FilterForm:
    values: dict[str, str]  # as typed, so a wrong value is shown back for correcting
    errors: dict[str, str]
    managers: list[Manager]
    periods: list[tuple[str, str]] = field(default_factory=lambda: list(PERIOD_LABELS.items()))
    statuses: tuple[str, ...] = CLIENT_STATUSES
    page_sizes: tuple[int, ...] = PAGE_SIZES


@dataclass(frozen=True)
class DashboardPage:
    """What dashboard-main.html shows: the same for everyone asking with the same filters."""

    form: FilterForm
    cards: list[Markup]
    client_list: Markup | None
    show_timings: bool = False  # ?timings=1, for admins: the page waterfall


@dataclass(frozen=True)
class DashboardShell:
    main: Markup  # dashboard-main.html, rendered


def _managers_key(state: AppState) -> str:
    return "managers:" + state.registry.versions.key(("epoch", "all"))


async def _managers(state: AppState) -> list[Manager]:
    """The account managers for the filter, read again only after a write (a new cache version)."""
    key = _managers_key(state)
    managers: list[Manager] | None = state.memo.get(key)
    if managers is None:
        state.memo.clear()
        managers = state.memo[key] = await account_managers(state.db)
    return managers


async def dashboard(request: Request) -> Response:
    state = AppState.of(request)
    today = state.today()
    managers = await _managers(state)
    values = {k: v[:200] for k, v in request.query_params.items() if k not in ("timings", "costs")}
    values.setdefault("period", "custom" if values.get("from") or values.get("to") else "this_month")
    user = signed_in(request)
    # The list's costs and margins are admins' (DashboardFilters.costs): set by role, not by address.
    query = {k: v for k, v in request.query_params.items() if k != "costs"}
    if user.role == "admin":
        query["costs"] = "1"
    try:
        filters = parse_filters(query, today)
        if filters.manager_id is not None and filters.manager_id not in {m.id for m in managers}:
            raise BadInput({"manager": f"There is no account manager with id {filters.manager_id}."})
    except BadInput as exc:
        page = DashboardPage(FilterForm(values, exc.errors, managers), [], None)
        return render_page(request, "dashboard.html", _shell(state, page), status_code=400)
    registry = state.registry
    if filters.sort == "name":
        # Name order needs no figures, so the rows' placeholders come with the shell.
        client_list = Markup((await registry.render(LIST, filters, today, user.role)).html)
    else:
        client_list = registry.placeholder(LIST, filters)
    show_timings = request.query_params.get("timings") == "1" and user.role == "admin"
    # The shell's content is rendered once per filter set, list and cache version (the managers'
    # key carries the versions; their change clears state.memo), and the page around it once per
    # session (the layout shows the user and the session's CSRF token).
    key = ("shell", _managers_key(state), tuple(values.items()), today, filters.costs, client_list, show_timings)
    page_key = (key, user, csrf_token(request))
    html: str | None = state.memo.get(page_key)
    if html is None:
        main: Markup | None = state.memo.get(key)
        if main is None:
            no_costs = filters.with_changes(costs=False)  # the cards' addresses: the same for everyone
            cards = [registry.placeholder(card, no_costs) for card in CARDS]
            page = DashboardPage(FilterForm(values, {}, managers), cards, client_list, show_timings)
            main = _remember(state, key, _shell(state, page).main)
        html = _remember(state, page_key, page_html(request, "dashboard.html", DashboardShell(main)))
    return page_response(request, html, events=True, timings=show_timings)


def _remember(state: AppState, key: object, value: T) -> T:
    with suppress(ValueError):  # larger than the whole memo: not kept
        state.memo[key] = value
    return value


def _shell(state: AppState, page: DashboardPage) -> DashboardShell:
    return DashboardShell(Markup(render_template(state.env, "dashboard-main.html", page)))
