"""The landing page."""

from __future__ import annotations

import streamlit as st

from ganlab import __version__
from ganlab.ui.lesson_cards import lesson_cards
from ganlab.ui.nav import PAGES


def home_page() -> None:
    st.title("ganlab")
    st.markdown(
        "An interactive lab for **Generative Adversarial Networks**. Train a GAN live, watch the "
        "discriminator and the generator pull against each other, change hyperparameters while it runs, "
        "and see mode collapse happen — with numbers beside it."
    )
    lesson_cards()
    # Two rows of two: four in a row were clipped at laptop width (1024 px with the sidebar open).
    # The icons are the sidebar's (material symbols: emoji need a font many machines lack).
    icons = {path: icon for path, _, icon in PAGES}
    links = (("pages/1_Playground.py", "Open the 2D playground"), ("pages/2_Images.py", "Open the image GAN"),
             ("pages/3_Runs.py", "Saved runs"), ("pages/4_Latent.py", "Explore the latent space"),
             ("pages/5_Dynamics.py", "Why GAN training circles (Dynamics)"),
             ("pages/7_Side_by_side.py", "Two runs side by side"))
    for row in (links[i:i + 2] for i in range(0, len(links), 2)):
        for column, (path, label) in zip(st.columns(2), row, strict=False):
            column.page_link(path, label=label, icon=icons[path], width="stretch")
    st.markdown(
        """
**In the playground**
- Choose a distribution (ring of 8, grid of 25, moons, spiral, circles, a line, a skewed mix, or your own CSV).
- Press **Play**; **Step**, **D step** and **G step** advance one update at a time while paused.
- The view layers: real and generated points, the discriminator's decision surface, the generator's
  gradients (where each fake point is pushed), and the generator's manifold (a warped noise grid).
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

**Dynamics**
- The Dirac-GAN (Mescheder et al. 2018), one parameter per player: see the gradient field rotate around the
  equilibrium, simultaneous updates spiral out, alternating ones circle, and R1 pull them in. Click to start a run.
"""
    )
    st.caption(f"ganlab {__version__}")
