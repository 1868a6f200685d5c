"""The dashboard's stats cards: one partial each, with its context, loader and fixtures."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from web import charts
from web.dashboard.filters import DashboardFilters, parse_filters
from web.db import Database
from web.money import percent_change
from web.partial import Partial
from web.periods import Month, trailing_months
from web.queries import capacity, figures, mrr, statuses
from web.queries.mrr import MonthMovements, Movements
from web.queries.totals import MonthRevenue, months_between

# Contexts: what each card's template is given (its first lines restate this as a contract).


@dataclass(frozen=True)
class RevenueCard:
    period_label: str
    revenue_cents: int
    previous_cents: int  # of the span compared with (like for like while the period is in progress)
    change_percent: Decimal | None  # None when the span compared with earned nothing
    # The period cuts a month (a custom range, year to date): a retainer still counts its whole
    # month, which reads as too much over a fortnight unless the card says so.
    cuts_months: bool = False
    # While the period is in progress (issue #20): the days so far and the same days of the period
    # before, the revenue so far when the period holds more (one-offs booked ahead), and the whole
    # period before, shown beside. A half-gone month against a whole one read as a collapse.
    so_far_label: str | None = None
    compared_label: str | None = None
    so_far_cents: int | None = None
    previous_whole_cents: int | None = None


@dataclass(frozen=True)
class MrrCard:
    mrr_cents: int
    paying_clients: int  # clients in scope with a recurring service active today


@dataclass(frozen=True)
class ClientsCard:
    period_label: str
    active_clients: int  # active on a day of the period (web/queries/statuses.py)
    new_clients: int  # won during the period: their first day as active clients
    churned_clients: int  # became churned during the period


@dataclass(frozen=True)
class HoursCard:
    period_label: str
    billable_minutes: int
    total_minutes: int
    billable_percent: Decimal | None  # billable / all hours logged; None without hours (not utilization,
    # which is billable hours / capacity)


@dataclass(frozen=True)
class UtilizationCard:
    period_label: str
    span_label: str | None  # the days so far, while the period is in progress: capacity ends today
    team: capacity.Utilization  # billable hours on every client: capacity is the whole team's
    whole_team: bool  # the filters narrow the clients, which this card does not follow: it says so


@dataclass(frozen=True)
class AverageRevenueCard:
    period_label: str
    average_cents: int | None  # revenue of the period's active clients / their number; None without any
    active_clients: int  # active on a day of the period


@dataclass(frozen=True)
class MrrMovementsCard:
    period_label: str
    period: Movements  # the period's: starting MRR of its first month, movements added up, ending
    months: list[MonthMovements]  # the 12 months ending with the period's last
    bars: list[charts.StackedBar]  # gains stacked up from the zero line, losses down from it
    zero_y: float  # the chart's zero line
    in_progress: bool  # the last month is still going on: its movements so far
    empty: bool  # no MRR in any of the months


@dataclass(frozen=True)
class TrendCard:
    months: list[MonthRevenue]
    bars: list[charts.Bar]
    ticks: list[charts.Tick]  # the value axis: gridlines from zero to at or above the largest month
    total_cents: int
    in_progress: bool  # the last month is still going on: its bar is a part of it, drawn as such


# Loaders


async def load_revenue(db: Database, f: DashboardFilters, today: date) -> RevenueCard:
    cuts_months = f.period.whole_months is None
    if not f.period.in_progress(today):
        # Together: on the status totals both periods share one read of them.
        current, previous = await asyncio.gather(
            figures.scope_totals(db, f.scope, f.period, today),
            figures.scope_totals(db, f.scope, f.period.previous(), today),
        )
        now, before = current.revenue_cents, previous.revenue_cents
        return RevenueCard(f.period.label, now, before, percent_change(now, before), cuts_months=cuts_months)
    so_far, compared = f.period.so_far(today), f.period.compared_with(today)
    current, current_so_far, previous, previous_whole = await asyncio.gather(
        *(figures.scope_totals(db, f.scope, p, today) for p in (f.period, so_far, compared, f.period.previous()))
    )
    now, now_so_far = current.revenue_cents, current_so_far.revenue_cents
    before = previous.revenue_cents
    return RevenueCard(
        f.period.label,
        now,
        before,
        percent_change(now_so_far, before),
        cuts_months=cuts_months,
        so_far_label=so_far.span_label,
        compared_label=compared.span_label,
        so_far_cents=now_so_far if now_so_far != now else None,
        previous_whole_cents=previous_whole.revenue_cents,
    )


async def load_mrr(db: Database, f: DashboardFilters, today: date) -> MrrCard:
    mrr = await figures.scope_mrr(db, f.scope, today)
    return MrrCard(mrr.mrr_cents, mrr.paying_clients)


async def load_clients(db: Database, f: DashboardFilters, today: date) -> ClientsCard:
    counts = await statuses.client_counts(db, f.scope, f.period)
    return ClientsCard(f.period.label, counts.active, counts.new, counts.churned)


async def load_hours(db: Database, f: DashboardFilters, today: date) -> HoursCard:
    totals = await figures.scope_totals(db, f.scope, f.period, today)
    billable, total = totals.billable_minutes, totals.minutes
    return HoursCard(f.period.label, billable, total, _ratio_percent(billable, total))


async def load_utilization(db: Database, f: DashboardFilters, today: date) -> UtilizationCard:
    span = capacity.utilization_span(f.period, today)
    team = await capacity.team_utilization(db, span, today)
    return UtilizationCard(f.period.label, span.span_label if span != f.period else None, team, not f.scope.everyone)


async def load_average_revenue(db: Database, f: DashboardFilters, today: date) -> AverageRevenueCard:
    active = await statuses.active_totals(db, f.scope, f.period, today)
    average = None
    if active.clients:
        average = int((Decimal(active.revenue_cents) / active.clients).quantize(0, ROUND_HALF_UP))
    return AverageRevenueCard(f.period.label, average, active.clients)


async def load_trend(db: Database, f: DashboardFilters, today: date) -> TrendCard:
    months = trailing_months(Month.of(f.period.end), 12)
    series = await figures.monthly_revenue(db, f.scope, months[0], months[-1])
    return trend_card(series, today)


async def load_mrr_movements(db: Database, f: DashboardFilters, today: date) -> MrrMovementsCard:
    last = Month.of(f.period.end)
    touched = months_between(Month.of(f.period.start).first_day, last.first_day)
    window = trailing_months(last, max(12, touched))
    series = await mrr.mrr_movements(db, f.scope, window[0], window[-1])
    return mrr_movements_card(f.period.label, series[-touched:], series[-12:], today)


# The movements chart (720 x 140 of bars, labels under them): gains above the zero line, losses below,
# on one scale, so a month's net is the difference of its two bars' lengths.
MOVES_WIDTH, MOVES_HEIGHT = 720, 140
GAINS = (("new", "new_cents"), ("expansion", "expansion_cents"), ("reactivation", "reactivation_cents"))
LOSSES = (("contraction", "contraction_cents"), ("churn", "churn_cents"))


def mrr_movements_card(
    label: str, period: list[MonthMovements], months: list[MonthMovements], today: date
) -> MrrMovementsCard:
    def total(m: MonthMovements, kinds: tuple[tuple[str, str], ...]) -> int:
        return sum(getattr(m.movements, attribute) for _, attribute in kinds)

    up = max((total(m, GAINS) for m in months), default=0)
    down = max((total(m, LOSSES) for m in months), default=0)
    scale = MOVES_HEIGHT / max(up + down, 1)
    zero = up * scale
    step = MOVES_WIDTH / max(len(months), 1)
    bars = []
    for index, m in enumerate(months):
        segments, top, bottom = [], zero, zero
        for kind, attribute in GAINS:
            height = getattr(m.movements, attribute) * scale
            top -= height
            segments.append((kind, top, height, getattr(m.movements, attribute)))
        for kind, attribute in LOSSES:
            height = getattr(m.movements, attribute) * scale
            segments.append((kind, bottom, height, -getattr(m.movements, attribute)))
            bottom += height
        bars.append(charts.StackedBar(m.month.label, index * step + 2, step - 4, segments))
    in_progress = bool(months) and today < months[-1].month.last_day and today >= months[-1].month.first_day
    empty = all(m.movements.starting_cents == m.movements.ending_cents == 0 for m in months)
    return MrrMovementsCard(label, mrr.over(period), months, bars, zero, in_progress, empty)


# The bars' area in the drawing (360 x 136): 112 high, 8 below the top so the top value's label fits,
# right of a 40-wide gutter for the value labels; the months' labels go under it.
TREND_WIDTH, TREND_HEIGHT, TREND_AXIS = 360, 112, 40


def trend_card(series: list[MonthRevenue], today: date) -> TrendCard:
    values = [m.revenue_cents for m in series]
    ticks = charts.value_ticks(max(values, default=0), height=TREND_HEIGHT)
    labels = [m.month.label for m in series]
    top = ticks[-1].value_cents
    bars = charts.bars(values, labels, width=TREND_WIDTH, height=TREND_HEIGHT, left=TREND_AXIS, top=top)
    return TrendCard(series, bars, ticks, sum(values), bool(series) and today < series[-1].month.last_day)


def _ratio_percent(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# Fixtures: every state a designer needs, without a database.

_SAMPLE_MONTHS = trailing_months(Month(2026, 11), 12)


def _sample_trend(values: list[int]) -> TrendCard:
    months = [MonthRevenue(m, v // 2, 0, v - v // 2) for m, v in zip(_SAMPLE_MONTHS, values, strict=True)]
    return trend_card(months, today=date(2026, 11, 15))  # November in progress


def _sample_movements(moves: list[tuple[int, int, int, int, int]]) -> MrrMovementsCard:
    """Twelve months of movements in hundreds of euros (new, expansion, reactivation, contraction, churn)."""
    months, mrr_cents = [], 2_000_000
    for month, (new, expansion, reactivation, contraction, churn) in zip(_SAMPLE_MONTHS, moves, strict=True):
        moved = Movements(mrr_cents, *(v * 10_000 for v in (new, reactivation, expansion, contraction, churn)))
        months.append(MonthMovements(month, moved))
        mrr_cents = moved.ending_cents
    return mrr_movements_card("This month", months[-1:], months, today=date(2026, 11, 15))


def stats_card(name: str, load, fixtures) -> Partial[DashboardFilters, object]:  # type: ignore[no-untyped-def]
    return Partial(
        name=f"dashboard/{name}",
        parse=parse_filters,
        load=load,
        dom_id=lambda f: f"card-{name}",
        cache_kind="stats",
        fixtures=fixtures,
        key=DashboardFilters.stats_key,
    )


CARDS: list[Partial[DashboardFilters, object]] = [
    stats_card(
        "revenue",
        load_revenue,
        {
            "typical": lambda: RevenueCard(  # on 3 December: this month so far against 1-3 November
                "This month",
                4_120_000,
                3_985_000,
                Decimal("-2.1"),
                so_far_label="1–3 Dec 2026",
                compared_label="1–3 Nov 2026",
                so_far_cents=3_900_000,
                previous_whole_cents=13_860_000,
            ),
            "extreme": lambda: RevenueCard(
                "2025-06-30 – 2026-07-15", 98_765_432_100, 99_999_999_999, Decimal("-1.2"), cuts_months=True
            ),
            "empty": lambda: RevenueCard("This month", 0, 0, None),
        },
    ),
    stats_card(
        "mrr",
        load_mrr,
        {
            "typical": lambda: MrrCard(4_560_000, 38),
            "extreme": lambda: MrrCard(1_234_567_890_00, 10_000),
            "empty": lambda: MrrCard(0, 0),
        },
    ),
    stats_card(
        "clients",
        load_clients,
        {
            "typical": lambda: ClientsCard("This month", 42, 3, 1),
            "extreme": lambda: ClientsCard("Year to date", 10_000, 1_234, 987),
            "empty": lambda: ClientsCard("This month", 0, 0, 0),
        },
    ),
    stats_card(
        "average-revenue",
        load_average_revenue,
        {
            "typical": lambda: AverageRevenueCard("This month", 293_943, 42),
            "extreme": lambda: AverageRevenueCard("Year to date", 9_876_543_210, 1),
            "empty": lambda: AverageRevenueCard("This month", None, 0),
        },
    ),
    stats_card(
        "hours",
        load_hours,
        {
            "typical": lambda: HoursCard("This month", 61_200, 75_000, Decimal("81.6")),
            "extreme": lambda: HoursCard("Last 12 months", 999_999_999, 999_999_999, Decimal("100.0")),
            "empty": lambda: HoursCard("This month", 0, 0, None),
        },
    ),
    stats_card(
        "utilization",
        load_utilization,
        {
            "typical": lambda: UtilizationCard(
                "This month", "1–3 Dec 2026", capacity.Utilization(41_400, 57_600, Decimal("71.9")), False
            ),
            "extreme": lambda: UtilizationCard(
                "Last 12 months", None, capacity.Utilization(999_999_999, 99_999_999, Decimal("1000.0")), True
            ),
            "empty": lambda: UtilizationCard("This month", None, capacity.Utilization(0, 0, None), False),
        },
    ),
    stats_card(
        "trend",
        load_trend,
        {
            "typical": lambda: _sample_trend([90, 95, 110, 120, 100, 60, 130, 140, 150, 145, 160, 120]),
            "extreme": lambda: _sample_trend([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10**13]),
            "empty": lambda: _sample_trend([0] * 12),
        },
    ),
    stats_card(
        "mrr-movements",
        load_mrr_movements,
        {
            "typical": lambda: _sample_movements([(30, 12, 0, 5, 8), (0, 4, 6, 2, 0), (18, 9, 0, 0, 22)] * 4),
            "extreme": lambda: _sample_movements(
                [(10**10, 0, 0, 0, 0)] + [(0, 0, 0, 0, 0)] * 10 + [(0, 0, 0, 0, 10**10)]
            ),
            "empty": lambda: _sample_movements([(0, 0, 0, 0, 0)] * 12),
        },
    ),
]
