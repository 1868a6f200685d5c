"""Chart geometry: what the SVG lines are drawn from."""

from __future__ import annotations

from web import charts


def test_a_gapped_line_scales_from_zero_and_leaves_gaps() -> None:
    # 10 px wide, 12 px high, no padding: x = 0, 5, 10; y from 12 (zero) to 0 (the largest).
    assert charts.gapped_line([0.5, 0.6], width=10, height=12, pad=0) == "M0.0,2.0l0.01,0 L10.0,0.0"
    # Nothing measured in the middle minute: two separate dots, not a drop to zero between them.
    assert charts.gapped_line([1.0, None, 1.0], width=10, height=12, pad=0) == "M0.0,0.0l0.01,0 M10.0,0.0l0.01,0"
    assert charts.gapped_line([None, None], width=10, height=12) == ""
    assert charts.gapped_line([0.0, 0.0], width=10, height=12, pad=0) == "M0.0,12.0l0.01,0 L10.0,12.0"


def test_a_value_axis_steps_by_round_amounts_up_to_at_least_the_largest() -> None:
    # €2,740 in cents: three steps of €1,000, the last above the largest, y from 120 (zero) up to 0.
    ticks = charts.value_ticks(274_000, height=120)
    assert [t.value_cents for t in ticks] == [0, 100_000, 200_000, 300_000]
    assert [t.y for t in ticks] == [120.0, 80.0, 40.0, 0.0]
    assert [t.value_cents for t in charts.value_ticks(50_000, height=120)] == [0, 20_000, 40_000, 60_000]
    assert [t.value_cents for t in charts.value_ticks(0, height=120)] == [0]


def test_bars_stand_right_of_the_axis_and_reach_the_top_tick() -> None:
    drawn = charts.bars([150, 300], ["a", "b"], width=140, height=100, gap=0, left=40, top=600)
    assert [(b.x, b.width, b.height) for b in drawn] == [(40.0, 50.0, 25.0), (90.0, 50.0, 50.0)]
