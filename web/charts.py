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


def gapped_line(values: Sequence[float | None], *, width: float, height: float, pad: float = 2) -> str:
    """SVG path data for values scaled from zero to the largest (a small wobble stays small); a None,
    a minute with nothing measured, leaves a gap instead of a drop to zero."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    top = max(known) or 1
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    usable = height - 2 * pad
    parts, drawing = [], False
    for i, value in enumerate(values):
        if value is None:
            drawing = False
            continue
        point = f"{pad + i * step:.1f},{pad + usable - usable * value / top:.1f}"
        # A point with no neighbour is drawn as a dot (a zero-length stroke with round caps).
        parts.append(f"L{point}" if drawing else f"M{point}l0.01,0")
        drawing = True
    return " ".join(parts)
