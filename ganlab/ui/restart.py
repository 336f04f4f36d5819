"""Restarting a run without throwing it away unasked, for both training pages.

- A structure change while the run has steps waits for a choice: "Restart with these
  settings" or "Keep the current run" (which puts the widgets back). Nothing is lost
  until the user confirms.
- "Apply and restart" on a preset restarts at once (the button says so).
- Every restart of a run with steps keeps the old run one click away: "Undo: back to the
  run at step N", offered until the new run trains.

Session keys (`prefix` is "pg_" or "im_"): prefix+"force_restart" (the reason, set by a
preset's button), prefix+"confirm_restart" (set by the pending banner's button) and
prefix+"undo" (an `Undo`).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import streamlit as st

from ganlab.gan.timeline import offer_frames
from ganlab.settings.fields import Field, get
from ganlab.training import Trainer

log = logging.getLogger(__name__)
FORCE, CONFIRM, UNDO = "force_restart", "confirm_restart", "undo"
APPLY_AND_RESTART, APPLY_AND_KEEP = "Apply and restart", "Apply, keep training"  # the preset buttons


@dataclass(frozen=True)
class Undo:
    runner_id: str
    experiment: Any  # the old run's experiment (an image run's keeps its timeline frames)
    state: Any  # its TrainingState
    frames: tuple = ()


def restarted_notice(why: str) -> str:
    """What a restart leaves on the page: the true state (reset pauses the run)."""
    return f"{why}: restarted from step 0 with fresh weights. Paused: press Play to train."


def changed_settings(fields: Iterable[Field], old: Any, new: Any, fallback: str) -> str:
    """The structure settings that differ between two structures, named as the field table
    (ganlab.settings.fields) names them ("generator width, seed"), for the pending banner and the
    restart notice; `fallback` when none differs (e.g. new uploaded data under the same name)."""
    old_tree, new_tree = {"structure": old.to_dict()}, {"structure": new.to_dict()}
    names = [f.noun for f in fields if not f.live and get(old_tree, f.path) != get(new_tree, f.path)]
    return ", ".join(names) or fallback


def request_restart(prefix: str, why: str) -> None:
    """From a callback: the next sync restarts the run even if its structure is unchanged."""
    st.session_state[prefix + FORCE] = why


def restart(runner: Trainer, prefix: str, experiment: Any, notice: str) -> None:
    """Fresh weights for `experiment`, keeping the old run for an undo when it had steps."""
    snap = runner.snapshot()
    if snap.step > 0:
        state = _state_to_keep(runner)
        if state is None:  # the restart still happens; the page says there is no undo
            st.session_state.pop(prefix + UNDO, None)
        else:
            old = runner.experiment
            frames = tuple(runner.timeline_frames())
            st.session_state[prefix + UNDO] = Undo(runner.id, old, state, frames)
    runner.reset(experiment, notice=notice)
    runner.wait_idle(timeout=30)  # the page's next run must see the new structure


def _state_to_keep(runner: Trainer) -> Any:
    """The run as it is now; when its trainer died or hung, the last autosave the server kept (the
    Undo then goes back to that step); None when there is neither."""
    if getattr(runner, "hung", False) or not getattr(runner, "has_trainer", True):  # (a thread runner has neither)
        return runner.restart_point
    try:
        return runner.export_state(timeout=30)
    except Exception:
        log.exception("could not keep the old run for an undo")
        return getattr(runner, "restart_point", None)


def drop_undo(prefix: str) -> None:
    """The new run trains: the old one is no longer offered (and its memory is freed)."""
    st.session_state.pop(prefix + UNDO, None)


def _undo(runner: Trainer, prefix: str, set_widgets: Callable[[Any, Any], None]) -> None:
    undo: Undo | None = st.session_state.pop(prefix + UNDO, None)
    if undo is None or undo.runner_id != runner.id:
        return
    if runner.snapshot().step > 0:
        st.session_state[prefix + "flash_error"] = "The new run has trained since the restart; undo is no longer offered."
        return
    step = undo.state.counters["step"]
    runner.restore(undo.experiment, undo.state,
                   notice=f"Back to the run at step {step:,}. Paused: press Play to continue.")
    if undo.frames:
        runner.call_on_thread(functools.partial(offer_frames, undo.frames), 30, "restoring the timeline")
    runner.wait_idle(timeout=30)
    set_widgets(undo.state.structure, undo.state.knobs)
    st.session_state[prefix + "flash"] = f"Back to the run at step {step:,} with its settings. Press Play to continue."


def undo_offer(runner: Trainer, prefix: str, set_widgets: Callable[[Any, Any], None]) -> None:
    """The "Undo" button while the run is fresh after a restart."""
    undo: Undo | None = st.session_state.get(prefix + UNDO)
    if undo is None or undo.runner_id != runner.id:
        return
    if runner.snapshot().step > 0:
        drop_undo(prefix)
        return
    step = undo.state.counters["step"]
    st.button(f"Undo: back to the run at step {step:,}", key=prefix + "undo_restart", icon=":material/undo:",
              on_click=_undo, args=(runner, prefix, set_widgets),
              help="Bring back the weights, history and settings the run had before this restart")


def preset_section(prefix: str, presets: Any, on_apply, restart_help: str) -> Any:
    """The sidebar's Preset section (both pages): the recipe, what it shows, and its buttons.
    Returns an empty slot under the description, for what the page says about the recipe."""
    st.subheader("Preset")
    st.selectbox("Recipe", list(presets), key=prefix + "preset", format_func=lambda n: presets[n].label,
                 label_visibility="collapsed")
    st.caption(presets[st.session_state[prefix + "preset"]].description)
    slot = st.empty()
    preset_buttons(prefix, on_apply, restart_help)
    return slot


def preset_buttons(prefix: str, on_apply, restart_help: str) -> None:
    """The primary "Apply and restart" and the secondary "Apply, keep training" (both pages)."""
    st.button(APPLY_AND_RESTART, on_click=on_apply, args=(False,), key=prefix + "apply_preset", width="stretch",
              type="primary", icon=":material/restart_alt:", help=restart_help)
    st.button(APPLY_AND_KEEP, on_click=on_apply, args=(True,), key=prefix + "apply_preset_keep",
              width="stretch", help="Change the settings of the current run instead, keeping its weights and "
                                    "steps (a structure change still asks before it restarts)")


def _confirm(prefix: str) -> None:
    st.session_state[prefix + CONFIRM] = True


def take_restart_request(prefix: str) -> tuple[bool, str | None]:
    """(confirmed, forced reason) for this sync, consumed: a restart is asked for once."""
    return bool(st.session_state.pop(prefix + CONFIRM, False)), st.session_state.pop(prefix + FORCE, None)


def pending_banner(runner: Trainer, prefix: str, what: str, keep: Callable[[], None]) -> None:
    """A structure change waits: the run goes on with its old structure until the user chooses."""
    step = runner.snapshot().step
    with st.container(border=True):
        st.warning(f"You changed the structure ({what}). Restarting starts from fresh weights and puts the run "
                   f"at step {step:,} aside (one click brings it back until the new run trains). "
                   "Until you choose, training goes on with the current structure.",
                   icon=":material/warning:")
        c1, c2 = st.columns(2)
        c1.button("Restart with these settings", key=prefix + "confirm_restart_button", type="primary",
                  on_click=_confirm, args=(prefix,), width="stretch")
        c2.button("Keep the current run", key=prefix + "keep_run", on_click=keep, width="stretch",
                  help="Put the structure widgets back to the run's settings")


def follow_structure(runner: Trainer, prefix: str, changed: bool, what_changed: Callable[[], str],
                     build: Callable[[], Any], keep: Callable[[], None]) -> bool:
    """Restart `runner` on `build()` when the widgets' structure `changed` and the run has no
    steps yet, or the user confirmed (or a restart was requested); otherwise show the pending
    banner. True while a change waits for the user's answer (the run keeps its structure)."""
    confirmed, forced = take_restart_request(prefix)
    if not (forced or changed):
        return False
    if forced or confirmed or runner.snapshot().step == 0:
        why = forced or f"Structure changed ({what_changed()})"
        st.session_state.pop(prefix + "kept_dataset", None)
        restart(runner, prefix, build(), restarted_notice(why))
        return False
    pending_banner(runner, prefix, what_changed(), keep=keep)
    return True


RECIPE_DIFFERS = ("Your settings differ from this recipe (changed since it was applied, or opened from a link "
                  "or a saved run): press *Apply and restart* to train it as described.")


def recipe_note(slot, matches: bool) -> None:
    """Say under the recipe box when the settings in force are not that recipe's, so a preset's
    name never vouches for a run it does not describe."""
    if not matches:
        slot.caption(f":orange[{RECIPE_DIFFERS}]")
