"""The latent page's views (interpolate, directions, ask the discriminator; nearest training
images in ganlab/ui/latent_nearest.py), drawn from an `Explorer` (ganlab.explore.explorer), and the
settings they share.

Speed: sliders live in fragments of their own, so moving one re-runs one generator pass
and one small image; strips, sweeps and score distributions are cached in the session
state until their inputs change, and encoded once.
"""

from __future__ import annotations

import importlib
import random

import numpy as np
import streamlit as st
import torch

from ganlab.explore.explorer import Explorer
from ganlab.explore.latent import INTERPOLATIONS, interpolate, move
from ganlab.explore.latent_images import to_uint8, upscale
from ganlab.viz.plots_latent import score_histogram

SEED_MAX = 2**31 - 1
IMAGE_SCALE = 8  # a 28 px image shown at 224 px, pixels kept crisp
STRIP_SCALE = 3
CONTROL_WIDTH = 160  # px: a seed box or a slider in a wrapping row of controls
GALLERY = 8
PATH_POINTS = 101  # the 2D path's resolution
REAL_POINTS = 1000
WALK_FRAMES = 7
MAX_DIRECTIONS = 8
METHOD_LABELS = {"slerp": "Spherical (slerp)", "lerp": "Linear (lerp)"}
MODE_LABELS = {"pca": "Principal directions", "axes": "Latent axes"}
# Each view's own settings and their defaults. A view sets the defaults of its own keys when
# it draws (a fragment re-run draws one view alone) and reads any other view's setting through
# `setting`, which falls back to the default: no view needs another to have been opened.
VIEW_DEFAULTS = {
    "interpolate": {"lt_seed_a": 1, "lt_seed_b": 2, "lt_t": 0.5, "lt_method": "slerp", "lt_frames": 8,
                    "lt_gallery": 100},
    "directions": {"lt_dir_mode": "pca", "lt_dir_k": 4, "lt_dir_range": 3.0, "lt_dir_seed": 1},
    "ask": {"lt_ask_x": 0.0, "lt_ask_y": 0.0},
    "nearest": {"lt_nn_k": 5},
}
DEFAULTS = {key: value for defaults in VIEW_DEFAULTS.values() for key, value in defaults.items()}
# A hidden view's widgets keep the user's values while the user stays on this page (Streamlit
# drops a widget's value when it is not drawn), so "the interpolation image (at t)" in another
# view is the one the user set up, and a view opened again shows its last settings.
KEEP = "page"


# ---------------------------------------------------------------- helpers
def one_thread() -> None:
    """One torch intra-op thread for this script run (set per thread; each run may be on a new
    one): tiny forward passes gain nothing from a team, and on a busy server an OpenMP team
    of two waits for a core (ganlab's runners train with one thread each for the same reason)."""
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def own_defaults(view: str) -> None:
    """The defaults of `view`'s own settings, for the keys the session does not hold yet."""
    for key, value in VIEW_DEFAULTS[view].items():
        st.session_state.setdefault(key, value)


def setting(key: str):
    """A view setting as the user left it, or its default when that view was never drawn."""
    return st.session_state.get(key, DEFAULTS[key])


def _randomize(key: str) -> None:
    st.session_state[key] = random.randrange(SEED_MAX)


def pick_endpoint(which: str) -> None:
    pick = st.session_state.get(f"lt_pick_{which}")
    if pick is not None:
        st.session_state[f"lt_seed_{which}"] = int(setting("lt_gallery")) + int(pick)
        st.session_state[f"lt_pick_{which}"] = None


def more_samples() -> None:
    st.session_state["lt_gallery"] = int(setting("lt_gallery")) + GALLERY


def cached(name: str, key: tuple, compute):
    """One cached value per name, recomputed when its key changes (old values are dropped)."""
    slot = st.session_state.get(f"lt_cache_{name}")
    if slot is None or slot[0] != key:
        slot = (key, compute())
        st.session_state[f"lt_cache_{name}"] = slot
    return slot[1]


def views_for(ex: Explorer):
    """The module that draws what differs for the explorer's kind of GAN (its kind names it)."""
    return importlib.import_module(ex.gan_kind.latent_views)


