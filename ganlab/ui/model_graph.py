"""The model overview graph on the training pages: a fragment that redraws the graph (an inline
SVG, see ganlab.viz.model_graph_svg) from the runner's latest snapshot every GRAPH_POLL_S while
training runs, inside an expander that costs nothing while it is closed.

The highlight follows the last training step; the slow-motion panel (ganlab.ui.slow_motion) draws
the same graph beside each of its sub-steps, lit for that sub-step (`toy_graph_html(..., active)`)."""

from __future__ import annotations

from typing import Callable

import numpy as np
import streamlit as st

from ganlab.training import Snapshot, Trainer
from ganlab.ui import run_controls
from ganlab.ui.readout import d_numbers, last_known
from ganlab.viz.model_graph import build_graph, graph_inputs
from ganlab.viz.model_graph_pictures import image_pictures, toy_fixed_pictures, toy_live_pictures
from ganlab.viz.model_graph_svg import COMPACT, FULL, graph_svg

TITLE = "Model overview graph"
GRAPH_POLL_S = 1.5  # slower than the live view: the graph is a summary, and the browser's CPU is shared
LOSS_KEYS = ("d_loss", "g_loss")


def known_numbers(snap: Snapshot, runner: Trainer) -> dict[str, float]:
    """The last step's numbers, with those it did not compute (D's after a lone G step, a loss
    after a lone update of the other net) taken from the newest history row that has them."""
    known = d_numbers(snap, runner)
    missing = tuple(k for k in LOSS_KEYS if k not in known)
    if snap.step and missing:
        history = snap.history if snap.history else runner.snapshot().history
        known.update(last_known(history, missing))
    return known


def _same(a: object, b: object) -> bool:
    return a is b or (isinstance(a, (int, float, str)) and a == b)


def _cached_pictures(name: str, key: tuple, draw: Callable[[], dict[str, str]]) -> dict[str, str]:
    """The pictures of `key` (the experiment object itself, compared by identity, and numbers such
    as the view's step: a remote runner's every snapshot unpickles a new view object), drawn once:
    the fragment reruns between views. Holding the experiment keeps a freed one's id from being
    mistaken for a new one's."""
    cached = st.session_state.get(name)
    if cached is None or len(cached[0]) != len(key) or not all(map(_same, cached[0], key)):
        cached = (key, draw())
        st.session_state[name] = cached
    return cached[1]


def _bars(graph_known: dict[str, float], probability: bool) -> dict[str, float] | None:
    return {k: graph_known[k] for k in ("d_real", "d_fake") if k in graph_known} if probability else None


def toy_graph_html(snap: Snapshot, runner: Trainer, active: str | None = None) -> str:
    """The playground's graph: every node with its picture."""
    experiment = runner.experiment
    known = known_numbers(snap, runner)
    view = snap.view
    inputs = graph_inputs(snap.step, snap.d_updates, snap.g_updates, snap.knobs, snap.structure, snap.latest, known,
                          real_text=experiment.dataset.label,
                          fake_text="" if view is None else f"{len(view.fake):,} points")
    pictures: dict[str, str] = {}
    if view is not None:
        def fixed() -> dict[str, str]:  # view.fake is G of this noise (ToyExperiment.view)
            noise = experiment.eval_noise[: len(view.fake)].detach().cpu().numpy()
            return toy_fixed_pictures(view, noise, snap.structure.noise)

        pictures = {**_cached_pictures("pg_graph_fixed", (experiment,), fixed),
                    **_cached_pictures("pg_graph_live", (experiment, snap.view_step, snap.knobs.loss),
                                       lambda: toy_live_pictures(view, snap.knobs.loss))}
    graph = build_graph(inputs, active)
    return graph_svg(graph, pictures, lay=FULL, bars=_bars(known, inputs.probability))


def _real_images(experiment) -> np.ndarray:
    """4 of the data's images, evenly spread over it, as (4, H, W, C) uint8."""
    dataset = experiment.dataset
    picks = np.linspace(0, len(dataset) - 1, 4).round().astype(int)
    images = dataset.to_float(dataset.images[picks]).add(1).mul(127.5).round().clamp(0, 255)
    return images.byte().permute(0, 2, 3, 1).numpy()


def image_graph_html(snap: Snapshot, runner: Trainer, active: str | None = None) -> str:
    """The image page's compact graph: pictures of the noise and of real and generated images."""
    experiment = runner.experiment
    known = known_numbers(snap, runner)
    inputs = graph_inputs(snap.step, snap.d_updates, snap.g_updates, snap.knobs, snap.structure, snap.latest, known,
                          real_text=experiment.dataset.name, fake_text="of the grid")
    pictures: dict[str, str] = {}
    if snap.view is not None:
        def draw() -> dict[str, str]:
            from ganlab.kinds.image_experiment import GRID_COLUMNS

            cells = [r * GRID_COLUMNS + c for r in range(2) for c in range(2)]  # the grid corner's noise
            noise = experiment.grid_noise[cells].detach().cpu().numpy()
            return image_pictures(snap.view.grid, _real_images(experiment), noise, snap.structure.image_size)

        pictures = _cached_pictures("im_graph_pictures", (experiment, snap.view_step), draw)
    graph = build_graph(inputs, active)
    return graph_svg(graph, pictures, lay=COMPACT, bars=_bars(known, inputs.probability))


def graph_panel(prefix: str, runner: Trainer, first: Snapshot, live: bool,
                html_of: Callable[[Snapshot, Trainer, str | None], str]) -> None:
    """The graph in an expander (open at first; closed, its fragment does not run)."""
    box = st.expander(TITLE, expanded=True, key=prefix + "graph_open", on_change="rerun")
    if not box.open:
        return

    @st.fragment(run_every=run_controls.poll_every(first, live, GRAPH_POLL_S, while_queued=False))
    def graph_fragment() -> None:
        snap = runner.snapshot(with_history=False)
        # markdown, not st.html: st.html's sanitizer drops inline SVG (measured on streamlit 1.67)
        st.markdown(html_of(snap, runner, None), unsafe_allow_html=True)

    with box:
        graph_fragment()
