"""Reading typed amounts and durations as people meant them, or refusing them with a reason."""

from __future__ import annotations

import pytest

from web.forms import FormReader


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1250", 125_000),
        ("1250.5", 125_050),
        ("1,250.50", 125_050),
        ("1 250.50", 125_050),
        ("€99", 9_900),
        ("€ 99.90", 9_990),
        ("1,500", 150_000),  # a thousands separator: three digits follow
        ("99,99", 9_999),  # a decimal comma: two digits follow
        ("1,5", 150),  # QA found this saved as €15.00
        ("1 234,5", 123_450),  # grouped by spaces, decimal comma
        ("1\u00a0234", 123_400),  # the no-break space of a pasted number
        ("0", 0),
        ("100,000,000.00", 10_000_000_000),
    ],
)
def test_amounts_are_read_as_meant(typed: str, cents: int) -> None:
    form = FormReader({"price": typed})
    assert form.money_cents("price", "Price") == cents
    assert form.errors == {}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e3", "is not an amount"),
        ("1.5.5", "is not an amount"),
        ("12,34,56", "is not an amount"),
        ("1,5000", "is not an amount"),
        ("1.234,50", "is not an amount"),
        ("NaN", "is not an amount"),
        ("0.001", "at most two decimals"),
        ("-5", "between €0 and €100,000,000"),
        ("100,000,000.01", "between €0 and €100,000,000"),
        ("9" * 40, "between €0 and €100,000,000"),
        ("1" * 5000, "between €0 and €100,000,000"),  # was a 500: Python converts at most 4,300 digits
        ("", "Price is required."),
    ],
)
def test_other_input_is_refused_with_the_reason(typed: str, message: str) -> None:
    form = FormReader({"price": typed})
    assert form.money_cents("price", "Price") is None
    assert message in form.errors["price"]


def test_a_refusal_quotes_what_was_typed_as_typed() -> None:
    form = FormReader({"price": "12\u00a0ab"})
    form.money_cents("price", "Price")
    assert form.errors["price"].startswith("Price “12 ab” is not an amount")  # no \xa0 escape


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("1:30", 90),
        ("1.5", 90),
        ("1,5", 90),
        ("2h", 120),
        ("1h30", 90),
        ("1h 30m", 90),
        ("1 H 5 min", 65),
        ("90m", 90),
        ("45 min", 45),
        ("0:01", 1),
    ],
)
def test_durations_are_read_as_people_write_them(typed: str, minutes: int) -> None:
    form = FormReader({"duration": typed})
    assert form.duration_minutes("duration", "Duration") == minutes
    assert form.errors == {}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("lots", "is not a duration"),
        ("1h70", "is not a duration"),
        ("\u0661", "is not a duration"),  # an Arabic-Indic one: digits are 0-9
        ("\uff11:\uff13\uff10", "is not a duration"),  # full-width digits
        ("1441m", "between 1 minute and 24 hours"),
        ("0m", "between 1 minute and 24 hours"),
    ],
)
def test_other_durations_are_refused_with_the_reason(typed: str, message: str) -> None:
    form = FormReader({"duration": typed})
    assert form.duration_minutes("duration", "Duration") is None
    assert message in form.errors["duration"]
