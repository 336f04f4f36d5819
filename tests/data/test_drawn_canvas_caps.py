"""Caps on the canvas's JSON, checked before anything of it is parsed (issue 23.7: a crafted
message of 10 paths x 20,000 curves cost 41 s of the server's CPU; the parser allowed 500 x
20,000). The CPU figures are in benchmarks/bench_hostile_requests.py."""

from __future__ import annotations

import numpy as np
import pytest

from ganlab.data.drawn import MAX_STROKES, encode
from ganlab.data.drawn_canvas import MAX_COMMANDS, canvas_problem, parse_canvas, path_points

SIZE = (228, 228)


def _message(paths: int, commands: int) -> dict:
    """`paths` fabric paths of one M and `commands` - 1 quadratic curves each."""
    rng = np.random.default_rng(0)
    objects = []
    for _ in range(paths):
        curves = rng.uniform(0, 228, (commands - 1, 4)).round(1).tolist()
        objects.append({"type": "path", "left": 114, "top": 114, "strokeWidth": 8,
                        "path": [["M", 10.0, 10.0]] + [["Q", *c] for c in curves]})
    return {"version": "7.4.0", "objects": objects}


def test_the_crafted_message_of_10_paths_of_20000_commands_is_refused_unread():
    message = _message(10, 20_000)
    problem = canvas_problem(message)
    assert problem == f"its strokes hold more than {MAX_COMMANDS:,} pen movements; draw fewer or shorter strokes"
    with pytest.raises(ValueError, match="more than 10,000 pen movements"):
        parse_canvas(message, SIZE)


def test_a_message_just_over_the_command_cap_is_refused():
    message = _message(2, MAX_COMMANDS // 2 + 1)
    with pytest.raises(ValueError, match="pen movements"):
        parse_canvas(message, SIZE)


def test_more_objects_than_a_link_holds_are_refused_before_any_is_read():
    dots = [{"type": "circle", "left": 10, "top": 10, "radius": 3}] * (MAX_STROKES + 1)
    assert canvas_problem({"objects": dots}) == (
        f"it has {MAX_STROKES + 1:,} strokes and points, and at most {MAX_STROKES} fit in a link")
    with pytest.raises(ValueError, match="at most 100 fit in a link"):
        parse_canvas({"objects": dots}, SIZE)


def test_the_largest_drawing_within_the_caps_still_codes():
    message = _message(MAX_STROKES, MAX_COMMANDS // MAX_STROKES)
    assert canvas_problem(message) is None
    drawing = parse_canvas(message, SIZE)
    assert len(drawing.strokes) == MAX_STROKES
    assert drawing.point_count == MAX_STROKES * (1 + 8 * (MAX_COMMANDS // MAX_STROKES - 1))  # 8 per curve
    assert encode(drawing)  # simplified until it fits a link


def test_a_command_with_thousands_of_numbers_reads_only_its_own():
    # a quadratic curve from (0, 0) through control (10, 0) to (10, 10), then 100,000 numbers more
    points = path_points([["M", 0.0, 0.0], ["Q", 10.0, 0.0, 10.0, 10.0, *([1.0] * 100_000)]])
    assert len(points) == 9 and tuple(points[-1]) == (10.0, 10.0)
    assert tuple(points[4]) == pytest.approx((7.5, 2.5))  # t = 1/2: (x0 + 2 c + x1) / 4
