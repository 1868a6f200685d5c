"""Values that change from a date on (issue #20): a retainer's monthly price, a client's and a
person's hourly rate. Each row keeps its changes as a JSON list in date order,
[{"from": "2026-12-01", "cents": 120000}, ...], each in effect from its date until the next; the
row's own column holds the value before the first. SQL reads them with dated_value() (migration
0012), Python with value_on(): one rule, "the last change from that day or before, else the first"."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Change:
    since: date
    cents: int | None  # a client's rate may go back to none: its staff's rates then


def value_on(first: int | None, changes: Sequence[Change], day: date) -> int | None:
    return next((c.cents for c in reversed(changes) if c.since <= day), first)


def with_change(changes: Sequence[Change], since: date, cents: int | None) -> tuple[Change, ...]:
    """The changes with a new one from `since`: one of the same day is replaced, later ones stay."""
    kept = [c for c in changes if c.since != since]
    return tuple(sorted([*kept, Change(since, cents)], key=lambda c: c.since))


def changes_of(stored: str | list[dict[str, Any]]) -> tuple[Change, ...]:
    """The changes as the row stores them (jsonb, which the driver reads as text)."""
    values = json.loads(stored) if isinstance(stored, str) else stored
    return tuple(Change(date.fromisoformat(c["from"]), None if c["cents"] is None else int(c["cents"])) for c in values)


def stored(changes: Sequence[Change]) -> str:
    return json.dumps([{"from": c.since.isoformat(), "cents": c.cents} for c in changes])


def audited(row: Mapping[str, Any], columns: Sequence[str], changes_column: str) -> dict[str, Any]:
    """A row's audited columns, its changes as the list they are (the audit log keeps JSON, not text)."""
    return {k: json.loads(row[k]) if k == changes_column else row[k] for k in columns}
