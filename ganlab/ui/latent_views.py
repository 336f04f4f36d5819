"""The latent page's views (interpolate, directions, ask the discriminator; nearest training
images in ganlab/ui/latent_nearest.py), drawn from an `Explorer` (ganlab.explorer), and the
settings they share.

Speed: sliders live in fragments of their own, so moving one re-runs one generator pass
and one small image; strips, sweeps and score distributions are cached in the session
state until their inputs change, and encoded once.
"""

from __future__ import annotations

import random

import numpy as np
import streamlit as st
import torch

from ganlab.explorer import Explorer
from ganlab.latent import INTERPOLATIONS, interpolate, move, walk
from ganlab.latent_images import (
    ACCEPTED, UnusableImage, gif_bytes, load_user_image, png_bytes, strip, to_uint8, upscale,
)
from ganlab.plots_latent import directions_figure, interpolation_figure, score_histogram, score_map_figure

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


def _picked(which: str) -> None:
    pick = st.session_state.get(f"lt_pick_{which}")
    if pick is not None:
        st.session_state[f"lt_seed_{which}"] = int(setting("lt_gallery")) + int(pick)
        st.session_state[f"lt_pick_{which}"] = None


def _more_samples() -> None:
    st.session_state["lt_gallery"] = int(setting("lt_gallery")) + GALLERY


def cached(name: str, key: tuple, compute):
    """One cached value per name, recomputed when its key changes (old values are dropped)."""
    slot = st.session_state.get(f"lt_cache_{name}")
    if slot is None or slot[0] != key:
        slot = (key, compute())
        st.session_state[f"lt_cache_{name}"] = slot
    return slot[1]


def _show_image(images: torch.Tensor, caption: str | None = None, scale: int = IMAGE_SCALE) -> None:
    st.image(upscale(to_uint8(images)[0], scale), caption=caption)


def _real_points(ex: Explorer) -> np.ndarray:
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
    if ex.kind == "toy":
        interpolation_controls(ex, cls)
        t_view(ex, cls)
        return
    left, right = st.columns([1, 2.2])
    with left:
        t_view(ex, cls)
    with right:
        interpolation_controls(ex, cls)


def _frame_key(ex: Explorer, cls: int | None) -> tuple:
    """What the t view depends on besides t (the 2D view also marks the strip's frames)."""
    key = (ex.version, int(setting("lt_seed_a")), int(setting("lt_seed_b")), setting("lt_method"), cls)
    return key + (int(setting("lt_frames")),) if ex.kind == "toy" else key


@st.fragment
def t_view(ex: Explorer, cls: int | None) -> None:
    one_thread()
    own_defaults("interpolate")
    t = st.slider("t (from A to B)", 0.0, 1.0, step=0.01, key="lt_t", persist_state=KEEP)
    st.session_state["lt_frame_key"] = _frame_key(ex, cls)
    z, current = current_frame(ex, cls)
    if ex.kind == "image":
        _show_image(current, caption=f"t = {t:.2f}")
        return
    seed_a, seed_b = int(setting("lt_seed_a")), int(setting("lt_seed_b"))
    method, frames = setting("lt_method"), int(setting("lt_frames"))
    key = (ex.version, seed_a, seed_b, method, frames)
    dense = cached("path2d", key[:4], lambda: ex.render(ex.path(seed_a, seed_b, PATH_POINTS, method)).numpy())
    marks = cached("frames2d", key, lambda: ex.render(ex.path(seed_a, seed_b, frames, method)).numpy())
    st.plotly_chart(interpolation_figure(_real_points(ex), dense, marks, current[0].numpy(), ex.dataset.bounds),
                    key="lt_path_chart")
    x, y = current[0].tolist()
    st.caption(f"G(z(t)) at t = {t:.2f}: ({x:.3f}, {y:.3f}). The G(path) curve is where the generator maps "
               f"the whole latent path; generated and real points have the playground's colours.")


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
    method, frames = setting("lt_method"), int(setting("lt_frames"))
    if ex.kind == "toy":
        dense = cached("path2d", (ex.version, seed_a, seed_b, method),
                        lambda: ex.render(ex.path(seed_a, seed_b, PATH_POINTS, method)).numpy())
        path_csv = "t,x,y\n" + "\n".join(f"{tt:.4f},{px:.6f},{py:.6f}" for tt, (px, py)
                                          in zip(np.linspace(0, 1, PATH_POINTS), dense))
        st.download_button("Download the path (CSV)", path_csv, file_name="latent_path.csv", key="lt_dl_csv")
        return
    key = (ex.version, seed_a, seed_b, method, frames, cls)
    shown, png, gif = cached("strip", key, lambda: _strip(ex, seed_a, seed_b, frames, method, cls))
    st.image(shown, caption=f"{frames} frames from A (left) to B (right), {method}")
    d1, d2 = st.columns(2)
    d1.download_button("Strip as PNG", png, file_name="interpolation.png", mime="image/png", key="lt_dl_png")
    d2.download_button("Animated GIF", gif, file_name="interpolation.gif", mime="image/gif", key="lt_dl_gif")
    _gallery(ex, cls)


