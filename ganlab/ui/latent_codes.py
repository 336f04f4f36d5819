"""The Latent page's Codes view, for generators with InfoGAN codes (ganlab.kinds.infogan): the
categorical code as a picker and each continuous code as a slider, what G makes of them, and the
paper's figure (Chen et al. 2016, figure 2: rows the categorical code, columns one continuous
code swept from -2 to 2, the same noise in every cell).

Speed: the picker and the sliders live in a fragment: a move re-runs one generator pass (one
image, or one cloud of points per code value) and nothing else; the figure is cached per
explorer, seed and swept code. The latents come from ganlab.explore.codes.
"""

from __future__ import annotations

import random
from typing import Literal, cast

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image, ImageDraw, ImageFont

from ganlab.explore.codes import SWEEP_VALUES, category_clouds, code_latents, code_layout_of, code_sweep, dominant_mode
from ganlab.explore.explorer import Explorer
from ganlab.explore.latent_images import png_bytes, to_uint8, upscale
from ganlab.kinds.infogan import CodeLayout
from ganlab.ui.latent_views import CONTROL_WIDTH, KEEP, SEED_MAX, cached, one_thread, real_points, show_image
from ganlab.viz.plots import PALETTE

PERSIST = cast(Literal["page", "session"], KEEP)  # hidden, the view's widgets keep the user's values

LABEL = ":material/category: Codes"
SPAN = 2.0  # the sliders' range (±): training drew the continuous codes from [-1, 1]
CLOUD_POINTS = 300  # 2D: samples per code value under the sliders (fewer when there are many values)
FIGURE_POINTS = 200  # 2D: samples per code value in the figure
SAMPLE_SIDE = 280  # px: the image for the chosen codes
CELL_SIDE = 60  # px: about one cell of the figure (the paper's grid is small: ten rows fit a laptop screen)
PICKER_RADIO_MAX = 12  # more categorical values than this: a select box instead of a radio row
DEFAULTS = {"lt_code_seed": 1, "lt_code_cat": 0, "lt_code_sweep": 0}
# The code values' colours: neither green nor purple (real and generated data), then a longer set.
FEW_COLOURS = ("#1f77b4", "#ff7f0e", "#d62728", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
               "#393b79", "#e7ba52")
MANY_COLOURS = ("#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D", "#DA16FF", "#222A2A", "#B68100", "#750D86",
                "#EB663B", "#511CFB", "#00A08B", "#FB00D1", "#FC0080", "#B2828D", "#6C7C32", "#778AAE",
                "#862A16", "#A777F1", "#620042", "#1616A7", "#DA60CA", "#6C4516", "#0D2A63", "#AF0038")


def has_codes(ex: Explorer) -> bool:
    return code_layout_of(ex) is not None


def code_colour(value: int, count: int) -> str:
    colours = FEW_COLOURS if count <= len(FEW_COLOURS) else MANY_COLOURS
    return colours[value % len(colours)]


def _code_name(value: int) -> str:
    return f"code {value}"


def _continuous_name(j: int) -> str:
    return f"continuous code {j + 1}"


def _new_noise() -> None:
    st.session_state["lt_code_seed"] = random.randrange(SEED_MAX)


def _slider_key(j: int) -> str:
    return f"lt_code_c{j}"


def _set_defaults(layout: CodeLayout) -> None:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    if st.session_state["lt_code_cat"] not in range(max(layout.categories, 1)):
        st.session_state["lt_code_cat"] = 0  # another run's code had more values
    if st.session_state["lt_code_sweep"] not in range(max(layout.continuous, 1)):
        st.session_state["lt_code_sweep"] = 0
    for j in range(layout.continuous):
        st.session_state.setdefault(_slider_key(j), 0.0)


# ---------------------------------------------------------------- the view
def codes_panel(ex: Explorer, cls: int | None) -> None:
    """The seed (a page re-run: the figure follows it), the codes (a fragment), then the figure."""
    layout = code_layout_of(ex)
    if layout is None:
        st.info("This generator has no codes: only InfoGAN runs have them (choose the InfoGAN model on the "
                "run's page).")
        return
    _set_defaults(layout)
    row = st.container(horizontal=True, gap="medium", vertical_alignment="bottom")
    row.number_input("Noise seed", 0, SEED_MAX, step=1, key="lt_code_seed", persist_state=PERSIST, width=CONTROL_WIDTH,
                     help="The noise part of G's input; the codes below set the rest")
    row.button("New noise", key="lt_code_new_noise", on_click=_new_noise)
    seed = int(st.session_state["lt_code_seed"])
    st.caption(_layout_text(layout))
    code_controls(ex, layout, seed)
    st.subheader("The paper's figure", divider="gray")
    code_index = _sweep_choice(layout)
    if ex.gan_kind.samples_are_images:
        _image_figure(ex, layout, seed, code_index)
    else:
        _points_figure(ex, layout, seed, code_index)


