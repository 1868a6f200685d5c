"""The dashboard's client list: a page of rows, each row a partial of its own."""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from web import charts
from web.dashboard.filters import SORTS, DashboardFilters, parse_client_id, parse_filters
from web.db import Database
from web.money import format_money
from web.partial import Frame, NotFound, Partial, Prefill
from web.periods import Month, Period, trailing_months
from web.queries import clients, costs, figures
from web.queries.clients import ClientSummary
from web.queries.costs import Cost, Margin
from web.queries.totals import Figures, MonthRevenue

# Client row


@dataclass(frozen=True)
class RowParams:
    client_id: int
    period: Period
    filters_query: dict[str, str]  # the period as the page asked for it, to re-request the row
    costs: bool = False  # with the client's cost and gross margin (admins: see DashboardFilters.costs)

    def query(self) -> dict[str, str]:
        return {"client": str(self.client_id), **self.filters_query, **({"costs": "1"} if self.costs else {})}


@dataclass(frozen=True)
class ClientRow:
    client: ClientSummary
    url: str  # the client's page, for the same period
    revenue_cents: int
    mrr_cents: int
    billable_minutes: int
    minutes: int
    sparkline_points: str  # SVG polyline points of the last 12 months' revenue
    sparkline_label: str  # the same months as text, for screen readers
    margin: Margin | None = None  # asked with costs (admins): revenue less the cost of its time
    uncosted_minutes: int = 0  # with costs: logged by people without a cost rate

    def with_cost(self, cost: Cost | None) -> ClientRow:
        if cost is None:
            return self
        return replace(self, margin=Margin(self.revenue_cents, cost.cost_cents), uncosted_minutes=cost.uncosted_minutes)


def parse_row(query: QueryParams, today: date) -> RowParams:
    client_id = parse_client_id(query)
    f = parse_filters(query, today)
    return RowParams(client_id, f.period, period_query(f), f.costs)


def period_query(f: DashboardFilters) -> dict[str, str]:
    return {k: v for k, v in f.query().items() if k in ("period", "from", "to")}


async def load_row(db: Database, p: RowParams, today: date) -> ClientRow:
    """One row (the registry loads rows asked for together with load_rows instead)."""
    (row,) = await load_rows(db, [p], today)
    if row is None:
        raise NotFound(f"There is no client with id {p.client_id}.")
    return row


async def load_rows(db: Database, rows: Sequence[RowParams], today: date) -> list[ClientRow | None]:
    """Rows in three queries per period among them (clients, their months, their MRR), and a fourth
    for their costs when asked with them, whatever their number; None for a client that does not
    exist (any more)."""
    by_period: defaultdict[Period, list[int]] = defaultdict(list)
    costed: defaultdict[Period, list[int]] = defaultdict(list)  # the rows asked with costs
    for p in rows:
        by_period[p.period].append(p.client_id)
        if p.costs:
            costed[p.period].append(p.client_id)
    loaded, costed_rows = await asyncio.gather(
        asyncio.gather(*(_rows_of(db, ids, period, today) for period, ids in by_period.items())),
        asyncio.gather(*(costs.clients_costs(db, ids, period) for period, ids in costed.items())),
    )
    figures_of = dict(zip(by_period, loaded, strict=True))
    costs_of = dict(zip(costed, costed_rows, strict=True))
    return [
        client_row(*data, p.filters_query).with_cost(costs_of[p.period].get(p.client_id) if p.costs else None)
        if (data := figures_of[p.period].get(p.client_id))
        else None
        for p in rows
    ]


async def _rows_of(
    db: Database, ids: list[int], period: Period, today: date
) -> dict[int, tuple[ClientSummary, Figures, list[MonthRevenue]]]:
    # Side by side: the months of an id that names no client are read and left unused.
    found, months = await asyncio.gather(clients.get_clients(db, ids), figures.client_months(db, ids, period, today))
    return {i: (found[i], months[i].figures, months[i].series) for i in ids if i in found}


def client_row(
    client: ClientSummary, figs: Figures, series: list[MonthRevenue], period_query: dict[str, str]
) -> ClientRow:
    values = [m.revenue_cents for m in series]
    # Each month as the figures are shown everywhere (€4,540, rounded half up), not cut to 4,539.
    label = ", ".join(f"{m.month.label}: {format_money(m.revenue_cents, whole=True)}" for m in series)
    return ClientRow(
        client=client,
        url=f"/clients/{client.id}?{urlencode(period_query)}",
        revenue_cents=figs.revenue_cents,
        mrr_cents=figs.mrr_cents,
        billable_minutes=figs.billable_minutes,
        minutes=figs.minutes,
        sparkline_points=charts.sparkline(values, width=96, height=24),
        sparkline_label=f"Revenue by month: {label}",
    )


def row_dom_id(p: RowParams) -> str:
    return f"client-row-{p.client_id}"


def row_key(p: RowParams) -> str:
    # A row depends on the client and the period only, not on the list's filters; on the period's
    # name too, which its link to the client's page carries (this month is also a custom range);
    # and on costs, so that a row with them is never what a staff member's request finds.
    return f"{p.client_id}|{p.period.name}|{p.period.key()}" + ("|costs" if p.costs else "")


