"""Drawn 2D data: fabric.js strokes parsed to points, pixels mapped to the plot's range, the
data set sampled around the ink, and the link code (exact to its grid, damaged codes refused)."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlab.data import drawn
from ganlab.data.drawn import (
    BOUNDS,
    GRID,
    MAX_CODE_CHARS,
    MAX_POINTS,
    Drawing,
    DrawingCodeError,
    Stroke,
    decode,
    drawn_distribution,
    encode,
    pixels_to_data,
    sample_drawing,
)
from ganlab.data.drawn_canvas import parse_canvas, path_points, to_canvas
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import ConfigError, Knobs, ToyStructure

SIZE = (300, 300)  # canvas pixels; 300 px span 6 data units: 50 px per unit
CELL = (BOUNDS[1] - BOUNDS[0]) / GRID

# As streamlit-drawable-canvas 0.13 sends them (recorded from a browser, fields trimmed): a
# free-hand stroke of width 6 and a point-mode click at (200, 219.2188) with radius 3.
FABRIC = {"version": "7.4.0", "background": "#fff", "objects": [
    {"type": "Path", "originX": "center", "originY": "center", "left": 150.0, "top": 75.0, "width": 100,
     "height": 50, "strokeWidth": 6, "scaleX": 1, "scaleY": 1, "angle": 0,
     "path": [["M", 100, 50], ["Q", 150, 50, 150, 75], ["L", 200, 100]]},
    {"type": "Circle", "radius": 3, "originX": "left", "originY": "center", "left": 194, "top": 219.2188,
     "strokeWidth": 6, "scaleX": 1, "scaleY": 1, "angle": 0},
    {"type": "Text", "text": "ignored"},
]}


def test_path_commands_are_interpolated():
    pts = path_points([["M", 0, 0], ["Q", 10, 0, 10, 10], ["L", 20, 10]])
    assert len(pts) == 1 + 8 + 1
    np.testing.assert_allclose(pts[0], [0, 0])
    np.testing.assert_allclose(pts[4], [7.5, 2.5])  # t = 1/2: 0.25*P0 + 0.5*C + 0.25*P1
    np.testing.assert_allclose(pts[8], [10, 10])
    np.testing.assert_allclose(pts[-1], [20, 10])


def test_pixels_map_to_the_plot_range_with_y_up():
    got = pixels_to_data([[0, 0], [150, 150], [300, 300], [75, 225]], SIZE)
    np.testing.assert_allclose(got, [[-3, 3], [0, 0], [3, -3], [-1.5, -1.5]])


def test_fabric_strokes_and_clicks_become_a_drawing():
    d = parse_canvas(FABRIC, SIZE)
    assert len(d.strokes) == 2  # the text object is left out
    stroke, click = d.strokes
    np.testing.assert_allclose(stroke.points[0], [-1.0, 2.0])  # pixel (100, 50)
    np.testing.assert_allclose(stroke.points[-1], [1.0, 1.0])  # pixel (200, 100)
    assert stroke.sd == pytest.approx(3 / 50)  # half the stroke width, in data units
    np.testing.assert_allclose(click.points, [[1.0, 3 - 219.2188 / 50]])  # the circle's centre: left + 3 + 6/2
    assert click.sd == pytest.approx(3 / 50) and click.is_click


def test_a_moved_and_scaled_stroke_lands_where_it_was_moved():
    moved = {"objects": [dict(FABRIC["objects"][0], left=100.0, top=175.0, scaleX=2, scaleY=2)]}
    (stroke,) = parse_canvas(moved, SIZE).strokes
    # the path's own centre (150, 75) goes to (100, 175), offsets doubled: (100, 50) -> (0, 125)
    np.testing.assert_allclose(stroke.points[0], [-3.0, 0.5])
    assert stroke.sd == pytest.approx(6 / 50)


def test_malformed_objects_are_skipped():
    bad = {"objects": [{"type": "Path", "path": [["M", "x", 1]]}, {"type": "Circle", "radius": float("nan")},
                       "junk", {"type": "Path", "path": [["M", 10, 10], ["L", 20, 20]], "strokeWidth": 4}]}
    assert len(parse_canvas(bad, SIZE).strokes) == 1
    assert parse_canvas(None, SIZE).strokes == () and parse_canvas({"objects": "x"}, SIZE).strokes == ()


def _distance_to_ink(points: np.ndarray, drawing: Drawing) -> np.ndarray:
    ink = []
    for s in drawing.strokes:
        if s.is_click:
            ink.append(s.points)
        else:
            t = np.linspace(0, 1, 200)[:, None]
            ink += [a + t * (b - a) for a, b in zip(s.points[:-1], s.points[1:], strict=False)]
    ink = np.concatenate(ink)
    return np.sqrt(((points[:, None, :] - ink[None]) ** 2).sum(-1)).min(axis=1)


def test_samples_lie_near_the_strokes_and_spread_by_the_brush():
    drawing = Drawing((Stroke(np.array([[-2.0, 0.0], [2.0, 0.0]]), 0.1), Stroke(np.array([[0.0, 2.0]]), 0.05)))
    pts = sample_drawing(drawing, 4000, np.random.default_rng(0))
    near_dot = np.hypot(pts[:, 0], pts[:, 1] - 2) < 0.5
    # the stroke is 4 long, the dot weighs CLICK_LENGTH = 0.5: 1/9 of the mass
    assert near_dot.mean() == pytest.approx(0.5 / 4.5, abs=0.02)
    assert _distance_to_ink(pts[near_dot], drawing).max() < 6 * 0.05
    assert _distance_to_ink(pts[~near_dot], drawing).max() < 6 * 0.1
    assert pts[~near_dot, 1].std() == pytest.approx(0.1, rel=0.1)  # the brush is the sd across the stroke
    assert pts[~near_dot, 0].min() < -1.9 and pts[~near_dot, 0].max() > 1.9  # the whole stroke is used


def test_the_code_round_trips_exactly_to_its_grid():
    drawing = parse_canvas(FABRIC, SIZE)
    code = encode(drawing)
    back = decode(code)
    assert len(back.strokes) == 2
    for s, b in zip(drawing.strokes, back.strokes, strict=False):
        assert b.sd == pytest.approx(round(s.sd / drawn.SD_STEP) * drawn.SD_STEP)
    # every stored point is within half a cell of a point of the stroke
    for s, b in zip(drawing.strokes, back.strokes, strict=False):
        d = np.sqrt(((b.points[:, None] - s.points[None]) ** 2).sum(-1)).min(axis=1)
        assert d.max() <= CELL * np.sqrt(2) / 2 + 1e-9
    assert encode(back) == code  # a decoded drawing codes to the same code
    # the canvas shows what the code holds: drawn there and read back, it is the same code
    assert encode(parse_canvas(to_canvas(back, (272, 272), "#1a9850"), (272, 272))) == code


def test_a_long_scribble_is_simplified_to_fit_the_caps():
    t = np.linspace(0, 60 * np.pi, 20_000)
    scribble = np.stack([2.5 * np.sin(t), 2.5 * np.cos(1.01 * t)], 1)
    code = encode(Drawing((Stroke(scribble, 0.05),)))
    assert len(code) <= MAX_CODE_CHARS and decode(code).point_count <= MAX_POINTS


def _code(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("code, message", [
    ("", "empty"),
    ("A" * (MAX_CODE_CHARS + 1), "longer than 3,000 characters"),
    ("AQ!!", "characters a drawing code never has"),
    ("AQ==", "characters a drawing code never has"),
    ("A", "characters a drawing code never has"),
    (_code(bytes([9, 1])), "unknown version"),
    (_code(bytes([1, 0])), "no strokes"),
    (_code(bytes([1, 1, 5, 2, 10])), "cut short"),
    (_code(bytes([1, 1, 0, 1, 10, 10])), "a brush of size 0"),
    (_code(bytes([1, 1, 5, 1, 0xFF, 0xFF, 0xFF, 0xFF, 1])), "a number is too long"),
    (_code(bytes([1, 1, 5, 1, 0x80, 0x08, 1])), "out of range"),  # x = 1024, off the grid
    (_code(bytes([1, 1, 5, 2, 1, 1, 3, 0])), "outside the plot"),  # a step from x = 1 to x = -1
    (_code(bytes([1, 1, 5, 1, 1, 1, 7])), "bytes after its end"),
    (_code(bytes([1, 1, 5, 0xE0, 0x0B, 1, 1])), "out of range"),  # one stroke of 1,504 points
    # two strokes of 800 points (the first all at one place): 1,600 in all
    (_code(bytes([1, 2, 5, 0xA0, 0x06, 1, 1, *[0] * 1598, 5, 0xA0, 0x06, 1, 1])), "more than 1,500 points"),
])
def test_damaged_codes_are_refused_with_a_message(code, message):
    with pytest.raises(DrawingCodeError, match=message):
        decode(code)
    if code:  # an empty drawing is allowed in the settings: nothing drawn yet
        with pytest.raises(ConfigError, match=message):
            ToyStructure(data="drawn", drawing=code)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), st.binary(max_size=60).map(_code)))
def test_the_decoder_never_fails_otherwise(code):
    try:
        drawing = decode(code)
    except DrawingCodeError as err:
        assert str(err).startswith("the drawing in the link")
        return
    assert drawing.strokes and all(np.isfinite(s.points).all() and s.sd > 0 for s in drawing.strokes)


def test_the_data_set_is_one_per_drawing_and_trains():
    code = encode(Drawing((Stroke(np.array([[1.0, 1.0]]), 0.05), Stroke(np.array([[-1.0, -1.0]]), 0.05))))
    a, b = drawn_distribution(code), drawn_distribution(code)
    np.testing.assert_array_equal(a.sampler.data.numpy(), b.sampler.data.numpy())
    assert a.has_modes and len(a.centres) == 2 and a.bounds == BOUNDS
    experiment = ToyExperiment(ToyStructure(data="drawn", drawing=code))  # the structure carries its data
    np.testing.assert_array_equal(experiment.dataset.sampler.data.numpy(), a.sampler.data.numpy())
    stats = experiment.evaluate(experiment.build(Knobs()))
    assert 0 <= stats["modes_covered"] <= 2  # clicks only: the playground measures mode coverage


def test_other_data_drops_the_drawing():
    code = encode(Drawing((Stroke(np.array([[1.0, 1.0]]), 0.05),)))
    assert ToyStructure(data="ring", drawing=code).drawing == ""
    assert ToyStructure(data="drawn", drawing="").drawing == ""  # nothing drawn yet: allowed, trains nothing


def test_a_saved_run_keeps_the_drawn_points_and_the_drawing(tmp_path):
    from ganlab.runs.store import load_run
    from tests.conftest import save_trained_run

    code = encode(Drawing((Stroke(np.array([[-1.0, 0.0], [1.0, 0.5]]), 0.1),)))
    experiment = ToyExperiment(ToyStructure(data="drawn", drawing=code))
    save_trained_run(tmp_path / "run", experiment)
    loaded, state, config = load_run(tmp_path / "run")
    assert loaded.structure.drawing == code and config["data_source"]["source"] == "points"
    # the points themselves were written into the run, like an uploaded CSV's
    np.testing.assert_array_equal(loaded.dataset.sampler.data.numpy(), experiment.dataset.sampler.data.numpy())
    assert loaded.dataset.label == "Your drawing"
