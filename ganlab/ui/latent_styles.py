"""The Latent page's Styles view, for image generators: style mixing (a style-based G only: the
coarse styles of sample A with the fine styles of sample B, the crossover layer on a slider) and
the truncation trick (every image G: a psi slider pulling the samples toward the mean style w,
or toward the mean noise for a G without styles), beside a plot of the classes the samples cover
and the digit classifier's confidence in them, psi by psi.

Speed: each part's controls and pictures live in a fragment: a slider move re-runs one small
generator pass (three images for the mix, eight for truncation) and nothing else. The strip of
every crossover is cached per seed pair, the truncation curve once per explorer (and class).
The work is done in ganlab.explore.styles.
"""

from __future__ import annotations

import random
from typing import Literal, cast

import numpy as np
import streamlit as st
import torch

from ganlab.explore.explorer import Explorer
from ganlab.explore.latent_images import to_uint8, upscale
from ganlab.explore.styles import (
    MEAN_SAMPLES,
    cached_truncation_curve,
    class_count,
    classifier_reason,
    has_styles,
    num_styles,
    offers_truncation,
    render_crossovers,
    render_mixed,
    render_truncated,
    style_sides,
)
from ganlab.kinds.models import model_of
from ganlab.ui.latent_views import CONTROL_WIDTH, KEEP, SEED_MAX, cached, one_thread
from ganlab.viz.plots_latent import truncation_figure

PERSIST = cast(Literal["page", "session"], KEEP)  # hidden, the view's widgets keep the user's values

LABEL = ":material/palette: Styles"  # a style-based G: mixing and truncation
TRUNCATION_LABEL = ":material/compress: Truncation"  # any other image G: truncation alone
SOURCE_SIDE = 140  # px: each source of the mix
MIX_SIDE = 224  # px: the mix (the three fit one row of a laptop's 1024 px page)
STRIP_SIDE = 84  # px: a cell of the every-crossover strip
GRID_SIDE = 96  # px: a cell of the truncated samples' grid
GRID_SAMPLES, GRID_COLUMNS = 8, 4
PSI_STEP = 0.05
FRAME = np.array([230, 81, 0], dtype=np.uint8)  # the current crossover's frame in the strip
DEFAULTS = {"lt_style_a": 1, "lt_style_b": 2, "lt_psi": 0.7, "lt_psi_seed": 1}


def offers_styles(ex: Explorer) -> bool:
    """The view is offered for every image generator (truncation); mixing needs styles."""
    return offers_truncation(ex)


def view_label(ex: Explorer) -> str:
    return LABEL if has_styles(ex) else TRUNCATION_LABEL


def _set_defaults(ex: Explorer) -> None:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    if has_styles(ex):
        count = num_styles(ex)
        if st.session_state.get("lt_style_cross") not in range(count + 1):
            st.session_state["lt_style_cross"] = count // 2  # a first visit, or another run's G with fewer styles


def _randomize(key: str) -> None:
    st.session_state[key] = random.randrange(SEED_MAX)