def _layout_text(layout: CodeLayout) -> str:
    parts = [f"{layout.noise_dim} noise values"]
    if layout.categories:
        parts.append(f"a categorical code of {layout.categories} values")
    if layout.continuous:
        parts.append(f"{layout.continuous} continuous code{'s' if layout.continuous > 1 else ''}")
    return (f"G's input: {', '.join(parts)}. Training drew the continuous codes uniformly from [-1, 1]: beyond ±1 "
            f"the sliders ask the generator to extrapolate.")


@st.fragment
def code_controls(ex: Explorer, layout: CodeLayout, seed: int) -> None:
    one_thread()
    _set_defaults(layout)
    if ex.gan_kind.samples_are_images:
        left, right = st.columns([2, 1])  # the sample about 300 px wide at 1400 px: the figure stays in view
        with left:
            category, values = _code_widgets(layout)
        with right:
            _show_sample(ex, layout, seed, category, values)
    else:
        category, values = _code_widgets(layout)
        _show_clouds(ex, layout, seed, category, values)


def _code_widgets(layout: CodeLayout) -> tuple[int | None, list[float]]:
    category = None
    if layout.categories:
        options = list(range(layout.categories))
        help_text = "The one-hot part of G's input: one value at a time"
        if layout.categories <= PICKER_RADIO_MAX:
            picked = st.radio("Categorical code", options, format_func=_code_name, key="lt_code_cat",
                              persist_state=PERSIST, help=help_text, horizontal=True)
        else:
            picked = st.selectbox("Categorical code", options, format_func=_code_name, key="lt_code_cat",
                                  persist_state=PERSIST, help=help_text)
        category = cast(int, picked)  # mypy picks the stubs' empty-options overload (-> None)
    values: list[float] = []
    if layout.continuous:
        row = st.container(horizontal=True, gap="medium")
        for j in range(layout.continuous):
            values.append(float(row.slider(
                _continuous_name(j), -SPAN, SPAN, value=0.0, step=0.05, key=_slider_key(j), persist_state=PERSIST,
                width=max(CONTROL_WIDTH, 220),
                help="Training drew it uniformly from [-1, 1]: beyond ±1 the generator extrapolates")))
    return category, values


def _codes_text(category: int | None, values: list[float]) -> str:
    parts = [] if category is None else [f"code {category}"]
    parts += [f"{_continuous_name(j)} = {v:+.2f}" for j, v in enumerate(values)]
    text = ", ".join(parts)
    if any(abs(v) > 1 for v in values):
        text += " (beyond ±1: extrapolation)"
    return text


