"""This session's training on the runs page: saving a live run of another page, resuming a
saved run (autosaving into it)."""

from __future__ import annotations

import streamlit as st

from ganlab.runs import RunFormatError, RunWriter, run_path
from ganlab.storage.paths import NAME_RULE, check_name
from ganlab.runs.resume import autosave_into, save_runner_as, saver_for
from ganlab.training.runner import Runner
from ganlab.training.trainers import make_runner
from ganlab.ui.runs_common import AUTOSAVE_S, _flash, open_saved_run, user_text
from ganlab.ui.nav import TRAINING_PAGE_LABELS
from ganlab.ui.session import RUNS, create_runner, session_runs

PAGE_KEY = RUNS
LIVE_PAGES = TRAINING_PAGE_LABELS  # page keys whose runners can be saved here
STATE_TRAINING = "rn_training"  # the run name this session's runs-page runner trains


# ------------------------------------------------------------------ this session's runners
def session_runner(key: str) -> Runner | None:
    """This session's runner for a page key (looked up, never claimed from the URL)."""
    return session_runs().get(key)


def _training_runner(name: str) -> Runner | None:
    runner = session_runner(PAGE_KEY)
    return runner if runner is not None and st.session_state.get(STATE_TRAINING) == name else None


def _detach_if_training(name: str) -> None:
    """Stop autosaving into `name` (before it is renamed or deleted)."""
    runner = _training_runner(name)
    if runner is not None:
        runner.pause()
        runner.set_saver(None)
        st.session_state.pop(STATE_TRAINING, None)


def quality_results(runner: Runner):
    """The Quality panel's results for `runner` so far (for `RunWriter(quality=...)`); read on
    the runner thread at every save, so the monitors table is looked up here, on the page's."""
    from ganlab.ui.quality import get_monitors

    monitors = get_monitors()

    def results():
        monitor = monitors.by_runner.get(runner.id)
        return monitor.history() if monitor is not None else ()

    return results


def resume_run(name: str) -> Runner | None:
    """Load run `name` into this session's runs-page runner (paused, autosaving into the run)."""
    opened = open_saved_run(name, "resume")
    if opened is None:
        return None
    path, experiment, state, config, keep = opened
    writer = RunWriter(path, experiment, extra=keep, status="paused", eval_every=config.get("eval_every"))
    holder: dict[str, Runner] = {}
    saver = saver_for(writer, holder)
    runner = session_runner(PAGE_KEY)
    if runner is None:
        runner = create_runner(PAGE_KEY, lambda slots: make_runner(
            experiment, state.knobs, slots=slots, saver=saver, save_every=AUTOSAVE_S,
            eval_every=int(config.get("eval_every") or 100)), url_key=None)
    else:
        runner.pause()
        runner.set_saver(saver, AUTOSAVE_S)
    holder["runner"] = runner
    runner.restore(experiment, state, notice=f"Resumed {name} at step {state.step:,}")
    st.session_state[STATE_TRAINING] = name
    return runner


def save_live_run(key: str, name: str, keep_saving: bool) -> bool:
    """Save this session's runner of page `key` as run `name`; with `keep_saving`, go on
    autosaving into it."""
    runner = session_runner(key)
    if runner is None:
        _flash("error", "That training run is gone (its page was closed or reset).")
        return False
    try:
        writer, state = save_runner_as(runner, run_path(name), LIVE_PAGES.get(key, key), quality_results(runner))
    except (RunFormatError, OSError, TimeoutError, ValueError) as exc:
        _flash("error", f"Cannot save: {user_text(exc)}")
        return False
    if keep_saving:
        autosave_into(runner, writer, AUTOSAVE_S)
    _flash("success", f"Saved run {name} at step {state.step:,}" + (" (autosaving every 10 s)." if keep_saving else "."))
    return True


# ------------------------------------------------------------------ sections
def save_live_section() -> None:
    live = {key: label for key, label in LIVE_PAGES.items() if session_runner(key) is not None}
    if not live:
        return
    with st.expander("Save this session's training as a run"):
        with st.form("rn_save_form", border=False):
            key = st.selectbox("Training of", list(live), format_func=live.get, key="rn_save_from")
            name = st.text_input("Run name", key="rn_save_name", help=NAME_RULE)
            keep = st.checkbox("Keep saving while it trains (every 10 s and on pause)", key="rn_save_keep")
            if st.form_submit_button("Save run"):
                try:
                    check_name(name)
                except RunFormatError as exc:
                    _flash("error", str(exc))
                else:
                    save_live_run(key, name, keep)
                st.rerun()

