"""The image page: wiring the image controls to this session's image runner, and the
live view (sample grids, EMA grid, timeline, losses, D outputs, speed)."""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from ganlab.data.image_sources import IMAGE_SOURCES
from ganlab.formatting import format_number
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.settings.config import ImageStructure, Knobs
from ganlab.settings.fields import IMAGE_FIELDS as IMAGE_FIELD_TABLE
from ganlab.settings.image_presets import default_image_settings
from ganlab.settings.urlstate import decode_image, encode_image
from ganlab.training import RunState, Snapshot, Trainer, make_runner
from ganlab.ui import (
    ask_discriminator,
    image_controls,
    lesson_link,
    model_graph,
    page_shape,
    projector,
    run_controls,
    training_page,
)
from ganlab.ui.quality import quality_panel, quality_pending
from ganlab.ui.readout import d_numbers
from ganlab.ui.session import IMAGES, create_runner
from ganlab.ui.training_page import APP_URL_KEYS, TrainingPage

PAGE_KEY = IMAGES
VIEW_POLL_S = 1.0  # a grid changes slowly; each refresh costs the trainer a generator pass
CHART_POLL_S = 2.0
EVAL_EVERY = 100  # steps between evaluations, and so between timeline frames
VIEW_INTERVAL_S = 0.5  # the runner refreshes the grids at most this often while the page watches
RUNNER_OPTIONS = {"eval_every": EVAL_EVERY, "view_interval": VIEW_INTERVAL_S}  # this page's runners, also continued ones
GRID_SCALE = 2  # pixels are repeated, so small grids stay crisp when the browser enlarges them
PRESENT_GRID_PX = 480  # projector mode's grid: stretched to its half of 1400 px it ran below 900 px
STRUCTURE_LABELS = {
    "dataset": "data", "image_size": "image size", "channels": "channels", "noise_dim": "noise dimension",
    "width": "width", "g_batch_norm": "G batch norm", "d_batch_norm": "D batch norm",
    "d_spectral_norm": "D spectral norm", "conditional": "conditional", "num_classes": "classes", "seed": "seed",
    "ema_decay": "EMA decay", "extra_conv": "extra 3×3 conv", "pack": "packing", "d_width": "D width",
}


def _what_changed(old: ImageStructure, new: ImageStructure) -> str:
    changed = [label for field, label in STRUCTURE_LABELS.items() if getattr(old, field) != getattr(new, field)]
    return ", ".join(changed) if changed else "uploaded images"


def images_per_second(snap: Snapshot) -> float:
    """Generated images per second: every D update and every G update generates a batch."""
    return snap.steps_per_sec * snap.knobs.batch_size * (snap.knobs.d_steps + 1)


def _new_runner(chosen: tuple | None) -> Trainer:
    if chosen is None:  # unusable settings (e.g. a link to files not on this server): start on the defaults
        structure, knobs = default_image_settings()
        digits = image_controls.load_source(structure.dataset, structure.image_size, structure.channels)
        chosen = (dataclasses.replace(structure, num_classes=digits.num_classes), knobs, digits)
    structure, knobs, dataset = chosen
    return create_runner(PAGE_KEY, lambda slots: make_runner(
        ImageExperiment(structure, dataset), knobs, slots=slots, **RUNNER_OPTIONS))


def _from_url(params: dict) -> tuple[ImageStructure, Knobs, list[str]]:
    structure, knobs, problems = decode_image(params, default_image_settings(), ignore=APP_URL_KEYS)
    if structure.dataset not in image_controls.dataset_labels():
        problems.append(f"link setting data={structure.dataset} ignored: dataset must be one of "
                        f"{', '.join(image_controls.dataset_labels())}")
        structure = dataclasses.replace(structure, dataset=default_image_settings()[0].dataset)
    source = IMAGE_SOURCES.get(structure.dataset)
    if source is not None and "data" in params:  # as choosing it in the sidebar: its own size and channels
        native = {"image_size": source.native_size, "channels": source.native_channels}
        keys = {field.path[-1]: field.key for field in IMAGE_FIELD_TABLE if field.path[-1] in native}
        structure = dataclasses.replace(structure, **{k: v for k, v in native.items() if keys[k] not in params})
    return structure, knobs, problems


