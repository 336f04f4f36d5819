"""The latent page's views of an image GAN (ganlab.kinds.image names this module): frames,
strips, sweeps and D's score of an uploaded, generated or training image."""

from __future__ import annotations

from typing import Callable

import numpy as np
import streamlit as st
import torch

from ganlab.data.drawn_digit import as_run_image
from ganlab.explore.explorer import Explorer
from ganlab.explore.latent import walk
from ganlab.explore.latent_images import ACCEPTED, UnusableImage, gif_bytes, load_user_image, png_bytes, strip, to_uint8, upscale
from ganlab.ui.ask_discriminator import DRAW_CAPTION, canvas_digit
from ganlab.ui.latent_views import (
    GALLERY,
    KEEP,
    STRIP_SCALE,
    WALK_FRAMES,
    cached,
    current_frame,
    gallery_images,
    more_samples,
    pick_endpoint,
    report_score,
    setting,
    show_image,
)


def interpolation_layout(ex: Explorer, cls: int | None, t_view: Callable, controls: Callable) -> None:
    left, right = st.columns([1, 2.2])  # the frame beside its controls and strip
    with left:
        t_view(ex, cls)
    with right:
        controls(ex, cls)


def frame_key(ex: Explorer) -> tuple:
    return ()


def show_frame(ex: Explorer, cls: int | None, current: torch.Tensor, t: float) -> None:
    show_image(current, caption=f"t = {t:.2f}")


def _strip(ex: Explorer, seed_a: int, seed_b: int, frames: int, method: str, cls: int | None):
    """(the strip as shown, encoded once; the strip as a PNG file; the frames as a GIF)."""
    pixels = to_uint8(ex.render(ex.path(seed_a, seed_b, frames, method), cls))
    image = strip(pixels)
    return png_bytes(upscale(image, STRIP_SCALE)), png_bytes(image), gif_bytes(np.stack([upscale(p, 4) for p in pixels]))


def interpolation_outputs(ex: Explorer, cls: int | None, seed_a: int, seed_b: int, method: str, frames: int) -> None:
    key = (ex.version, seed_a, seed_b, method, frames, cls)
    shown, png, gif = cached("strip", key, lambda: _strip(ex, seed_a, seed_b, frames, method, cls))
    st.image(shown, caption=f"{frames} frames from A (left) to B (right), {method}")
    d1, d2 = st.columns(2)
    d1.download_button("Strip as PNG", png, file_name="interpolation.png", mime="image/png", key="lt_dl_png")
    d2.download_button("Animated GIF", gif, file_name="interpolation.gif", mime="image/gif", key="lt_dl_gif")
    _gallery(ex, cls)


def _gallery(ex: Explorer, cls: int | None) -> None:
    with st.expander("Pick endpoints from generated samples"):
        base = int(setting("lt_gallery"))
        shown = cached("gallery", (ex.version, base, cls),
                       lambda: png_bytes(upscale(strip(to_uint8(gallery_images(ex, cls))), STRIP_SCALE)))
        st.image(shown, caption=f"Samples #1-#{GALLERY} (seeds {base}-{base + GALLERY - 1})")
        options = list(range(GALLERY))
        c1, c2, c3 = st.columns([2, 2, 1])
        c1.pills("Use as A", options, format_func=lambda i: f"#{i + 1}", key="lt_pick_a", on_change=pick_endpoint,
                 args=("a",))
        c2.pills("Use as B", options, format_func=lambda i: f"#{i + 1}", key="lt_pick_b", on_change=pick_endpoint,
                 args=("b",))
        c3.button("Other samples", key="lt_more", on_click=more_samples)


def direction_sweeps(ex: Explorer, cls: int | None, mode: str, dirs: torch.Tensor, names: list[str],
                     span: float, seed: int) -> None:
    k, base = len(names), ex.seed_latent(seed)
    sweep = cached("sweeps", (ex.version, mode, k, span, seed, cls), lambda: [png_bytes(upscale(strip(to_uint8(
        ex.render(walk(base, dirs[j], torch.linspace(-span, span, WALK_FRAMES)), cls))), 2)) for j in range(k)])
    with st.expander("What each direction does (from the seed's latent, -range to +range)", expanded=True):
        for j in range(k):
            st.image(sweep[j], caption=names[j])


def show_direction(ex: Explorer, cls: int | None, z: torch.Tensor, out: torch.Tensor, dirs: torch.Tensor,
                   amounts: list[float], names: list[str], span: float) -> None:
    show_image(out, caption="G(z) at the sliders' values")


def _asked_image(ex: Explorer, cls: int | None) -> torch.Tensor | None:
    """The image the user asks about (uploaded, the interpolation frame, or a training image)."""
    channels, size, _ = ex.sample_shape
    what = st.radio("Input", ("upload", "draw", "frame", "real"), horizontal=True, key="lt_ask_what",
                    persist_state=KEEP, format_func={
        "upload": "Upload an image", "draw": "Draw a digit", "frame": "The interpolation image (at t)",
        "real": "A training image"}.get)
    if what == "draw":
        st.caption(DRAW_CAPTION)
        image = canvas_digit("lt_ask_canvas")
        if image is None:
            st.info("Draw a digit to see what the discriminator makes of it.")
            return None
        return torch.from_numpy(as_run_image(image, size, channels))
    if what == "frame":
        return current_frame(ex, cls)[1]
    if what == "real":
        n = len(ex.dataset)
        if not 0 <= int(st.session_state.get("lt_ask_index", 0)) < n:
            st.session_state["lt_ask_index"] = 0  # another run's training set was larger
        index = st.number_input(f"Training image (0-{n - 1})", 0, n - 1, step=1, key="lt_ask_index",
                                persist_state=KEEP)
        return ex.dataset.to_float(ex.dataset.images[int(index):int(index) + 1])
    file = st.file_uploader(f"An image file ({ACCEPTED})", key="lt_upload",
                            help=f"Resized to {size}x{size}, {'grey' if channels == 1 else 'colour'}")
    colours = st.radio("Colours", ("auto", "keep", "invert"), horizontal=True, key="lt_invert",
                       persist_state=KEEP, format_func={
        "auto": "Automatic (dark strokes on light are inverted)" if channels == 1 else "Automatic",
        "keep": "As uploaded", "invert": "Inverted"}.get)
    if file is None:
        st.info("Upload an image to see what the discriminator makes of it.")
        return None
    try:
        x, notes = load_user_image(file.getvalue(), size, channels,
                                   None if colours == "auto" else colours == "invert", name=file.name)
    except UnusableImage as exc:  # its message is written for the user and names the file
        st.error(str(exc))
        return None
    if notes:
        st.caption(f"{file.name}: " + "; ".join(notes) + ".")
    return x


def ask(ex: Explorer, cls: int | None) -> None:
    x = _asked_image(ex, cls)
    if x is None:
        return
    left, right = st.columns([1, 2.5])
    with left:
        show_image(x, caption="What D sees")
    with right:
        report_score(ex, x, cls)
