"""Where a whole recording's prefixes end for partial transcripts (table-driven)."""

from __future__ import annotations

import pytest

from voxnode.pipeline.prefix_partials import prefix_ends


@pytest.mark.parametrize(
    ("seconds", "interval_ms", "cap", "ends_s"),
    [
        (1.5, 1000, 3, []),  # shorter than two intervals: no partial
        (2.0, 1000, 3, [1.0, 2.0]),
        (3.5, 1000, 3, [1.0, 2.0, 3.5]),  # a partial leaves an interval after it
        (9.0, 1000, 3, [1.0, 2.0, 3.0, 9.0]),  # capped, then the whole
        (2.4, 800, 3, [0.8, 1.6, 2.4]),
        (5.0, 1000, 0, []),
    ],
)
def test_prefix_ends(seconds: float, interval_ms: int, cap: int, ends_s: list[float]) -> None:
    rate = 16000
    ends = prefix_ends(int(seconds * rate), rate, interval_ms, cap)
    assert [round(end / rate, 3) for end in ends] == ends_s
