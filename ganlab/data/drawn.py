"""A 2D distribution the user draws: strokes and clicked points, with a brush that sets the noise.

A `Drawing` is a list of strokes in data units, each a polyline (one point: a click) with its
own standard deviation (the brush it was drawn with). The data set is a fixed cloud of
`SAMPLES` points: along each stroke uniformly by arc length (a click weighs as a stroke
`CLICK_LENGTH` long), plus Gaussian noise of the stroke's sd. The cloud is seeded by the
drawing itself, so one drawing is one data set everywhere (the link, a saved run, the CLI).

Drawings travel in links as a compact code (`encode` / `decode`): points snapped to a grid of
`GRID` cells per axis over `BOUNDS`, delta-encoded as zigzag varints, in URL-safe base64.
The fabric.js side (the canvas's JSON) is in ganlab.data.drawn_canvas.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass

import numpy as np
import torch

from ganlab.data.points_csv import EmpiricalSampler
from ganlab.data.toy import ToyDistribution

DRAWN_DATA = "drawn"  # the 2D data set's name for points the user draws

BOUNDS = (-3.0, 3.0, -3.0, 3.0)  # x_min, x_max, y_min, y_max: the canvas and the playground's view
GRID = 1024  # cells per axis: one cell is 6/1024 ≈ 0.006 data units
SD_STEP = 0.01  # the brush's sd in the code, in these steps (1..255)
SD_RANGE = (0.01, 1.0)  # the brush slider's range, data units
SAMPLES = 4000
CLICK_LENGTH = 0.5  # a clicked point (or a shorter stroke) weighs as a stroke this long
MIN_SPACING = 0.08  # data units between kept stroke points (a chord error of 0.0004 on a circle of
# radius 1.8; curls tighter than this lose detail); doubled until a drawing fits the caps
MAX_CODE_CHARS = 3000
MAX_POINTS = 1500
MAX_STROKES = 100
VERSION = 1
_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class DrawingCodeError(ValueError):
    """A drawing code cannot be read or a drawing cannot be coded; the message says why."""


@dataclass(frozen=True)
class Stroke:
    points: np.ndarray  # (k, 2) float64 in data units; k == 1 is a clicked point
    sd: float  # data units

    @property
    def is_click(self) -> bool:
        return len(self.points) == 1


@dataclass(frozen=True)
class Drawing:
    strokes: tuple[Stroke, ...]

    @property
    def point_count(self) -> int:
        return sum(len(s.points) for s in self.strokes)


# --- canvas pixels <-> data units ------------------------------------------------------------

def pixels_to_data(px: np.ndarray, size: tuple[float, float], bounds=BOUNDS) -> np.ndarray:
    """Canvas pixels (x right, y down; `size` = (width, height)) to data units (y up)."""
    px = np.asarray(px, dtype=np.float64).reshape(-1, 2)
    x0, x1, y0, y1 = bounds
    x = x0 + px[:, 0] / size[0] * (x1 - x0)
    y = y1 - px[:, 1] / size[1] * (y1 - y0)
    return np.stack([x, y], axis=1)


def data_to_pixels(points: np.ndarray, size: tuple[float, float], bounds=BOUNDS) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    x0, x1, y0, y1 = bounds
    px = (points[:, 0] - x0) / (x1 - x0) * size[0]
    py = (y1 - points[:, 1]) / (y1 - y0) * size[1]
    return np.stack([px, py], axis=1)


def pixel_scale(size: tuple[float, float], bounds=BOUNDS) -> float:
    """Data units per canvas pixel (the mean of both axes; the canvas is square)."""
    x0, x1, y0, y1 = bounds
    return ((x1 - x0) / size[0] + (y1 - y0) / size[1]) / 2


# --- the grid the code uses ------------------------------------------------------------------

def _cells(points: np.ndarray) -> np.ndarray:
    x0, x1, y0, y1 = BOUNDS
    scaled = (points - np.array([x0, y0])) / np.array([x1 - x0, y1 - y0]) * GRID
    return np.clip(np.floor(scaled), 0, GRID - 1).astype(np.int64)


def _centres(cells: np.ndarray) -> np.ndarray:
    x0, x1, y0, y1 = BOUNDS
    return (cells + 0.5) / GRID * np.array([x1 - x0, y1 - y0]) + np.array([x0, y0])


def _simplified(cells: np.ndarray, spacing: float) -> np.ndarray:
    """Drop points closer than `spacing` (data units) to the previous kept one; keep the ends.
    (A loop over Python floats: it runs for every point of every stroke, per try of `encode`.)"""
    if len(cells) <= 2:
        return cells if len(cells) < 2 or (cells[0] != cells[1]).any() else cells[:1]
    sx, sy = (BOUNDS[1] - BOUNDS[0]) / GRID, (BOUNDS[3] - BOUNDS[2]) / GRID
    limit = spacing * spacing
    xs, ys = cells[:, 0].tolist(), cells[:, 1].tolist()
    kept = [0]
    kx, ky = xs[0], ys[0]
    for i in range(1, len(xs) - 1):
        dx, dy = (xs[i] - kx) * sx, (ys[i] - ky) * sy
        if dx * dx + dy * dy >= limit:
            kept.append(i)
            kx, ky = xs[i], ys[i]
    if xs[-1] != kx or ys[-1] != ky:
        kept.append(len(xs) - 1)
    return cells[kept]


def snapped(drawing: Drawing, spacing: float = MIN_SPACING) -> Drawing:
    """The drawing as its code stores it: points at grid-cell centres, `spacing` apart, sd in SD_STEPs."""
    strokes = []
    for s in drawing.strokes:
        cells = _simplified(_cells(s.points), spacing)
        strokes.append(Stroke(_centres(cells), _sd_steps(s.sd) * SD_STEP))
    return Drawing(tuple(strokes))


def _sd_steps(sd: float) -> int:
    return int(np.clip(round(sd / SD_STEP), 1, 255))


# --- the code --------------------------------------------------------------------------------

def _varint(value: int, out: bytearray) -> None:
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return


def _zigzag(value: int) -> int:
    return value * 2 if value >= 0 else -value * 2 - 1


def _pack(drawing: Drawing, spacing: float) -> tuple[bytes, int]:
    out = bytearray([VERSION])
    _varint(len(drawing.strokes), out)
    points = 0
    for s in drawing.strokes:
        cells = _simplified(_cells(s.points), spacing)
        points += len(cells)
        out.append(_sd_steps(s.sd))
        _varint(len(cells), out)
        _varint(int(cells[0, 0]), out)
        _varint(int(cells[0, 1]), out)
        for d in np.diff(cells, axis=0):
            _varint(_zigzag(int(d[0])), out)
            _varint(_zigzag(int(d[1])), out)
    return bytes(out), points


def encode(drawing: Drawing) -> str:
    """The drawing's link code; a drawing over the caps is simplified (wider point spacing) until
    it fits. Raises DrawingCodeError for an empty drawing or one with more than MAX_STROKES strokes."""
    strokes = tuple(s for s in drawing.strokes if len(s.points))
    if not strokes:
        raise DrawingCodeError("the drawing is empty")
    if len(strokes) > MAX_STROKES:
        raise DrawingCodeError(f"the drawing has {len(strokes)} strokes and points; at most {MAX_STROKES} fit in a link")
    spacing = MIN_SPACING
    while True:
        raw, points = _pack(Drawing(strokes), spacing)
        code = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        if (len(code) <= MAX_CODE_CHARS and points <= MAX_POINTS) or points <= 2 * len(strokes):
            break
        spacing *= 2
    if len(code) > MAX_CODE_CHARS:
        raise DrawingCodeError("the drawing is too large for a link; draw fewer strokes")
    return code


class _Reader:
    def __init__(self, raw: bytes) -> None:
        self.raw, self.at = raw, 0

    def byte(self) -> int:
        if self.at >= len(self.raw):
            raise DrawingCodeError("the drawing in the link is cut short")
        self.at += 1
        return self.raw[self.at - 1]

    def varint(self, limit: int) -> int:
        value, shift = 0, 0
        while True:
            b = self.byte()
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
            if shift > 21:
                raise DrawingCodeError("the drawing in the link is damaged (a number is too long)")
        if value > limit:
            raise DrawingCodeError("the drawing in the link is damaged (a number is out of range)")
        return value


def decode(code: str) -> Drawing:
    """The drawing of a link code, at its grid's cell centres. Raises DrawingCodeError, with a
    message for the user, for anything that is not a code `encode` wrote."""
    if not isinstance(code, str) or not code:
        raise DrawingCodeError("the drawing in the link is empty")
    if len(code) > MAX_CODE_CHARS:
        raise DrawingCodeError(f"the drawing in the link is longer than {MAX_CODE_CHARS:,} characters")
    if not set(code) <= _ALPHABET or len(code) % 4 == 1:
        raise DrawingCodeError("the drawing in the link is damaged (it holds characters a drawing code never has)")
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    except (binascii.Error, ValueError):
        raise DrawingCodeError("the drawing in the link is damaged (not a drawing code)") from None
    r = _Reader(raw)
    if r.byte() != VERSION:
        raise DrawingCodeError("the drawing in the link is from an unknown version of ganlab")
    n_strokes = r.varint(MAX_STROKES)
    if n_strokes == 0:
        raise DrawingCodeError("the drawing in the link has no strokes")
    strokes, total = [], 0
    for _ in range(n_strokes):
        sd_steps = r.byte()
        if sd_steps == 0:
            raise DrawingCodeError("the drawing in the link is damaged (a brush of size 0)")
        n = r.varint(MAX_POINTS)
        total += n
        if n == 0 or total > MAX_POINTS:
            raise DrawingCodeError(f"the drawing in the link has an empty stroke or more than {MAX_POINTS:,} points")
        cells = np.empty((n, 2), dtype=np.int64)
        cells[0] = r.varint(GRID - 1), r.varint(GRID - 1)
        for i in range(1, n):
            dx, dy = r.varint(4 * GRID), r.varint(4 * GRID)
            cells[i] = cells[i - 1] + [(dx >> 1) ^ -(dx & 1), (dy >> 1) ^ -(dy & 1)]
        if (cells < 0).any() or (cells >= GRID).any():
            raise DrawingCodeError("the drawing in the link is damaged (a point lies outside the plot)")
        strokes.append(Stroke(_centres(cells), sd_steps * SD_STEP))
    if r.at != len(raw):
        raise DrawingCodeError("the drawing in the link is damaged (it has bytes after its end)")
    return Drawing(tuple(strokes))


# --- the data set ----------------------------------------------------------------------------

def sample_drawing(drawing: Drawing, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` points (n, 2): a stroke chosen by its length (a click weighs CLICK_LENGTH), a place
    on it uniform by arc length, plus Gaussian noise of the stroke's sd."""
    lengths = []
    for s in drawing.strokes:
        seg = np.hypot(*np.diff(s.points, axis=0).T) if len(s.points) > 1 else np.zeros(0)
        lengths.append(seg)
    weights = np.array([max(seg.sum(), CLICK_LENGTH) for seg in lengths])
    which = rng.choice(len(weights), size=n, p=weights / weights.sum())
    out = np.empty((n, 2))
    for i, (s, seg) in enumerate(zip(drawing.strokes, lengths, strict=False)):
        idx = np.flatnonzero(which == i)
        if not len(idx):
            continue
        if seg.sum() <= 0:
            base = np.repeat(s.points[:1], len(idx), axis=0)
        else:
            cum = np.concatenate([[0.0], np.cumsum(seg)])
            t = rng.uniform(0, cum[-1], len(idx))
            k = np.clip(np.searchsorted(cum, t, side="right") - 1, 0, len(seg) - 1)
            frac = ((t - cum[k]) / np.where(seg[k] > 0, seg[k], 1.0))[:, None]
            base = s.points[k] + frac * (s.points[k + 1] - s.points[k])
        out[idx] = base + rng.normal(0.0, s.sd, (len(idx), 2))
    return out


def drawn_distribution(code: str, samples: int = SAMPLES) -> ToyDistribution:
    """The data set of a drawing code (DrawingCodeError when it is not one): a fixed cloud of
    points seeded by the code. A drawing of clicks only has modes (the clicks), so the
    playground measures mode coverage on it."""
    drawing = decode(code)
    rng = np.random.default_rng(zlib.crc32(code.encode("ascii")))
    points = sample_drawing(drawing, samples, rng).astype(np.float32)
    clicks = all(s.is_click for s in drawing.strokes)
    centres = np.concatenate([s.points for s in drawing.strokes]) if clicks else None
    sd = np.array([s.sd for s in drawing.strokes]) if clicks else None
    kinds = sum(s.is_click for s in drawing.strokes)
    what = ", ".join(part for part in (_count(len(drawing.strokes) - kinds, "stroke"), _count(kinds, "point")) if part)
    return ToyDistribution(DRAWN_DATA, "Your drawing", EmpiricalSampler(torch.from_numpy(points)), BOUNDS,
                           centres=centres, sd=sd, description=f"{samples:,} points sampled around your drawing ({what}).",
                           points=points)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}" if n else ""
