"""The 2D playground: wiring widgets to this session's runner, and the live view."""

from __future__ import annotations

import streamlit as st

from ganlab.data.drawn import DRAWN_DATA
from ganlab.data.toy import ToyDistribution, get_toy
from ganlab.formatting import format_number
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import Knobs, ToyStructure
from ganlab.settings.fields import VIEW_FIELDS, by_key
from ganlab.settings.urlstate import VIEW_KEYS, decode, decode_view, encode, encode_view
from ganlab.training import Snapshot, Trainer, make_runner
from ganlab.ui import (
    controls,
    lesson_link,
    model_graph,
    page_shape,
    projector,
    range_controls,
    run_controls,
    slow_motion,
    training_page,
)
from ganlab.ui.readout import d_numbers
from ganlab.ui.session import PLAYGROUND, create_runner
from ganlab.ui.training_page import APP_URL_KEYS, TrainingPage
from ganlab.viz.plots import (
    LAYER_LABELS,
    LAYERS,
    gradient_norms_figure,
    mode_coverage_figure,
    toy_view_figure,
)
from ganlab.viz.raster import jpeg_bytes, render_toy_view

PAGE_KEY = PLAYGROUND
VIEW_POLL_S = 0.45  # the view refreshes >= 2 times/s (bench_live_view.py measures it)
VIEW_PIXELS = 480  # the live view's plot square
# Drawn without supersampling while it changes 2+ times a second: the server's drawing
# shares the GIL with the training thread (render 7 ms against 18.5 ms at 2x).
LIVE_SUPERSAMPLE = 1
CHART_POLL_S = 3.0  # one chart refresh costs the browser ~100 ms of CPU each (bench_live_view.py)


STRUCTURE_LABELS = {"data": "data", "noise_dim": "noise dimension", "noise": "noise", "generator": "generator",
                    "discriminator": "discriminator", "seed": "seed", "drawing": "drawing", "pack": "packing"}


def packed_surface_caption(pack: int) -> str:
    """What the surface of a packed D (PacGAN) shows: D scores packs, not points."""
    return (f"D judges packs of {pack} samples: its surface is D's score of each point packed with "
            f"{pack - 1} cop{'y' if pack == 2 else 'ies'} of itself.")


def _what_changed(old: ToyStructure, new: ToyStructure) -> str:
    changed = [label for field, label in STRUCTURE_LABELS.items() if getattr(old, field) != getattr(new, field)]
    return ", ".join(changed) if changed else "data set"


def _new_runner(chosen: tuple | None) -> Trainer:
    # Unusable settings (e.g. a link naming CSV data not uploaded here) start on the defaults.
    structure, knobs, dataset = chosen or (ToyStructure(), Knobs(), get_toy(ToyStructure().data))
    return create_runner(PAGE_KEY, lambda slots: make_runner(ToyExperiment(structure, dataset), knobs, slots=slots))


PAGE = TrainingPage(
    key=PAGE_KEY, prefix="pg_", sidebar=controls.sidebar, set_widgets=controls.set_widgets,
    from_url=lambda params: decode(params, ignore=APP_URL_KEYS | set(VIEW_KEYS)), encode=encode, new_runner=_new_runner,
    build=ToyExperiment, what_changed=_what_changed,
    kept_data=lambda: st.session_state.get(controls.CSV_POINTS_KEY, (None, None))[1],
    speed=lambda snap: f"{snap.steps_per_sec:,.0f} steps/s",
    # a drawing is in the structure: its data changes with it, not with the dataset object
    data_restarts=lambda structure: structure.data != DRAWN_DATA,
)


def connect() -> Trainer:
    """Attach this session to its runner and keep the runner in step with the widgets."""
    return training_page.connect(PAGE)


def control_bar(runner: Trainer) -> None:
    training_page.control_bar(PAGE, runner)


