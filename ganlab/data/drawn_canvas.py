"""fabric.js canvas JSON (streamlit-drawable-canvas's `json_data`) <-> a `Drawing`.

Free-hand strokes are `Path` objects whose `path` is a list of commands in canvas pixels
(["M", x, y], ["Q", cx, cy, x, y], ["L", x, y], ...); clicked points are `Circle` objects.
An object moved or scaled with the canvas's edit tool keeps its path and changes `left`/`top`
(its centre, for paths), `scaleX`/`scaleY` and `angle`, which are applied here.
The ink's half-width is the stroke's sd: a path's `strokeWidth` / 2, a dot's radius.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from ganlab.data.drawn import BOUNDS, MAX_STROKES, Drawing, Stroke, data_to_pixels, pixel_scale, pixels_to_data

CURVE_STEPS = 8  # points per quadratic or cubic segment
# Caps on what the browser sends, checked (`canvas_problem`) before anything is parsed: a
# crafted message of 10 paths x 20,000 curves cost 41 s of the server's CPU (issue 23.7). A
# stroke drawn by hand sends one command per mouse move (a few hundred for a long one).
MAX_OBJECTS = MAX_STROKES  # more does not fit in a link anyway
MAX_COMMANDS = 10_000  # path commands in the whole drawing
MAX_ARGS = 6  # numbers per command read (a cubic curve's); the rest of a longer one is ignored
_STEPS = [k / CURVE_STEPS for k in range(1, CURVE_STEPS + 1)]
_QUADRATIC = [((1 - t) ** 2, 2 * (1 - t) * t, t ** 2) for t in _STEPS]  # Bernstein weights
_CUBIC = [((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3) for t in _STEPS]
_ORIGIN = {"left": 0.0, "center": 0.5, "right": 1.0, "top": 0.0, "bottom": 1.0}


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError("not a number")
    return float(value)


def canvas_problem(json_data: Mapping[str, Any] | None) -> str | None:
    """Why the canvas's JSON is too large to read (counted, not parsed), or None. The words
    finish "The drawing was not applied: ..."."""
    objects = (json_data or {}).get("objects") if isinstance(json_data, Mapping) else None
    if not isinstance(objects, list):
        return None
    if len(objects) > MAX_OBJECTS:
        return f"it has {len(objects):,} strokes and points, and at most {MAX_OBJECTS} fit in a link"
    commands = 0
    for obj in objects:
        path = obj.get("path") if isinstance(obj, Mapping) else None
        commands += len(path) if isinstance(path, list) else 0
        if commands > MAX_COMMANDS:
            return f"its strokes hold more than {MAX_COMMANDS:,} pen movements; draw fewer or shorter strokes"
    return None


def path_points(commands: list) -> np.ndarray:
    """The points along a fabric path (M, L, Q, C; Z closes), curves sampled at CURVE_STEPS
    per segment; unknown commands are skipped. (k, 2) canvas pixels."""
    out: list[tuple[float, float]] = []
    start = current = None
    for cmd in commands[:MAX_COMMANDS]:
        if not isinstance(cmd, (list, tuple)) or not cmd:
            continue
        op, args = cmd[0], [_num(v) for v in cmd[1:1 + MAX_ARGS]]
        if op == "M" and len(args) >= 2:
            start = current = (args[0], args[1])
            out.append(current)
        elif op == "L" and len(args) >= 2 and current is not None:
            current = (args[0], args[1])
            out.append(current)
        elif op == "Q" and len(args) >= 4 and current is not None:
            (x0, y0), (cx, cy), (x1, y1) = current, args[:2], args[2:4]
            out.extend((a * x0 + b * cx + c * x1, a * y0 + b * cy + c * y1) for a, b, c in _QUADRATIC)
            current = (x1, y1)
        elif op == "C" and len(args) >= 6 and current is not None:
            (x0, y0), (ax, ay), (bx, by), (x1, y1) = current, args[:2], args[2:4], args[4:6]
            out.extend((a * x0 + b * ax + c * bx + d * x1, a * y0 + b * ay + c * by + d * y1)
                       for a, b, c, d in _CUBIC)
            current = (x1, y1)
        elif op in ("Z", "z") and start is not None:
            current = start
            out.append(start)
    return np.asarray(out, dtype=np.float64).reshape(-1, 2)


def _placed(points: np.ndarray, obj: Mapping[str, Any]) -> np.ndarray:
    """Apply the object's scale, rotation and position (fabric's transform about its centre)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    own_centre = (lo + hi) / 2
    sx, sy = _num(obj.get("scaleX", 1)), _num(obj.get("scaleY", 1))
    w, h = (hi - lo) * [abs(sx), abs(sy)]
    ox = _ORIGIN.get(obj.get("originX", "center"), 0.5)
    oy = _ORIGIN.get(obj.get("originY", "center"), 0.5)
    centre = np.array([_num(obj.get("left", own_centre[0])) + (0.5 - ox) * w,
                       _num(obj.get("top", own_centre[1])) + (0.5 - oy) * h])
    angle = math.radians(_num(obj.get("angle", 0)))
    rel = (points - own_centre) * [sx, sy]
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return rel @ rot.T + centre


