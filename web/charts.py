"""Geometry for the SVG charts; templates only draw what these return."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_cents: int


@dataclass(frozen=True)
class StackedBar:
    """A bar made of segments, one per kind of amount (a month's revenue by kind, its MRR movements)."""

    label: str
    x: float
    width: float
    segments: list[tuple[str, float, float, int]]  # kind, y, height, cents


@dataclass(frozen=True)
class Tick:
    y: float
    value_cents: int


def bars(
    values: Sequence[int],
    labels: Sequence[str],
    *,
    width: float,
    height: float,
    gap: float = 4,
    left: float = 0,
    top: int | None = None,
) -> list[Bar]:
    """Vertical bars from x = `left`, scaled so that `top` (by default the largest value) is the full
    height; negative values are drawn as zero."""
    if not values:
        return []
    top = max(top or max(values), 1)
    step = (width - left) / len(values)
    result = []
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        bar_height = height * max(value, 0) / top
        result.append(Bar(left + index * step + gap / 2, height - bar_height, step - gap, bar_height, label, value))
    return result


def value_ticks(largest: int, *, height: float, count: int = 3) -> list[Tick]:
    """Gridlines for a value axis from zero: `count` steps of a round size (1, 2, 2.5 or 5 times a
    power of ten) whose last is at or above `largest`, at the top of a chart `height` tall."""
    if largest <= 0:
        return [Tick(height, 0)]
    rough = largest / count
    power = 10 ** (len(str(int(rough))) - 1)
    step = next(power * m for m in (1, 2, 2.5, 5, 10) if power * m >= rough)
    steps = -(-largest // step)  # at or above the largest
    return [Tick(height - height * n / steps, int(n * step)) for n in range(int(steps) + 1)]


def sparkline(values: Sequence[int], *, width: float, height: float, pad: float = 2) -> str:
    """SVG polyline points for values, scaled between their minimum and maximum."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    usable = height - 2 * pad
    return " ".join(
        f"{pad + i * step:.1f},{pad + usable - usable * (value - low) / span:.1f}" for i, value in enumerate(values)
    )


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    label: str  # what its tooltip says


def minute_columns(values: Sequence[float | None], *, width: float, height: float, gap: float = 0.35) -> list[Column]:
    """A column per minute (oldest first), scaled from zero to the largest; a minute with nothing
    measured (None) has no column, a gap rather than a dot or a drop to zero. Tooltips say how long
    ago and the value in ms."""
    known = [v for v in values if v is not None]
    top = max(known, default=0) or 1
    step = width / max(len(values), 1)  # `gap`: the share of each minute's width left blank
    columns = []
    for index, value in enumerate(values):
        if value is None:
            continue
        ago = len(values) - 1 - index
        label = f"{'this minute' if ago == 0 else f'{ago} min ago'}: {value:.0f} ms"
        tall = max(height * value / top, 1.0)  # a measured minute shows, however fast
        columns.append(Column(index * step + step * gap / 2, height - tall, step * (1 - gap), tall, label))
    return columns
