"""The 2D view drawn as a picture (PNG) on the server: the live view while training runs.

Why not plotly every tick: re-rendering an SVG scatter of ~1,000 points, a heatmap,
arrows and manifold lines costs the browser tens of milliseconds per refresh; on a
small machine that shares its cores with the trainer, the live view then slows
training down. A PNG costs the server a few milliseconds to draw and the browser next
to nothing to show. The paused view stays a plotly figure, for hover and zoom.

Same layers, colours and bounds as `plots.toy_view_figure`. Pure numpy + Pillow.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache
from typing import Collection

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ganlab.kinds.toy_experiment import ToyView
from ganlab.viz.display import frame_points, outside_note, surface_display
from ganlab.viz.plots import LAYER_LABELS, PALETTE, SURFACE_COLORSCALE, arrow_segments

SUPERSAMPLE = 2  # drawn at twice the size, then shrunk: smooth edges without an antialiasing rasteriser
# px at the final size: equal, so a collapsed clump on a mode covers its real points (the story)
REAL_RADIUS = FAKE_RADIUS = 2.8
OUTSIDE_SIZE = 4.5  # px: half the base of the triangle a point beyond the view is drawn as
POINT_ALPHA = 0.75
MANIFOLD_ALPHA = 0.45
GUIDE_ALPHA = 0.6  # gradient arrows and true-mode rings, drawn under the points
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 44, 30, 30
COLORBAR_WIDTH = 72


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


@lru_cache(maxsize=1)
def _lut() -> np.ndarray:
    """(256, 3) uint8: the surface colour scale sampled at 256 levels."""
    stops = np.array([s for s, _ in SURFACE_COLORSCALE])
    colours = np.array([_rgb(c) for _, c in SURFACE_COLORSCALE], dtype=float)
    levels = np.linspace(0.0, 1.0, 256)
    return np.stack([np.interp(levels, stops, colours[:, i]) for i in range(3)], 1).round().astype(np.uint8)


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def nice_ticks(lo: float, hi: float, target: int = 5) -> np.ndarray:
    """Round tick values (1, 2 or 5 times a power of ten apart) inside [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return np.array([])
    raw = (hi - lo) / target
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    return np.round(np.arange(first, hi + step * 1e-9, step), 10)


def surface_colours(surface: np.ndarray, zmin: float, zmax: float) -> np.ndarray:
    """(R, C) values -> (R, C, 3) uint8 colours; NaN draws white."""
    z = np.asarray(surface, dtype=float)
    t = np.clip((z - zmin) / (zmax - zmin), 0.0, 1.0) if zmax > zmin else np.full(z.shape, 0.5)
    index = np.nan_to_num(t, nan=0.5) * 255
    out = _lut()[index.round().astype(np.intp)]
    out[~np.isfinite(z)] = 255
    return out


class _Canvas:
    """Data coordinates -> pixels of the (supersampled) plot square."""

    def __init__(self, bounds: tuple[float, float, float, float], size: int) -> None:
        self.x0, self.x1, self.y0, self.y1 = bounds
        self.size = size

    def px(self, points: np.ndarray) -> np.ndarray:
        p = np.asarray(points, dtype=float).reshape(-1, 2)
        u = (p[:, 0] - self.x0) / (self.x1 - self.x0) * self.size
        v = (self.y1 - p[:, 1]) / (self.y1 - self.y0) * self.size
        return np.stack([u, v], 1)


def _disc_offsets(radius: float) -> tuple[np.ndarray, np.ndarray]:
    r = int(math.ceil(radius))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    inside = dx * dx + dy * dy <= radius * radius
    return dx[inside], dy[inside]


def _blend(pixels: np.ndarray, rows: np.ndarray, cols: np.ndarray, colour: str, alpha: float) -> None:
    """Mix `colour` into the given pixels only (a masked paste over the whole square cost
    ~4 ms a layer; the pixels a layer touches are a few percent of it)."""
    weight = round(256 * alpha)  # integer mixing, in 1/256ths
    target = np.asarray(_rgb(colour), dtype=np.uint16) * weight
    mixed = (pixels[rows, cols].astype(np.uint16) * (256 - weight) + target + 128) >> 8
    pixels[rows, cols] = mixed.astype(np.uint8)


def _blend_points(pixels: np.ndarray, canvas: _Canvas, points: np.ndarray, colour: str, radius: float) -> None:
    """A disc at every point, all stamped at once with numpy (a Python call per point held
    the GIL, which the training thread in the same process needs)."""
    uv = canvas.px(points)
    uv = uv[np.isfinite(uv).all(1)].round().astype(np.intp)
    dx, dy = _disc_offsets(radius)
    u = (uv[:, 0:1] + dx).ravel()
    v = (uv[:, 1:2] + dy).ravel()
    keep = (u >= 0) & (u < canvas.size) & (v >= 0) & (v < canvas.size)
    # a pixel in two discs appears twice: both writes hold the same mix of its old colour
    _blend(pixels, v[keep], u[keep], colour, POINT_ALPHA)


def _blend_polylines(pixels: np.ndarray, canvas: _Canvas, lines: np.ndarray, colour: str, width: int) -> None:
    mask = Image.new("L", (canvas.size, canvas.size), 0)
    draw = ImageDraw.Draw(mask)
    for line in np.asarray(lines, dtype=float):
        pts = canvas.px(line)
        pts = pts[np.isfinite(pts).all(1)]
        if len(pts) >= 2:
            draw.line(pts.ravel().tolist(), fill=255, width=width, joint="curve")
    flat = np.flatnonzero(np.asarray(mask))
    _blend(pixels, flat // canvas.size, flat % canvas.size, colour, MANIFOLD_ALPHA)


def _blend_mask(pixels: np.ndarray, mask: Image.Image, colour: str, alpha: float) -> None:
    flat = np.flatnonzero(np.asarray(mask))
    size = mask.size[0]
    _blend(pixels, flat // size, flat % size, colour, alpha)


def _draw_arrows(draw: ImageDraw.ImageDraw, canvas: _Canvas, view: ToyView, scale: int) -> None:
    head = 3.0 * scale
    segments = arrow_segments(view)
    if not len(segments):
        return
    start, tip = canvas.px(segments[:, 0]), canvas.px(segments[:, 1])
    delta = tip - start
    length = np.hypot(delta[:, 0], delta[:, 1])
    keep = length >= 0.5
    start, tip, unit = start[keep], tip[keep], delta[keep] / length[keep, None]
    back = tip - unit * head * 1.6
    normal = np.stack([-unit[:, 1], unit[:, 0]], 1) * head
    left, right = back + normal, back - normal
    for s, t, a, b in zip(start.tolist(), tip.tolist(), left.tolist(), right.tolist(), strict=False):
        draw.line((*s, *t), fill=255, width=scale)
        draw.polygon([tuple(t), tuple(a), tuple(b)], fill=255)


def _draw_modes(draw: ImageDraw.ImageDraw, canvas: _Canvas, centres: np.ndarray, scale: int) -> None:
    """An open ring round each true mode: it marks the place and leaves the real points inside visible."""
    r = 8.5 * scale
    for u, v in canvas.px(centres):
        draw.ellipse((u - r, v - r, u + r, v + r), outline=255, width=scale)


def _outside_triangles(canvas: _Canvas, shown: np.ndarray, side: np.ndarray, size: float) -> list[list[tuple]]:
    """Triangles pointing out of the view, tips on the border at each clamped point."""
    out = []
    for (u, v), way in zip(canvas.px(shown).tolist(), side.tolist(), strict=False):
        u, v = min(max(u, 0.0), canvas.size - 1.0), min(max(v, 0.0), canvas.size - 1.0)
        du, dv = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}[way]
        base_u, base_v = u - du * size * 1.7, v - dv * size * 1.7
        out.append([(u, v), (base_u - dv * size, base_v + du * size), (base_u + dv * size, base_v - du * size)])
    return out


def render_plot_square(view: ToyView, layers: Collection[str], centres: np.ndarray | None, size: int,
                       supersample: int = SUPERSAMPLE, loss: str | None = None) -> Image.Image:
    """The plot area alone: `size` x `size` pixels, RGB. `supersample` 1 draws at the final
    size: 2.6x faster (7 against 18.5 ms for the whole view), slightly rougher edges.
    Layers from the bottom: surface, manifold, modes, arrows, real, generated points; generated
    points beyond the view are drawn on its border as triangles pointing their way."""
    big = size * supersample  # an exact multiple, so `reduce` returns `size` x `size`
    canvas = _Canvas(view.bounds, big)
    if "surface" in layers:
        shown = surface_display(view.surface, loss, view.surface_label)
        colours = surface_colours(view.surface, shown.zmin, shown.zmax)[::-1]  # row 0 of the surface is the bottom (y0)
        # bilinear to the final size, then doubled by copying pixels: the same picture after
        # `reduce`, at a quarter of the cost of interpolating straight to the supersampled size
        img = Image.fromarray(np.ascontiguousarray(colours), "RGB").resize((size, size), Image.BILINEAR)
        if supersample > 1:
            img = img.resize((big, big), Image.NEAREST)
        pixels = np.array(img)
    else:
        pixels = np.full((big, big, 3), 255, dtype=np.uint8)
    if "manifold" in layers and view.manifold is not None and np.size(view.manifold):
        _blend_polylines(pixels, canvas, view.manifold, PALETTE["fake"], supersample)
        if view.source is not None:  # CycleGAN: domain A, where the lines start
            _blend_points(pixels, canvas, view.source, PALETTE["source"], REAL_RADIUS * supersample)
    if "modes" in layers and centres is not None and np.size(centres):
        mask = Image.new("L", (big, big), 0)
        _draw_modes(ImageDraw.Draw(mask), canvas, centres, supersample)
        _blend_mask(pixels, mask, PALETTE["guide"], GUIDE_ALPHA)
    if "gradients" in layers and np.size(view.arrow_from):
        mask = Image.new("L", (big, big), 0)
        _draw_arrows(ImageDraw.Draw(mask), canvas, view, supersample)
        _blend_mask(pixels, mask, PALETTE["gradient"], GUIDE_ALPHA)
    if "real" in layers:
        _blend_points(pixels, canvas, view.real, PALETTE["real"], REAL_RADIUS * supersample)
    framed = frame_points(view.fake, view.bounds) if "fake" in layers else None
    if framed is not None:
        _blend_points(pixels, canvas, framed.points[~framed.outside], PALETTE["fake"], FAKE_RADIUS * supersample)
    img = Image.fromarray(pixels, "RGB")
    if framed is not None and framed.outside_count:
        draw = ImageDraw.Draw(img)
        out = framed.outside
        for triangle in _outside_triangles(canvas, framed.shown[out], framed.side[out], OUTSIDE_SIZE * supersample):
            draw.polygon(triangle, fill=_rgb(PALETTE["fake"]), outline=_rgb(PALETTE["outside"]), width=supersample)
    return img.reduce(supersample) if supersample > 1 else img  # a box filter: 10x cheaper than LANCZOS


def _colorbar(img: Image.Image, draw: ImageDraw.ImageDraw, view: ToyView, left: int, top: int, height: int,
              loss: str | None = None) -> None:
    shown = surface_display(view.surface, loss, view.surface_label)
    zmin, zmax = shown.zmin, shown.zmax
    ramp = surface_colours(np.linspace(zmax, zmin, height)[:, None].repeat(12, 1), zmin, zmax)
    img.paste(Image.fromarray(ramp, "RGB"), (left, top))
    draw.rectangle((left, top, left + 11, top + height - 1), outline=(160, 160, 160))
    font = _font(11)
    for value, text in shown.ticks:
        v = top + (zmax - value) / (zmax - zmin) * (height - 1)
        draw.text((left + 16, v), text, fill=(60, 60, 60), font=font, anchor="lm")
    draw.text((left, top - 6), shown.label, fill=(60, 60, 60), font=font, anchor="lb")


def _legend(draw: ImageDraw.ImageDraw, layers: Collection[str], left: int, baseline: int,
            domain_a: bool = False) -> None:
    font = _font(12)
    x = left
    entries = [(LAYER_LABELS[layer], PALETTE[layer]) for layer in ("real", "fake") if layer in layers]
    if domain_a and "manifold" in layers:  # CycleGAN: the points the mapping lines start from
        entries.append(("Domain A", PALETTE["source"]))
    for label, colour in entries:
        draw.ellipse((x, baseline - 9, x + 8, baseline - 1), fill=_rgb(colour))
        draw.text((x + 12, baseline), label, fill=(40, 40, 40), font=font, anchor="ls")
        x += 24 + int(draw.textlength(label, font=font))


def render_toy_view(view: ToyView, layers: Collection[str], centres: np.ndarray | None = None,
                    plot_size: int = 480, supersample: int = SUPERSAMPLE, loss: str | None = None) -> Image.Image:
    """The whole picture: plot square, axes with round ticks, a legend, D's colour bar (labelled
    and scaled for `loss`, see plots.surface_display) and the count of generated points
    beyond the view."""
    width = MARGIN_LEFT + plot_size + (COLORBAR_WIDTH if "surface" in layers else 12)
    height = MARGIN_TOP + plot_size + MARGIN_BOTTOM
    img = Image.new("RGB", (width, height), (255, 255, 255))
    img.paste(render_plot_square(view, layers, centres, plot_size, supersample, loss), (MARGIN_LEFT, MARGIN_TOP))
    draw = ImageDraw.Draw(img)
    draw.rectangle((MARGIN_LEFT - 1, MARGIN_TOP - 1, MARGIN_LEFT + plot_size, MARGIN_TOP + plot_size),
                   outline=(190, 190, 190))
    font = _font(11)
    x0, x1, y0, y1 = view.bounds
    for t in nice_ticks(x0, x1):
        u = MARGIN_LEFT + (t - x0) / (x1 - x0) * plot_size
        draw.line((u, MARGIN_TOP + plot_size, u, MARGIN_TOP + plot_size + 4), fill=(120, 120, 120))
        draw.text((u, MARGIN_TOP + plot_size + 6), f"{t:g}", fill=(60, 60, 60), font=font, anchor="mt")
    for t in nice_ticks(y0, y1):
        v = MARGIN_TOP + (y1 - t) / (y1 - y0) * plot_size
        draw.line((MARGIN_LEFT - 5, v, MARGIN_LEFT - 1, v), fill=(120, 120, 120))
        draw.text((MARGIN_LEFT - 7, v), f"{t:g}", fill=(60, 60, 60), font=font, anchor="rm")
    _legend(draw, layers, MARGIN_LEFT, MARGIN_TOP - 10, domain_a=view.source is not None)
    if "surface" in layers:
        _colorbar(img, draw, view, MARGIN_LEFT + plot_size + 12, MARGIN_TOP + plot_size // 8, plot_size * 3 // 4, loss)
    note = outside_note(frame_points(view.fake, view.bounds).outside_count) if "fake" in layers else ""
    if note:
        note_font = _font(12 if draw.textlength(note, font=_font(12)) <= plot_size - 8 else 10)
        draw.text((MARGIN_LEFT + 4, MARGIN_TOP + plot_size - 4), note, fill=_rgb(PALETTE["outside"]),
                  font=note_font, anchor="ls", stroke_width=2, stroke_fill=(255, 255, 255))
    return img


def png_bytes(img: Image.Image) -> bytes:
    """PNG at zlib level 1: a third of level 6's encode time for a few percent more bytes."""
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def jpeg_bytes(img: Image.Image, quality: int = 90) -> bytes:
    """JPEG for the live view: ~4x quicker to encode than PNG and a third of its bytes
    (a remote workshop browser fetches one per refresh); at quality 90 the points stay crisp."""
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
