from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import DataBuilder
from web.money import (
    entry_amount_cents,
    format_compact,
    format_hours,
    format_money,
    format_per_hour,
    hourly_rate_cents,
    percent_change,
)


def test_the_effective_hourly_rate_rounds_half_up_and_needs_time_logged() -> None:
    assert hourly_rate_cents(262_000, 120) == 131_000  # €2,620 over 2 h
    assert hourly_rate_cents(100, 7) == 857  # 857.14...
    assert hourly_rate_cents(1, 120) == 1  # half a cent an hour: up
    assert hourly_rate_cents(500_000, 0) is None
    assert (format_per_hour(262_000, 120), format_per_hour(0, 0)) == ("€1,310 / h", "–")


@pytest.mark.parametrize(
    ("minutes", "rate_cents", "expected"),
    [
        (60, 10_000, 10_000),
        (7, 10_000, 1_167),  # 1166.67 rounds up
        (1, 50, 1),  # 0.83 cent rounds up to 1
        (3, 10, 1),  # exactly half a cent rounds half up
        (1, 29, 0),  # 0.48 cent rounds down
        (90, 12_345, 18_518),  # 18517.5 rounds half up
        (1440, 100_000_000, 2_400_000_000),  # the largest entry at the largest rate
    ],
)
def test_entry_amount_rounds_half_up_per_entry(minutes: int, rate_cents: int, expected: int) -> None:
    assert entry_amount_cents(minutes, rate_cents) == expected


def test_non_billable_entries_earn_nothing() -> None:
    assert entry_amount_cents(60, 10_000, billable=False) == 0


def test_database_computes_the_same_amount_as_python(data: DataBuilder) -> None:
    user = data.user()
    client = data.client()
    cases = [
        (m, r) for m in (1, 3, 7, 29, 59, 61, 90, 481, 1440) for r in (0, 1, 10, 29, 50, 9_999, 12_345, 100_000_000)
    ]
    for minutes, rate in cases:
        data.entry(client, user, date(2024, 1, 2), minutes, rate)
    rows = data.rows("SELECT minutes, rate_cents, amount_cents FROM timesheet_entries")
    assert len(rows) == len(cases)
    for row in rows:
        assert row["amount_cents"] == entry_amount_cents(row["minutes"], row["rate_cents"]), row


def test_formats() -> None:
    assert format_money(123_456_789) == "€1,234,567.89"
    assert format_money(-150) == "−€1.50"
    assert format_money(123_450, whole=True) == "€1,235"
    assert format_compact(123_456_789) == "€1.2M"
    assert format_compact(3_500_000) == "€35k"
    assert format_hours(90) == "1:30 h"
    assert format_hours(435) == "7:15 h"  # exact: a decimal said 7.3 (or 7.2) beside the CSV's 7.25
    assert format_hours(105) == "1:45 h"  # as time is typed; a decimal would say 1.8 h
    assert format_hours(105, unit=False) == "1:45"  # what the duration field shows and reads back
    assert format_hours(0) == "0:00 h"
    assert format_hours(60_005) == "1,000:05 h"
    assert percent_change(110, 100) == Decimal("10.0")
    assert percent_change(1, 3) == Decimal("-66.7")
    assert percent_change(5, 0) is None


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_money_is_formatted_as_decimal_arithmetic_would(cents: int) -> None:
    sign = "−" if cents < 0 else ""
    amount = Decimal(abs(cents)) / 100
    assert format_money(cents) == f"{sign}€{amount:,.2f}"
    assert format_money(cents, whole=True) == f"{sign}€{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
