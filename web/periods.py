"""Reporting periods: named ranges of calendar dates, the period each is compared with, and the
period a query string asks for."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from web.forms import FormReader, quoted

PERIOD_LABELS = {
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "ytd": "Year to date",
    "last_12_months": "Last 12 months",
    "custom": "Custom",
}

# Read once: calendar.month_abbr formats a date on every lookup, 12 times per client row.
_MONTH_ABBR = tuple(calendar.month_abbr)


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def label(self) -> str:
        return f"{_MONTH_ABBR[self.month]} {self.year}"


@dataclass(frozen=True)
class Period:
    """Days start .. end, both included."""

    name: str
    start: date
    end: date

    @property
    def label(self) -> str:
        if self.name == "custom":
            return f"{self.start.isoformat()} – {self.end.isoformat()}"
        return PERIOD_LABELS[self.name]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def whole_months(self) -> int | None:
        """The number of calendar months covered, when the period is exactly whole months."""
        if self.start.day != 1 or self.end != Month.of(self.end).last_day:
            return None
        first, last = Month.of(self.start), Month.of(self.end)
        return (last.year - first.year) * 12 + last.month - first.month + 1

    def previous(self) -> Period:
        """The period this one is compared with.

        Whole months compare with the same number of months just before (this quarter with the last
        quarter); year to date with the same dates a year earlier; other ranges with the same number
        of days just before.
        """
        if self.name == "ytd":
            return Period("previous", _year_earlier(self.start), _year_earlier(self.end))
        months = self.whole_months
        if months is not None:
            first = Month.of(self.start).plus(-months)
            return Period("previous", first.first_day, first.plus(months - 1).last_day)
        end = self.start - timedelta(days=1)
        return Period("previous", end - timedelta(days=self.days - 1), end)

    def in_progress(self, today: date) -> bool:
        """Today falls within the period, before its last day: part of it is still to come."""
        return self.start <= today < self.end

    def so_far(self, today: date) -> Period:
        """The part up to and including today (the whole period once it is over)."""
        return Period("so_far", self.start, today) if self.in_progress(today) else self

    def compared_with(self, today: date) -> Period:
        """What the period is compared with on `today`: the previous period (see previous()); while
        this one is in progress, only the same span of it, so that 1-3 December is compared with
        1-3 November (not all of November), this quarter to date with the same days of the last."""
        whole = self.previous()
        if not self.in_progress(today):
            return whole
        months = self.whole_months
        end = _months_earlier(today, months) if months is not None else whole.start + (today - self.start)
        return Period("previous", whole.start, min(end, whole.end))

    @property
    def span_label(self) -> str:
        """The days it covers, as short as is clear: "1–3 Nov 2026", "1 Jul – 3 Sep 2026"."""
        first, last = self.start, self.end
        if (first.year, first.month) == (last.year, last.month):
            days = f"{first.day}" if first == last else f"{first.day}–{last.day}"
            return f"{days} {_MONTH_ABBR[first.month]} {first.year}"
        since = f"{first.day} {_MONTH_ABBR[first.month]}" + (f" {first.year}" if first.year != last.year else "")
        return f"{since} – {last.day} {_MONTH_ABBR[last.month]} {last.year}"

    def key(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def _months_earlier(day: date, months: int) -> date:
    """The same day `months` months earlier, or that month's last day when it is shorter."""
    month = Month.of(day).plus(-months)
    return month.first_day.replace(day=min(day.day, month.last_day.day))


def _year_earlier(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def named_period(name: str, today: date) -> Period:
    """The period `name` as seen on `today`. Raises KeyError for an unknown name or 'custom'."""
    this_month = Month.of(today)
    if name == "this_month":
        return Period(name, this_month.first_day, this_month.last_day)
    if name == "last_month":
        last = this_month.plus(-1)
        return Period(name, last.first_day, last.last_day)
    if name == "this_quarter":
        first = Month(today.year, (today.month - 1) // 3 * 3 + 1)
        return Period(name, first.first_day, first.plus(2).last_day)
    if name == "ytd":
        return Period(name, date(today.year, 1, 1), today)
    if name == "last_12_months":
        return Period(name, this_month.plus(-11).first_day, this_month.last_day)
    raise KeyError(name)


def read_period(reader: FormReader, today: date) -> Period | None:
    """The period a query string asks for: ?period=, with ?from= and ?to= for a custom one (given
    alone, they mean one); this month by default. None when it cannot be read, the reasons in
    `reader.errors`."""
    name = reader.raw("period") or ("custom" if reader.raw("from") or reader.raw("to") else "this_month")
    if name not in PERIOD_LABELS:
        reader.fail("period", f"Unknown period {quoted(name)}. Choose one of: {', '.join(PERIOD_LABELS)}.")
        return None
    if name != "custom":
        return named_period(name, today)
    span = reader.date_range("from", "to", what="A custom period", needed_for=" for a custom period")
    return Period("custom", *span) if span else None


def trailing_months(last: Month, count: int) -> list[Month]:
    """`count` months ending with `last`, oldest first."""
    return [last.plus(offset) for offset in range(1 - count, 1)]
