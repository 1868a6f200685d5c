"""Timesheet summaries for a period, per client and per staff member (admins; cached)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction

from starlette.datastructures import QueryParams

from web.dashboard.client_list import period_query
from web.dashboard.filters import parse_filters
from web.db import Database
from web.htmx import ENTRIES_CHANGED
from web.partial import BadInput, Partial
from web.periods import Period
from web.queries.capacity import Utilization, capacities, team_utilization, utilization_span
from web.queries.entries import SummaryRow, timesheet_summary

GROUPINGS = {"client": "By client", "staff": "By staff member"}


# Rows a summary shows: the top ones, or on asking (?all=1) every one up to a bound a page can hold.
TOP_ROWS, ALL_ROWS = 20, 1_000


@dataclass(frozen=True)
class SummaryParams:
    by: str
    period: Period
    period_query: dict[str, str]
    show_all: bool = False

    def query(self) -> dict[str, str]:
        return {"by": self.by, **self.period_query, **({"all": "1"} if self.show_all else {})}


def parse_summary(query: QueryParams, today: date) -> SummaryParams:
    by = query.get("by", "")
    if by not in GROUPINGS:
        raise BadInput({"by": f"Summarize by one of: {', '.join(GROUPINGS)}."})
    if query.get("all", "1") != "1":
        raise BadInput({"all": "all: 1 (every row) or left out (the top 20)."})
    f = parse_filters(query, today)
    return SummaryParams(by, f.period, period_query(f), "all" in query)


@dataclass(frozen=True)
class TimesheetSummary:
    title: str
    period_label: str
    rows: list[SummaryRow]
    more: int = 0  # rows not shown (a default: summaries cached before this field unpickle without it)
    showing_all: bool = False  # asked for every row (?all=1): no offer to show them
    team: Utilization | None = None  # by staff member: everyone's, as on the dashboard's card
    so_far_label: str | None = None  # by staff member, in a period in progress: the days utilization covers


async def load_summary(db: Database, p: SummaryParams, today: date) -> TimesheetSummary:
    limit = ALL_ROWS if p.show_all else TOP_ROWS
    span = utilization_span(p.period, today)
    summary = await timesheet_summary(db, p.by, p.period.start, p.period.end, limit, so_far=span.end)
    more = summary.count - len(summary.rows)
    title = GROUPINGS[p.by]
    if p.by != "staff":
        return TimesheetSummary(title, p.period.label, summary.rows, more, p.show_all)
    shown = [r.id for r in summary.rows]  # of 7,500 people on dataset l, 20 by default
    available, team = await asyncio.gather(
        capacities(db, span.start, span.end, shown), team_utilization(db, span, today)
    )
    rows = [
        replace(r, utilization=Utilization.of(r.billable_so_far, available.get(r.id, Fraction(0))))
        for r in summary.rows
    ]
    so_far = span.span_label if span != p.period else None
    return TimesheetSummary(title, p.period.label, rows, more, p.show_all, team, so_far)


def _sample(count: int, name: str = "Northwind Partners", more: int = 0) -> TimesheetSummary:
    rows = [
        SummaryRow(f"{name} {n + 1}", 600 * (count - n), 480 * (count - n), 90_000 * (count - n)) for n in range(count)
    ]
    return TimesheetSummary("By client", "This month", rows, more)


def _sample_staff() -> TimesheetSummary:
    """By staff member on 3 December: utilization over the days so far, someone idle among them."""
    people = [
        ("Ada Lovelace", 1_500, 1_320, 1_440, 0),
        ("Grace Hopper", 1_200, 900, 1_152, 300),  # a cost rate from the 2nd: the 1st's time has none
        ("Alan Turing", 0, 0, 864, 0),
    ]
    rows = [
        SummaryRow(
            name,
            minutes,
            billable,
            billable * 150,
            utilization=Utilization.of(billable, Fraction(capacity)),
            cost_cents=(minutes - uncosted) * 75,
            uncosted_minutes=uncosted,
        )
        for name, minutes, billable, capacity, uncosted in people
    ]
    team = Utilization.of(2_220, Fraction(3_456))
    return TimesheetSummary("By staff member", "This month", rows, team=team, so_far_label="1–3 Dec 2026")


SUMMARY = Partial(
    name="timesheets/summary",
    parse=parse_summary,
    load=load_summary,
    dom_id=lambda p: f"summary-{p.by}",
    key=lambda p: f"{p.by}|{p.period.key()}|{'all' if p.show_all else 'top'}",
    cache_kind="summary",
    role="admin",
    refresh_on=ENTRIES_CHANGED,
    fixtures={
        "typical": _sample_staff,
        "extreme": lambda: _sample(20, "A staff member with a remarkably long name " * 3, more=1_234),
        "empty": lambda: _sample(0),
    },
)
PARTIALS: list[Partial[SummaryParams, TimesheetSummary]] = [SUMMARY]
