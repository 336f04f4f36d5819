"""The scaffold both training pages share: connect this session's runner to the sidebar (claim
or create it, put its settings into the widgets, follow the widgets, keep the link in step), the
transport bar, the status line and the live fragments' polling. A page is a `TrainingPage` of
hooks for what differs: its sidebar, its URL settings, its experiment and what it draws."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st

from ganlab.kinds import kind_of
from ganlab.settings.lessons import LESSON_KEY, STEP_KEY
from ganlab.settings.shaping import HIDE, LOCK
from ganlab.training import OverBudgetError, RunState, Snapshot, Trainer
from ganlab.ui import page_shape, restart, run_controls
from ganlab.ui.readout import step_label
from ganlab.ui.session import URL_TOKENS, claim_runner
from ganlab.viz.plots import d_outputs_figure, loss_figure

RUN_URL_KEYS = {"run", *URL_TOKENS.values()}  # the session's runs: never in a link made for others
# the app's own URL keys beside the settings: what the link hides and locks, the open lesson step
APP_URL_KEYS = RUN_URL_KEYS | {HIDE, LOCK, LESSON_KEY, STEP_KEY}
SETTLE_WAIT_S = 3.0
STATUS_LINE = "status_line"  # the status line's container key, after the page's prefix
WINDOWS = {"All": None, "Last 1,000": 1_000, "Last 10,000": 10_000}


@dataclass(frozen=True)
class TrainingPage:
    key: str  # the page key of the session's runner (ui.session)
    prefix: str  # of the page's session-state and widget keys, e.g. "pg_"
    sidebar: Callable[[], tuple | None]  # (structure, knobs, dataset), or None for unusable settings
    set_widgets: Callable[[Any, Any], None]
    from_url: Callable[[dict], tuple[Any, Any, list[str]]]  # (structure, knobs, problems) of the link
    encode: Callable[[Any, Any], dict[str, str]]  # the link of (structure, knobs)
    new_runner: Callable[[tuple | None], Trainer]  # a runner for the sidebar's choice (None: defaults)
    build: Callable[[Any, Any], Any]  # the experiment of (structure, dataset)
    what_changed: Callable[[Any, Any], str]  # the structure change, in words
    kept_data: Callable[[], Any]  # the sidebar's dataset object a "Keep the current run" keeps
    speed: Callable[[Snapshot], str]  # the status line's speed while training
    status_tail: Callable[[Snapshot], str] = lambda snap: ""
    data_restarts: Callable[[Any], bool] = lambda structure: True  # a new dataset object restarts the run
    status_details: bool = True  # the status line's time trained and update counts (a half-width column has no room)


def _claim(page: TrainingPage) -> Trainer | None:
    runner = claim_runner(page.key)
    # a token naming another page's run (another kind of GAN) is not adopted
    return runner if runner is not None and kind_of(runner.experiment).page_key == page.key else None


def _initial_widgets(page: TrainingPage, runner: Trainer | None) -> None:
    if runner is not None:  # a refreshed page: show what the running training really uses
        snap = runner.snapshot()
        page.set_widgets(snap.structure, snap.knobs)
        return
    structure, knobs, problems = page.from_url(st.query_params.to_dict())
    _warn(problems)
    page.set_widgets(structure, knobs)


def _warn(problems: list[str]) -> None:
    for problem in problems:
        st.warning(problem[0].upper() + problem[1:])


def connect(page: TrainingPage) -> Trainer:
    """Attach this session to its runner of `page` and keep the runner in step with the widgets."""
    runner = _claim(page)
    if page.prefix + "initialized" not in st.session_state:
        st.session_state[page.prefix + "initialized"] = True
        _initial_widgets(page, runner)
    _warn(page_shape.establish(page.prefix))  # hide= and lock=: after the link's values, before the widgets
    chosen = page.sidebar()
    if runner is None:
        runner = page.new_runner(chosen)
    if chosen is not None:
        pending = _sync(page, runner, *chosen)
        shown = (runner.experiment.structure, chosen[1]) if pending else chosen[:2]
        st.query_params.update(page.encode(*shown))  # the link tells what trains, not a change still waiting
    return runner


def _keep_current_run(page: TrainingPage, runner: Trainer) -> None:
    snap = runner.snapshot()
    page.set_widgets(snap.structure, snap.knobs)
    kept = page.kept_data()
    st.session_state[page.prefix + "kept_dataset"] = None if kept is None else id(kept)


def _sync(page: TrainingPage, runner: Trainer, structure: Any, knobs: Any, dataset: Any) -> bool:
    """Bring the runner in line with the widgets; True while a structure change waits for the
    user's confirmation (the run keeps its structure and steps meanwhile)."""
    experiment = runner.experiment
    # A dataset object the run does not train on restarts it, unless the user kept the run on it.
    new_data = (page.data_restarts(structure) and experiment.dataset is not dataset
                and st.session_state.get(page.prefix + "kept_dataset") != id(dataset))
    pending = restart.follow_structure(
        runner, page.prefix, experiment.structure != structure or new_data,
        lambda: page.what_changed(experiment.structure, structure),
        lambda: page.build(structure, dataset), keep=lambda: _keep_current_run(page, runner))
    if runner.snapshot().knobs != knobs:
        try:
            runner.set_knobs(knobs)
        except OverBudgetError as err:  # a larger batch for a playing run: it paused, and says why
            st.session_state[page.prefix + "flash_error"] = str(err)
    return pending


