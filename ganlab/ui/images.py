"""The image page: wiring the image controls to this session's image runner, and the
live view (sample grids, EMA grid, timeline, losses, D outputs, speed)."""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from ganlab.config import ImageStructure, Knobs
from ganlab.data.images import ImageDataset
from ganlab.formatting import format_number
from ganlab.image_presets import default_image_settings
from ganlab.plots import d_outputs_figure, loss_figure
from ganlab.training.image_experiment import ImageExperiment
from ganlab.training.runner import Runner, RunState
from ganlab.training.runner_state import Snapshot
from ganlab.training.trainers import make_runner
from ganlab.ui import image_controls, restart, run_controls
from ganlab.ui.quality import quality_panel, quality_pending
from ganlab.ui.readout import d_numbers, step_label
from ganlab.ui.session import IMAGES, URL_TOKENS, claim_runner, create_runner
from ganlab.urlstate import decode_image, encode_image

PAGE_KEY = IMAGES
APP_URL_KEYS = {"run", *URL_TOKENS.values()}  # the app's own URL keys beside the settings
VIEW_POLL_S = 1.0  # a grid changes slowly; each refresh costs the trainer a generator pass
CHART_POLL_S = 2.0
EVAL_EVERY = 100  # steps between evaluations, and so between timeline frames
VIEW_INTERVAL_S = 0.5  # the runner refreshes the grids at most this often while the page watches
GRID_SCALE = 2  # pixels are repeated, so small grids stay crisp when the browser enlarges them
SETTLE_WAIT_S = 3.0
WINDOWS = {"All": None, "Last 1,000": 1_000, "Last 10,000": 10_000}
STRUCTURE_LABELS = {
    "dataset": "data", "image_size": "image size", "channels": "channels", "noise_dim": "noise dimension",
    "width": "width", "g_batch_norm": "G batch norm", "d_batch_norm": "D batch norm",
    "d_spectral_norm": "D spectral norm", "conditional": "conditional", "num_classes": "classes", "seed": "seed",
    "ema_decay": "EMA decay", "extra_conv": "extra 3×3 conv",
}


def _what_changed(old: ImageStructure, new: ImageStructure) -> str:
    changed = [label for field, label in STRUCTURE_LABELS.items() if getattr(old, field) != getattr(new, field)]
    return ", ".join(changed) if changed else "uploaded images"


def images_per_second(snap: Snapshot) -> float:
    """Generated images per second: every D update and every G update generates a batch."""
    return snap.steps_per_sec * snap.knobs.batch_size * (snap.knobs.d_steps + 1)


def _new_runner(structure: ImageStructure, knobs: Knobs, dataset: ImageDataset) -> Runner:
    return create_runner(PAGE_KEY, lambda slots: make_runner(
        ImageExperiment(structure, dataset), knobs, slots=slots, eval_every=EVAL_EVERY, view_interval=VIEW_INTERVAL_S))


def _claim() -> Runner | None:
    """This session's image runner; a token naming another page's run is not adopted."""
    runner = claim_runner(PAGE_KEY)
    if runner is not None and getattr(runner.experiment, "kind", None) != "image":
        return None
    return runner


def _initial_widgets(runner: Runner | None) -> None:
    if runner is not None:  # a refreshed page: show what the running training really uses
        snap = runner.snapshot()
        image_controls.set_widgets(snap.structure, snap.knobs)
        return
    structure, knobs, problems = decode_image(st.query_params.to_dict(), default_image_settings(),
                                             ignore=APP_URL_KEYS)
    if structure.dataset not in image_controls.dataset_labels():
        problems.append(f"link setting data={structure.dataset} ignored: dataset must be one of "
                        f"{', '.join(image_controls.dataset_labels())}")
        structure = dataclasses.replace(structure, dataset=default_image_settings()[0].dataset)
    for problem in problems:
        st.warning(problem[0].upper() + problem[1:])
    image_controls.set_widgets(structure, knobs)


def connect() -> Runner:
    """Attach this session to its image runner and keep the runner in step with the widgets."""
    runner = _claim()
    if "im_initialized" not in st.session_state:
        st.session_state["im_initialized"] = True
        _initial_widgets(runner)
    chosen = image_controls.sidebar()
    if runner is None:
        if chosen is None:  # unusable settings (e.g. a link to files not on this server): start on the defaults
            structure, knobs = default_image_settings()
            digits = image_controls.load_source(structure.dataset, structure.image_size, structure.channels)
            structure = dataclasses.replace(structure, num_classes=digits.num_classes)
            runner = _new_runner(structure, knobs, digits)
        else:
            runner = _new_runner(*chosen)
    if chosen is not None:
        pending = _sync(runner, *chosen)
        shown = (runner.experiment.structure, chosen[1]) if pending else chosen[:2]
        st.query_params.update(encode_image(*shown))  # the link tells what trains, not a change still waiting
    return runner