def _kept_zip():
    cached = st.session_state.get(image_controls.ZIP_KEY)
    return cached[3] if cached else None


PAGE = TrainingPage(
    key=PAGE_KEY, prefix="im_", sidebar=image_controls.sidebar, set_widgets=image_controls.set_widgets,
    from_url=_from_url, encode=encode_image, new_runner=_new_runner, build=ImageExperiment,
    what_changed=_what_changed, kept_data=_kept_zip,
    speed=lambda snap: f"{snap.steps_per_sec:,.1f} steps/s · {images_per_second(snap):,.0f} images/s",
    status_tail=lambda snap: f" · {device_label(snap.device)}",
    # A named dataset is fixed by the structure (a reloaded copy after a cache eviction is the
    # same data: no restart); every zip is called "upload", so a new zip is told by identity.
    data_restarts=lambda structure: structure.dataset == image_controls.UPLOAD,
)


def connect() -> Trainer:
    """Attach this session to its image runner and keep the runner in step with the widgets."""
    return training_page.connect(PAGE)


def control_bar(runner: Trainer) -> None:
    training_page.control_bar(PAGE, runner)


def device_label(device: str) -> str:
    """Where an image run trains, for its status line."""
    return "on the CPU" if device == "cpu" else f"on the GPU ({device})"


def _show_grid(grid: np.ndarray, caption: str, width: int | str = "stretch") -> None:
    big = np.repeat(np.repeat(grid, GRID_SCALE, axis=0), GRID_SCALE, axis=1)
    st.image(big[..., 0] if big.shape[-1] == 1 else big, caption=caption, width=width)


def _row_names(experiment: ImageExperiment) -> tuple[str, ...]:
    """A conditional grid's row labels (its classes, top to bottom), InfoGAN's (its code values); empty otherwise."""
    layout = experiment.model.code_layout(experiment.structure)
    if layout is not None and layout.categories:
        return tuple(f"code {c}" for c in range(layout.categories))
    return experiment.dataset.class_names if experiment.structure.conditional else ()


def _grids(grid: np.ndarray, ema_grid: np.ndarray | None, step: int, rows_named: tuple[str, ...]) -> None:
    rows = f" · rows: {', '.join(rows_named)}" if rows_named else ""
    if ema_grid is None:
        left, _ = st.columns([1, 1])
        with left:
            _show_grid(grid, f"Generator at step {step:,}{rows}")
        return
    left, right = st.columns(2)
    with left:
        _show_grid(grid, f"Generator at step {step:,}{rows}")
    with right:
        _show_grid(ema_grid, f"EMA generator at step {step:,}{rows}")


def _numbers(snap: Snapshot, experiment: ImageExperiment, runner: Trainer) -> None:
    last, ev = d_numbers(snap, runner), snap.latest_eval
    c = st.columns(2) + st.columns(2)  # two rows of two: "0.71 / -0.30" is cut off in a quarter at 1024 px
    c[0].metric("D(x) / D(G(z))", f"{format_number(last.get('d_real'), '.2f')} / {format_number(last.get('d_fake'), '.2f')}",
                help="Mean score on real and on fake in the last D step")
    c[1].metric("Steps/s", format_number(snap.steps_per_sec if snap.state == RunState.RUNNING else None, ",.1f"))
    c[2].metric("Images/s", format_number(images_per_second(snap) if snap.state == RunState.RUNNING else None, ",.0f"),
                help="Generated images per second: steps/s × batch size × (D steps per G step + 1)")
    c[3].metric("Pixel mean / sd", f"{format_number(ev.get('pixel_mean'), '.2f')} / {format_number(ev.get('pixel_std'), '.2f')}",
                help=f"Of 256 generated images, in [-1, 1]; the data's: {experiment.real_pixel_mean:.2f} / "
                     f"{experiment.real_pixel_std:.2f}")
    if "wasserstein" in last:
        st.metric("Wasserstein estimate", format_number(last["wasserstein"]), help="E[D(x)] − E[D(G(z))]")
    if "code_purity" in ev:  # InfoGAN on digits
        st.metric("Code purity", format_number(100 * ev["code_purity"], ".1f") + " %",
                  help="InfoGAN: 50 images per value of the categorical code, each read by the metric classifier; "
                       "the share showing the digit matched to its code (the best one-to-one matching). The paper "
                       "reports 95 % on MNIST; a G that ignores its code scores about 10 %")