NUMBER_HELP = {
    "Modes covered": "modes with at least one sample within 3 sd of the centre (PacGAN/VEEGAN)",
    "High-quality samples": "share of the 2,500 samples within 3 sd of their nearest mode",
    "Mode KL": "KL(nearest-mode histogram ‖ true mode weights), nats",
    "KL(real ‖ fake)": "on 24×24 histograms with an overflow bin, nats",
    "JS(real, fake)": "between 0 and ln 2 ≈ 0.693",
    "D(x) / D(G(z))": "mean score on real and on fake in the last D step (after a lone G step: D(x) of the "
                      "last D step, D(G(z)) of the batch G's loss scored)",
    "Wasserstein estimate": "E[D(x)] − E[D(G(z))]",
    "Cycle error": "CycleGAN: mean distance of F(G(a)) to a over 2,500 points of domain A, as a share of A's "
                   "spread (root-mean-square distance to its mean); 0 % is a perfect round trip",
    "Code purity": "InfoGAN: 200 samples per value of the categorical code, each given its nearest mode; the share "
                   "that lands on the mode matched to its code (the best one-to-one matching). A G that ignores its "
                   "code scores about 1 / modes",
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
        if "code_purity" in ev:  # InfoGAN: each categorical value on one mode?
            rows.append(("Code purity", format_number(100 * ev["code_purity"], ".1f") + " %"))
    rows.append(("KL(real ‖ fake)", format_number(ev.get("kl_hist"))))
    rows.append(("JS(real, fake)", format_number(ev.get("js_hist"))))
    if "cycle_error" in ev:  # CycleGAN: does the round trip A -> B -> A come home?
        rows.append(("Cycle error", format_number(100 * ev["cycle_error"], ".1f") + " %"))
    rows.append(("D(x) / D(G(z))", f"{format_number(last.get('d_real'), '.2f')} / {format_number(last.get('d_fake'), '.2f')}"))
    if "wasserstein" in last:
        rows.append(("Wasserstein estimate", format_number(last["wasserstein"])))
    return rows


def _numbers(snap: Snapshot, dataset: ToyDistribution, runner: Trainer) -> None:
    # One markdown element, not one st.metric per number: each element is a React
    # render in the browser, 2+ times a second (bench_live_view.py measures the cost).
    lines = [f"<small>{label}</small><br>**{value}**" for label, value in number_rows(snap, dataset, d_numbers(snap, runner))]
    st.markdown("\n\n".join(lines), unsafe_allow_html=True)


PRESENT_NUMBERS = ("Modes covered", "High-quality samples", "D(x) / D(G(z))", "Wasserstein estimate",
                   "KL(real ‖ fake)", "JS(real, fake)")  # projector mode's, at most four of them, in this order


def _present_side(snap: Snapshot, dataset: ToyDistribution, runner: Trainer, graph: bool) -> None:
    """Projector mode, beside the view: the key numbers in large type, the model graph under them
    (unless the lesson link hides it)."""
    rows = dict(number_rows(snap, dataset, d_numbers(snap, runner)))
    chosen = [(label, rows[label]) for label in PRESENT_NUMBERS if label in rows][:4]
    st.markdown(projector.numbers_html(chosen), unsafe_allow_html=True)
    if graph:
        st.markdown(model_graph.toy_graph_html(snap, runner), unsafe_allow_html=True)


def _number_help() -> None:
    with st.expander("What the numbers mean"):
        st.markdown("\n".join(f"- **{label}**: {text}" for label, text in NUMBER_HELP.items()))


LAYERS_KEY = "pg_layers"  # the pills widget
CHOSEN_LAYERS_KEY = "pg_layers_chosen"  # the layers shown: the one source the view and the link read
LAYERS_FIELD = by_key(VIEW_FIELDS)["layers"]


def _layers_from_link() -> None:
    """The first time the page draws: the view layers the link names (all by default)."""
    if CHOSEN_LAYERS_KEY not in st.session_state:
        values, problems = decode_view(st.query_params.to_dict(), (LAYERS_FIELD,))
        for problem in problems:
            st.warning(problem[0].upper() + problem[1:])
        st.session_state[CHOSEN_LAYERS_KEY] = list(values["layers"])


def _keep_layers() -> None:
    st.session_state[CHOSEN_LAYERS_KEY] = list(st.session_state.get(LAYERS_KEY) or ())


def _layer_picker() -> None:
    """The layer pills, and the link in step with them (a default choice leaves the link).

    The pills get the choice as their `default`, not through session state: the browser lost a
    value set that way when the pills were redrawn under a changed page (a message appearing
    above them) and sent back an empty choice, which hid every layer and wrote `layers=none`
    into the link. A pills widget's identity is its key, so a new default does not reset it."""
    # Outside the 2 Hz fragment: a widget re-sent every refresh costs the browser.
    shape = page_shape.current(PAGE.prefix)  # a link's hide= / lock= (layers, or the view_layers panel)
    if not shape.hides(LAYERS_FIELD.key):
        st.pills("Layers", LAYERS, selection_mode="multi", format_func=LAYER_LABELS.get, key=LAYERS_KEY,
                 default=st.session_state[CHOSEN_LAYERS_KEY], on_change=_keep_layers, label_visibility="collapsed",
                 disabled=shape.locks(LAYERS_FIELD.key))
    shown = encode_view({"layers": st.session_state[CHOSEN_LAYERS_KEY]})
    if LAYERS_FIELD.key in shown:
        st.query_params[LAYERS_FIELD.key] = shown[LAYERS_FIELD.key]
    elif LAYERS_FIELD.key in st.query_params:
        del st.query_params[LAYERS_FIELD.key]


def live_view(runner: Trainer) -> None:
    """Two fragments: status, 2D view and numbers at 2 Hz; history charts every 2 s. Both poll
    only while training runs or the runner has work queued: a settled, paused run costs nothing.
    The view and its numbers come right under the transport bar, so both fit the first screen at
    1024x768; the model graph follows in its expander."""
    _layers_from_link()
    view_range = range_controls.chosen(runner.experiment.dataset.bounds)  # the View range buttons' choice
    first, live = training_page.first_look(PAGE, runner, view_range)
    present = projector.on()  # the numbers and the model graph beside the view, in the view's fragment
    shows = page_shape.current(PAGE.prefix).shows_panel  # the panels a lesson link hides

    @st.fragment(run_every=run_controls.poll_every(first, live, VIEW_POLL_S))
    def view_panel() -> None:
        dataset = runner.experiment.target  # what G should match (CycleGAN: domain B)
        range_controls.follow(view_range, dataset.bounds)
        snap = training_page.view_snapshot(PAGE, runner, first, live, with_history=False, view_range=view_range)
        layers = st.session_state[CHOSEN_LAYERS_KEY]
        left, right = st.columns([1, 1] if present else [3, 1])
        with left:
            if snap.view is not None and live:
                # a picture while it changes (cheap for the browser); a plotly figure at rest (hover, zoom)
                image = render_toy_view(snap.view, layers, dataset.centres, plot_size=VIEW_PIXELS,
                                        supersample=LIVE_SUPERSAMPLE, loss=snap.knobs.loss)
                st.image(jpeg_bytes(image),
                         caption="Live picture: zoom and pan with View range; hover comes back when training stops.")
            elif snap.view is not None:
                range_controls.paused_chart(toy_view_figure(snap.view, layers, dataset.centres, height=VIEW_PIXELS,
                                                            loss=snap.knobs.loss),
                                            dataset.bounds)
            if snap.structure.noise_dim > 2 and "manifold" in layers:
                st.caption("The manifold layer needs a noise dimension of 1 or 2.")
            if snap.structure.pack > 1 and "surface" in layers:
                st.caption(packed_surface_caption(snap.structure.pack))
        with right:
            if present:
                _present_side(snap, dataset, runner, shows("model_graph"))
            else:
                _numbers(snap, dataset, runner)

    @st.fragment(run_every=run_controls.poll_every(first, live, CHART_POLL_S, while_queued=False))
    def chart_panel() -> None:
        snap = runner.snapshot()
        dataset = runner.experiment.target
        window = training_page.window(PAGE)
        training_page.loss_charts(PAGE, snap)
        c1, c2 = st.columns(2)
        modes_total = len(dataset.centres) if dataset.has_modes else None
        c1.plotly_chart(mode_coverage_figure(snap.evals, modes_total, window), width="stretch",
                        key="pg_modes_chart")
        c2.plotly_chart(gradient_norms_figure(snap.history, window), width="stretch", key="pg_grad_chart")

    view_panel()
    _layer_picker()
    if shows("view_range"):
        range_controls.controls(runner.experiment.dataset.bounds)
    if shows("model_graph") and not present:  # in projector mode it is beside the view
        model_graph.graph_panel(PAGE.prefix, runner, first, live, model_graph.toy_graph_html)
    if shows("slow_motion"):
        slow_motion.panel(runner, runner.experiment.target.centres, PAGE.prefix,
                          range_controls.chosen(runner.experiment.dataset.bounds))
    _number_help()
    if shows("charts"):
        training_page.history_controls(
            PAGE, "Stop refreshing the view and charts (training continues), e.g. to zoom into a chart")
        chart_panel()
    lesson_link.panel(PAGE.prefix)
