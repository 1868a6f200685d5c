"""What the seed dates (issue #20): each person's capacity and cost rate, retainer prices that
changed from a month on, and the day clients paused or churned. None draws on the seed's random stream, so the
rest of its data is as it was before they existed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from web.db import Database
from web.periods import Month
from web.queries.capacity import DEFAULT_WEEKLY_MINUTES


async def seed_capacity(db: Database, user_ids: list[int], today: date, history_days: int) -> None:
    """Everyone there since the history begins, 40 hours a week; every eighth person four days
    a week, and every eleventh went down to that a year ago (a dated change)."""
    since = today - timedelta(days=history_days)
    rows = []
    for n, user_id in enumerate(user_ids):
        rows.append((user_id, since, 1920 if n % 8 == 3 else DEFAULT_WEEKLY_MINUTES))
        if n % 11 == 5:
            rows.append((user_id, today - timedelta(days=365), 1920))
    await db.copy_records("user_capacity", ("user_id", "from_date", "weekly_minutes"), rows)


async def seed_cost_rates(
    db: Database, user_rates: dict[int, int], today: date, history_days: int
) -> Callable[[int, date], int]:
    """Cost rates (migration 0018): 45 % of each person's hourly rate, to the euro, since the history
    begins; every ninth person's went up a tenth a year ago; every thirteenth has none (their time
    costs nothing, which the pages say). Returns a person's cost rate on a day, for the entries the
    seed loads without triggers."""
    since, raised = today - timedelta(days=history_days), today - timedelta(days=365)
    rates: dict[int, list[tuple[date, int]]] = {}
    for n, (user_id, rate) in enumerate(user_rates.items()):
        if n % 13 == 4:
            continue
        cost = int(round(rate * 0.45, -2))
        rates[user_id] = [(since, cost)] + ([(raised, int(round(cost * 1.1, -2)))] if n % 9 == 2 else [])
    rows = [(user_id, day, cents) for user_id, changes in rates.items() for day, cents in changes]
    await db.copy_records("user_cost_rates", ("user_id", "from_date", "cents"), rows)

    def cost_on(user_id: int, day: date) -> int:
        return next((cents for since, cents in reversed(rates.get(user_id, [])) if since <= day), 0)

    return cost_on


async def seed_price_changes(db: Database, today: date) -> None:
    """Retainers whose price changed from a month on (migration 0012), chosen by id: a quarter of
    those older than a year raised 5 % a year ago, half of them to 8 % three months ago, and a
    quarter of the open ones 10 % from next month."""
    this_month = Month.of(today)
    year_ago, quarter_ago, next_month = (this_month.plus(n).first_day for n in (-12, -3, 1))
    change = "jsonb_build_object('from', CAST(:{0} AS date), 'cents', monthly_price_cents * {1} / 100)"
    for condition, changes in (
        ("id % 8 = 1 AND start_date < :year_ago", [change.format("year_ago", 105), change.format("quarter_ago", 108)]),
        ("id % 8 = 5 AND start_date < :year_ago", [change.format("year_ago", 105)]),
        ("id % 4 = 3 AND end_date IS NULL AND start_date < :next_month", [change.format("next_month", 110)]),
    ):
        await db.execute(
            f"UPDATE services SET price_changes = jsonb_build_array({', '.join(changes)})"
            f" WHERE kind = 'recurring' AND {condition}",
            year_ago=year_ago,
            quarter_ago=quarter_ago,
            next_month=next_month,
        )


async def seed_statuses(db: Database, ended: list[tuple[int, str, date]]) -> None:
    """Clients paused or churned were active from the day they were created (the row the insert
    trigger of migration 0017 wrote, with the status now) until the day they stopped."""
    await db.copy_records(
        "client_statuses", ("client_id", "from_date", "status"), [(c, day, status) for c, status, day in ended]
    )
    await db.execute(
        "UPDATE client_statuses s SET status = 'active', to_date = n.from_date - 1 FROM client_statuses n"
        " WHERE s.client_id = ANY(:ids) AND n.client_id = s.client_id AND n.from_date > s.from_date",
        ids=[c for c, _, _ in ended],
    )