def _present_side(snap: Snapshot, runner: Trainer, graph: bool) -> None:
    """Projector mode, beside the grid: the key numbers in large type, the model graph under them
    (unless the lesson link hides it)."""
    last = d_numbers(snap, runner)
    rows = [("D(x) / D(G(z))", f"{format_number(last.get('d_real'), '.2f')} / {format_number(last.get('d_fake'), '.2f')}"),
            ("Images/s", format_number(images_per_second(snap) if snap.state == RunState.RUNNING else None, ",.0f"))]
    st.markdown(projector.numbers_html(rows), unsafe_allow_html=True)
    if graph:
        st.markdown(model_graph.image_graph_html(snap, runner), unsafe_allow_html=True)


def _timeline(runner: Trainer) -> None:
    frames = runner.timeline_frames()
    st.subheader("Timeline")
    if len(frames) < 2:
        st.caption(f"Grids are kept every {EVAL_EVERY} steps (evenly thinned to at most 100): "
                   "train a little to look back.")
        return
    steps = [f.step for f in frames]
    chosen, newest = st.session_state.get("im_timeline"), st.session_state.get("im_timeline_newest")
    if chosen is None or chosen == newest:  # at the newest grid: follow new ones as they come
        st.session_state["im_timeline"] = steps[-1]
    elif chosen not in steps:  # thinned away, or a new run: the nearest kept step
        st.session_state["im_timeline"] = min(steps, key=lambda s: abs(s - chosen))
    st.session_state["im_timeline_newest"] = steps[-1]
    step = st.select_slider("Look back at step", options=steps, key="im_timeline", format_func=lambda s: f"{s:,}")
    frame = frames[steps.index(step)]
    _grids(frame.grid, frame.ema_grid, frame.step, _row_names(runner.experiment))


def live_view(runner: Trainer) -> None:
    """Fragments: status, grids and numbers every second; charts and timeline every 2 s. They
    poll only while training runs or the runner has work queued."""
    first, live = training_page.first_look(PAGE, runner)
    present = projector.on()  # the numbers and the model graph beside the grid, in the view's fragment
    shows = page_shape.current(PAGE.prefix).shows_panel  # the panels a lesson link hides

    @st.fragment(run_every=run_controls.poll_every(first, live, VIEW_POLL_S))
    def view_panel() -> None:
        snap = training_page.view_snapshot(PAGE, runner, first, live)
        experiment = runner.experiment
        if snap.view is not None and present:
            left, right = st.columns(2)
            with left:
                _show_grid(snap.view.grid, f"Generator at step {snap.view_step:,}", width=PRESENT_GRID_PX)
            with right:
                _present_side(snap, runner, shows("model_graph"))
        elif snap.view is not None:  # the page adopts image runs only (training_page._claim)
            _grids(snap.view.grid, snap.view.ema_grid, snap.view_step, _row_names(experiment))
            _numbers(snap, experiment, runner)

    @st.fragment(run_every=run_controls.poll_every(first, live, CHART_POLL_S, while_queued=False))
    def chart_panel() -> None:
        snap = runner.snapshot()
        training_page.loss_charts(PAGE, snap)

    @st.fragment(run_every=run_controls.poll_every(first, live, CHART_POLL_S, while_queued=False))
    def timeline_panel() -> None:
        _timeline(runner)

    @st.fragment(run_every=CHART_POLL_S if live or quality_pending(runner) else None)
    def quality_fragment() -> None:
        quality_panel(runner)

    view_panel()  # right under the transport bar: the grid is on the first screen at 1024x768
    if shows("model_graph") and not present:  # in projector mode it is beside the grid
        model_graph.graph_panel(PAGE.prefix, runner, first, live, model_graph.image_graph_html)
    if shows("charts"):
        training_page.history_controls(PAGE, "Stop refreshing the grids and charts (training continues)")
        chart_panel()
    if shows("quality"):
        quality_fragment()
    if shows("timeline"):
        timeline_panel()
    if shows("ask_d"):
        ask_discriminator.panel(runner)
    lesson_link.panel(PAGE.prefix)
