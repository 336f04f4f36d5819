"""The 2D playground: wiring widgets to this session's runner, and the live view."""

from __future__ import annotations


import streamlit as st

from ganlab.config import Knobs, ToyStructure
from ganlab.data.toy import ToyDistribution, get_toy
from ganlab.formatting import format_number
from ganlab.plots import (
    LAYER_LABELS, LAYERS, d_outputs_figure, gradient_norms_figure, loss_figure, mode_coverage_figure,
    toy_view_figure,
)
from ganlab.raster import jpeg_bytes, render_toy_view
from ganlab.training.runner import Runner, RunState
from ganlab.training.runner_state import Snapshot
from ganlab.training.toy_experiment import ToyExperiment
from ganlab.training.trainers import make_runner
from ganlab.ui import controls, restart, run_controls
from ganlab.ui.readout import d_numbers, step_label
from ganlab.ui.session import PLAYGROUND, URL_TOKENS, claim_runner, create_runner
from ganlab.urlstate import decode, encode

PAGE_KEY = PLAYGROUND
APP_URL_KEYS = {"run", *URL_TOKENS.values()}  # the app's own URL keys beside the settings
VIEW_POLL_S = 0.45  # the view refreshes >= 2 times/s (bench_live_view.py measures it)
VIEW_PIXELS = 480  # the live view's plot square
# Drawn without supersampling while it changes 2+ times a second: the server's drawing
# shares the GIL with the training thread (render 7 ms against 18.5 ms at 2x).
LIVE_SUPERSAMPLE = 1
CHART_POLL_S = 3.0  # one chart refresh costs the browser ~100 ms of CPU each (bench_live_view.py)
SETTLE_WAIT_S = 3.0
WINDOWS = {"All": None, "Last 1,000": 1_000, "Last 10,000": 10_000}


STRUCTURE_LABELS = {"data": "data", "noise_dim": "noise dimension", "noise": "noise", "generator": "generator",
                    "discriminator": "discriminator", "seed": "seed"}


def _what_changed(old: ToyStructure, new: ToyStructure) -> str:
    changed = [label for field, label in STRUCTURE_LABELS.items() if getattr(old, field) != getattr(new, field)]
    return ", ".join(changed) if changed else "data set"


def connect() -> Runner:
    """Attach this session to its runner and keep the runner in step with the widgets."""
    runner = claim_runner(PAGE_KEY)
    if "pg_initialized" not in st.session_state:
        st.session_state["pg_initialized"] = True
        if runner is not None:  # a refreshed page: show what the running training really uses
            snap = runner.snapshot()
            controls.set_widgets(snap.structure, snap.knobs)
        else:
            structure, knobs, problems = decode(st.query_params.to_dict(), ignore=APP_URL_KEYS)
            for problem in problems:
                st.warning(problem[0].upper() + problem[1:])
            controls.set_widgets(structure, knobs)
    chosen = controls.sidebar()
    if runner is None:
        # Unusable settings (e.g. a link naming CSV data not uploaded here) start on the defaults.
        structure, knobs, dataset = chosen or (ToyStructure(), Knobs(), get_toy(ToyStructure().data))
        runner = create_runner(
            PAGE_KEY, lambda slots: make_runner(ToyExperiment(structure, dataset), knobs, slots=slots)
        )
    if chosen is not None:
        pending = _sync(runner, *chosen)
        shown = (runner.experiment.structure, chosen[1]) if pending else chosen[:2]
        st.query_params.update(encode(*shown))  # the link tells what trains, not a change still waiting
    return runner


def _keep_current_run(runner: Runner) -> None:
    snap = runner.snapshot()
    controls.set_widgets(snap.structure, snap.knobs)
    st.session_state["pg_kept_dataset"] = id(st.session_state.get(controls.CSV_POINTS_KEY, (None, None))[1])


def _sync(runner: Runner, structure: ToyStructure, knobs: Knobs, dataset: ToyDistribution) -> bool:
    """Bring the runner in line with the widgets; True while a structure change waits for the
    user's confirmation (the run keeps its structure and steps meanwhile)."""
    experiment = runner.experiment
    new_data = experiment.dataset is not dataset and st.session_state.get("pg_kept_dataset") != id(dataset)
    pending = restart.follow_structure(
        runner, "pg_", experiment.structure != structure or new_data,
        lambda: _what_changed(experiment.structure, structure),
        lambda: ToyExperiment(structure, dataset), keep=lambda: _keep_current_run(runner))
    if runner.snapshot().knobs != knobs:
        runner.set_knobs(knobs)
    return pending


def control_bar(runner: Runner) -> None:
    run_controls.control_bar(runner, "pg_")
    restart.undo_offer(runner, "pg_", controls.set_widgets)


def _status(runner: Runner, snap: Snapshot) -> None:
    speed = run_controls.speed_text(snap, f"{snap.steps_per_sec:,.0f} steps/s")
    st.markdown(f"{step_label(snap)} · {speed} · {snap.train_seconds:,.1f} s trained · "
                f"{snap.d_updates:,} D / {snap.g_updates:,} G updates")
    run_controls.run_messages(runner, snap, "pg_")


NUMBER_HELP = {
    "Modes covered": "modes with at least one sample within 3 sd of the centre (PacGAN/VEEGAN)",
    "High-quality samples": "share of the 2,500 samples within 3 sd of their nearest mode",
    "Mode KL": "KL(nearest-mode histogram ‖ true mode weights), nats",
    "KL(real ‖ fake)": "on 24×24 histograms with an overflow bin, nats",
    "JS(real, fake)": "between 0 and ln 2 ≈ 0.693",
    "D(x) / D(G(z))": "mean score on real and on fake in the last D step (a lone G step keeps them)",
    "Wasserstein estimate": "E[D(x)] − E[D(G(z))]",
}


