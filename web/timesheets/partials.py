"""Timesheet summaries for a period, per client and per staff member (admins; cached)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from starlette.datastructures import QueryParams

from web.dashboard.client_list import period_query
from web.dashboard.filters import parse_filters
from web.db import Database
from web.htmx import ENTRIES_CHANGED
from web.partial import BadInput, Partial
from web.periods import Period
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


async def load_summary(db: Database, p: SummaryParams, today: date) -> TimesheetSummary:
    limit = ALL_ROWS if p.show_all else TOP_ROWS
    summary = await timesheet_summary(db, p.by, p.period.start, p.period.end, limit)
    more = summary.count - len(summary.rows)
    return TimesheetSummary(GROUPINGS[p.by], p.period.label, summary.rows, more, p.show_all)


def _sample(count: int, name: str = "Northwind Partners", more: int = 0) -> TimesheetSummary:
    rows = [
        SummaryRow(f"{name} {n + 1}", 600 * (count - n), 480 * (count - n), 90_000 * (count - n)) for n in range(count)
    ]
    return TimesheetSummary("By client", "This month", rows, more)


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
        "typical": lambda: _sample(4),
        "extreme": lambda: _sample(20, "A staff member with a remarkably long name " * 3, more=1_234),
        "empty": lambda: _sample(0),
    },
)
PARTIALS: list[Partial[SummaryParams, TimesheetSummary]] = [SUMMARY]