def control_bar(page: TrainingPage, runner: Trainer) -> None:
    run_controls.control_bar(runner, page.prefix)
    restart.undo_offer(runner, page.prefix, page.set_widgets)
    run_controls.watch_at_rest(runner, page.prefix)


def status(page: TrainingPage, runner: Trainer, snap: Snapshot) -> None:
    speed = run_controls.speed_text(snap, page.speed(snap))
    # keyed for the page style's room under it (ganlab.ui.nav): the view's fullscreen button hovered over it
    details = f" · {snap.train_seconds:,.1f} s trained · {snap.d_updates:,} D / {snap.g_updates:,} G updates"
    st.container(key=page.prefix + STATUS_LINE).markdown(
        f"{step_label(snap)} · {speed}{details if page.status_details else ''}{page.status_tail(snap)}")
    run_controls.run_messages(runner, snap, page.prefix)


def first_look(page: TrainingPage, runner: Trainer, view_range: tuple | None = None) -> tuple[Snapshot, bool]:
    """(the snapshot the page is drawn from, whether its fragments poll). At rest it waits (up to
    SETTLE_WAIT_S, usually far less) for queued work: a page that starts polling only to rerun at
    once would wipe the message a button just left."""
    frozen = st.session_state.get(page.prefix + "freeze", False)
    first = runner.snapshot(want_view=True, wait_for_view=0.5 if runner.state == RunState.RUNNING else SETTLE_WAIT_S,
                            view_range=view_range)
    return first, (first.state == RunState.RUNNING or not first.settled) and not frozen


def view_snapshot(page: TrainingPage, runner: Trainer, first: Snapshot, live: bool, *, with_history: bool = True,
                  view_range: tuple | None = None) -> Snapshot:
    """Inside the view fragment: the latest snapshot with a view (over `view_range`, see
    Trainer.snapshot); redraws the whole page when the run stopped or left the line, then shows
    the status line and any save warning."""
    snap = runner.snapshot(want_view=True, wait_for_view=0.5, with_history=with_history, view_range=view_range)
    if (live and snap.state != RunState.RUNNING and snap.settled) or run_controls.left_the_queue(first, snap):
        st.rerun(scope="app")  # paused, diverged, failed or out of the line: redraw the buttons
    status(page, runner, snap)
    run_controls.save_warning(runner)
    return snap


def window(page: TrainingPage) -> int | None:
    """How many of the latest steps the history charts show (None: all)."""
    return WINDOWS.get(st.session_state.get(page.prefix + "window") or "All")


def loss_charts(page: TrainingPage, snap: Snapshot) -> None:
    c1, c2 = st.columns(2)
    c1.plotly_chart(loss_figure(snap.history, window(page)), width="stretch", key=page.prefix + "loss_chart")
    c2.plotly_chart(d_outputs_figure(snap.history, window(page)), width="stretch", key=page.prefix + "d_chart")


def history_controls(page: TrainingPage, freeze_help: str) -> None:
    # one wrapping row at the widgets' own widths: in a quarter column "Freeze liv…" was cut at 1024 px
    row = st.container(horizontal=True, vertical_alignment="center", gap="medium")
    row.segmented_control("History shown", list(WINDOWS), default="All", key=page.prefix + "window")
    row.toggle("Freeze live view", key=page.prefix + "freeze", help=freeze_help)