def _scale(image_side: int, target: int) -> int:
    return max(1, target // image_side)


# ---------------------------------------------------------------- the view
def styles_panel(ex: Explorer, cls: int | None) -> None:
    if not offers_truncation(ex):
        st.info("Styles and truncation are for image generators: a 2D generator's samples are points.")
        return
    _set_defaults(ex)
    if has_styles(ex):
        st.subheader("Style mixing", divider="gray")
        mixing_controls(ex)
        st.subheader("Truncation", divider="gray")
    else:
        st.caption(f"This {model_of(ex.structure).label} generator has no styles: style mixing needs the "
                   "style-based model. Truncation works for any generator: it pulls the noise toward its mean.")
    truncation_controls(ex, cls)


# ---------------------------------------------------------------- mixing
def _styles_text(ex: Explorer, first: int, last: int) -> str:
    """'styles 1-3 (7x7 to 14x14)': styles first..last-1 (0-based) and the maps they act on."""
    if first >= last:
        return "no styles"
    sides = style_sides(ex)[first:last]
    maps = f"{sides[0]}×{sides[0]}" if sides[0] == sides[-1] else f"{sides[0]}×{sides[0]} to {sides[-1]}×{sides[-1]}"
    names = f"style {first + 1}" if last - first == 1 else f"styles {first + 1}–{last}"
    return f"{names} ({maps})"


@st.fragment
def mixing_controls(ex: Explorer) -> None:
    one_thread()
    _set_defaults(ex)
    count = num_styles(ex)
    row = st.container(horizontal=True, gap="medium", vertical_alignment="bottom")
    for which, role in (("a", "coarse styles"), ("b", "fine styles")):
        box = row.container(width=CONTROL_WIDTH)
        box.number_input(f"A: seed ({role})" if which == "a" else f"B: seed ({role})", 0, SEED_MAX, step=1,
                         key=f"lt_style_{which}", persist_state=PERSIST, help="Each seed names one latent z, so one w")
        box.button(f"Random {which.upper()}", key=f"lt_style_rand_{which}", on_click=_randomize,
                   args=(f"lt_style_{which}",))
    crossover = int(row.slider(
        "Crossover: styles from A", 0, count, key="lt_style_cross", persist_state=PERSIST, width=max(CONTROL_WIDTH, 260),
        help=f"The mix takes its first styles (the coarse ones, at the small maps) from A and the rest from B: "
             f"0 is B's sample, {count} is A's"))
    seed_a, seed_b = int(st.session_state["lt_style_a"]), int(st.session_state["lt_style_b"])
    mix = render_mixed(ex, seed_a, seed_b, crossover)
    side = int(mix.a.shape[-1])
    a_text, b_text = _styles_text(ex, 0, crossover), _styles_text(ex, crossover, count)
    images = (mix.a[0], mix.b[0], mix.mixed[0, 0])
    captions = (f"A: seed {seed_a}", f"B: seed {seed_b}",
                f"Mix: {a_text} from A, {b_text} from B" if 0 < crossover < count
                else ("Mix: every style from B (B's sample)" if crossover == 0 else "Mix: every style from A (A's sample)"))
    # A row that wraps: the mix, the largest, drops below its sources on a narrow screen
    row = st.container(horizontal=True, gap="small", vertical_alignment="top")
    for image, caption, target in zip(images, captions, (SOURCE_SIDE, SOURCE_SIDE, MIX_SIDE), strict=True):
        shown = upscale(to_uint8(image[None])[0], _scale(side, target))
        row.image(shown, caption=caption, output_format="PNG", width=int(shown.shape[1]))
    strip = cached("style_strip", (ex.version, seed_a, seed_b), lambda: to_uint8(render_crossovers(ex, seed_a, seed_b)))
    st.image(_framed_strip(strip, crossover, _scale(side, STRIP_SIDE)),
             caption=f"Every crossover, 0 (all from B) to {count} (all from A); the framed one is the mix above. "
                     f"Coarse styles (the small maps) tend to set shape and pose, fine ones stroke and texture.",
             output_format="PNG")


def _framed_strip(cells: np.ndarray, current: int, scale: int, padding: int = 4) -> np.ndarray:
    """uint8 cells (n, H, W, C) enlarged side by side on white, cell `current` framed in colour."""
    n, h, w, _ = cells.shape
    ch, cw = h * scale, w * scale
    out = np.full((ch + 2 * padding, n * (cw + padding) + padding, 3), 255, dtype=np.uint8)
    for i, cell in enumerate(cells):
        x = padding + i * (cw + padding)
        if i == current:
            out[:, x - padding:x + cw + padding] = FRAME
        out[padding:padding + ch, x:x + cw] = upscale(cell, scale)  # grey broadcasts over the 3 channels
    return out


# ---------------------------------------------------------------- truncation
def _centre_text(ex: Explorer) -> str:
    if has_styles(ex):
        return (f"Truncation pulls each sample's style toward the mean style w̄ (the mean of {MEAN_SAMPLES:,} mapped "
                f"latents): w′ = w̄ + ψ (w − w̄). ψ 1 leaves the samples as drawn, ψ 0 makes every one G(w̄).")
    text = ("Truncation toward the mean noise: z′ = ψ z (the noise's mean is 0). ψ 1 leaves the samples as drawn, "
            "ψ 0 gives G's image of the mean noise")
    if model_of(ex.structure).has_codes:
        return text + " for each code value (only the noise part is pulled in: the codes stay as drawn)."
    return text + " for every sample."


def _grid(images: torch.Tensor, columns: int, scale: int, padding: int = 3) -> np.ndarray:
    cells = to_uint8(images)
    n, h, w, c = cells.shape
    rows = -(-n // columns)
    ch, cw = h * scale, w * scale
    out = np.full((rows * (ch + padding) + padding, columns * (cw + padding) + padding, c), 255, dtype=np.uint8)
    for i, cell in enumerate(cells):
        y, x = padding + (i // columns) * (ch + padding), padding + (i % columns) * (cw + padding)
        out[y:y + ch, x:x + cw] = upscale(cell, scale)
    return out


@st.fragment
def truncation_controls(ex: Explorer, cls: int | None) -> None:
    one_thread()
    _set_defaults(ex)
    st.caption(_centre_text(ex))
    row = st.container(horizontal=True, gap="medium", vertical_alignment="bottom")
    psi = float(row.slider("ψ (psi)", 0.0, 1.0, step=PSI_STEP, key="lt_psi", persist_state=PERSIST,
                           width=max(CONTROL_WIDTH, 300), help="0: every sample pulled all the way to the centre; "
                                                              "1: the samples as drawn"))
    row.number_input("Samples from seed", 0, SEED_MAX - GRID_SAMPLES, step=1, key="lt_psi_seed", persist_state=PERSIST,
                     width=CONTROL_WIDTH)
    row.button("New samples", key="lt_psi_new", on_click=_randomize, args=("lt_psi_seed",))
    seed = int(st.session_state["lt_psi_seed"])
    seeds = list(range(seed, seed + GRID_SAMPLES))
    images = render_truncated(ex, seeds, psi, cls)
    left, right = st.columns([1, 1.25], gap="medium")
    with left:
        grid = _grid(images, GRID_COLUMNS, _scale(int(images.shape[-1]), GRID_SIDE))
        # its own size, or the column's on a narrow screen (an explicit width would overflow it)
        st.image(grid, caption=f"{GRID_SAMPLES} samples (seeds {seeds[0]}–{seeds[-1]}) at ψ = {psi:.2f}",
                 output_format="PNG")
    with right:
        _truncation_plot(ex, cls, psi)


def _truncation_plot(ex: Explorer, cls: int | None, psi: float) -> None:
    reason = cached("style_clf_reason", (ex.version,), lambda: classifier_reason(ex))
    if reason:
        st.caption(reason)
        return
    # (a spinner shows only after half a second: a cached curve never flashes one)
    with st.spinner("Reading the samples at every ψ with the digit classifier (once per generator)…"):
        curve = cached_truncation_curve(ex, cls)
    classes = class_count(ex)
    st.plotly_chart(truncation_figure(curve.psis, curve.covered, curve.confidence, psi, classes, curve.samples),
                    key="lt_psi_chart")
    what = "modes" if classes > 10 else "digit classes"
    st.caption(f"The same {curve.samples} samples (fixed seeds) at ψ 0 to 1 in steps of 0.1, read by the shipped digit "
               f"classifier: how many {what} they cover, and its mean confidence (its top probability). Lower ψ "
               f"trades variety for typical, confident samples.")
