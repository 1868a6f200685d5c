"""The Jinja2 environment shared by pages and partials: strict, autoescaped, with our formats."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path

from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.bccache import Bucket
from markupsafe import Markup

from web.htmx import EVENTS
from web.money import format_compact, format_hours, format_money, format_per_hour
from web.periods import Month
from web.queries.services import KIND_LABELS

ROOT = Path(__file__).resolve().parent.parent
PARTIALS_DIR = ROOT / "partials"
PAGES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = ROOT / "static"
STATES = "_frames/states.html"  # the macros every frame shares, a global of every template


def format_day(day: date, style: str = "day-month") -> str:
    """A date as pages write it (BILLABLE_DATE_STYLE): '11 Nov 2026', 'Nov 11, 2026' or '2026-11-11'."""
    if style == "iso":
        return day.isoformat()
    month = calendar.month_abbr[day.month]
    return f"{month} {day.day}, {day.year}" if style == "month-day" else f"{day.day} {month} {day.year}"


class _CompiledTemplates(BytecodeCache):
    """Templates compiled once per process, whatever the number of environments: each app makes its
    own (a test suite makes hundreds), and compiling was most of a new app's first requests. Jinja
    checks each entry against its template's source, so an edited template is compiled again."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}  # one entry per template: bounded by the templates there are

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED = _CompiledTemplates()


def make_env(*, dev: bool = False, tz: tzinfo = UTC, date_style: str = "day-month") -> Environment:
    """Pages live in web/templates, partials in partials/<area>/<name>.html. `tz` is the zone the
    `day` and `moment` filters show moments in (BILLABLE_TIMEZONE), written one way
    (BILLABLE_DATE_STYLE): "client since", history, sessions.

    StrictUndefined turns a typo in a template into an error instead of an empty figure.
    """
    env = Environment(
        loader=FileSystemLoader([PAGES_DIR, PARTIALS_DIR]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        auto_reload=dev,
        bytecode_cache=COMPILED,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=format_money,
        money_whole=lambda cents: format_money(cents, whole=True),
        money_compact=format_compact,
        per_hour=format_per_hour,  # {{ revenue_cents|per_hour(minutes) }}: the effective hourly rate
        number="{:,}".format,  # a count with thousands separators: 1,204 clients
        hours=format_hours,
        # A route or partial name that may wrap after each "/", never inside a word.
        path=lambda name: Markup("/<wbr>").join(name.split("/")),
        kind_label=KIND_LABELS.__getitem__,  # a service's kind as people say it: "One-off"
        month_label=lambda day: Month.of(day).label,  # the month of a date: "Sep 2026"
        signed_percent=_signed_percent,
        percent=_percent,
        # A date, or a moment's date in BILLABLE_TIMEZONE; a moment with its local time of day.
        day=lambda value: format_day(value.astimezone(tz).date() if isinstance(value, datetime) else value, date_style),
        moment=lambda value: f"{format_day(value.astimezone(tz).date(), date_style)} {value.astimezone(tz):%H:%M}",
    )
    # placeholder(frame): a partial's loading state, for a template listing partials to load (the
    # client list's rows). The app's registry replaces it with one that renders each frame once.
    env.globals["placeholder"] = lambda frame: Markup(env.get_template(f"{frame.name}.html").render(frame=frame))
    # states: the macros every frame shares (partials/_frames/states.html), for every template. An
    # `{% import %}` of them ran on every render: a third of a client row's render time.
    env.globals["states"] = _Macros(env, STATES) if dev else env.get_template(STATES).module
    env.globals["events"] = EVENTS  # what a write announces (web/htmx.py), for parts that reload on it
    return env


class _Macros:
    """A template's macros as a global that follows edits to the file (development only)."""

    def __init__(self, env: Environment, name: str) -> None:
        self.env, self.name = env, name

    def __getattr__(self, macro: str) -> object:
        return getattr(self.env.get_template(self.name).module, macro)


def _signed_percent(value: Decimal | None) -> str:
    if value is None:
        return "–"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{abs(value)}%"


def _percent(value: Decimal | None) -> str:
    return "–" if value is None else f"{value}%"