def _show_sample(ex: Explorer, layout: CodeLayout, seed: int, category: int | None, values: list[float]) -> None:
    image = ex.render(code_latents(layout, seed, 1, category, values))
    side = int(image.shape[-1])
    show_image(image, caption=f"G(seed {seed}'s noise; {_codes_text(category, values)})",
               scale=max(1, SAMPLE_SIDE // side))


# ---------------------------------------------------------------- 2D points
def _clouds(ex: Explorer, layout: CodeLayout, seed: int, values: list[float]) -> np.ndarray:
    """(code values, n, 2): each code value's samples at the sliders' continuous values."""
    rows = max(layout.categories, 1)
    n = max(50, min(CLOUD_POINTS, 3000 // rows))
    latents = category_clouds(layout, seed, n, values)
    return ex.render(latents.reshape(-1, layout.total)).reshape(rows, n, 2).numpy()


def _real_trace(ex: Explorer) -> go.Scattergl:
    real = np.asarray(real_points(ex), dtype=np.float64)
    return go.Scattergl(x=real[:, 0], y=real[:, 1], mode="markers", name="real data", hoverinfo="skip",
                        marker=dict(size=4, color=PALETTE["real"], opacity=0.35))


def _framed(fig: go.Figure, ex: Explorer, height: int = 480) -> go.Figure:
    x0, x1, y0, y1 = ex.dataset.bounds
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white",
                      legend=dict(orientation="h", y=1.02, yanchor="bottom"),
                      xaxis=dict(range=[x0, x1], zeroline=False),
                      yaxis=dict(range=[y0, y1], zeroline=False, scaleanchor="x"))
    return fig


def clouds_figure(ex: Explorer, clouds: np.ndarray, chosen: int | None) -> go.Figure:
    """The chosen code value's cloud in its colour over the real data, the other values' faint."""
    traces: list = [_real_trace(ex)]
    count = len(clouds)
    others = [c for c in range(count) if c != chosen]
    if others and chosen is not None:
        rest = np.concatenate([clouds[c] for c in others]).astype(np.float64)
        traces.append(go.Scattergl(x=rest[:, 0], y=rest[:, 1], mode="markers", name="the other codes",
                                   hoverinfo="skip", marker=dict(size=3, color="#9a9a9a", opacity=0.3)))
    shown = chosen if chosen is not None else 0
    points = clouds[shown].astype(np.float64)
    name = f"code {chosen}" if chosen is not None else "G(z, codes)"
    traces.append(go.Scattergl(x=points[:, 0], y=points[:, 1], mode="markers", name=name,
                               marker=dict(size=7, color=code_colour(shown, count) if chosen is not None
                                           else PALETTE["fake"], opacity=0.85, line=dict(color="white", width=0.5))))
    return _framed(go.Figure(traces), ex)


def _show_clouds(ex: Explorer, layout: CodeLayout, seed: int, category: int | None, values: list[float]) -> None:
    clouds = cached("code_clouds", (ex.version, seed, tuple(values)), lambda: _clouds(ex, layout, seed, values))
    st.plotly_chart(clouds_figure(ex, clouds, category), key="lt_code_cloud_chart")
    text = f"{clouds.shape[1]} samples (noise from seed {seed}) at {_codes_text(category, values)}"
    centres = getattr(ex.dataset, "centres", None)
    if category is not None and centres is not None:
        mode, share = dominant_mode(clouds[category], centres)
        x, y = (float(v) for v in centres[mode])
        text += f": {share:.0%} of them nearest the mode at ({x:.2f}, {y:.2f})"
    st.caption(text + ". The other code values' samples, with the same noise, are grey.")


def _figure_points(ex: Explorer, layout: CodeLayout, seed: int, code_index: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(each code value's samples (values, n, 2), each value's sweep of the chosen code (values, columns, 2))."""
    rows = max(layout.categories, 1)
    n = max(30, min(FIGURE_POINTS, 3000 // rows))
    clouds = ex.render(category_clouds(layout, seed, n).reshape(-1, layout.total)).reshape(rows, n, 2).numpy()
    sweeps = None
    if layout.continuous:
        grid = code_sweep(layout, seed, code_index)
        sweeps = ex.render(grid.reshape(-1, layout.total)).reshape(rows, grid.shape[1], 2).numpy()
    return clouds, sweeps


def codes_figure(ex: Explorer, clouds: np.ndarray, sweeps: np.ndarray | None, code_name: str) -> go.Figure:
    """Every code value's samples in its colour over the real data; with a continuous code, each
    value's sweep of it (-2 to 2, the seed's noise) as a line whose markers grow towards +2."""
    traces: list = [_real_trace(ex)]
    count = len(clouds)
    sizes = np.linspace(4, 11, len(SWEEP_VALUES))
    for c in range(count):
        colour, name = code_colour(c, count), f"code {c}"
        pts = clouds[c].astype(np.float64)
        traces.append(go.Scattergl(x=pts[:, 0], y=pts[:, 1], mode="markers", name=name, legendgroup=name,
                                   hovertemplate=f"{name}<extra></extra>", marker=dict(size=4, color=colour, opacity=0.6)))
        if sweeps is not None:
            line = sweeps[c].astype(np.float64)
            traces.append(go.Scatter(
                x=line[:, 0], y=line[:, 1], mode="lines+markers", name=f"{name}: {code_name} -2 → 2", legendgroup=name,
                showlegend=False, line=dict(color=colour, width=2),
                marker=dict(size=sizes[: len(line)], color=colour, line=dict(color="white", width=1)),
                text=[f"{v:+.1f}" for v in SWEEP_VALUES], hovertemplate=f"{name}, {code_name} = %{{text}}<extra></extra>"))
    return _framed(go.Figure(traces), ex, height=520)


def _points_figure(ex: Explorer, layout: CodeLayout, seed: int, code_index: int) -> None:
    clouds, sweeps = cached("code_figure2d", (ex.version, seed, code_index),
                            lambda: _figure_points(ex, layout, seed, code_index))
    name = _continuous_name(code_index)
    st.plotly_chart(codes_figure(ex, clouds, sweeps, name), key="lt_code_figure_chart")
    text = ("Each code value's samples in its own colour (continuous codes drawn as in training, the same noise for "
            "every value)")
    if sweeps is not None:
        text += (f"; each line is that value's {name} swept from -2 to 2 (markers grow towards +2) with seed "
                 f"{seed}'s noise, the other continuous codes at 0")
    st.caption(text + ". A code that learned the data's modes puts each value on a mode of its own.")


# ---------------------------------------------------------------- images
def _sweep_choice(layout: CodeLayout) -> int:
    if layout.continuous > 1:
        options = list(range(layout.continuous))
        picked = st.radio("Sweep", options, format_func=_continuous_name, key="lt_code_sweep", horizontal=True,
                          persist_state=PERSIST, help="The continuous code that changes along each row")
        return cast(int, picked)
    return 0


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def labelled_grid(pixels: np.ndarray, scale: int, row_labels: list[str], col_labels: list[str],
                  padding: int = 2) -> np.ndarray:
    """uint8 cells (rows, cols, H, W, C), enlarged `scale` times, on white with row labels on the left
    and column labels on top: (height, width, 3)."""
    rows, cols, h, w, _ = pixels.shape
    ch, cw = h * scale, w * scale
    font = _font(max(12, min(18, ch // 4)))
    draw_probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    left = 8 + max((int(draw_probe.textlength(t, font=font)) for t in row_labels), default=0)
    top = 8 + int(font.getbbox("-2.0")[3])
    out = Image.new("RGB", (left + cols * (cw + padding) + padding, top + rows * (ch + padding) + padding), "white")
    draw = ImageDraw.Draw(out)
    for r in range(rows):
        y = top + padding + r * (ch + padding)
        draw.text((left - 4, y + ch // 2), row_labels[r], fill="#333333", font=font, anchor="rm")
        for c in range(cols):
            x = left + padding + c * (cw + padding)
            cell = upscale(pixels[r, c], scale)
            out.paste(Image.fromarray(cell[..., 0] if cell.shape[-1] == 1 else cell).convert("RGB"), (x, y))
    for c in range(cols):
        x = left + padding + c * (cw + padding) + cw // 2
        draw.text((x, top - 4), col_labels[c], fill="#333333", font=font, anchor="ms")
    return np.asarray(out)


def _grid(ex: Explorer, layout: CodeLayout, seed: int, code_index: int) -> tuple[bytes, int]:
    """(the figure as a PNG, its width in px): cells enlarged to about CELL_SIDE px, rows and columns labelled."""
    latents = code_sweep(layout, seed, code_index)
    rows, cols = latents.shape[:2]
    images = ex.render(latents.reshape(rows * cols, -1))
    pixels = to_uint8(images)
    pixels = pixels.reshape(rows, cols, *pixels.shape[1:])
    row_labels = [f"code {r}" for r in range(rows)] if layout.categories else [""]
    col_labels = ([f"{v:+.1f}" for v in SWEEP_VALUES] if layout.continuous
                  else [f"seed {seed + c}" for c in range(cols)])
    grid = labelled_grid(pixels, max(1, CELL_SIDE // int(images.shape[-1])), row_labels, col_labels)
    return png_bytes(grid), int(grid.shape[1])


def _grid_caption(layout: CodeLayout, seed: int, code_index: int) -> str:
    rows = "Rows: the categorical code; columns: " if layout.categories else "Columns: "
    if layout.continuous:
        return (f"{rows}{_continuous_name(code_index)} from -2 to 2, the other continuous codes at 0; every cell "
                f"seed {seed}'s noise. The outer columns (beyond ±1) are extrapolation: training never drew those "
                f"values.")
    return f"{rows}the noise of seeds {seed} to {seed + len(SWEEP_VALUES) - 1} (this run has no continuous code)."


def _image_figure(ex: Explorer, layout: CodeLayout, seed: int, code_index: int) -> None:
    shown, width = cached("code_grid", (ex.version, seed, code_index), lambda: _grid(ex, layout, seed, code_index))
    # its own size (narrower screens shrink it): stretched to a wide page, ten rows would not fit a screen
    st.image(shown, caption=_grid_caption(layout, seed, code_index), width=width)
    st.download_button("Figure as PNG", shown, file_name="infogan_codes.png", mime="image/png", key="lt_dl_codes")
