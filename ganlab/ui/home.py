"""The landing page."""

from __future__ import annotations

import streamlit as st

from ganlab import __version__


def home_page() -> None:
    st.title("ganlab")
    st.markdown(
        "An interactive lab for **Generative Adversarial Networks**. Train a GAN live, watch the "
        "discriminator and the generator pull against each other, change hyperparameters while it runs, "
        "and see mode collapse happen — with numbers beside it."
    )
    c1, c2, c3, c4 = st.columns(4)
    c1.page_link("pages/1_Playground.py", label="Open the 2D playground", icon="▶️")
    c2.page_link("pages/2_Images.py", label="Open the image GAN", icon="🖼️")
    c3.page_link("pages/3_Runs.py", label="Saved runs", icon="📁")
    c4.page_link("pages/4_Latent.py", label="Explore the latent space", icon="🧭")
    st.markdown(
        """
**In the playground**
- Choose a distribution (ring of 8, grid of 25, moons, spiral, circles, a line, a skewed mix, or your own CSV).
- Press **Play**; **Step**, **D step** and **G step** advance one update at a time while paused.
- The view layers: real and generated points, the discriminator's decision surface, the generator's
  gradients (where each fake point is pushed), and the generator's manifold (a warped noise grid).
- Try the **Mode collapse** preset on the grid, then **All modes**, and compare *Modes covered*.
- The page URL holds your settings: copy it to share a recipe.

**On the image page**
- Train a DCGAN on the built-in handwritten digits (no download), MNIST, Fashion-MNIST, CIFAR-10 or a zip
  of your own images (one subfolder per class gives labels).
- Watch the sample grid from fixed noise, an EMA generator's grid beside it, and slide back along a timeline
  of earlier grids. A conditional GAN draws one row per class. For digits, a *Quality* panel measures classes
  covered, class KL, a Fréchet distance and an Inception-style score with a small offline classifier.

**Runs and the latent space**
- Save a run, reload it, resume it exactly where it stopped, compare runs side by side and replay their
  samples (GIF export). `ganlab train` trains the same runs headless; the Runs page follows them live.
- Walk a generator's latent space: interpolate (slerp or lerp), slide along principal directions, find the
  nearest training images, and ask the discriminator what it thinks of your own image or point.
"""
    )
    st.caption(f"ganlab {__version__}")
