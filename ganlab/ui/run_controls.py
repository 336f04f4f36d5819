"""The transport bar both training pages share: Play/Pause, Step, D step, G step, Reset,
and the one-off messages (flash) a callback leaves for the next run of the page."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ganlab.training import (
    CapacityError,
    OverBudgetError,
    RunState,
    Snapshot,
    Trainer,
    TrainerStartError,
    refresh_interval,
)
from ganlab.ui import projector
from ganlab.ui.restart import drop_undo, restart, restarted_notice
from ganlab.ui.session import get_registry


def play(runner: Trainer, prefix: str) -> None:
    """Play, or the reason it cannot (a full server, too big a batch) flashed under the buttons."""
    drop_undo(prefix)  # the user moves on with the new run
    try:
        runner.play()
    except (CapacityError, OverBudgetError, TrainerStartError) as err:  # full, too big, or no trainer started
        st.session_state[prefix + "flash_error"] = str(err)


def _step(runner: Trainer, prefix: str, which: str) -> None:
    """A Step takes a training slot like Play (the run is not playing: it holds none)."""
    drop_undo(prefix)
    try:
        runner.step(which)
    except (CapacityError, OverBudgetError, TrainerStartError) as err:
        st.session_state[prefix + "flash_error"] = str(err)



def _restart_worker(runner: Trainer, prefix: str) -> None:
    """Restart after the trainer died or hung: a new trainer from the last autosave (the hung one killed)."""
    try:
        what = runner.restart()
    except TrainerStartError as err:
        st.session_state[prefix + "flash_error"] = str(err)
        return
    if what is not None:
        st.session_state[prefix + "flash"] = f"{what} Press Play to go on."


REST_WATCH_S = 3.0  # a paused page with a trainer asks it this often whether it still lives


def watch_at_rest(runner: Trainer, prefix: str) -> None:
    """A paused page's only poll: when its trainer dies or stops answering meanwhile (the server
    notices in the background), the page is redrawn with the Restart offer without a click.
    Nothing polls while the run has no trainer (a fresh run) or the page refreshes anyway."""
    if not getattr(runner, "has_trainer", False) or runner.state not in (RunState.PAUSED, RunState.DIVERGED):
        return

    @st.fragment(run_every=REST_WATCH_S)
    def watch() -> None:
        if runner.alive and runner.state == RunState.ERROR:
            st.rerun(scope="app")

    watch()


def reset(runner: Trainer, prefix: str) -> None:
    """Fresh weights at step 0, same settings; the old run kept for an Undo."""
    restart(runner, prefix, None, restarted_notice("Reset"))


def control_bar(runner: Trainer, prefix: str, single_steps: bool = True) -> Any:
    """Buttons keyed `prefix + "play"`, ... ; flashes from `prefix + "flash"` (info) and
    `prefix + "flash_error"` (error) are shown once below them. Without `single_steps` the bar
    has no D step and G step buttons (a half-width column's bar). Returns the row of buttons."""
    state = runner.state
    running = state in (RunState.RUNNING, RunState.QUEUED)  # a run waiting in line is paused from here too
    failed = state == RunState.ERROR  # the nets are not to be trained on: only Reset helps
    after_error = "Training stopped with an error: press Reset (or Restart) first" if failed else None
    # One wrapping row of buttons at their natural width: in fixed columns the labels were cut
    # at laptop width ("Pa...", "D s...", "R" at 1024x768); here a button that does not fit moves
    # to a second row instead.
    bar = st.container(horizontal=True, gap="small", key=prefix + "transport")
    if running:
        bar.button("Pause", icon=":material/pause:", on_click=runner.pause, type="primary", width="content",
                   key=prefix + "pause", shortcut=projector.shortcut("play"),
                   help=projector.key_help("play", "Leave the line" if state == RunState.QUEUED else None))
    else:
        bar.button("Play", icon=":material/play_arrow:", on_click=play, args=(runner, prefix), type="primary",
                   width="content", key=prefix + "play", disabled=failed, shortcut=projector.shortcut("play"),
                   help=projector.key_help("play", after_error))
    bar.button("Step", on_click=_step, args=(runner, prefix, "both"), disabled=running or failed, width="content",
               key=prefix + "step", shortcut=projector.shortcut("step"),
               help=projector.key_help("step", after_error or "One D update (or D steps per G step) then one G update"))
    if single_steps:
        bar.button("D step", on_click=_step, args=(runner, prefix, "d"), disabled=running or failed, width="content",
                   key=prefix + "step_d", shortcut=projector.shortcut("step_d"),
                   help=projector.key_help("step_d", after_error or "One discriminator update only"))
        bar.button("G step", on_click=_step, args=(runner, prefix, "g"), disabled=running or failed, width="content",
                   key=prefix + "step_g", shortcut=projector.shortcut("step_g"),
                   help=projector.key_help("step_g", after_error or "One generator update only"))
    bar.button("Reset", icon=":material/restart_alt:", on_click=reset, args=(runner, prefix), width="content",
               key=prefix + "reset", help="Fresh weights, step 0, same settings (Undo brings the run back)")
    for key, show in ((prefix + "flash", st.info), (prefix + "flash_error", st.error)):
        if key in st.session_state:
            show(st.session_state.pop(key))
    return bar


def run_messages(runner: Trainer, snap: Snapshot, prefix: str) -> None:
    """Below the status line: why the run stopped (divergence, an error, a lost trainer with its
    Restart button), its place in the queue, or the notice of a fresh run."""
    if snap.state == RunState.RUNNING:
        slots = get_registry().slots
        st.caption(share_text(slots.in_use, slots.cores))
    elif snap.state == RunState.QUEUED:
        st.info(f"Waiting to train: {get_registry().slots.waiting_reason()}. Your run is number "
                f"{snap.queue_position or 1} in line and starts by itself when a run pauses or leaves "
                "(Pause leaves the line).", icon=":material/hourglass_top:")
    elif snap.state == RunState.DIVERGED:
        st.error(snap.message)
    elif snap.state == RunState.ERROR:
        st.error(snap.message)
        if snap.worker_lost and st.button(f"Restart from step {snap.restart_step or 0:,}", icon=":material/replay:",
                                          type="primary", key=prefix + "restart_worker",
                                          help="A new trainer (the old one stopped for good), going on from the "
                                               "run's last autosave"):
            _restart_worker(runner, prefix)
            st.rerun(scope="app")  # from inside the live fragment: the transport bar must be redrawn too
        elif snap.error_detail:
            with st.expander("Error details"):
                st.code(snap.error_detail, language="text")
    elif snap.message:  # e.g. a trainer that does not answer: the numbers shown are its last
        st.warning(snap.message, icon=":material/hourglass_disabled:")
    elif snap.notice and snap.step == 0:
        st.info(snap.notice)


def share_text(training: int, cores: int) -> str:
    """What share of the server a training run gets, `training` runs sharing `cores` cores (one
    torch thread each: a run never uses more than one core)."""
    training = max(1, training)
    of_cores = f"the server's {cores} core{'s' * (cores != 1)}"
    if training <= cores:
        runs = f"{training} run{'s' * (training != 1)} training"
        return f"This run trains at full speed: one of {of_cores} ({runs})."
    per_run = cores / training
    k = round(1 / per_run)
    share = f"1/{k}" if k >= 2 and abs(k * per_run - 1) <= 0.1 else f"{100 * per_run:.0f}%"
    return f"This run gets about {share} of a core: {training} runs share {of_cores}."


QUEUED_POLL_S = 2.0  # a page waiting in line only watches for its start: no 2 Hz redraws


def poll_every(first: Snapshot, live: bool, interval: float, *, while_queued: bool = True) -> float | None:
    """A live fragment's refresh interval: `interval` while training (slower when more runs train
    than the server has cores: ganlab.training.refresh_interval); slower (or, for panels that
    show nothing new, never: `while_queued=False`) while the run waits in line; None at rest."""
    if not live:
        return None
    if first.state == RunState.QUEUED:
        return QUEUED_POLL_S if while_queued else None
    slots = get_registry().slots
    return refresh_interval(interval, slots.in_use, slots.cores)


def left_the_queue(first: Snapshot, snap: Snapshot) -> bool:
    """The run waited in line when the page was drawn and does not now (it started, or was paused):
    the whole page must be redrawn (its buttons, and the fragments' faster refresh)."""
    return first.state == RunState.QUEUED and snap.state != RunState.QUEUED


def speed_text(snap: Snapshot, running_text: str) -> str:
    """The status line's middle part: `running_text` while training, else what the run is doing."""
    if snap.state == RunState.RUNNING:
        return running_text
    return "waiting in line" if snap.state == RunState.QUEUED else snap.state.value


def save_warning(runner: Trainer) -> None:
    """A warning while the runner's last autosave failed (e.g. a full disk); gone once one works."""
    if runner.save_error:
        st.warning(runner.save_error, icon=":material/save:")
