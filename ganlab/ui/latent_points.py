"""The latent page's views of a 2D GAN (ganlab.kinds.toy names this module): paths, curves
and D's score map drawn over the data, in the playground's colours."""

from __future__ import annotations

from typing import Callable

import numpy as np
import streamlit as st
import torch

from ganlab.explore.explorer import Explorer
from ganlab.explore.latent import walk
from ganlab.ui.latent_views import KEEP, PATH_POINTS, cached, real_points, report_score, setting
from ganlab.viz.plots_latent import directions_figure, interpolation_figure, score_map_figure


def interpolation_layout(ex: Explorer, cls: int | None, t_view: Callable, controls: Callable) -> None:
    controls(ex, cls)  # the endpoints above the plot: the plot wants the page's width
    t_view(ex, cls)


def frame_key(ex: Explorer) -> tuple:
    """What the t view depends on besides the endpoints: it marks the strip's frames too."""
    return (int(setting("lt_frames")),)


def _path(ex: Explorer, seed_a: int, seed_b: int, method: str) -> np.ndarray:
    return cached("path2d", (ex.version, seed_a, seed_b, method),
                  lambda: ex.render(ex.path(seed_a, seed_b, PATH_POINTS, method)).numpy())


def show_frame(ex: Explorer, cls: int | None, current: torch.Tensor, t: float) -> None:
    seed_a, seed_b = int(setting("lt_seed_a")), int(setting("lt_seed_b"))
    method, frames = setting("lt_method"), int(setting("lt_frames"))
    dense = _path(ex, seed_a, seed_b, method)
    marks = cached("frames2d", (ex.version, seed_a, seed_b, method, frames),
                   lambda: ex.render(ex.path(seed_a, seed_b, frames, method)).numpy())
    st.plotly_chart(interpolation_figure(real_points(ex), dense, marks, current[0].numpy(), ex.dataset.bounds),
                    key="lt_path_chart")
    x, y = current[0].tolist()
    st.caption(f"G(z(t)) at t = {t:.2f}: ({x:.3f}, {y:.3f}). The G(path) curve is where the generator maps "
               f"the whole latent path; generated and real points have the playground's colours.")


def interpolation_outputs(ex: Explorer, cls: int | None, seed_a: int, seed_b: int, method: str, frames: int) -> None:
    dense = _path(ex, seed_a, seed_b, method)
    path_csv = "t,x,y\n" + "\n".join(f"{tt:.4f},{px:.6f},{py:.6f}" for tt, (px, py)
                                      in zip(np.linspace(0, 1, PATH_POINTS), dense, strict=False))
    st.download_button("Download the path (CSV)", path_csv, file_name="latent_path.csv", key="lt_dl_csv")


def direction_sweeps(ex: Explorer, cls: int | None, mode: str, dirs: torch.Tensor, names: list[str],
                     span: float, seed: int) -> None:
    """Nothing beyond the curves: `show_direction` draws every direction's sweep at once."""


def show_direction(ex: Explorer, cls: int | None, z: torch.Tensor, out: torch.Tensor, dirs: torch.Tensor,
                   amounts: list[float], names: list[str], span: float) -> None:
    walks = [ex.render(walk(z, dirs[j], torch.linspace(-span, span, 41) - amounts[j])).numpy()
             for j in range(len(names))]
    labels = [name.split(" · ")[0] for name in names]
    st.plotly_chart(directions_figure(real_points(ex), out[0].numpy(), walks, labels, ex.dataset.bounds),
                    key="lt_dir_chart")
    st.caption("Each curve is where its slider moves G(z) over the slider's range, the others held.")


def _clicked_point() -> None:
    """The map's click (a point of its invisible grid) becomes the asked point."""
    event = st.session_state.get("lt_ask_map")
    points = ((event or {}).get("selection") or {}).get("points") or []
    if points:
        st.session_state["lt_ask_x"] = round(float(points[-1]["x"]), 3)
        st.session_state["lt_ask_y"] = round(float(points[-1]["y"]), 3)


def ask(ex: Explorer, cls: int | None) -> None:
    c1, c2 = st.columns(2)
    x = c1.number_input("x", -100.0, 100.0, step=0.1, key="lt_ask_x", persist_state=KEEP)
    y = c2.number_input("y", -100.0, 100.0, step=0.1, key="lt_ask_y", persist_state=KEEP)
    point = torch.tensor([[float(x), float(y)]])
    xs, ys, surface = ex.score_surface()
    left, right = st.columns([1.3, 1])
    with left:
        st.plotly_chart(score_map_figure(real_points(ex), xs, ys, surface, ex.score_label, point[0].numpy(),
                                         ex.dataset.bounds, loss=ex.knobs.loss), key="lt_ask_map",
                        on_select=_clicked_point, selection_mode="points")
        st.caption("Click the map to place the point, or type its coordinates.")
    with right:
        report_score(ex, point, cls)
