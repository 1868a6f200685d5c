"""Reporting periods: named ranges of calendar dates, and the period each is compared with."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

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

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_iso_date(text: str) -> date:
    """A date written YYYY-MM-DD, as every form and link here writes one; ValueError otherwise.
    (date.fromisoformat alone also takes 20261202 and 2026-W49-3, which no field shows back.)"""
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"not a YYYY-MM-DD date: {text!r}")
    return date.fromisoformat(text)


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

    def key(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


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


def trailing_months(last: Month, count: int) -> list[Month]:
    """`count` months ending with `last`, oldest first."""
    return [last.plus(offset) for offset in range(1 - count, 1)]
