"""Capacity and utilization (issue #20 item 6): the arithmetic against a day-by-day reference, and
the writes that date a change."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from anyio.from_thread import BlockingPortal

from tests.reference import reference_capacity_minutes
from tests.support import TODAY, DataBuilder
from web.dashboard.cards import load_utilization
from web.dashboard.filters import parse_filters
from web.db import Database
from web.db.seed import SIZES, seed
from web.queries.capacity import Utilization, capacities, set_capacity, utilization, whole_minutes
from web.queries.users import add_user, set_disabled


def test_weekdays_count_mondays_to_fridays(data: DataBuilder) -> None:
    def weekdays(first: date, last: date) -> int:
        return int(data.val("SELECT weekdays_between(:a, :b)", a=first, b=last))

    assert weekdays(date(2026, 11, 30), date(2026, 12, 6)) == 5  # Monday to Sunday
    assert weekdays(date(2026, 12, 5), date(2026, 12, 6)) == 0  # a weekend
    assert weekdays(date(2026, 12, 1), date(2026, 12, 31)) == 23
    assert weekdays(date(2026, 12, 2), date(2026, 12, 1)) == 0
    rng = random.Random(7)
    for _ in range(300):
        first = date(2026, 1, 1) + timedelta(days=rng.randrange(400))
        last = first + timedelta(days=rng.randrange(-3, 60))
        expected = sum(1 for n in range((last - first).days + 1) if (first + timedelta(days=n)).weekday() < 5)
        assert weekdays(first, last) == expected, (first, last)


def test_capacity_follows_dated_changes_like_the_reference(
    data: DataBuilder, test_db: Database, portal: BlockingPortal
) -> None:
    sam = data.user("Sam")

    def capacity(first: date, last: date) -> Fraction:
        return portal.call(lambda: capacities(test_db, first, last, [sam])).get(sam, Fraction(0))

    # Hand-computed: 40 h from 1 Dec, 24 h from Monday 14 Dec; December 2026 has 23 weekdays, 9 of
    # them before the 14th: 9 x 8 h + 14 x 4.8 h = 139.2 h.
    data.capacity(sam, date(2026, 12, 1), 40)
    data.capacity(sam, date(2026, 12, 14), 24)
    assert capacity(date(2026, 12, 1), date(2026, 12, 31)) == Fraction(139 * 60 + 12)
    assert capacity(date(2026, 11, 1), date(2026, 11, 30)) == 0  # before the first change
    rng = random.Random(11)
    for _ in range(150):
        data.val("DELETE FROM user_capacity")
        for day in sorted(rng.sample(range(300), rng.randrange(1, 5))):
            data.capacity(sam, date(2026, 1, 1) + timedelta(days=day), rng.choice([0, 20, 32, 37.5, 2251 / 60, 40]))
        rows = data.rows("SELECT user_id, from_date, weekly_minutes FROM user_capacity")
        first = date(2026, 1, 1) + timedelta(days=rng.randrange(-20, 320))
        last = first + timedelta(days=rng.randrange(0, 120))
        expected = reference_capacity_minutes(rows, first, last).get(sam, Fraction(0))
        assert capacity(first, last) == expected, (rows, first, last)


def test_utilization_is_billable_over_capacity_half_up() -> None:
    assert utilization(6 * 60, Fraction(8 * 60)) == Decimal("75.0")
    assert utilization(1, Fraction(2400 * 3, 5)) == Decimal("0.1")  # 1/1440 = 0.0694 %
    assert utilization(1, Fraction(2000)) == Decimal("0.1")  # 0.05 % exactly: half up
    assert utilization(10 * 60, Fraction(8 * 60)) == Decimal("125.0")  # overtime shows
    assert utilization(60, Fraction(0)) is None
    assert whole_minutes(Fraction(6753, 5)) == 1351  # 1,350.6
    assert whole_minutes(Fraction(2701, 2)) == 1351  # 1,350.5: half up


def test_a_dated_change_keeps_what_came_before(data: DataBuilder, test_db: Database, portal: BlockingPortal) -> None:
    sam = data.user("Sam")
    data.capacity(sam, date(2026, 1, 1), 40)
    before = portal.call(set_capacity, test_db, sam, date(2026, 12, 14), 24 * 60)
    assert before == 2400
    assert portal.call(set_capacity, test_db, sam, date(2026, 12, 14), 24 * 60) == 1440  # the same: nothing written
    assert data.val("SELECT count(*) FROM user_capacity WHERE user_id = :u", u=sam) == 2
    november = portal.call(capacities, test_db, date(2026, 11, 1), date(2026, 11, 30), [sam])
    assert november == {sam: Fraction(21 * 8 * 60)}  # 21 weekdays at 8 h: untouched by December's change


def test_new_and_disabled_accounts_date_their_capacity(
    data: DataBuilder, test_db: Database, portal: BlockingPortal
) -> None:
    joined = date(2026, 12, 3)

    async def add() -> int:
        return await add_user(
            test_db, email="new@test.example", name="New", role="staff", password="a long password 1", today=joined
        )

    new = portal.call(add)
    assert data.rows("SELECT from_date, weekly_minutes FROM user_capacity WHERE user_id = :u", u=new) == [
        {"from_date": joined, "weekly_minutes": 2400}
    ]
    data.val("UPDATE user_capacity SET weekly_minutes = 1920 WHERE user_id = :u", u=new)  # four days a week
    left = date(2026, 12, 10)
    portal.call(lambda: set_disabled(test_db, "new@test.example", True, today=left))
    back = date(2027, 1, 4)
    portal.call(lambda: set_disabled(test_db, "new@test.example", False, today=back))
    assert data.rows(
        "SELECT from_date, weekly_minutes FROM user_capacity WHERE user_id = :u ORDER BY from_date", u=new
    ) == [
        {"from_date": joined, "weekly_minutes": 1920},
        {"from_date": left, "weekly_minutes": 0},
        {"from_date": back, "weekly_minutes": 1920},  # what they had before they left
    ]


@pytest.mark.parametrize("rng_seed", [11, 23])
def test_the_utilization_card_matches_the_reference_on_seeded_data(
    data: DataBuilder, test_db: Database, portal: BlockingPortal, rng_seed: int
) -> None:
    portal.call(lambda: seed(test_db, SIZES["tiny"], today=TODAY, rng_seed=rng_seed))
    # A part-timer from the middle of a month, and someone who left in it: changes inside periods.
    users = [r["id"] for r in data.rows("SELECT id FROM users ORDER BY id")]
    data.capacity(users[0], date(2026, 10, 14), 24)
    data.capacity(users[1], date(2026, 10, 22), 0)
    rows = data.rows("SELECT user_id, from_date, weekly_minutes FROM user_capacity")
    entries = data.rows("SELECT work_date, minutes FROM timesheet_entries WHERE billable")
    for query, (first, last) in {
        "period=last_month": (date(2026, 10, 1), date(2026, 10, 31)),
        "period=this_month": (date(2026, 11, 1), TODAY),  # in progress: up to today
        "period=last_12_months": (date(2025, 12, 1), TODAY),
        "period=custom&from=2025-11-10&to=2026-10-20": (date(2025, 11, 10), date(2026, 10, 20)),
    }.items():
        filters = parse_filters(dict(pair.split("=") for pair in query.split("&")), TODAY)
        card = portal.call(load_utilization, test_db, filters, TODAY)
        capacity = sum(reference_capacity_minutes(rows, first, last).values())
        billable = sum(e["minutes"] for e in entries if first <= e["work_date"] <= last)
        assert card.team == Utilization(billable, whole_minutes(capacity), utilization(billable, capacity)), query
        assert card.team.percent is not None and card.team.percent > 0, query  # a real figure, not an empty one
