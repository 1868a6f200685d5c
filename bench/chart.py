"""The benchmark's chart: cold time of the whole dashboard against dataset size, one line per mode.

Both axes are logarithmic (sizes span 50x, times 1000x), drawn as a plain SVG file that a README or
docs page can show as is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from web.db.seed import SIZES

# mode: (colour, dash); the baselines on Billable's own indexes dashed, naive with its trend in one
# scan dotted (see bench/baselines.py).
MODES = {
    "naive": ("#c0392b", ""),
    "gather": ("#d68910", ""),
    "naive_trend_one_scan": ("#c0392b", "2 3"),
    "naive_billable_indexes": ("#c0392b", "6 4"),
    "gather_billable_indexes": ("#d68910", "6 4"),
    "billable": ("#1e8449", ""),
}
LABELS = {
    "naive_trend_one_scan": "naive, trend in one scan",
    "naive_billable_indexes": "naive, Billable's indexes",
    "gather_billable_indexes": "gather, Billable's indexes",
}
WIDTH, HEIGHT = 760, 360
LEFT, RIGHT, TOP, BOTTOM = 70, 240, 30, 50


def cold_vs_size_svg(results: Mapping[str, Mapping[str, Any]]) -> str:
    """`results`: the bench's JSON of each size measured, by size name."""
    sizes = sorted(results, key=lambda size: SIZES[size].entries)
    points = {
        mode: [(SIZES[size].entries, float(results[size][mode]["cold_all_partials_ms"])) for size in sizes]
        for mode in MODES
        if all(mode in results[size] for size in sizes)  # results saved before a mode existed lack it
    }
    times = [ms for line in points.values() for _, ms in line]
    x_low, x_high = _log_span([SIZES[size].entries for size in sizes])
    y_low, y_high = _log_span(times)

    def x(entries: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (math.log10(entries) - x_low) / (x_high - x_low)

    def y(ms: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * (math.log10(ms) - y_low) / (y_high - y_low)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="#fff"/>',
        f'<text x="{LEFT}" y="18" font-weight="bold">Dashboard, cold cache: all partials complete (ms)</text>',
    ]
    for power in range(math.floor(y_low), math.ceil(y_high) + 1):
        if y_low <= power <= y_high:
            ty = y(10**power)
            parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#ddd"/>')
            parts.append(f'<text x="{LEFT - 8}" y="{ty + 4:.1f}" text-anchor="end">{10**power:,}</text>')
    for size in sizes:
        tx = x(SIZES[size].entries)
        parts.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#eee"/>')
        label = f"{size}: {_compact(SIZES[size].entries)} entries"
        parts.append(f'<text x="{tx:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">{escape(label)}</text>')
    for mode, line_points in points.items():
        colour, dash = MODES[mode]
        line = " ".join(f"{x(n):.1f},{y(ms):.1f}" for n, ms in line_points)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2.5"{dashed}/>')
        for n, ms in line_points:
            parts.append(f'<circle cx="{x(n):.1f}" cy="{y(ms):.1f}" r="3.5" fill="{colour}"/>')
        last_n, last_ms = line_points[-1]
        label = f"{LABELS.get(mode, mode)} {last_ms:,.0f} ms"
        parts.append(f'<text x="{x(last_n) + 10:.1f}" y="{y(last_ms) + 4:.1f}" fill="{colour}">{escape(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _compact(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1e3:g}k" if n >= 1_000 else str(n)


def _log_span(values: list[float]) -> tuple[float, float]:
    """log10 bounds around the values, half a decade of margin, never empty."""
    low, high = math.log10(max(min(values), 1e-3)), math.log10(max(max(values), 1e-3))
    return low - 0.25, max(high, low + 0.5) + 0.25


# The browser chart: (group label, key of the reference or None, key of the streamed page, key of one
# request per partial), from the flat results of `billable bench --browser`.
BROWSER_GROUPS: list[tuple[str, str | None, str, str]] = [
    ("50 rows, warm", "browser_reference_50_ms", "browser_complete_warm_50_ms", "browser_requests_complete_warm_50_ms"),
    (
        "200 rows, warm",
        "browser_reference_200_ms",
        "browser_complete_warm_200_ms",
        "browser_requests_complete_warm_200_ms",
    ),
    ("50 rows, cold", None, "browser_complete_cold_50_ms", "browser_requests_complete_cold_50_ms"),
    (
        "50 rows, CPU 4x slower",
        "browser_reference_cpu4x_50_ms",
        "browser_complete_cpu4x_50_ms",
        "browser_requests_complete_cpu4x_50_ms",
    ),
]
BROWSER_BARS = [("static reference", "#7f8c8d"), ("streamed (default)", "#1e8449"), ("one request each", "#c0392b")]
BAR, GAP, GROUP_GAP, LABEL_WIDTH = 16, 3, 22, 170


def browser_svg(results: Mapping[str, Any]) -> str:
    """Navigation to complete in Chromium, per mode beside the static reference: one group of bars
    for each measurement, on one linear scale (the per-request mode is what the scale is for)."""
    groups = [
        (label, [None if reference is None else results.get(reference), results[streamed], results.get(requests)])
        for label, reference, streamed, requests in BROWSER_GROUPS
        if streamed in results
    ]
    longest = max(float(ms) for _, values in groups for ms in values if ms is not None)
    plot = WIDTH - LABEL_WIDTH - 120
    height = TOP + 30 + len(groups) * (3 * (BAR + GAP) + GROUP_GAP) + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="#fff"/>',
        '<text x="10" y="18" font-weight="bold">Dashboard in Chromium: navigation to complete (ms, median)</text>',
    ]
    for n, (name, colour) in enumerate(BROWSER_BARS):
        parts.append(f'<rect x="{10 + n * 170}" y="{TOP}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{26 + n * 170}" y="{TOP + 10}">{escape(name)}</text>')
    y = TOP + 30
    for label, (reference, *modes) in groups:
        parts.append(f'<text x="10" y="{y + 1.5 * (BAR + GAP) + 4:.1f}">{escape(label)}</text>')
        bars = [
            (reference, ""),
            *((ms, f" ({float(ms) / float(reference):.2f}x)" if reference else "") for ms in modes),
        ]
        for (_, colour), (ms, ratio) in zip(BROWSER_BARS, bars, strict=True):
            if ms is not None:
                width = max(1.0, plot * float(ms) / longest)
                parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR}" fill="{colour}"/>')
                text = f"{float(ms):,.0f}{ratio}"
                parts.append(f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + BAR - 4}">{escape(text)}</text>')
            y += BAR + GAP
        y += GROUP_GAP
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
