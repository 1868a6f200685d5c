"""Chart geometry: what the SVG lines are drawn from."""

from __future__ import annotations

from web import charts


def test_minute_columns_scale_from_zero_and_leave_gaps() -> None:
    # 30 px wide, 12 high, three minutes: 10 px each; the middle one measured nothing.
    drawn = charts.minute_columns([6.0, None, 12.0], width=30, height=12, gap=0)
    assert [(c.x, c.y, c.width, c.height) for c in drawn] == [(0.0, 6.0, 10.0, 6.0), (20.0, 0.0, 10.0, 12.0)]
    assert [c.label for c in drawn] == ["2 min ago: 6 ms", "this minute: 12 ms"]
    assert charts.minute_columns([None, None], width=30, height=12) == []
    assert charts.minute_columns([0.0], width=30, height=12)[0].height == 1.0  # measured, however fast


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