def _sample_row(name: str, revenue: int, values: list[int], cost: Cost | None = None) -> ClientRow:
    """A row as staff see it; with `cost`, as admins do."""
    months = trailing_months(Month(2026, 11), 12)
    series = [MonthRevenue(m, v, 0, 0) for m, v in zip(months, values, strict=True)]
    row = client_row(
        ClientSummary(7, name, "active", "Ada Adler"),
        Figures(recurring_cents=revenue, mrr_cents=revenue // 2, billable_minutes=600, minutes=720),
        series,
        {"period": "this_month"},
    )
    return row.with_cost(cost)


ROW = Partial(
    name="dashboard/client-row",
    parse=parse_row,
    load=load_row,
    load_many=load_rows,
    dom_id=row_dom_id,
    key=row_key,
    cache_kind="client_row",
    admin_params=("costs",),
    depends=lambda p: ("epoch", f"client:{p.client_id}"),
    fixtures={
        "typical": lambda: _sample_row("Northwind Partners", 1_250_000, [5, 6, 7, 6, 8, 9, 7, 8, 9, 10, 11, 12]),
        # As an admin sees it: with its margin, here below zero, and time without a cost rate.
        "extreme": lambda: _sample_row(
            "A client whose name is much longer than anyone expected it to be " * 2,
            99_999_999_999,
            [0] * 11 + [10**12],
            Cost(100_000_000_000, 5_999),
        ),
        "empty": lambda: _sample_row("Quiet Client", 0, [0] * 12),
    },
)

# Client list


@dataclass(frozen=True)
class SortLink:
    key: str
    label: str
    url: str
    active: bool
    descending: bool


@dataclass(frozen=True)
class ClientList:
    rows: list[Frame]  # one loading row per client, each fetching its own figures
    row_params: list[RowParams]  # what those rows ask for, computed as the list is (see LIST.follow)
    total: int
    page: int
    pages: int
    per_page: int
    first_shown: int
    last_shown: int
    sort_links: list[SortLink]
    previous_url: str | None
    next_url: str | None
    last_page_url: str
    export_url: str  # the whole list, with its figures, as CSV


_SORT_LABELS = {
    "name": "Client",
    "revenue": "Revenue",
    "mrr": "MRR",
    "hours": "Hours",
    "rate": "Per hour",
    "margin": "Margin",
}


def page_url(f: DashboardFilters) -> str:
    """The dashboard with these filters (costs left out: the dashboard sets them by role)."""
    return "/?" + urlencode(_address(f))


def _address(f: DashboardFilters) -> dict[str, str]:
    return {k: v for k, v in f.query().items() if k != "costs"}


async def load_list(db: Database, f: DashboardFilters, today: date) -> ClientList:
    page = await clients.client_page(
        db,
        f.scope,
        sort=f.sort,
        descending=f.descending,
        limit=f.per_page,
        offset=(f.page - 1) * f.per_page,
        period=f.period,
        today=today,
    )
    return client_list(f, page.clients, page.total)


def client_list(f: DashboardFilters, shown: list[ClientSummary], total: int) -> ClientList:
    pages = max(1, math.ceil(total / f.per_page))
    first = (f.page - 1) * f.per_page + 1
    period = period_query(f)
    row_params = [RowParams(c.id, f.period, period, f.costs) for c in shown]
    return ClientList(
        rows=[ROW.frame(p, label=c.name) for p, c in zip(row_params, shown, strict=True)],
        row_params=row_params,
        total=total,
        page=f.page,
        pages=pages,
        per_page=f.per_page,
        first_shown=first if shown else 0,
        last_shown=first + len(shown) - 1 if shown else 0,
        sort_links=[_sort_link(f, key) for key in SORTS if key != "margin" or f.costs],
        previous_url=page_url(f.with_changes(page=f.page - 1)) if f.page > 1 else None,
        next_url=page_url(f.with_changes(page=f.page + 1)) if f.page < pages else None,
        last_page_url=page_url(f.with_changes(page=pages)),
        export_url="/export/clients.csv?" + urlencode({k: v for k, v in _address(f).items() if k != "page"}),
    )


def _sort_link(f: DashboardFilters, key: str) -> SortLink:
    active = f.sort == key
    # Clicking the active column flips it; a new column starts in its natural order.
    descending = (not f.descending) if active else key != "name"
    url = page_url(f.with_changes(sort=key, descending=descending, page=1))
    return SortLink(key, _SORT_LABELS[key], url, active, f.descending if active else descending)


def _sample_list(total: int, names: list[str], costs: bool = False) -> ClientList:
    f = DashboardFilters(period=Period("this_month", date(2026, 11, 1), date(2026, 11, 30)), costs=costs)
    shown = [ClientSummary(i + 1, name, "active", None) for i, name in enumerate(names)]
    return client_list(f, shown, total)


LIST = Partial(
    name="dashboard/client-list",
    parse=parse_filters,
    load=load_list,
    dom_id=lambda f: "client-list",
    key=DashboardFilters.list_key,
    cache_kind="client_list",
    admin_params=("costs",),
    # The browser asks for the page's rows next: they are computed now, together.
    follow=lambda f, page: Prefill(ROW, page.row_params) if page.row_params else None,
    fixtures={
        "typical": lambda: _sample_list(3, ["Acme Labs", "Birch Studios", "Cobalt Energy"]),
        "extreme": lambda: _sample_list(10_000, ["X" * 200] + [f"Client {n:05d}" for n in range(2, 51)], costs=True),
        "empty": lambda: _sample_list(0, []),
    },
)
