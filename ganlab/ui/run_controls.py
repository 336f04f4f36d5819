"""The transport bar both training pages share: Play/Pause, Step, D step, G step, Reset,
and the one-off messages (flash) a callback leaves for the next run of the page."""

from __future__ import annotations

import streamlit as st

from ganlab.training.runner import Runner, RunState
from ganlab.training.slots import CapacityError
from ganlab.ui.restart import drop_undo


def _play(runner: Runner, prefix: str) -> None:
    drop_undo(prefix)  # the user moves on with the new run
    try:
        runner.play()
    except CapacityError as err:
        st.session_state[prefix + "flash_error"] = str(err)


def _step(runner: Runner, prefix: str, which: str) -> None:
    drop_undo(prefix)
    runner.step(which)


def control_bar(runner: Runner, prefix: str) -> None:
    """Buttons keyed `prefix + "play"`, ... ; flashes from `prefix + "flash"` (info) and
    `prefix + "flash_error"` (error) are shown once below them."""
    running = runner.state == RunState.RUNNING
    cols = st.columns([1.3, 1, 1, 1, 1, 2.5])
    if running:
        cols[0].button("Pause", icon=":material/pause:", on_click=runner.pause, type="primary", width="stretch",
                       key=prefix + "pause")
    else:
        cols[0].button("Play", icon=":material/play_arrow:", on_click=_play, args=(runner, prefix), type="primary",
                       width="stretch", key=prefix + "play")
    cols[1].button("Step", on_click=_step, args=(runner, prefix, "both"), disabled=running, width="stretch",
                   key=prefix + "step", help="One D update (or D steps per G step) then one G update")
    cols[2].button("D step", on_click=_step, args=(runner, prefix, "d"), disabled=running, width="stretch",
                   key=prefix + "step_d", help="One discriminator update only")
    cols[3].button("G step", on_click=_step, args=(runner, prefix, "g"), disabled=running, width="stretch",
                   key=prefix + "step_g", help="One generator update only")
    cols[4].button("Reset", icon=":material/restart_alt:", on_click=runner.reset, width="stretch",
                   key=prefix + "reset", help="Fresh weights, step 0, same settings")
    for key, show in ((prefix + "flash", st.info), (prefix + "flash_error", st.error)):
        if key in st.session_state:
            show(st.session_state.pop(key))
