"""The client page's partials: figures for the period, its cost and margin (admins), services, time
entries, 24-month chart."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from web import charts
from web.dashboard.client_list import period_query
from web.dashboard.filters import parse_client_id, parse_filters
from web.dated import Change
from web.db import Database
from web.htmx import CLIENT_CHANGED
from web.partial import NotFound, Partial
from web.periods import Month, Period, trailing_months
from web.queries import clients, costs, figures
from web.queries.clients import ClientEntry
from web.queries.costs import Margin
from web.queries.scope import ClientScope
from web.queries.services import Service, client_services, taken_over
from web.queries.totals import MonthRevenue

ENTRIES_PER_PAGE = 20


@dataclass(frozen=True)
class ClientParams:
    client_id: int
    period: Period
    period_query: dict[str, str]
    page: int = 1

    def query(self) -> dict[str, str]:
        return {
            "client": str(self.client_id),
            **self.period_query,
            **({"page": str(self.page)} if self.page > 1 else {}),
        }

    def key(self) -> str:
        return f"{self.client_id}|{self.period.key()}|{self.page}"


def parse_client_params(query: QueryParams, today: date) -> ClientParams:
    client_id = parse_client_id(query)
    f = parse_filters(query, today)
    return ClientParams(client_id, f.period, period_query(f), f.page)


def _depends(p: ClientParams) -> tuple[str, ...]:
    return ("epoch", f"client:{p.client_id}")


async def _existing(db: Database, client_id: int) -> None:
    if await clients.get_client(db, client_id) is None:
        raise NotFound(f"There is no client with id {client_id}.")


def client_partial(name: str, load, fixtures, role: str = "staff") -> Partial[ClientParams, object]:  # type: ignore[no-untyped-def]
    return Partial(
        name=f"clients/{name}",
        role=role,
        parse=parse_client_params,
        load=load,
        dom_id=lambda p: f"client-{name}",
        key=ClientParams.key,
        cache_kind="client_row",
        depends=_depends,
        refresh_on=CLIENT_CHANGED,
        fixtures=fixtures,
    )


# Figures for the period


@dataclass(frozen=True)
class ClientFigures:
    period_label: str
    recurring_cents: int
    one_off_cents: int
    hourly_cents: int
    revenue_cents: int
    mrr_cents: int
    billable_minutes: int
    minutes: int


async def load_figures(db: Database, p: ClientParams, today: date) -> ClientFigures:
    await _existing(db, p.client_id)
    f = await figures.client_figures(db, p.client_id, p.period, today)
    return ClientFigures(
        p.period.label,
        f.recurring_cents,
        f.one_off_cents,
        f.hourly_cents,
        f.revenue_cents,
        f.mrr_cents,
        f.billable_minutes,
        f.minutes,
    )


# Cost and gross margin for the period (admins only: cost rates are theirs)


@dataclass(frozen=True)
class ClientMargin:
    period_label: str
    margin: Margin  # revenue, cost, margin_cents, percent
    minutes: int  # all time logged in the period
    uncosted_minutes: int  # of it, logged by people without a cost rate: it costs nothing here


async def load_margin(db: Database, p: ClientParams, today: date) -> ClientMargin:
    await _existing(db, p.client_id)
    f, cost = await asyncio.gather(
        figures.client_figures(db, p.client_id, p.period, today), costs.client_cost(db, p.client_id, p.period)
    )
    return ClientMargin(p.period.label, Margin(f.revenue_cents, cost.cost_cents), f.minutes, cost.uncosted_minutes)


# Services


@dataclass(frozen=True)
class ClientServices:
    client_id: int
    services: list[Service]
    today: date
    taken_over: frozenset[int]  # ended services a later one carries on: not to be reactivated again


async def load_services(db: Database, p: ClientParams, today: date) -> ClientServices:
    await _existing(db, p.client_id)
    return client_services_context(p.client_id, await client_services(db, p.client_id), today)


def client_services_context(client_id: int, services: list[Service], today: date) -> ClientServices:
    return ClientServices(client_id, services, today, taken_over(services))


# Time entries, newest first


@dataclass(frozen=True)
class ClientEntries:
    period_label: str  # entries are those of the page's period
    entries: list[ClientEntry]
    total: int
    page: int
    pages: int
    previous_url: str | None
    next_url: str | None


async def load_entries(db: Database, p: ClientParams, today: date) -> ClientEntries:
    await _existing(db, p.client_id)
    rows, total = await clients.client_entries(
        db, p.client_id, p.period, limit=ENTRIES_PER_PAGE, offset=(p.page - 1) * ENTRIES_PER_PAGE
    )
    return client_entries_context(p, rows, total)


def client_entries_context(p: ClientParams, rows: list[ClientEntry], total: int) -> ClientEntries:
    pages = max(1, math.ceil(total / ENTRIES_PER_PAGE))

    def url(page: int) -> str:
        return "/partials/clients/entries?" + urlencode({**p.query(), "page": str(page)})

    return ClientEntries(
        p.period.label,
        rows,
        total,
        p.page,
        pages,
        url(p.page - 1) if p.page > 1 else None,
        url(p.page + 1) if p.page < pages else None,
    )


# 24-month chart, split by kind


@dataclass(frozen=True)
class ClientChart:
    months: list[MonthRevenue]
    bars: list[charts.StackedBar]
    total_cents: int


CHART_W, CHART_H = 720.0, 160.0
KINDS = (("recurring", "recurring_cents"), ("one_off", "one_off_cents"), ("hourly", "hourly_cents"))


async def load_chart(db: Database, p: ClientParams, today: date) -> ClientChart:
    await _existing(db, p.client_id)
    months = trailing_months(Month.of(p.period.end), 24)
    return client_chart(await figures.monthly_revenue(db, ClientScope(client_id=p.client_id), months[0], months[-1]))


def client_chart(series: list[MonthRevenue]) -> ClientChart:
    top = max([m.revenue_cents for m in series] + [1])
    step = CHART_W / max(len(series), 1)
    bars = []
    for index, month in enumerate(series):
        y, segments = CHART_H, []
        for kind, attribute in KINDS:
            cents = max(getattr(month, attribute), 0)
            height = CHART_H * cents / top
            y -= height
            segments.append((kind, y, height, cents))
        bars.append(charts.StackedBar(month.month.label, index * step + 1, step - 2, segments))
    return ClientChart(series, bars, sum(m.revenue_cents for m in series))


# Fixtures and declarations

_PERIOD = Period("this_month", date(2026, 11, 1), date(2026, 11, 30))
_SAMPLE = ClientEntry(1, date(2026, 11, 12), "Ada Adler", "Consulting", 90, True, 22_500, "Sprint planning")


def _sample_chart(values: list[int]) -> ClientChart:
    months = trailing_months(Month(2026, 11), 24)
    return client_chart([MonthRevenue(m, v, v // 4, v // 2) for m, v in zip(months, values, strict=True)])


def _sample_services(count: int, long: bool = False) -> ClientServices:
    name = "A retainer with a name far longer than anyone planned for " * (2 if long else 0) or "Monthly retainer"
    services = [
        Service(
            i + 1,
            name,
            ("recurring", "hourly", "one_off")[i % 3],
            150_000 * (i + 1),
            date(2025, 1, 1),
            date(2026, 1, 31) if i % 2 else None,
            1,
            # The first retainer's price changed twice, the second time from a month ahead.
            (Change(date(2025, 9, 1), 165_000), Change(date(2027, 1, 1), 180_000)) if i == 0 else (),
        )
        for i in range(count)
    ]
    return client_services_context(7, services, date(2026, 11, 15))


FIGURES = client_partial(
    "figures",
    load_figures,
    {
        "typical": lambda: ClientFigures("This month", 300_000, 50_000, 122_500, 472_500, 300_000, 4_800, 5_400),
        "extreme": lambda: ClientFigures("Last 12 months", 9_999_999_999, 0, 1, 10_000_000_000, 0, 0, 999_999),
        "empty": lambda: ClientFigures("This month", 0, 0, 0, 0, 0, 0, 0),
    },
)
SERVICES = client_partial(
    "services",
    load_services,
    {
        "typical": lambda: _sample_services(3),
        "extreme": lambda: _sample_services(12, long=True),
        "empty": lambda: _sample_services(0),
    },
)
ENTRIES = client_partial(
    "entries",
    load_entries,
    {
        "typical": lambda: client_entries_context(ClientParams(7, _PERIOD, {}), [_SAMPLE] * 3, 3),
        "extreme": lambda: client_entries_context(
            ClientParams(7, _PERIOD, {}, 2),
            [ClientEntry(2, date(2026, 11, 1), "X" * 200, None, 1440, False, 0, "<b>not bold</b> " * 50)],
            100_000,
        ),
        "empty": lambda: client_entries_context(ClientParams(7, _PERIOD, {}), [], 0),
    },
)
CHART = client_partial(
    "chart",
    load_chart,
    {
        "typical": lambda: _sample_chart([100_000 + 5_000 * (n % 7) for n in range(24)]),
        "extreme": lambda: _sample_chart([0] * 23 + [10**13]),
        "empty": lambda: _sample_chart([0] * 24),
    },
)
MARGIN = client_partial(
    "margin",
    load_margin,
    {
        "typical": lambda: ClientMargin("This month", Margin(472_500, 198_350), 5_400, 0),
        "extreme": lambda: ClientMargin("Last 12 months", Margin(100_000, 9_999_999_999), 999_999, 998_000),
        "empty": lambda: ClientMargin("This month", Margin(0, 0), 0, 0),
    },
    role="admin",
)
PARTIALS: list[Partial[ClientParams, object]] = [FIGURES, MARGIN, SERVICES, ENTRIES, CHART]