def _strip(ex: Explorer, seed_a: int, seed_b: int, frames: int, method: str, cls: int | None):
    """(the strip as shown, encoded once; the strip as a PNG file; the frames as a GIF)."""
    pixels = to_uint8(ex.render(ex.path(seed_a, seed_b, frames, method), cls))
    image = strip(pixels)
    return png_bytes(upscale(image, STRIP_SCALE)), png_bytes(image), gif_bytes(np.stack([upscale(p, 4) for p in pixels]))


def _gallery(ex: Explorer, cls: int | None) -> None:
    with st.expander("Pick endpoints from generated samples"):
        base = int(setting("lt_gallery"))
        shown = cached("gallery", (ex.version, base, cls),
                        lambda: png_bytes(upscale(strip(to_uint8(gallery_images(ex, cls))), STRIP_SCALE)))
        st.image(shown, caption=f"Samples #1-#{GALLERY} (seeds {base}-{base + GALLERY - 1})")
        options = list(range(GALLERY))
        c1, c2, c3 = st.columns([2, 2, 1])
        c1.pills("Use as A", options, format_func=lambda i: f"#{i + 1}", key="lt_pick_a", on_change=_picked, args=("a",))
        c2.pills("Use as B", options, format_func=lambda i: f"#{i + 1}", key="lt_pick_b", on_change=_picked, args=("b",))
        c3.button("Other samples", key="lt_more", on_click=_more_samples)


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
                          "most, found by least squares over 1,024 random latents (ganlab.latent). "
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
        names = [f"{name} · {float(share):.0%} of the output variance" for name, share in zip(names, explained)]
    direction_sliders(ex, cls, mode, dirs, names, span, seed)
    if ex.kind == "image":
        base = ex.seed_latent(seed)
        sweep = cached("sweeps", (ex.version, mode, k, span, seed, cls), lambda: [png_bytes(upscale(strip(to_uint8(
            ex.render(walk(base, dirs[j], torch.linspace(-span, span, WALK_FRAMES)), cls))), 2)) for j in range(k)])
        with st.expander("What each direction does (from the seed's latent, -range to +range)", expanded=True):
            for j in range(k):
                st.image(sweep[j], caption=names[j])


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
        if ex.kind == "toy":
            walks = [ex.render(walk(z, dirs[j], torch.linspace(-span, span, 41) - amounts[j])).numpy()
                     for j in range(len(names))]
            labels = [name.split(" · ")[0] for name in names]
            st.plotly_chart(directions_figure(_real_points(ex), out[0].numpy(), walks, labels, ex.dataset.bounds),
                            key="lt_dir_chart")
            st.caption("Each curve is where its slider moves G(z) over the slider's range, the others held.")
        else:
            _show_image(out, caption="G(z) at the sliders' values")


