from datetime import date

import pytest

from web.periods import Month, Period, named_period, trailing_months


@pytest.mark.parametrize(
    ("name", "today", "start", "end"),
    [
        ("this_month", date(2024, 2, 10), date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        ("this_month", date(2023, 2, 10), date(2023, 2, 1), date(2023, 2, 28)),
        ("last_month", date(2024, 1, 5), date(2023, 12, 1), date(2023, 12, 31)),  # across a year
        ("last_month", date(2024, 3, 31), date(2024, 2, 1), date(2024, 2, 29)),
        ("this_quarter", date(2024, 5, 20), date(2024, 4, 1), date(2024, 6, 30)),
        ("this_quarter", date(2024, 12, 31), date(2024, 10, 1), date(2024, 12, 31)),
        ("ytd", date(2024, 3, 15), date(2024, 1, 1), date(2024, 3, 15)),
        ("last_12_months", date(2024, 3, 15), date(2023, 4, 1), date(2024, 3, 31)),
    ],
)
def test_named_periods(name: str, today: date, start: date, end: date) -> None:
    assert named_period(name, today) == Period(name, start, end)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        (Period("this_month", date(2024, 3, 1), date(2024, 3, 31)), date(2024, 2, 1), date(2024, 2, 29)),
        (Period("this_quarter", date(2024, 1, 1), date(2024, 3, 31)), date(2023, 10, 1), date(2023, 12, 31)),
        (Period("last_12_months", date(2023, 4, 1), date(2024, 3, 31)), date(2022, 4, 1), date(2023, 3, 31)),
        # Year to date compares with the same dates a year before; 29 February becomes the 28th.
        (Period("ytd", date(2024, 1, 1), date(2024, 2, 29)), date(2023, 1, 1), date(2023, 2, 28)),
        # Other ranges compare with as many days just before.
        (Period("custom", date(2024, 3, 10), date(2024, 3, 19)), date(2024, 2, 29), date(2024, 3, 9)),
        # A custom range of whole months compares with the months before.
        (Period("custom", date(2024, 2, 1), date(2024, 3, 31)), date(2023, 12, 1), date(2024, 1, 31)),
    ],
)
def test_previous_period(period: Period, start: date, end: date) -> None:
    previous = period.previous()
    assert (previous.start, previous.end) == (start, end)


def test_trailing_months_cross_years() -> None:
    months = trailing_months(Month(2024, 2), 3)
    assert months == [Month(2023, 12), Month(2024, 1), Month(2024, 2)]
    assert months[-1].last_day == date(2024, 2, 29)


def test_unknown_period_name() -> None:
    with pytest.raises(KeyError):
        named_period("fortnight", date(2024, 1, 1))


@pytest.mark.parametrize(
    ("name", "today", "start", "end"),
    [
        # In progress: the same days of the period before (issue #20: not all of November).
        ("this_month", date(2026, 12, 3), date(2026, 11, 1), date(2026, 11, 3)),
        ("this_month", date(2024, 3, 30), date(2024, 2, 1), date(2024, 2, 29)),  # no 30 February
        ("this_quarter", date(2026, 12, 3), date(2026, 7, 1), date(2026, 9, 3)),
        ("last_12_months", date(2026, 12, 3), date(2025, 1, 1), date(2025, 12, 3)),
        # Over, or ending today: the whole period before.
        ("this_month", date(2026, 11, 30), date(2026, 10, 1), date(2026, 10, 31)),
        ("last_month", date(2026, 12, 3), date(2026, 10, 1), date(2026, 10, 31)),
        ("ytd", date(2026, 12, 3), date(2025, 1, 1), date(2025, 12, 3)),
    ],
)
def test_a_period_in_progress_is_compared_like_for_like(name: str, today: date, start: date, end: date) -> None:
    compared = named_period(name, today).compared_with(today)
    assert (compared.start, compared.end) == (start, end)


def test_a_custom_range_in_progress_is_compared_with_as_many_days_before() -> None:
    period = Period("custom", date(2026, 11, 20), date(2026, 12, 10))  # 21 days, 14 gone on 3 December
    compared = period.compared_with(date(2026, 12, 3))
    assert (compared.start, compared.end) == (date(2026, 10, 30), date(2026, 11, 12))
    assert period.so_far(date(2026, 12, 3)).span_label == "20 Nov – 3 Dec 2026"


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (date(2026, 11, 1), date(2026, 11, 3), "1–3 Nov 2026"),
        (date(2026, 11, 3), date(2026, 11, 3), "3 Nov 2026"),
        (date(2026, 7, 1), date(2026, 9, 3), "1 Jul – 3 Sep 2026"),
        (date(2025, 12, 1), date(2026, 1, 3), "1 Dec 2025 – 3 Jan 2026"),
    ],
)
def test_span_labels(start: date, end: date, label: str) -> None:
    assert Period("custom", start, end).span_label == label