def _circle_centre(obj: Mapping[str, Any]) -> tuple[np.ndarray, float]:
    r = _num(obj.get("radius", 0))
    sx, sy = _num(obj.get("scaleX", 1)), _num(obj.get("scaleY", 1))
    sw = _num(obj.get("strokeWidth", 0))
    w, h = 2 * r * abs(sx) + sw, 2 * r * abs(sy) + sw
    ox = _ORIGIN.get(obj.get("originX", "left"), 0.0)
    oy = _ORIGIN.get(obj.get("originY", "top"), 0.0)
    centre = np.array([_num(obj.get("left", 0)) + (0.5 - ox) * w, _num(obj.get("top", 0)) + (0.5 - oy) * h])
    return centre, r * (abs(sx) + abs(sy)) / 2


def parse_canvas(json_data: Mapping[str, Any] | None, size: tuple[float, float], bounds=BOUNDS) -> Drawing:
    """The canvas's strokes and dots as a Drawing in data units (objects it cannot read,
    e.g. text or shapes, are left out). ValueError, with `canvas_problem`'s words, for JSON
    over the caps: nothing of it is parsed."""
    problem = canvas_problem(json_data)
    if problem is not None:
        raise ValueError(problem)
    strokes: list[Stroke] = []
    objects = (json_data or {}).get("objects") or []
    scale = pixel_scale(size, bounds)
    for obj in objects[:MAX_OBJECTS] if isinstance(objects, list) else []:
        if not isinstance(obj, Mapping):
            continue
        kind = str(obj.get("type", "")).lower()
        try:
            if kind == "path" and isinstance(obj.get("path"), list):
                px = path_points(obj["path"])
                if not len(px):
                    continue
                px = _placed(px, obj)
                stretch = (abs(_num(obj.get("scaleX", 1))) + abs(_num(obj.get("scaleY", 1)))) / 2
                sd_px = _num(obj.get("strokeWidth", 1)) / 2 * stretch
            elif kind == "circle":
                centre, sd_px = _circle_centre(obj)
                px = centre[None, :]
            else:
                continue
        except ValueError:
            continue  # a malformed object: skip it, keep the rest
        px = np.clip(px, 0, [size[0] - 1e-6, size[1] - 1e-6])
        strokes.append(Stroke(pixels_to_data(px, size, bounds), max(sd_px, 0.5) * scale))
    return Drawing(tuple(strokes))


def to_canvas(drawing: Drawing, size: tuple[float, float], colour: str, bounds=BOUNDS) -> dict[str, Any]:
    """A fabric JSON of the drawing, for the canvas's `initial_drawing`: a Path per stroke
    (strokeWidth = 2 sd), a Circle of radius sd per click."""
    objects = []
    scale = pixel_scale(size, bounds)
    for s in drawing.strokes:
        px = data_to_pixels(s.points, size, bounds)
        sd_px = s.sd / scale
        if s.is_click:
            x, y = px[0]
            objects.append({"type": "Circle", "originX": "center", "originY": "center", "left": float(x),
                            "top": float(y), "radius": float(sd_px), "strokeWidth": 0, "fill": colour,
                            "stroke": colour, "scaleX": 1, "scaleY": 1, "angle": 0})
            continue
        lo, hi = px.min(axis=0), px.max(axis=0)
        centre = (lo + hi) / 2
        path = [["M", float(px[0, 0]), float(px[0, 1])]] + [["L", float(x), float(y)] for x, y in px[1:]]
        objects.append({"type": "Path", "originX": "center", "originY": "center", "left": float(centre[0]),
                        "top": float(centre[1]), "width": float(hi[0] - lo[0]), "height": float(hi[1] - lo[1]),
                        "fill": None, "stroke": colour, "strokeWidth": float(2 * sd_px), "strokeLineCap": "round",
                        "strokeLineJoin": "round", "scaleX": 1, "scaleY": 1, "angle": 0, "path": path})
    return {"version": "7.4.0", "objects": objects}
