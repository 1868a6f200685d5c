"""A straightforward, slow reference for the figures, written from the definitions, not the SQL."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from web.money import entry_amount_cents
from web.periods import Month


def reference_revenue(
    services: list[dict[str, Any]], entries: list[dict[str, Any]], start: date, end: date
) -> dict[int, int]:
    """Revenue per client for start..end, by walking each month and each entry."""
    revenue: dict[int, int] = defaultdict(int)
    for s in services:
        if s["kind"] == "recurring":
            month = Month.of(start)
            while month.first_day <= end:
                # Days of this month inside the period and inside the service's life.
                first = max(month.first_day, start, s["start_date"])
                last = min(month.last_day, end, s["end_date"] or date.max)
                if first <= last:
                    revenue[s["client_id"]] += reference_price_on(s, first)
                month = month.plus(1)
        elif s["kind"] == "one_off" and start <= s["start_date"] <= end:
            revenue[s["client_id"]] += s["fixed_price_cents"]
    for e in entries:
        if start <= e["work_date"] <= end:
            revenue[e["client_id"]] += entry_amount_cents(e["minutes"], e["rate_cents"], e["billable"])
    return dict(revenue)


def reference_price_on(service: dict[str, Any], day: date) -> int:
    """A retainer's monthly price on `day`: its last change from that day or before, else its first price."""
    changes = service.get("price_changes") or "[]"
    in_effect = [c for c in json.loads(changes) if date.fromisoformat(c["from"]) <= day]
    return int(max(in_effect, key=lambda c: c["from"])["cents"]) if in_effect else int(service["monthly_price_cents"])


def reference_mrr(services: list[dict[str, Any]], today: date) -> dict[int, int]:
    mrr: dict[int, int] = defaultdict(int)
    for s in services:
        if s["kind"] == "recurring" and s["start_date"] <= today <= (s["end_date"] or date.max):
            mrr[s["client_id"]] += reference_price_on(s, today)
    return dict(mrr)


def reference_capacity_minutes(capacity_rows: list[dict[str, Any]], start: date, end: date) -> dict[int, Fraction]:
    """Each person's capacity over start..end, day by day: a weekday holds a fifth of the weekly
    minutes of their latest row from that day or before; a weekend and a day before any row, none."""
    by_user: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(capacity_rows, key=lambda r: r["from_date"]):
        by_user[row["user_id"]].append(row)
    minutes: dict[int, Fraction] = defaultdict(Fraction)
    for user, rows in by_user.items():
        day = start
        while day <= end:
            in_effect = [r for r in rows if r["from_date"] <= day]
            if in_effect and day.weekday() < 5:
                minutes[user] += Fraction(in_effect[-1]["weekly_minutes"], 5)
            day += timedelta(days=1)
    return dict(minutes)


def reference_month_mrr(services: list[dict[str, Any]], month: Month) -> dict[int, int]:
    """Each client's MRR of a month: the prices its retainers bill in it (as reference_revenue)."""
    mrr: dict[int, int] = defaultdict(int)
    for s in services:
        first = max(month.first_day, s["start_date"])
        if s["kind"] == "recurring" and first <= min(month.last_day, s["end_date"] or date.max):
            mrr[s["client_id"]] += reference_price_on(s, first)
    return mrr


def reference_mrr_movements(services: list[dict[str, Any]], months: list[Month]) -> list[dict[str, int]]:
    """Each month's MRR movements, client by client, from every month since the first retainer."""
    earliest = Month.of(
        min((s["start_date"] for s in services if s["kind"] == "recurring"), default=months[0].first_day)
    )
    history, month = [], earliest.plus(-1)
    while month.first_day <= months[-1].first_day:
        history.append((month, reference_month_mrr(services, month)))
        month = month.plus(1)
    result = []
    for index in range(1, len(history)):
        month, now = history[index]
        before = history[index - 1][1]
        moved = {
            "starting": sum(before.values()),
            "new": 0,
            "reactivation": 0,
            "expansion": 0,
            "contraction": 0,
            "churn": 0,
        }
        for client in set(now) | set(before):
            was, is_ = before.get(client, 0), now.get(client, 0)
            had = any(mrr.get(client, 0) > 0 for _, mrr in history[: index - 1])
            if was == 0 and is_ > 0:
                moved["reactivation" if had else "new"] += is_
            elif was > 0 and is_ == 0:
                moved["churn"] += was
            elif was > 0 and is_ > was:
                moved["expansion"] += is_ - was
            elif 0 < is_ < was:
                moved["contraction"] += was - is_
        moved["ending"] = sum(now.values())
        if month in months:
            result.append(moved)
    return result


def reference_client_statuses(status_rows: list[dict[str, Any]], start: date, end: date) -> dict[str, set[int]]:
    """Clients active (on some day of start..end), new (first active day in it) and churned (became
    churned on a day of it), by walking the days from each client's status rows."""
    rows: dict[int, list[tuple[date, str]]] = defaultdict(list)
    for r in status_rows:
        rows[r["client_id"]].append((r["from_date"], r["status"]))
    found: dict[str, set[int]] = {"active": set(), "new": set(), "churned": set()}

    for client, changes in rows.items():

        def status_on(day: date, changes: list[tuple[date, str]] = changes) -> str | None:
            return next((s for since, s in sorted(changes, reverse=True) if since <= day), None)

        day = start
        while day <= end:
            today, before = status_on(day), status_on(day - timedelta(days=1))
            if today == "active":
                found["active"].add(client)
            if today == "churned" and before not in (None, "churned"):
                found["churned"].add(client)
            day += timedelta(days=1)
        won = min((since for since, s in changes if s == "active"), default=None)
        if won is not None and start <= won <= end:
            found["new"].add(client)
    return found


def reference_costs(
    entries: list[dict[str, Any]], cost_rates: list[dict[str, Any]], start: date, end: date
) -> dict[int, tuple[int, int]]:
    """(cost in cents, minutes without a cost rate) per client for start..end: each entry at its
    person's cost rate on its day (the latest from that day or before), rounded half up."""
    rates: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for r in cost_rates:
        rates[r["user_id"]].append((r["from_date"], r["cents"]))
    costs: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for e in entries:
        if start <= e["work_date"] <= end:
            rate = max(((d, c) for d, c in rates[e["user_id"]] if d <= e["work_date"]), default=(None, 0))[1]
            cost, uncosted = costs[e["client_id"]]
            exact = Fraction(e["minutes"] * rate, 60)
            costs[e["client_id"]] = (cost + int(exact + Fraction(1, 2)), uncosted + (e["minutes"] if rate == 0 else 0))
    return dict(costs)