def show_image(images: torch.Tensor, caption: str | None = None, scale: int = IMAGE_SCALE) -> None:
    st.image(upscale(to_uint8(images)[0], scale), caption=caption)


def real_points(ex: Explorer) -> np.ndarray:
    return cached("real", (ex.version,), lambda: ex.real_samples(REAL_POINTS)[0].numpy())


def current_frame(ex: Explorer, cls: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The latent at the interpolation slider's t, and G's output for it (the interpolation
    view's settings as the user left them, or their defaults)."""
    a = ex.seed_latent(int(setting("lt_seed_a")))
    b = ex.seed_latent(int(setting("lt_seed_b")))
    z = interpolate(a, b, float(setting("lt_t")), setting("lt_method"))
    return z, ex.render(z[None], cls)


def gallery_images(ex: Explorer, cls: int | None) -> torch.Tensor:
    """The endpoint picker's samples (seeds from the gallery's first seed on)."""
    base = int(setting("lt_gallery"))
    return ex.render(torch.stack([ex.seed_latent(base + i) for i in range(GALLERY)]), cls)


# ---------------------------------------------------------------- interpolation
def interpolation_panel(ex: Explorer, cls: int | None) -> None:
    """Two fragments: the endpoint controls with the strip, and the t slider with its frame,
    so that moving t re-runs one generator pass and one small image, nothing else."""
    own_defaults("interpolate")
    views_for(ex).interpolation_layout(ex, cls, t_view, interpolation_controls)


def _frame_key(ex: Explorer, cls: int | None) -> tuple:
    """What the t view depends on besides t (the 2D view also marks the strip's frames)."""
    key = (ex.version, int(setting("lt_seed_a")), int(setting("lt_seed_b")), setting("lt_method"), cls)
    return key + views_for(ex).frame_key(ex)


@st.fragment
def t_view(ex: Explorer, cls: int | None) -> None:
    one_thread()
    own_defaults("interpolate")
    t = st.slider("t (from A to B)", 0.0, 1.0, step=0.01, key="lt_t", persist_state=KEEP)
    st.session_state["lt_frame_key"] = _frame_key(ex, cls)
    z, current = current_frame(ex, cls)
    views_for(ex).show_frame(ex, cls, current, t)


@st.fragment
def interpolation_controls(ex: Explorer, cls: int | None) -> None:
    one_thread()
    own_defaults("interpolate")
    # A row of fixed-width groups that wraps: at laptop widths no label or button is cut short.
    row = st.container(horizontal=True, gap="medium")
    for which in ("a", "b"):
        box = row.container(width=CONTROL_WIDTH)
        box.number_input(f"Endpoint {which.upper()}: seed", 0, SEED_MAX, step=1, key=f"lt_seed_{which}",
                         persist_state=KEEP, help="Each seed names one latent vector")
        box.button(f"Random {which.upper()}", key=f"lt_rand_{which}", on_click=_randomize, args=(f"lt_seed_{which}",))
    row.radio("Path", INTERPOLATIONS, format_func=METHOD_LABELS.get, key="lt_method", persist_state=KEEP,
              help="Gaussian latents live near a sphere: slerp stays on it, lerp cuts through the middle")
    row.slider("Frames in the strip", 2, 16, key="lt_frames", persist_state=KEEP, width=CONTROL_WIDTH)
    frame_key = _frame_key(ex, cls)
    if st.session_state.get("lt_frame_key", frame_key) != frame_key:
        st.session_state["lt_frame_key"] = frame_key
        st.rerun()  # the t view, another fragment, shows these endpoints too
    seed_a, seed_b = int(setting("lt_seed_a")), int(setting("lt_seed_b"))
    views_for(ex).interpolation_outputs(ex, cls, seed_a, seed_b, setting("lt_method"), int(setting("lt_frames")))


# ---------------------------------------------------------------- directions
def _reset_direction_sliders() -> None:
    for key in [k for k in st.session_state if str(k).startswith("lt_dir_amount_")]:
        st.session_state[key] = 0.0


def directions_panel(ex: Explorer, cls: int | None) -> None:
    """The controls re-run the page (rarely touched); the sliders live in a fragment."""
    own_defaults("directions")
    row = st.container(horizontal=True, gap="medium", vertical_alignment="bottom")  # wraps, cuts nothing
    mode = row.radio("Move along", tuple(MODE_LABELS), format_func=MODE_LABELS.get, key="lt_dir_mode",
                     persist_state=KEEP,
                     help="Principal directions: the latent directions that move the generator's output the "
                          "most, found by least squares over 1,024 random latents (ganlab.explore.latent). "
                          "Latent axes: the first latent coordinates.")
    most = min(MAX_DIRECTIONS, ex.max_directions(mode))
    if int(st.session_state["lt_dir_k"]) > most:
        st.session_state["lt_dir_k"] = most
    k = (row.number_input("Sliders", 1, most, step=1, key="lt_dir_k", persist_state=KEEP, width=CONTROL_WIDTH)
         if most > 1 else 1)
    span = row.number_input("Slider range (±)", 0.5, 10.0, step=0.5, key="lt_dir_range", persist_state=KEEP,
                            width=CONTROL_WIDTH, help="In latent units (the noise has standard deviation 1)")
    row.number_input("Start from seed", 0, SEED_MAX, step=1, key="lt_dir_seed", persist_state=KEEP,
                     width=CONTROL_WIDTH)
    row.button("Centre the sliders", key="lt_dir_centre", on_click=_reset_direction_sliders)
    k, span, seed = int(k), float(span), int(st.session_state["lt_dir_seed"])
    dirs, explained = cached("dirs", (ex.version, mode, k, cls), lambda: ex.directions(mode, k, cls))
    names = [f"PC {j + 1}" if mode == "pca" else f"z[{j}]" for j in range(k)]
    if explained is not None:
        names = [f"{name} · {float(share):.0%} of the output variance" for name, share in zip(names, explained, strict=False)]
    direction_sliders(ex, cls, mode, dirs, names, span, seed)
    views_for(ex).direction_sweeps(ex, cls, mode, dirs, names, span, seed)


@st.fragment
def direction_sliders(ex: Explorer, cls: int | None, mode: str, dirs: torch.Tensor, names: list[str],
                      span: float, seed: int) -> None:
    one_thread()
    left, right = st.columns([1, 1.4])
    amounts = []
    with left:
        for j, name in enumerate(names):
            key = f"lt_dir_amount_{mode}_{j}_{span}"
            st.session_state.setdefault(key, 0.0)
            amounts.append(st.slider(name, -span, span, step=span / 50, key=key, persist_state=KEEP))
    z = move(ex.seed_latent(seed), dirs, amounts)
    out = ex.render(z[None], cls)
    with right:
        views_for(ex).show_direction(ex, cls, z, out, dirs, amounts, names, span)


# ---------------------------------------------------------------- ask the discriminator
def _percentiles(ex: Explorer, value: float, cls: int | None) -> tuple[float, float]:
    real, fake = ex.reference_scores(cls)
    return float((real < value).mean()), float((fake < value).mean())


def report_score(ex: Explorer, x: torch.Tensor, cls: int | None) -> None:
    logit, score = ex.score(x, cls)
    value = float(score[0])
    real_pct, fake_pct = _percentiles(ex, value, cls)
    row = st.container(horizontal=True, gap="large")  # wraps at laptop widths instead of cutting "0.…"
    row.metric(ex.score_label, f"{value:.4f}", width="content")
    row.metric("Raw output (logit)" if ex.score_label == "P(real)" else "Raw output", f"{float(logit[0]):.4f}",
               width="content")
    row.metric("Above real samples", f"{real_pct:.0%}", width="content",
              help="The share of real training samples that D scores lower than this input. Near 0%: "
                   "D finds it less real than almost every real sample (an anomaly, to this D).")
    real, fake = ex.reference_scores(cls)
    st.caption(f"Scores above {fake_pct:.0%} of generated samples. A trained D as an anomaly detector: "
               f"inputs unlike the training data tend to score low, but D also learned the generator's "
               f"flaws, so treat it as a hint, not a verdict.")
    st.plotly_chart(score_histogram(real, fake, value, ex.score_label), key="lt_score_hist")


@st.fragment
def ask_panel(ex: Explorer, cls: int | None) -> None:
    one_thread()
    own_defaults("ask")
    views_for(ex).ask(ex, cls)
