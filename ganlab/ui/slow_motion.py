"""The playground's "Slow-motion step" panel: one real training iteration, replayed sub-step by
sub-step (GAN Lab's explain mode, on ganlab's own tensors).

Pressing the button runs one iteration on the trainer exactly as Step does (the run advances by
one step) and brings back its trace (ganlab.gan.step_trace); the panel then walks its
sub-steps (ganlab.gan.step_stages) one click at a time, or at a pace the user sets.

`SLOWMO_STAGE_KEY` in `st.session_state` names the sub-step on screen, a stage of
`ganlab.gan.step_stages.STAGES` ("d_score", "g_grad", ...), or is None when none is shown:
other panels (the model graph) may read it to light up the part of the model it is about.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import streamlit as st

from ganlab.gan.step_stages import STAGES, SubStep, substeps
from ganlab.gan.step_trace import SlowMotionUnavailable
from ganlab.training import CapacityError, OverBudgetError, RunState, TrainerStartError, TrainerUnavailable
from ganlab.ui import projector
from ganlab.ui.model_graph import toy_graph_html
from ganlab.ui.restart import drop_undo
from ganlab.viz.plots_step import substep_figures

SLOWMO_STAGE_KEY = "slowmo_stage"  # the stage (one of STAGES) of the sub-step on screen, or None
SLOWMO_PHASE_KEY = "slowmo_phase"  # and the D update it belongs to (0-based; None for G's update)
_TRACE = "slowmo_trace"  # (runner id, StepTrace)
_INDEX = "slowmo_index"
_AUTO = "slowmo_auto"
_LAST_TICK = "slowmo_last_tick"
_ERROR = "slowmo_error"
PACE_KEY = "slowmo_pace"
PACES = (0.5, 1.0, 1.5, 2.0, 3.0, 5.0)  # seconds per sub-step
DEFAULT_PACE = 2.0
UNAVAILABLE_RUNNING = ("Pause training to take a slow-motion step: it must start from a still run, so that what "
                       "you watch is exactly the next step (while training runs, hundreds pass each second).")
UNAVAILABLE_ERROR = "Training stopped with an error: press Reset (or Restart) first."

__all__ = ["SLOWMO_STAGE_KEY", "SLOWMO_PHASE_KEY", "STAGES", "panel"]


def _take_step(runner: Any, prefix: str) -> None:
    drop_undo(prefix)  # as a Step does: the user moves on with this run
    st.session_state.pop(_ERROR, None)
    try:
        trace = runner.step_traced()
    except (SlowMotionUnavailable, CapacityError, OverBudgetError) as exc:  # a still run, a free slot
        st.session_state[_ERROR] = str(exc)
        return
    except TrainerStartError as exc:
        st.session_state[_ERROR] = str(exc)
        return
    except (TimeoutError, TrainerUnavailable):
        st.session_state[_ERROR] = ("The trainer did not answer the slow-motion step in time; the status line "
                                    "says why. Try again in a moment.")
        return
    except Exception:  # the step itself failed: the page's status line shows the run's error
        st.session_state[_ERROR] = "The step failed: the message above the view says why."
        return
    st.session_state[_TRACE] = (runner.id, trace)
    st.session_state[_INDEX] = 0
    st.session_state[_AUTO] = False


def _move(by: int, count: int) -> None:
    st.session_state[_INDEX] = int(np.clip(st.session_state.get(_INDEX, 0) + by, 0, count - 1))
    st.session_state[_LAST_TICK] = time.monotonic()


def _toggle_auto(count: int) -> None:
    auto = not st.session_state.get(_AUTO, False)
    if auto and st.session_state.get(_INDEX, 0) >= count - 1:
        st.session_state[_INDEX] = 0  # from the end: play it again from the start
    st.session_state[_AUTO] = auto
    st.session_state[_LAST_TICK] = time.monotonic()


def _numbers_line(sub: SubStep) -> str:
    return " · ".join(f"{label} **{value}**" for label, value in sub.numbers)


def _show(trace: Any, steps: list[SubStep], index: int, centres: np.ndarray | None, runner: Any,
          view_range: tuple | None) -> None:
    sub = steps[index]
    st.session_state[SLOWMO_STAGE_KEY] = sub.stage
    st.session_state[SLOWMO_PHASE_KEY] = sub.phase
    st.progress((index + 1) / len(steps), text=f"Sub-step {index + 1} of {len(steps)}: {sub.title}")
    st.markdown(f"**{sub.title[0].upper() + sub.title[1:]}.** {sub.sentence}")
    if sub.numbers:
        st.markdown(_numbers_line(sub))
    figures = substep_figures(trace, sub, centres, view_range)
    # D's update: before and after side by side, what changed under them
    places = [*st.columns(2), st.container()] if len(figures) == 3 else [st.container()] * len(figures)
    for i, (place, fig) in enumerate(zip(places, figures, strict=False)):
        place.plotly_chart(fig, width="stretch", key=f"slowmo_figure_{i}")
    with st.expander("Where this is in the model", expanded=True, key="slowmo_graph_open"):
        # the model overview graph, lit for this sub-step (its numbers are the run's, after the step)
        st.markdown(toy_graph_html(runner.snapshot(with_history=False), runner, sub.stage), unsafe_allow_html=True)


def _player(runner: Any, centres: np.ndarray | None, view_range: tuple | None = None) -> None:
    """The walk through the sub-steps; a fragment, so Next and the auto-play ticks redraw only it."""
    held = st.session_state.get(_TRACE)
    if held is None or held[0] != runner.id:
        return
    trace = held[1]
    steps = substeps(trace)
    count = len(steps)
    index = min(st.session_state.get(_INDEX, 0), count - 1)
    if st.session_state.get(_AUTO):
        pace = float(st.session_state.get(PACE_KEY, DEFAULT_PACE))
        if time.monotonic() - st.session_state.get(_LAST_TICK, 0.0) >= 0.8 * pace:  # a tick, not a rerun
            index = min(index + 1, count - 1)
            st.session_state[_LAST_TICK] = time.monotonic()
        if index >= count - 1:
            st.session_state[_AUTO] = False
        st.session_state[_INDEX] = index
        if not st.session_state[_AUTO]:
            st.rerun(scope="app")  # the end: stop the ticking (and relabel the auto-play button)
    bar = st.container(horizontal=True, gap="small")
    bar.button("Previous", icon=":material/chevron_left:", key="slowmo_previous", disabled=index == 0,
               on_click=_move, args=(-1, count), width="content", shortcut=projector.shortcut("slowmo_previous"),
               help=projector.key_help("slowmo_previous", None))
    bar.button("Next", icon=":material/chevron_right:", key="slowmo_next", disabled=index >= count - 1,
               on_click=_move, args=(1, count), width="content", type="primary",
               shortcut=projector.shortcut("slowmo_next"), help=projector.key_help("slowmo_next", None))
    _show(trace, steps, index, centres, runner, view_range)


def panel(runner: Any, centres: np.ndarray | None, prefix: str = "pg_", view_range: tuple | None = None) -> None:
    """The "Slow-motion step" expander (under the live view); its pictures show `view_range`, the
    View range the user chose for the live view (None: the data's frame)."""
    held = st.session_state.get(_TRACE)
    if held is not None and (held[0] != runner.id  # another run now: the trace is not this one's
                             or runner.snapshot(with_history=False).step <= held[1].step_before):  # reset since
        for key in (_TRACE, _INDEX, _AUTO):
            st.session_state.pop(key, None)
        held = None
    if held is None:
        st.session_state[SLOWMO_STAGE_KEY] = st.session_state[SLOWMO_PHASE_KEY] = None
    state = runner.state
    blocked = (UNAVAILABLE_RUNNING if state in (RunState.RUNNING, RunState.QUEUED)
               else UNAVAILABLE_ERROR if state == RunState.ERROR else None)
    with st.expander("Slow-motion step", expanded=held is not None, icon=":material/slow_motion_video:"):
        st.caption("One training iteration taken apart: D's update (or several, with D steps per G step), then "
                   "G's, each sub-step drawn and explained. It is a real step: the run advances by one, exactly "
                   "as with Step.")
        bar = st.container(horizontal=True, gap="small", vertical_alignment="bottom")
        bar.button("Another slow-motion step" if held else "Take a slow-motion step", key="slowmo_start",
                   icon=":material/slow_motion_video:", on_click=_take_step, args=(runner, prefix),
                   disabled=blocked is not None, help=projector.key_help("slowmo_start", blocked), width="content",
                   shortcut=projector.shortcut("slowmo_start"))
        if held is not None:
            count = len(substeps(held[1]))
            auto = st.session_state.get(_AUTO, False)
            bar.button("Stop auto-play" if auto else "Auto-play", key="slowmo_auto_button",
                       icon=":material/pause:" if auto else ":material/play_arrow:",
                       on_click=_toggle_auto, args=(count,), width="content")
            bar.selectbox("Pace", PACES, index=PACES.index(DEFAULT_PACE), key=PACE_KEY, width=190,
                          format_func=lambda s: f"{s:g} s per sub-step", label_visibility="collapsed",
                          help="How long auto-play shows each sub-step")
        if blocked is not None:
            st.info(blocked)
        if _ERROR in st.session_state:
            st.error(st.session_state[_ERROR])
        if held is None:
            return
        trace = held[1]
        st.caption(f"Replaying the iteration from step {trace.step_before:,} to {trace.step_before + 1:,} "
                   "(already applied: the live view above shows its result).")
        auto = st.session_state.get(_AUTO, False)
        pace = float(st.session_state.get(PACE_KEY, DEFAULT_PACE))
        st.fragment(_player, run_every=pace if auto else None)(runner, centres, view_range)
