"""The client page's History: audit rows as a person reads them ("Hourly rate €170.00 → €150.00").

The audit log keeps columns as stored (ids, cents, ISO dates, null); each column has a label and a
format here, in one table, so that the template only lays the lines out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from web.dated import changes_of, value_on
from web.money import format_hours, format_money
from web.periods import Month
from web.queries.history import AuditRow, ClientHistory
from web.queries.services import KIND_LABELS, REACTIVATES

EMPTY = "—"  # a value that is not set: no end date, no account manager


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    who: str  # who made the change; "system" when no one was signed in
    what: str  # what they did to what: "created service Hosting", "changed client"
    changes: list[str]  # an update's changed fields: "End date — → 2026-11-30"


# A stored value (never None) -> text, given the names of the ids its column holds (see ClientHistory.names).
Format = Callable[[Any, dict[int, str]], str]


def _text(value: Any, names: dict[int, str]) -> str:
    return str(value)  # text, and dates: stored as ISO dates, which is how the app shows them


def _money(value: Any, names: dict[int, str]) -> str:
    return format_money(int(value))


def _named(noun: str) -> Format:
    """An id shown as the name it has now; '<noun> #id' for one since deleted."""
    return lambda value, names: names.get(value) or f"{noun} #{value}"


FIELDS: dict[str, tuple[str, Format]] = {
    "name": ("Name", _text),
    "status": ("Status", lambda value, names: str(value).capitalize()),
    "account_manager_id": ("Account manager", _named("manager")),
    "kind": ("Kind", lambda value, names: KIND_LABELS.get(value, str(value))),
    "monthly_price_cents": ("Monthly price", _money),
    "fixed_price_cents": ("Price", _money),
    "hourly_rate_cents": ("Hourly rate", _money),
    "start_date": ("Start date", _text),
    "end_date": ("End date", _text),
    "user_id": ("Person", _named("user")),
    "client_id": ("Client", _named("client")),
    "service_id": ("Service", _named("service")),
    "work_date": ("Date", _text),
    "minutes": ("Time", lambda value, names: format_hours(int(value))),
    "billable": ("Billable", lambda value, names: "yes" if value else "no"),
    "rate_cents": ("Rate", _money),
    "description": ("Description", _text),
}
# Dated values (web/dated.py): their changes are told as the value they change, from when.
_DATED: dict[str, tuple[str, Callable[[date], str]]] = {
    "price_changes": ("monthly_price_cents", lambda day: Month.of(day).label),
    "rate_changes": ("hourly_rate_cents", lambda day: f"{day:%-d %b %Y}"),
}
STATUS_FROM = "status_from"  # the day a changed status took effect, kept beside it in the audit row
_VERBS = {"create": "created", "update": "changed", "delete": "deleted"}
_IN_SUBJECT = {"name", "user_id", "work_date", "client_id"}  # see _subject
_NOT_LISTED = {*_IN_SUBJECT, REACTIVATES}  # what a created thing's line says by its subject or verb


def history_lines(history: ClientHistory) -> list[HistoryLine]:
    return [
        HistoryLine(row.at, row.who or "system", f"{_verb(row)} {_subject(row, history)}", _changes(row, history))
        for row in history.rows
    ]


def _changed_columns(row: AuditRow) -> list[str]:
    """The columns an update changed, in the order of FIELDS (any unknown one after them)."""
    columns = (set(row.before) | set(row.after)) - {REACTIVATES, STATUS_FROM}
    order = [*FIELDS, *sorted(columns - FIELDS.keys())]
    return [c for c in order if c in columns and row.before.get(c) != row.after.get(c)]


def _changes(row: AuditRow, history: ClientHistory) -> list[str]:
    if row.action == "create":  # what it started with, but for what its subject says already
        order = [*FIELDS, *sorted(row.after.keys() - FIELDS.keys())]
        return [
            f"{_label(c)} {_format(c, row.after[c], history)}"
            for c in order
            if c in row.after and row.after[c] not in (None, []) and c not in _NOT_LISTED | _DATED.keys()
        ]
    if row.action != "update":
        return []  # a delete is told by its subject
    lines = []
    for c in _changed_columns(row):
        if c in _DATED:
            lines += _dated_changes(row, c, history)
            continue
        line = f"{_label(c)} {_format(c, row.before.get(c), history)} → {_format(c, row.after.get(c), history)}"
        if c == "status" and row.after.get(STATUS_FROM):  # dated by the form (migration 0017)
            line += f" from {date.fromisoformat(row.after[STATUS_FROM]):%-d %b %Y}"
        lines.append(line)
    return lines


def _dated_changes(row: AuditRow, column: str, history: ClientHistory) -> list[str]:
    """ "Hourly rate €150.00 → €170.00 from 1 Dec 2026" for each change made; one taken back, said so."""
    value_column, when = _DATED[column]
    before, after = changes_of(row.before.get(column) or []), changes_of(row.after.get(column) or [])
    first = row.before.get(value_column)
    lines = [
        f"{_label(value_column)} {_format(value_column, value_on(first, before, c.since), history)}"
        f" → {_format(value_column, c.cents, history)} from {when(c.since)}"
        for c in after
        if c not in before
    ]
    lines += [f"{_label(value_column)} from {when(c.since)} taken back" for c in before if c not in after]
    return lines


def _verb(row: AuditRow) -> str:
    """Ending a service is an update that gives it an end date and changes nothing else: say so; and
    what Reactivate did. (Taking an end date away in the edit form is not always a reactivation: it
    may not have been reached yet.)"""
    a_service_update = row.entity == "service" and row.action == "update"
    if a_service_update and _changed_columns(row) == ["end_date"] and row.before.get("end_date") is None:
        return "ended"
    if REACTIVATES in row.after:  # Reactivate's: a new run of an ended service, or its end taken back
        return "reactivated"
    return _VERBS.get(row.action, row.action)


def _subject(row: AuditRow, history: ClientHistory) -> str:
    values = row.after or row.before
    if row.entity == "service":
        return f"service {values.get('name') or f'#{row.entity_id}'}"
    if row.entity == "entry":
        person = _format("user_id", values.get("user_id"), history)
        return f"time entry of {person} on {_format('work_date', values.get('work_date'), history)}"
    return row.entity  # the client whose page this is


def _label(column: str) -> str:
    return FIELDS[column][0] if column in FIELDS else column.replace("_", " ").capitalize()


def _format(column: str, value: Any, history: ClientHistory) -> str:
    if value is None:
        return EMPTY
    _, format_it = FIELDS.get(column, ("", _text))
    return format_it(value, history.names.get(column, {}))
