"""Money is integer cents everywhere; these are the only conversions to and from text."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CURRENCY_SYMBOL = "€"


def entry_amount_cents(minutes: int, rate_cents: int, billable: bool = True) -> int:
    """What a time entry earns: minutes / 60 x rate, rounded half up to the cent.

    The database computes the same in `timesheet_entries.amount_cents`; tests hold the two equal.
    """
    if not billable:
        return 0
    return int((Decimal(minutes) * rate_cents / 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_money(cents: int, *, whole: bool = False) -> str:
    """1234567 -> '€12,345.67' (or '€12,346' when whole)."""
    sign = "−" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    # Whole: half a unit or more rounds up. Integers, not Decimal: a page formats hundreds.
    text = f"{units + (rest >= 50):,}" if whole else f"{units:,}.{rest:02d}"
    return f"{sign}{CURRENCY_SYMBOL}{text}"


def hourly_rate_cents(revenue_cents: int, minutes: int) -> int | None:
    """Revenue per hour logged (the effective hourly rate), in cents rounded half up; None without
    time logged. Over an hour's worth of retainer it shows how well the time was paid."""
    if minutes <= 0:
        return None
    return (revenue_cents * 60 * 2 + minutes) // (minutes * 2)


def format_per_hour(revenue_cents: int, minutes: int) -> str:
    """'€1,310 / h', or '–' when no time was logged."""
    rate = hourly_rate_cents(revenue_cents, minutes)
    return "–" if rate is None else f"{format_money(rate, whole=True)} / h"


def format_compact(cents: int) -> str:
    """A short figure for tight spaces: '€1.2M', '€35k', '€900'."""
    value = abs(cents) / 100
    sign = "−" if cents < 0 else ""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if value >= size:
            return f"{sign}{CURRENCY_SYMBOL}{value / size:.1f}{suffix}".replace(".0" + suffix, suffix)
    return f"{sign}{CURRENCY_SYMBOL}{value:.0f}"


def format_hours(minutes: int, *, unit: bool = True) -> str:
    """105 -> '1:45 h'; hours and minutes, thousands separated, everywhere on screen: exact to the
    minute (a decimal rounds: 435 minutes were '7.3 h' beside the CSV's 7.25) and as time is typed.
    Without the unit, '1:45' is what a duration field shows and reads back. CSV keeps decimal hours
    for spreadsheets."""
    return f"{minutes // 60:,}:{minutes % 60:02d}" + (" h" if unit else "")


def percent_change(current: int, previous: int) -> Decimal | None:
    """Change from previous to current in percent, one decimal; None when there is nothing to compare."""
    if previous == 0:
        return None
    return (Decimal(current - previous) * 100 / previous).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