# ---------------------------------------------------------------- ask the discriminator
def _percentiles(ex: Explorer, value: float, cls: int | None) -> tuple[float, float]:
    real, fake = ex.reference_scores(cls)
    return float((real < value).mean()), float((fake < value).mean())


def _report_score(ex: Explorer, x: torch.Tensor, cls: int | None) -> None:
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


def _clicked_point() -> None:
    """The map's click (a point of its invisible grid) becomes the asked point."""
    event = st.session_state.get("lt_ask_map")
    points = ((event or {}).get("selection") or {}).get("points") or []
    if points:
        st.session_state["lt_ask_x"] = round(float(points[-1]["x"]), 3)
        st.session_state["lt_ask_y"] = round(float(points[-1]["y"]), 3)


@st.fragment
def ask_panel(ex: Explorer, cls: int | None) -> None:
    one_thread()
    own_defaults("ask")
    if ex.kind == "toy":
        c1, c2 = st.columns(2)
        x = c1.number_input("x", -100.0, 100.0, step=0.1, key="lt_ask_x", persist_state=KEEP)
        y = c2.number_input("y", -100.0, 100.0, step=0.1, key="lt_ask_y", persist_state=KEEP)
        point = torch.tensor([[float(x), float(y)]])
        xs, ys, surface = ex.score_surface()
        left, right = st.columns([1.3, 1])
        with left:
            st.plotly_chart(score_map_figure(_real_points(ex), xs, ys, surface, ex.score_label, point[0].numpy(),
                                             ex.dataset.bounds, loss=ex.knobs.loss), key="lt_ask_map",
                            on_select=_clicked_point,
                            selection_mode="points")
            st.caption("Click the map to place the point, or type its coordinates.")
        with right:
            _report_score(ex, point, cls)
        return
    channels, size, _ = ex.image_shape
    what = st.radio("Input", ("upload", "frame", "real"), horizontal=True, key="lt_ask_what", persist_state=KEEP,
                    format_func={
        "upload": "Upload an image", "frame": "The interpolation image (at t)", "real": "A training image"}.get)
    x = None
    if what == "upload":
        file = st.file_uploader(f"An image file ({ACCEPTED})", key="lt_upload",
                                help=f"Resized to {size}x{size}, {'grey' if channels == 1 else 'colour'}")
        colours = st.radio("Colours", ("auto", "keep", "invert"), horizontal=True, key="lt_invert",
                           persist_state=KEEP, format_func={
            "auto": "Automatic (dark strokes on light are inverted)" if channels == 1 else "Automatic",
            "keep": "As uploaded", "invert": "Inverted"}.get)
        if file is None:
            st.info("Upload an image to see what the discriminator makes of it.")
            return
        try:
            x, notes = load_user_image(file.getvalue(), size, channels,
                                       None if colours == "auto" else colours == "invert", name=file.name)
        except UnusableImage as exc:  # its message is written for the user and names the file
            st.error(str(exc))
            return
        if notes:
            st.caption(f"{file.name}: " + "; ".join(notes) + ".")
    elif what == "frame":
        x = current_frame(ex, cls)[1]
    else:
        n = len(ex.dataset)
        if not 0 <= int(st.session_state.get("lt_ask_index", 0)) < n:
            st.session_state["lt_ask_index"] = 0  # another run's training set was larger
        index = st.number_input(f"Training image (0-{n - 1})", 0, n - 1, step=1, key="lt_ask_index",
                                persist_state=KEEP)
        x = ex.dataset.to_float(ex.dataset.images[int(index):int(index) + 1])
    left, right = st.columns([1, 2.5])
    with left:
        _show_image(x, caption="What D sees")
    with right:
        _report_score(ex, x, cls)