def _keep_current_run(runner: Runner) -> None:
    snap = runner.snapshot()
    image_controls.set_widgets(snap.structure, snap.knobs)
    cached = st.session_state.get(image_controls.ZIP_KEY)
    st.session_state["im_kept_dataset"] = id(cached[3]) if cached else None


def _sync(runner: Runner, structure: ImageStructure, knobs: Knobs, dataset: ImageDataset) -> bool:
    """Bring the runner in line with the widgets; True while a structure change waits for the
    user's confirmation (the run keeps its structure and steps meanwhile)."""
    experiment = runner.experiment
    # A named dataset is fixed by the structure (a reloaded copy after a cache eviction is the
    # same data: no restart); every zip is called "upload", so a new zip is told by identity.
    new_upload = (structure.dataset == image_controls.UPLOAD and experiment.dataset is not dataset
                  and st.session_state.get("im_kept_dataset") != id(dataset))
    pending = restart.follow_structure(
        runner, "im_", experiment.structure != structure or new_upload,
        lambda: _what_changed(experiment.structure, structure),
        lambda: ImageExperiment(structure, dataset), keep=lambda: _keep_current_run(runner))
    if runner.snapshot().knobs != knobs:
        runner.set_knobs(knobs)
    return pending


def control_bar(runner: Runner) -> None:
    run_controls.control_bar(runner, "im_")
    restart.undo_offer(runner, "im_", image_controls.set_widgets)


def _status(runner: Runner, snap: Snapshot) -> None:
    speed = run_controls.speed_text(
        snap, f"{snap.steps_per_sec:,.1f} steps/s · {images_per_second(snap):,.0f} images/s")
    st.markdown(f"{step_label(snap)} · {speed} · {snap.train_seconds:,.1f} s trained · "
                f"{snap.d_updates:,} D / {snap.g_updates:,} G updates · {device_label(snap.device)}")
    run_controls.run_messages(runner, snap, "im_")


def device_label(device: str) -> str:
    """Where an image run trains, for its status line."""
    return "on the CPU" if device == "cpu" else f"on the GPU ({device})"


def _show_grid(grid: np.ndarray, caption: str) -> None:
    big = np.repeat(np.repeat(grid, GRID_SCALE, axis=0), GRID_SCALE, axis=1)
    st.image(big[..., 0] if big.shape[-1] == 1 else big, caption=caption, width="stretch")


def _row_names(experiment: ImageExperiment) -> tuple[str, ...]:
    """A conditional grid's row labels (its classes, top to bottom); empty otherwise."""
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


def _numbers(snap: Snapshot, experiment: ImageExperiment, runner: Runner) -> None:
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


def _timeline(runner: Runner) -> None:
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


def live_view(runner: Runner) -> None:
    """Fragments: status, grids and numbers every second; charts and timeline every 2 s. They
    poll only while training runs or the runner has work queued."""
    frozen = st.session_state.get("im_freeze", False)
    # At rest, wait (up to SETTLE_WAIT_S, usually far less) for queued work to finish: a page that
    # starts polling only to rerun at once would wipe the message a button just left.
    first = runner.snapshot(want_view=True, wait_for_view=0.5 if runner.state == RunState.RUNNING else SETTLE_WAIT_S)
    live = (first.state == RunState.RUNNING or not first.settled) and not frozen

    @st.fragment(run_every=run_controls.poll_every(first, live, VIEW_POLL_S))
    def view_panel() -> None:
        snap = runner.snapshot(want_view=True, wait_for_view=0.5)
        if (live and snap.state != RunState.RUNNING and snap.settled) or run_controls.left_the_queue(first, snap):
            st.rerun(scope="app")  # paused, diverged, failed or out of the line: redraw the buttons
        _status(runner, snap)
        run_controls.save_warning(runner)
        experiment = runner.experiment
        if snap.view is not None and isinstance(experiment, ImageExperiment):
            _grids(snap.view.grid, snap.view.ema_grid, snap.view_step, _row_names(experiment))
            _numbers(snap, experiment, runner)

    @st.fragment(run_every=run_controls.poll_every(first, live, CHART_POLL_S, while_queued=False))
    def chart_panel() -> None:
        snap = runner.snapshot()
        window = WINDOWS.get(st.session_state.get("im_window") or "All")
        c1, c2 = st.columns(2)
        c1.plotly_chart(loss_figure(snap.history, window), width="stretch", key="im_loss_chart")
        c2.plotly_chart(d_outputs_figure(snap.history, window), width="stretch", key="im_d_chart")

    @st.fragment(run_every=run_controls.poll_every(first, live, CHART_POLL_S, while_queued=False))
    def timeline_panel() -> None:
        _timeline(runner)

    @st.fragment(run_every=CHART_POLL_S if live or quality_pending(runner) else None)
    def quality_fragment() -> None:
        quality_panel(runner)

    view_panel()
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    c1.segmented_control("History shown", list(WINDOWS), default="All", key="im_window")
    c2.toggle("Freeze live view", key="im_freeze",
              help="Stop refreshing the grids and charts (training continues)")
    chart_panel()
    quality_fragment()
    timeline_panel()
