"""The model overview graph drawn as one inline SVG: boxes for the nodes (a miniature picture
each, as a data-URI image, and its numbers as text), arrows for the edges, the gradient paths
dashed, the lit path in D's blue or G's orange.

Why SVG and not a plotly figure: a dozen shapes and a few small images cost the browser next
to nothing to replace every second or two (a plotly figure is rebuilt by plotly.js on every
refresh, ~100 ms of CPU each on a shared workshop machine), its text stays crisp at any width,
and it scales with the page through its viewBox. Pure string work, no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Mapping

from ganlab.viz.model_graph import Edge, ModelGraph, Node
from ganlab.viz.plots import PALETTE

WIDTH = 584  # the viewBox's width: at 1024 px with the sidebar open (~530 px) its text stays ~11 px
MAX_WIDTH_PX = 720  # ...and on a wide page grows to at most this (1.2x), leaving room for the live view
NODE_W, LOSS_W = 100, 48
COLUMNS = {"noise": 2, "generator": 118, "real": 234, "fake": 234, "discriminator": 364, "predictions": 482,
           "d_loss": 482, "g_loss": 534}
ROLE_COLOURS = {"d": PALETTE["d"], "g": PALETTE["g"], "dg": PALETTE["neutral"]}
ROLE_FILLS = {"d": "#eaf1f8", "g": "#fdf1e3", "dg": "#f0f0f0"}
IDLE_EDGE, IDLE_STROKE, TEXT, STALE = "#b4b4b4", "#c8c8c8", "#303030", "#9a9a9a"
STALE_TIP = "from an earlier step: the last step did not compute it"


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass(frozen=True)
class Layout:
    boxes: dict[str, Box]
    picture: int  # a miniature's side, in viewBox units
    height: int


def layout(picture: int) -> Layout:
    """Two rows (real samples above, noise -> G -> generated samples below), D between them,
    the predictions top right with the two losses under them, and room below for the gradients'
    paths back (D's under D, G's under the whole bottom row)."""
    h = picture + 54
    top, bottom = 8, 8 + h + 22
    boxes = {nid: Box(COLUMNS[nid], bottom, NODE_W, h) for nid in ("noise", "generator", "fake")}
    boxes["real"] = Box(COLUMNS["real"], top, NODE_W, h)
    boxes["discriminator"] = Box(COLUMNS["discriminator"], (top + bottom) / 2, NODE_W, h)
    boxes["predictions"] = Box(COLUMNS["predictions"], top, NODE_W, 100)
    loss_top = max(top + 100 + 28, bottom)
    boxes["d_loss"] = Box(COLUMNS["d_loss"], loss_top, LOSS_W, 56)
    boxes["g_loss"] = Box(COLUMNS["g_loss"], loss_top, LOSS_W, 56)
    return Layout(boxes, picture, int(max(bottom + h, loss_top + 56)) + 30)


FULL = layout(56)  # the playground's
COMPACT = layout(40)  # the image page's


def _colour(role: str | None) -> str:
    return ROLE_COLOURS[role] if role else IDLE_EDGE


def _arrow_head(x: float, y: float, dx: float, dy: float, colour: str, size: float = 6.0) -> str:
    """A filled triangle with its tip at (x, y) pointing along the unit (dx, dy)."""
    bx, by = x - dx * size * 1.5, y - dy * size * 1.5
    nx, ny = -dy * size * 0.7, dx * size * 0.7
    return (f'<polygon points="{x:.1f},{y:.1f} {bx + nx:.1f},{by + ny:.1f} {bx - nx:.1f},{by - ny:.1f}" '
            f'fill="{colour}"/>')


def _curve(x0: float, y0: float, x1: float, y1: float, horizontal: bool) -> str:
    """A cubic from (x0, y0) to (x1, y1), leaving and arriving horizontally (or vertically);
    it stops an arrow head short of the end."""
    if horizontal:
        mid = (x0 + x1) / 2
        return f"M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1 - 7:.1f},{y1:.1f}"
    mid = (y0 + y1) / 2
    end = y1 - 7 if y1 > y0 else y1 + 7
    return f"M{x0:.1f},{y0:.1f} C{x0:.1f},{mid:.1f} {x1:.1f},{mid:.1f} {x1:.1f},{end:.1f}"


def _edge_geometry(edge: Edge, lay: Layout) -> tuple[str, tuple[float, float, float, float], tuple[float, float]]:
    """(the SVG path, the arrow tip (x, y, dx, dy), where the label goes)."""
    s, t = lay.boxes[edge.source], lay.boxes[edge.target]
    low = lay.height - 8
    if edge.id == "d_loss-discriminator":  # down from D's loss, back up into D from below
        x0, y0, x1, y1 = s.cx, s.bottom, t.cx + 10, t.bottom
        dip = max(y0, y1) + 14
        return (f"M{x0:.1f},{y0:.1f} C{x0:.1f},{dip:.1f} {x1:.1f},{dip:.1f} {x1:.1f},{y1 + 7:.1f}",
                (x1, y1, 0.0, -1.0), ((x0 + x1) / 2 + 4, dip + 9))
    if edge.id == "g_loss-generator":  # under the whole bottom row and back up into G
        x0, y0, x1, y1 = s.cx, s.bottom, t.cx, t.bottom
        return (f"M{x0:.1f},{y0:.1f} V{low - 10:.1f} Q{x0:.1f},{low:.1f} {x0 - 10:.1f},{low:.1f} "
                f"H{x1 + 10:.1f} Q{x1:.1f},{low:.1f} {x1:.1f},{low - 10:.1f} V{y1 + 7:.1f}",
                (x1, y1, 0.0, -1.0), ((s.x + t.right) / 2, low - 5))
    if edge.source == "predictions":  # down into the losses below
        x0, y0, x1, y1 = s.cx + (-12 if edge.target == "d_loss" else 12), s.bottom, t.cx, t.y
        return _curve(x0, y0, x1, y1, horizontal=False), (x1, y1, 0.0, 1.0), (x1, y0)
    x0, y0, x1, y1 = s.right, s.cy, t.x, t.cy
    if edge.source == "real":
        y1 = t.cy - t.h / 4
    elif edge.source == "fake":
        y1 = t.cy + t.h / 4
    elif edge.source == "discriminator":
        y0, y1 = s.cy - s.h / 4, min(t.cy, s.cy - s.h / 4)
    return _curve(x0, y0, x1, y1, horizontal=True), (x1, y1, 1.0, 0.0), ((x0 + x1) / 2, min(y0, y1) - 4)


def _edge_svg(edge: Edge, lay: Layout) -> str:
    path, (x, y, dx, dy), (lx, ly) = _edge_geometry(edge, lay)
    colour = _colour(edge.role)
    width = 2.6 if edge.role else 1.3
    dash = ' stroke-dasharray="5 4"' if edge.kind == "gradient" else ""
    state = f"lit-{edge.role}" if edge.role else "idle"
    out = [f'<g class="edge {edge.kind} {state}" data-id="{escape(edge.id)}">',
           f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{width}"{dash}/>',
           _arrow_head(x, y, dx, dy, colour)]
    if edge.label:
        weight = "600" if edge.role else "400"
        out.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle" font-size="10.5" font-weight="{weight}" '
                   f'fill="{colour if edge.role else STALE}">{escape(edge.label, quote=False)}</text>')
    out.append("</g>")
    return "".join(out)


def _text_line(x: float, y: float, text: str, *, size: float = 11.5, stale: bool = False, weight: str = "400",
               colour: str = TEXT) -> str:
    tip = f"<title>{STALE_TIP}</title>" if stale else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="{size}" font-weight="{weight}" '
            f'fill="{STALE if stale else colour}">{tip}{escape(text, quote=False)}</text>')


def _bar(box: Box, y: float, value: float | None, colour: str) -> str:
    """A horizontal bar of `value` in [0, 1] across the box (D's mean probability)."""
    if value is None:
        return ""
    inner = box.w - 20
    width = max(0.0, min(1.0, value)) * inner
    return (f'<rect x="{box.x + 10:.1f}" y="{y:.1f}" width="{inner:.1f}" height="5" fill="#eeeeee"/>'
            f'<rect x="{box.x + 10:.1f}" y="{y:.1f}" width="{width:.1f}" height="5" fill="{colour}"/>')


def _node_svg(node: Node, lay: Layout, picture: str | None, bars: Mapping[str, float] | None) -> str:
    box = lay.boxes[node.id]
    stroke, fill = (ROLE_COLOURS[node.role], ROLE_FILLS[node.role]) if node.role else (IDLE_STROKE, "#ffffff")
    state = f"lit-{node.role}" if node.role else "idle"
    out = [f'<g class="node {state}" data-id="{escape(node.id)}">',
           f'<rect x="{box.x}" y="{box.y:.1f}" width="{box.w}" height="{box.h:.1f}" rx="7" fill="{fill}" '
           f'stroke="{stroke}" stroke-width="{2.6 if node.role else 1.2}"/>',
           _text_line(box.cx, box.y + 15, node.title, size=12, weight="600",
                      colour=ROLE_COLOURS[node.role] if node.role else TEXT)]
    y = box.y + 22
    if picture:
        p = lay.picture
        px = box.cx - p / 2
        out.append(f'<image href="{picture}" x="{px:.1f}" y="{y:.1f}" width="{p}" height="{p}" '
                   f'preserveAspectRatio="none" style="image-rendering:pixelated"/>')
        out.append(f'<rect x="{px:.1f}" y="{y:.1f}" width="{p}" height="{p}" fill="none" stroke="#dddddd"/>')
        y += p + 12
    else:
        y += 14 if node.id in ("d_loss", "g_loss") else 10
    if node.id in ("d_loss", "g_loss"):
        for line in node.lines:
            out.append(_text_line(box.cx, y + 4, line.text, size=14, weight="600", stale=line.stale))
    elif node.id == "predictions" and bars is not None:
        out.append(_text_line(box.cx, y, node.lines[0].text, size=10.5, colour=STALE))
        y += 18
        for line, key, colour in zip(node.lines[1:], ("d_real", "d_fake"), (PALETTE["real"], PALETTE["fake"]), strict=False):
            out.append(_text_line(box.cx, y, line.text, stale=line.stale))
            out.append(_bar(box, y + 4, bars.get(key), colour))
            y += 24
        for line in node.lines[3:]:
            out.append(_text_line(box.cx, y, line.text, stale=line.stale))
    else:
        for line in node.lines:
            out.append(_text_line(box.cx, y, line.text, size=11.5, stale=line.stale))
            y += 13
    out.append("</g>")
    return "".join(out)


def graph_svg(graph: ModelGraph, pictures: Mapping[str, str] | None = None, *, lay: Layout = FULL,
              bars: Mapping[str, float] | None = None, title: str = "Model overview graph") -> str:
    """The graph as an HTML snippet: the SVG and its caption. `pictures`: {node id: data URI};
    `bars`: D's mean scores {"d_real", "d_fake"} in [0, 1], drawn as bars (None: numbers only)."""
    pictures = pictures or {}
    parts = [f'<div class="ganlab-model-graph" style="max-width:{MAX_WIDTH_PX}px;margin:0 auto">',
             f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {lay.height}" width="100%" role="img" '
             f'aria-label="{escape(title)}" '
             f'style="font-family:inherit;display:block">',
             f"<title>{escape(title)}</title>"]
    parts += [_edge_svg(edge, lay) for edge in graph.edges if edge.role is None]
    parts += [_edge_svg(edge, lay) for edge in graph.edges if edge.role is not None]  # lit edges on top
    parts += [_node_svg(node, lay, pictures.get(node.id), bars) for node in graph.nodes]
    parts.append("</svg>")
    parts.append(f'<div class="ganlab-model-graph-caption" style="font-size:0.85rem;color:#555">'
                 f"{escape(graph.caption, quote=False)}</div></div>")
    return "".join(parts)
