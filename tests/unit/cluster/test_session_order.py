"""Per-session release order: pure plan, then the holder over a sequence of events."""

from __future__ import annotations

import pytest

from voxnode.cluster.session_order import ReleasePlan, SessionOrder, plan_release

T = 10.0  # the order timeout in these tables


@pytest.mark.parametrize(
    ("waiting", "now", "plan"),
    [
        ([], 0.0, ReleasePlan((), ())),
        ([(0, 1.0), (1, 1.0)], 1.0, ReleasePlan((0, 1), ())),
        ([(0, None), (1, 1.0)], 5.0, ReleasePlan((), ())),  # a gap holds the later one
        ([(0, None), (1, 1.0)], 11.0, ReleasePlan((1,), (0,))),  # held for T: the gap is skipped
        ([(3, 1.0), (4, None), (5, 2.0)], 3.0, ReleasePlan((3,), ())),  # up to the gap
        # a long-held later outcome releases the recent one before it too, in order
        ([(0, None), (1, 20.0), (2, None), (3, 1.0)], 20.0, ReleasePlan((1, 3), (0, 2))),
        ([(0, None), (1, 1.0), (2, None)], 11.0, ReleasePlan((1,), (0,))),  # 2 is still awaited
        ([(7, None)], 100.0, ReleasePlan((), ())),  # nothing after it waits: no reason to skip
    ],
)
def test_plan_release(
    waiting: list[tuple[int, float | None]], now: float, plan: ReleasePlan
) -> None:
    assert plan_release(waiting, now, T) == plan


def test_out_of_order_arrivals_leave_in_order() -> None:
    order: SessionOrder[str] = SessionOrder(T)
    for index in range(4):
        order.expect(index)
    assert order.next_index == 4
    assert order.arrive(2, "c", 1.0) == []
    assert order.arrive(1, "b", 1.0) == []
    assert order.arrive(0, "a", 1.0) == [("a", False), ("b", False), ("c", False)]
    assert order.arrive(3, "d", 1.0) == [("d", False)]
    assert order.waiting == 0


def test_a_gap_past_the_timeout_is_skipped_and_its_outcome_comes_late() -> None:
    order: SessionOrder[str] = SessionOrder(T)
    for index in range(3):
        order.expect(index)
    assert order.arrive(1, "b", 1.0) == []
    assert order.due(5.0) == []
    assert order.due(11.0) == [("b", False)]
    assert order.arrive(2, "c", 12.0) == [("c", False)]
    assert order.arrive(0, "a", 13.0) == [("a", True)]
    assert order.waiting == 0


def test_an_index_submitted_after_later_ones_left_is_late() -> None:
    order: SessionOrder[str] = SessionOrder(T)
    order.expect(5)
    assert order.arrive(5, "f", 1.0) == [("f", False)]
    order.expect(2)
    assert order.next_index == 6
    assert order.arrive(2, "c", 2.0) == [("c", True)]


def test_a_forgotten_index_holds_nothing() -> None:
    order: SessionOrder[str] = SessionOrder(T)
    order.expect(0)
    order.expect(1)
    assert order.arrive(1, "b", 1.0) == []
    order.forget(0)
    assert order.due(1.0) == [("b", False)]
