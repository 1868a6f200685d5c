"""Reading what a user typed, in a form or a query string: each reader returns the value or
records a clear message.

A `FormReader` collects one message per field, so a form (or the dashboard's filters) shows every
mistake at once, next to its field, with the rest of what was typed kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal

# An edit form's hidden field: its values as loaded (JSON), so that a save refused by a conflict can
# say which of the fields the user changed.
LOADED = "loaded"
MAX_LOADED_CHARS = 20_000  # a form's few short fields; anything longer is not ours
MAX_CENTS = 10_000_000_000  # €100 million
MAX_ID = 2**63 - 1  # bigint ids
MAX_VERSION = 2**31 - 1  # integer version columns
MAX_RATE_CENTS = 100_000_000  # €1 million an hour
MAX_RANGE_DAYS = 366 * 10  # a date range (a custom period, an export): ten years at most
MAX_WEEK_MINUTES = 7 * 24 * 60  # a person's capacity: the hours of a week at most
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_ISO_MONTH = re.compile(r"\d{4}-\d{2}", re.ASCII)
Day = date  # for annotations in FormReader, where `date` names its method
# A duration as people write one: 1:30, 1.5 or 1,5 (hours, an "h" optional), 1h30 or 1 h 30 min,
# 90m or 90 min. Digits 0-9 only.
_DURATION = re.compile(
    r"^\s*(?:(?P<clock_h>\d{1,3}):(?P<clock_m>[0-5]\d)"
    r"|(?P<hours>\d{1,3}(?:[.,]\d{1,2})?)\s*h?"
    r"|(?P<h>\d{1,3})\s*h\s*(?P<m>[0-5]?\d)\s*(?:m|min)?"
    r"|(?P<minutes>\d{1,4})\s*(?:m|min))\s*$",
    re.ASCII | re.IGNORECASE,
)
# An amount as people type it: digits, optionally grouped by thousands with commas ("1,234") or
# spaces ("1 234", also the no-break spaces a pasted number brings), and a decimal part after a
# point, or after a comma when that comma cannot be a thousands separator ("99,99" or "1,5": one or
# two digits; "1 234,50"). "1,500" is fifteen hundred; "1e3" is not an amount.
_AMOUNT = re.compile(
    r"^(\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)(?:\.(\d+))?$|^(\d{1,3}(?: \d{3})+|\d+),(\d{1,2})$", re.ASCII
)
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
MAX_AMOUNT_CHARS = 40  # longer is no amount we take: refused before any conversion of its digits


def parse_iso_date(text: str) -> date:
    """A date written YYYY-MM-DD, as every form and link here writes one; ValueError otherwise.
    (date.fromisoformat alone also takes 20261202 and 2026-W49-3, which no field shows back.)"""
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"not a YYYY-MM-DD date: {text!r}")
    return date.fromisoformat(text)


def _small_number(text: str) -> int | None:
    """A whole number written in digits 0-9, of 19 digits at most (int() of thousands of digits is
    slow, and raises past 4,300 of them); None otherwise."""
    return int(text) if len(text) <= 19 and text.isascii() and text.isdecimal() else None


def _as_id(text: str) -> int | None:
    """A row id written in digits 0-9, or None."""
    number = _small_number(text)
    return number if number is not None and is_id(number) else None


def quoted(typed: str) -> str:
    """What was typed, quoted for a message: cut short, every space a plain one."""
    value = _SPACES.sub(" ", typed)
    return f"“{value[:20]}…”" if len(value) > 20 else f"“{value}”"


def not_saved(changes: list[str]) -> str:
    """The end of a message for a save refused by a conflict, whose form now shows the other
    version: what the refused save would have changed, to be made again. "" when nothing."""
    return f" Yours, not saved: {'; '.join(changes)}." if changes else ""


def changed_fields(
    yours: Mapping[str, str],
    theirs: Mapping[str, str],
    labels: Mapping[str, str],
    touched: set[str],
    shown: Mapping[str, Callable[[str], str]] | None = None,
) -> list[str]:
    """The fields the user changed (`touched`) to something other than what is saved now, as
    `not_saved` lists them: 'name “Acme Group”', 'no hourly rate'. Both sides as the form shows values
    (`labels` names the fields, in order); `shown` turns a field's value into what the form displays
    for it (an id into a name). Values are whole: they are to be typed again."""
    changes = []
    for field, label in labels.items():
        mine = yours.get(field, "")
        if field not in touched or mine == theirs.get(field, ""):
            continue
        show = (shown or {}).get(field)
        changes.append(f"{label} “{show(mine) if show else mine}”" if mine else f"no {label}")
    return changes


def touched_fields(typed: Mapping[str, str], loaded: Mapping[str, str]) -> set[str]:
    """Of the fields typed (as FormReader.raw gives them), those that differ from the values the form
    was loaded with; all of them when it did not say (see LOADED)."""
    if not loaded:
        return set(typed)
    return {f for f, value in typed.items() if value != loaded.get(f, "").strip()}


class FormReader:
    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = {k: (v if isinstance(v, str) else "") for k, v in values.items()}
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def shown(self, name: str) -> str:
        return quoted(self.raw(name))

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(self, name: str, label: str, *, required: bool = True, max_length: int = 200) -> str:
        value = self.raw(name)
        if required and not value:
            self.fail(name, f"{label} is required.")
        elif "\x00" in value:  # PostgreSQL text cannot hold it
            self.fail(name, f"{label} cannot contain a NUL character.")
        elif len(value) > max_length:
            self.fail(name, f"{label} can be at most {max_length} characters ({len(value)} now).")
        return value

    def option(self, name: str) -> str | None:
        """A filter's value: None when left out or "all"."""
        value = self.raw(name)
        return None if value in ("", "all") else value

    def whole_number(self, name: str, label: str, *, default: int, low: int, high: int) -> int:
        """A whole number from `low` to `high` (a page, rows per page); `default` when left out."""
        raw = self.raw(name)
        if not raw:
            return default
        number = _small_number(raw)
        if number is None or not low <= number <= high:
            self.fail(name, f"{label} must be a whole number from {low} to {high:,}.")
            return default
        return number

    def choice(self, name: str, label: str, choices: tuple[str, ...]) -> str:
        value = self.raw(name)
        if value not in choices:
            self.fail(name, f"Choose a {label.lower()}: {', '.join(choices)}.")
        return value

    def loaded(self) -> dict[str, str]:
        """The fields as the form showed them when it was loaded (its hidden `loaded` field, JSON),
        to tell what the user changed; {} when missing or not ours. Bounded: a long or deeply nested
        value (the parser recurses) is refused before and during parsing."""
        raw = self.raw(LOADED)
        if len(raw) > MAX_LOADED_CHARS:
            return {}
        try:
            loaded = json.loads(raw)
        except (ValueError, RecursionError):
            return {}
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            return {}
        return {str(k): v for k, v in loaded.items()}

    def touched(self, fields: Iterable[str]) -> set[str]:
        """The fields whose value the user changed since the form was loaded."""
        return touched_fields({f: self.raw(f) for f in fields}, self.loaded())

    def typed_id(self, name: str) -> int | None:
        """The id typed in, if it can be one, judging nothing: for showing the form again."""
        return _as_id(self.raw(name))

    def id(self, name: str, label: str, *, required: bool = True) -> int | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, f"Choose a {label.lower()}.")
            return None
        id_ = _as_id(value)
        if id_ is None:
            self.fail(name, f"{label} must be an id (a positive whole number).")
        return id_

    def version(self, name: str = "version") -> int | None:
        """The version a form was read at (optimistic locking)."""
        if not self.raw(name):  # a hidden field: the page that sent the form is not ours, or broken
            self.fail(name, "This form is missing its version; reload the page and try again.")
            return None
        value = self.id(name, "Version")
        if value is not None and value > MAX_VERSION:
            self.fail(name, "Version is not valid.")
            return None
        return value

    def date_range(self, first: str, last: str, *, what: str, needed_for: str = "") -> tuple[date, date] | None:
        """A start and an end date, the end on or after the start, at most MAX_RANGE_DAYS apart.
        `what` names the range in that message ("An export"); `needed_for` ends the message for a
        missing date (" for a custom period")."""
        start = self.date(first, "Start date", required=False)
        end = self.date(last, "End date", required=False)
        for name, label in ((first, "Start date"), (last, "End date")):
            if not self.raw(name):
                self.fail(name, f"{label} is required{needed_for}.")
        if start is None or end is None:
            return None
        if start > end:
            self.fail(last, "The end date must be on or after the start date.")
            return None
        if (end - start).days > MAX_RANGE_DAYS:
            self.fail(last, f"{what} can cover at most ten years.")
            return None
        return start, end

    def date(
        self,
        name: str,
        label: str,
        *,
        required: bool = True,
        earliest: date = date(1900, 1, 1),
        latest: date = date(2200, 12, 31),
    ) -> date | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, f"{label} is required.")
            return None
        try:
            parsed = parse_iso_date(value)
        except ValueError:
            self.fail(name, f"{label} {self.shown(name)} is not a date that exists; use YYYY-MM-DD.")
            return None
        if not earliest <= parsed <= latest:
            self.fail(name, f"{label} must be between {earliest:%-d %b %Y} and {latest:%-d %b %Y}.")
            return None
        return parsed

    def month(self, name: str, label: str, *, default: Day) -> Day | None:
        """A month as <input type="month"> sends it, YYYY-MM, as its first day; `default` when empty."""
        value = self.raw(name)
        if not value:
            return default
        year, _, month = value.partition("-")
        if not (_ISO_MONTH.fullmatch(value) and 1 <= int(month) <= 12 and int(year) >= 1900):
            self.fail(name, f"{label} {self.shown(name)} is not a month; use YYYY-MM, e.g. 2026-12.")
            return None
        return date(int(year), int(month), 1)

    def duration_minutes(
        self,
        name: str,
        label: str,
        *,
        allowed: tuple[int, int] = (1, 24 * 60),
        says: str = "between 1 minute and 24 hours",
    ) -> int | None:
        """'1:30', '1.5', '1,5', '2h', '1h30' or '90m' -> minutes, within `allowed` (which `says` puts in words)."""
        value = self.raw(name)
        match = _DURATION.match(value)
        if not value:
            self.fail(name, f"{label} is required, as 1:30 or 1.5.")
            return None
        if not match:
            self.fail(name, f"{label} {self.shown(name)} is not a duration; write 1:30 or 1.5.")
            return None
        parts = match.groupdict()
        if parts["hours"] is not None:
            minutes = int((Decimal(parts["hours"].replace(",", ".")) * 60).to_integral_value())
        elif parts["minutes"] is not None:
            minutes = int(parts["minutes"])
        else:
            hours, mins = (
                (parts["clock_h"], parts["clock_m"]) if parts["clock_h"] is not None else (parts["h"], parts["m"])
            )
            minutes = int(hours) * 60 + int(mins)
        if not allowed[0] <= minutes <= allowed[1]:
            self.fail(name, f"{label} must be {says}.")
            return None
        return minutes

    def hours_a_week(self, name: str, label: str) -> int | None:
        """A person's capacity as typed (40, 37.5, 37:30), in minutes; 0 to a whole week."""
        return self.duration_minutes(name, label, allowed=(0, MAX_WEEK_MINUTES), says="from 0 to 168")

    def money_cents(self, name: str, label: str, *, required: bool = True, maximum: int = MAX_CENTS) -> int | None:
        """'1234.50', '1,234.50', '1 234,50', '99,99' or '€99' -> cents; not negative, at most `maximum`."""
        value = _SPACES.sub(" ", self.raw(name).replace("€", "")).strip()
        if not value:
            if required:
                self.fail(name, f"{label} is required.")
            return None
        too_much = f"{label} must be between €0 and €{maximum // 100:,}."
        match = _AMOUNT.match(value.removeprefix("-"))
        if not match:
            self.fail(name, f"{label} {self.shown(name)} is not an amount; write e.g. 1250.00 or 1,250.00.")
            return None
        if len(value) > MAX_AMOUNT_CHARS:  # digits by the thousand: Python refuses to convert them
            self.fail(name, too_much)
            return None
        whole, decimals = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        if decimals and len(decimals) > 2:
            self.fail(name, f"{label} can have at most two decimals.")
            return None
        cents = int(re.sub(r"[, ]", "", whole)) * 100 + int((decimals or "0").ljust(2, "0"))
        if value.startswith("-") or cents > maximum:
            self.fail(name, too_much)
            return None
        return cents

    def checkbox(self, name: str) -> bool:
        return self.raw(name) in ("on", "true", "1", "yes")


def is_id(value: int) -> bool:
    """Whether a number from a URL can be a row id (path converters accept any size)."""
    return 0 < value <= MAX_ID