def number_rows(snap: Snapshot, dataset: ToyDistribution, last: dict[str, float] | None = None
                ) -> list[tuple[str, str]]:
    """The live numbers beside the view, as (label, value) pairs; `last` the step numbers
    (default `snap.latest`; the page passes readout.d_numbers, which keeps D's after a G step)."""
    ev = snap.latest_eval
    last = snap.latest if last is None else last
    rows: list[tuple[str, str]] = []
    if dataset.has_modes:
        covered = ev.get("modes_covered")
        rows.append(("Modes covered", "—" if covered is None else f"{int(covered)} / {len(dataset.centres)}"))
        rows.append(("High-quality samples",
                     format_number(100 * ev["high_quality"], ".1f") + " %" if "high_quality" in ev else "—"))
        rows.append(("Mode KL", format_number(ev.get("mode_kl"))))
    rows.append(("KL(real ‖ fake)", format_number(ev.get("kl_hist"))))
    rows.append(("JS(real, fake)", format_number(ev.get("js_hist"))))
    rows.append(("D(x) / D(G(z))", f"{format_number(last.get('d_real'), '.2f')} / {format_number(last.get('d_fake'), '.2f')}"))
    if "wasserstein" in last:
        rows.append(("Wasserstein estimate", format_number(last["wasserstein"])))
    return rows


def _numbers(snap: Snapshot, dataset: ToyDistribution, runner: Runner) -> None:
    # One markdown element, not one st.metric per number: each element is a React
    # render in the browser, 2+ times a second (bench_live_view.py measures the cost).
    lines = [f"<small>{label}</small><br>**{value}**" for label, value in number_rows(snap, dataset, d_numbers(snap, runner))]
    st.markdown("\n\n".join(lines), unsafe_allow_html=True)


def _number_help() -> None:
    with st.expander("What the numbers mean"):
        st.markdown("\n".join(f"- **{label}**: {text}" for label, text in NUMBER_HELP.items()))


def live_view(runner: Runner) -> None:
    """Two fragments: status, 2D view and numbers at 2 Hz; history charts every 2 s. Both poll
    only while training runs or the runner has work queued: a settled, paused run costs nothing."""
    frozen = st.session_state.get("pg_freeze", False)
    # At rest, wait (up to SETTLE_WAIT_S, usually far less) for queued work to finish: a page that
    # starts polling only to rerun at once would wipe the message a button just left.
    first = runner.snapshot(want_view=True, wait_for_view=0.5 if runner.state == RunState.RUNNING else SETTLE_WAIT_S)
    live = (first.state == RunState.RUNNING or not first.settled) and not frozen

    @st.fragment(run_every=run_controls.poll_every(first, live, VIEW_POLL_S))
    def view_panel() -> None:
        snap = runner.snapshot(want_view=True, wait_for_view=0.5, with_history=False)
        if (live and snap.state != RunState.RUNNING and snap.settled) or run_controls.left_the_queue(first, snap):
            st.rerun(scope="app")  # paused, diverged, failed or out of the line: redraw the buttons
        _status(runner, snap)
        run_controls.save_warning(runner)
        dataset = runner.experiment.dataset
        layers = st.session_state.get("pg_layers") or []
        left, right = st.columns([3, 1])
        with left:
            if snap.view is not None and live:
                # a picture while it changes (cheap for the browser); a plotly figure at rest (hover, zoom)
                image = render_toy_view(snap.view, layers, dataset.centres, plot_size=VIEW_PIXELS,
                                        supersample=LIVE_SUPERSAMPLE, loss=snap.knobs.loss)
                st.image(jpeg_bytes(image), caption="Live picture: hover and zoom come back when training stops.")
            elif snap.view is not None:
                st.plotly_chart(toy_view_figure(snap.view, layers, dataset.centres, loss=snap.knobs.loss), width="stretch",
                                key="pg_view_chart")
            if snap.structure.noise_dim > 2 and "manifold" in layers:
                st.caption("The manifold layer needs a noise dimension of 1 or 2.")
        with right:
            _numbers(snap, dataset, runner)

    @st.fragment(run_every=run_controls.poll_every(first, live, CHART_POLL_S, while_queued=False))
    def chart_panel() -> None:
        snap = runner.snapshot()
        dataset = runner.experiment.dataset
        window = WINDOWS.get(st.session_state.get("pg_window") or "All")
        c1, c2 = st.columns(2)
        c1.plotly_chart(loss_figure(snap.history, window), width="stretch", key="pg_loss_chart")
        c2.plotly_chart(d_outputs_figure(snap.history, window), width="stretch", key="pg_d_chart")
        c1, c2 = st.columns(2)
        modes_total = len(dataset.centres) if dataset.has_modes else None
        c1.plotly_chart(mode_coverage_figure(snap.evals, modes_total, window), width="stretch",
                        key="pg_modes_chart")
        c2.plotly_chart(gradient_norms_figure(snap.history, window), width="stretch", key="pg_grad_chart")

    # The layer picker sits outside the 2 Hz fragment: a widget re-sent every refresh costs the browser.
    st.pills("Layers", LAYERS, selection_mode="multi", default=list(LAYERS), format_func=LAYER_LABELS.get,
             key="pg_layers", label_visibility="collapsed")
    view_panel()
    _number_help()
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    c1.segmented_control("History shown", list(WINDOWS), default="All", key="pg_window")
    c2.toggle("Freeze live view", key="pg_freeze",
              help="Stop refreshing the view and charts (training continues), e.g. to zoom into a chart")
    chart_panel()
