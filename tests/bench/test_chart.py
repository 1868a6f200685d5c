"""The cold-vs-size chart: one line per mode, on log scales, each point where its figures say."""

from __future__ import annotations

import re

from bench.chart import browser_svg, cold_vs_size_svg


def run(naive: float, gather: float, billable: float) -> dict[str, dict[str, float]]:
    return {
        mode: {"cold_all_partials_ms": ms}
        for mode, ms in (("naive", naive), ("gather", gather), ("billable", billable))
    }


def test_lines_rise_with_size_and_keep_their_order() -> None:
    svg = cold_vs_size_svg({"l": run(25_000, 23_000, 60), "s": run(1_000, 500, 50), "m": run(4_000, 2_800, 55)})
    lines = {
        colour: [tuple(map(float, point.split(","))) for point in points.split()]
        for points, colour in re.findall(r'<polyline points="([^"]+)" fill="none" stroke="([^"]+)"', svg)
    }
    naive, gather, billable = lines.values()
    for line in (naive, gather, billable):
        xs, ys = [x for x, _ in line], [y for _, y in line]
        assert xs == sorted(xs) and len(xs) == 3  # s, m, l from left to right, whatever the input order
        assert ys == sorted(ys, reverse=True)  # slower is higher up (smaller y)
    assert all(n[1] < b[1] for n, b in zip(naive, billable, strict=True))  # naive above billable everywhere
    assert "billable 60 ms" in svg and "l: 10M entries" in svg


def test_baselines_on_billable_indexes_are_dashed_where_every_size_has_them() -> None:
    with_own = {**run(4_000, 2_800, 55), "naive_billable_indexes": {"cold_all_partials_ms": 900}}
    svg = cold_vs_size_svg(
        {"m": with_own, "l": {**run(25_000, 23_000, 60), "naive_billable_indexes": {"cold_all_partials_ms": 1_800}}}
    )
    assert svg.count("<polyline") == 4 and svg.count('stroke-dasharray="6 4"') == 1
    assert "naive, Billable's indexes 1,800 ms" in svg
    # a size saved before the mode existed: the mode's line is left out, the others drawn
    older = cold_vs_size_svg({"m": with_own, "s": run(1_000, 500, 50)})
    assert older.count("<polyline") == 3 and "Billable" not in older


def test_the_browser_chart_puts_each_mode_beside_the_reference() -> None:
    results = {
        "browser_reference_50_ms": 50.0,
        "browser_complete_warm_50_ms": 55.0,
        "browser_requests_complete_warm_50_ms": 500.0,
        "browser_complete_cold_50_ms": 100.0,
        "browser_requests_complete_cold_50_ms": 400.0,
    }
    svg = browser_svg(results)
    widths = [float(w) for w in re.findall(r'<rect x="170" y="[\d.]+" width="([\d.]+)"', svg)]
    assert len(widths) == 5  # 50 rows warm: three bars; cold: no reference; the groups not measured left out
    assert widths[2] == max(widths) and widths[0] < widths[1] < widths[2]  # one linear scale
    assert "55 (1.10x)" in svg and "500 (10.00x)" in svg and "50 rows, cold" in svg
    assert "200 rows" not in svg
