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
