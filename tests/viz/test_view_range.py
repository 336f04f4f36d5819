"""The 2D view's range arithmetic (ganlab.viz.view_range) against hand-worked bounds."""

from __future__ import annotations

import math

import pytest

from ganlab.viz.view_range import clamp, describe, from_box, is_full, magnification, pan, same, usable, zoom

DATA = (-2.0, 2.0, -2.0, 2.0)  # a 4 x 4 frame
WIDE = (0.0, 10.0, 0.0, 2.0)  # a CSV's frame need not be square


def close(a, b):
    return all(math.isclose(p, q, abs_tol=1e-12) for p, q in zip(a, b, strict=False))


def test_zoom_in_halves_the_spans_about_the_centre():
    assert close(zoom(DATA, DATA, 2.0), (-1, 1, -1, 1))
    assert close(zoom((0, 2, 0, 2), DATA, 2.0), (0.5, 1.5, 0.5, 1.5))  # centre (1, 1), span 2 -> 1
    assert close(zoom(WIDE, WIDE, 2.0), (2.5, 7.5, 0.5, 1.5))  # each axis keeps its own span


def test_zoom_out_doubles_the_spans_up_to_four_frames():
    assert close(zoom(DATA, DATA, 0.5), (-4, 4, -4, 4))
    assert close(zoom((-4, 4, -4, 4), DATA, 0.5), (-8, 8, -8, 8))  # span 16 = 4 frames of 4
    assert close(zoom((-8, 8, -8, 8), DATA, 0.5), (-8, 8, -8, 8))  # no further


def test_zoom_in_stops_at_a_sixty_fourth_of_the_frame():
    bounds = DATA
    for _ in range(6):  # 4 / 2**6 = 0.0625 = 4 / 64
        bounds = zoom(bounds, DATA, 2.0)
    assert close(bounds, (-0.03125, 0.03125, -0.03125, 0.03125))
    assert close(zoom(bounds, DATA, 2.0), bounds)
    assert magnification(bounds, DATA) == pytest.approx(64)


def test_pan_moves_a_quarter_of_the_shown_span():
    assert close(pan((-1, 1, -1, 1), DATA, 0.25, 0.0), (-0.5, 1.5, -1, 1))  # span 2: 0.5 right
    assert close(pan((-1, 1, -1, 1), DATA, 0.0, -0.25), (-1, 1, -1.5, 0.5))  # 0.5 down
    assert close(pan(WIDE, WIDE, -0.25, 0.25), (-2.5, 7.5, 0.5, 2.5))  # 10 wide: 2.5 left; 2 high: 0.5 up


def test_the_centre_stays_within_one_frame_of_the_data():
    # centre x at most x1 + frame width = 2 + 4 = 6
    assert close(pan((5, 7, -1, 1), DATA, 0.25, 0.0), (5, 7, -1, 1))
    assert close(pan((4.5, 6.5, -1, 1), DATA, 0.25, 0.0), (5, 7, -1, 1))  # centre 5.5 + 0.5 = 6
    assert close(clamp((-20, -18, 30, 31), DATA), (-7, -5, 5.5, 6.5))  # centre (-19, 30.5) -> (-6, 6)


def test_clamp_bounds_the_spans_then_the_centre():
    # width 100 -> 16 (4 frames), height 1e-6 -> 0.0625 (1/64 frame); centre x 50 -> 6, y 5e-7 kept
    assert close(clamp((0, 100, 0, 1e-6), DATA), (-2, 14, 5e-7 - 0.03125, 5e-7 + 0.03125))


def test_whole_frame_and_equality_forgive_rounding_only():
    assert is_full((-2 + 1e-12, 2, -2, 2), DATA) and not is_full((-1.999, 2, -2, 2), DATA)
    assert same(zoom(zoom(DATA, DATA, 2.0), DATA, 0.5), DATA, DATA)


@pytest.mark.parametrize("value, ok", [
    ((0, 1, 0, 1), True), ((1, 0, 0, 1), False), ((0, 1, 2, 2), False), ((0, math.nan, 0, 1), False),
    ((0, math.inf, 0, 1), False), ((0, 1, 0), False), ("abcd", False), (None, False), (("0", "1", "0", "1"), True),
])
def test_usable_accepts_only_four_finite_increasing_numbers(value, ok):
    assert usable(value) is ok


def test_describe_says_where_and_how_close():
    assert describe(DATA, DATA) == "View range: the whole data frame (x -2 to 2, y -2 to 2)."
    assert describe((-1, 1, -0.5, 1.5), DATA) == "View range: x -1 to 1, y -0.5 to 1.5 (2× closer than the data frame)."
    assert describe((-8, 8, -8, 8), DATA) == "View range: x -8 to 8, y -8 to 8 (4× wider than the data frame)."


def test_a_dragged_box_becomes_a_range_of_the_data_frames_shape():
    # 1 wide, 0.5 high about (0.5, 0.25) on a square frame: widened to 1 x 1
    assert close(from_box([1.0, 0.0], [0.0, 0.5], DATA), (0, 1, -0.25, 0.75))
    # on the 10 x 2 frame a 1 x 1 box is widened to 5 x 1 about its centre (2.5, 1.5)
    assert close(from_box([2, 3], [1, 2], WIDE), (0, 5, 1, 2))
    assert close(from_box([-1e-9, 1e-9], [1e-9, -1e-9], DATA), (-0.03125, 0.03125, -0.03125, 0.03125))  # 1/64 at least


@pytest.mark.parametrize("xs, ys", [([0, 0], [0, 1]), ([0, math.nan], [0, 1]), (None, [0, 1]), ([0], [0, 1]),
                                    (["a", "b"], [0, 1])])
def test_a_box_that_is_not_one_is_ignored(xs, ys):
    assert from_box(xs, ys, DATA) is None
