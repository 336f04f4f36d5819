"""The grid timeline: bounded memory, even thinning that keeps the first and newest frames."""

import numpy as np
import pytest

from ganlab.gan.timeline import Frame, GridTimeline


def frame(step):
    return Frame(step, np.full((2, 2, 1), step % 256, dtype=np.uint8))


def test_keeps_everything_until_full():
    t = GridTimeline(capacity=4)
    for step in (0, 10, 20, 30):
        assert t.offer(frame(step))
    assert t.steps() == [0, 10, 20, 30] and t.stride == 1


def test_thinning_keeps_first_and_newest_and_stays_evenly_spaced():
    t = GridTimeline(capacity=4)
    for step in (0, 10, 20, 30, 40):  # the fifth frame overflows: every second one goes
        assert t.offer(frame(step))
    assert t.steps() == [0, 20, 40] and t.stride == 2
    # Offers keep their cadence: only every second one is kept now (50 and 70 are not).
    assert [t.offer(frame(step)) for step in (50, 60, 70)] == [False, True, False]
    assert t.steps() == [0, 20, 40, 60]
    assert t.offer(frame(80))  # overflows again: [0, 40, 80], stride 4
    assert t.steps() == [0, 40, 80] and t.stride == 4
    assert [t.offer(frame(step)) for step in (90, 100, 110, 120)] == [False, False, False, True]
    assert t.steps() == [0, 40, 80, 120]


def test_memory_stays_bounded_over_a_long_run():
    t = GridTimeline(capacity=100)
    for step in range(0, 1_000_000, 100):
        t.offer(frame(step))
        assert len(t) <= 100
    steps = t.steps()
    assert steps[0] == 0
    gaps = np.diff(steps)
    assert (gaps == gaps[0]).all()  # evenly spaced
    assert steps[-1] >= 1_000_000 - 100 - gaps[0]  # the newest kept frame is at most one gap old
    assert len(t) >= 51


def test_a_second_frame_at_the_same_step_replaces_the_first():
    t = GridTimeline(capacity=4)
    t.offer(frame(0))
    t.offer(Frame(0, np.zeros((2, 2, 1), dtype=np.uint8)))
    assert len(t) == 1 and t.frames()[0].grid.max() == 0


def test_clear_and_bad_capacity():
    t = GridTimeline(capacity=2)
    for step in range(10):
        t.offer(frame(step))
    t.clear()
    assert len(t) == 0 and t.stride == 1
    with pytest.raises(ValueError, match="even number"):
        GridTimeline(capacity=3)
