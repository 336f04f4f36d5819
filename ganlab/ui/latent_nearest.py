"""The latent page's memorization check: the training images nearest to generated ones,
in pixels or in the metric classifier's features, beside the real-to-real baseline."""

from __future__ import annotations

import streamlit as st
import torch

from ganlab.explore.explorer import Explorer
from ganlab.explore.latent_images import to_uint8, upscale
from ganlab.ui.latent_views import GALLERY, KEEP, cached, current_frame, gallery_images, one_thread, own_defaults


@st.fragment
def nearest_panel(ex: Explorer, cls: int | None) -> None:
    one_thread()
    own_defaults("nearest")
    if not ex.gan_kind.samples_are_images:
        st.info("The memorization check is for image GANs: a 2D toy's training set is a whole distribution.")
        return
    c1, c2, c3 = st.columns([2, 1.6, 1])
    query = c1.radio("Generated images", ("frame", "gallery"), horizontal=True, key="lt_nn_query",
                     persist_state=KEEP, format_func={
        "frame": "The interpolation image (at t)", "gallery": f"The {GALLERY} samples of the endpoint picker"}.get)
    no_features = cached("nn_features_reason", (ex.version,), ex.feature_space_reason)
    if no_features:
        st.session_state["lt_nn_space"] = "pixels"
    space = c2.radio("Distance in", ("pixels", "features"), horizontal=True, key="lt_nn_space", persist_state=KEEP,
                     format_func={"pixels": "Pixels", "features": "Classifier features"}.get,
                     disabled=bool(no_features), help=no_features or (
                         "The metric classifier's 64 features: near there means alike to a digit reader, "
                         "even when shifted by a pixel or two. The first search reads every training image once."))
    k = c3.number_input("Neighbours", 1, 10, step=1, key="lt_nn_k", persist_state=KEEP)
    if not st.button("Find the nearest training images", key="lt_nn_go", type="primary"):
        result = st.session_state.get("lt_nn_result")
        if result is None or result[0] != ex.version:
            st.caption(f"Searches all {len(ex.dataset):,} training images.")
            return
    else:
        images = current_frame(ex, cls)[1] if query == "frame" else gallery_images(ex, cls)
        with st.spinner("Searching the training set..."):
            found = ex.nearest(images, int(k), space)
            baseline = _real_baseline(ex, space)
        st.session_state["lt_nn_result"] = (ex.version, to_uint8(images), found, baseline, space)
    _, images, found, baseline, space = st.session_state["lt_nn_result"]
    what = ("Euclidean over all pixels of images in [-1, 1] (per pixel: RMS)" if space == "pixels"
            else "Euclidean between the metric classifier's features")
    st.caption(f"Distance: {what}. For scale, real training images lie a median {baseline:.2f} from their "
               f"nearest other training image; a generated image much closer than that to one training image "
               f"may be a copy of it.")
    labels = ex.dataset.labels
    names = ex.dataset.class_names
    for q in range(len(images)):
        cols = st.columns(found.indices.shape[1] + 1)
        cols[0].image(upscale(images[q], 3), caption="generated")
        for j, (index, dist, rms) in enumerate(zip(found.indices[q].tolist(), found.distances[q].tolist(),
                                                   found.rms[q].tolist(), strict=False)):
            pixels = to_uint8(ex.dataset.to_float(ex.dataset.images[index:index + 1]))[0]
            label = f" · {names[int(labels[index])]}" if labels is not None else ""
            extra = f" (rms {rms:.3f})" if space == "pixels" else ""
            cols[j + 1].image(upscale(pixels, 3), caption=f"#{index}{label} · d {dist:.2f}{extra}")


def _real_baseline(ex: Explorer, space: str, n: int = 64) -> float:
    """The median distance from real training images to their nearest other training image."""
    def compute() -> float:
        g = torch.Generator().manual_seed(0)
        idx = torch.randperm(len(ex.dataset), generator=g)[:n]
        found = ex.nearest(ex.dataset.to_float(ex.dataset.images[idx]), 2, space)
        return float(found.distances[:, 1].median())  # [:, 0] is the image itself
    return cached(f"nn_baseline_{space}", (ex.version,), compute)
