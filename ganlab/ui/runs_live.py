"""This session's training on the runs page: saving a live run of another page, resuming a
saved run (autosaving into it)."""

from __future__ import annotations

import streamlit as st

from ganlab.runs import RunFormatError, RunWriter, run_path
from ganlab.storage.lease import RunBusy, take
from ganlab.storage.paths import NAME_RULE, check_name
from ganlab.training import RunSaver, Trainer, autosave_into, make_runner, save_runner_as
from ganlab.ui.nav import TRAINING_PAGE_LABELS
from ganlab.ui.runs_common import AUTOSAVE_S, COPY_OFFER, flash, open_saved_run, user_text
from ganlab.ui.session import RUNS, create_runner, session_runs

PAGE_KEY = RUNS
LIVE_PAGES = TRAINING_PAGE_LABELS  # page keys whose runners can be saved here
STATE_TRAINING = "rn_training"  # the run name this session's runs-page runner trains


# ------------------------------------------------------------------ this session's runners
def session_runner(key: str) -> Trainer | None:
    """This session's runner for a page key (looked up, never claimed from the URL)."""
    return session_runs().get(key)


def training_runner(name: str) -> Trainer | None:
    runner = session_runner(PAGE_KEY)
    return runner if runner is not None and st.session_state.get(STATE_TRAINING) == name else None


def detach_if_training(name: str) -> None:
    """Stop autosaving into `name` (before it is renamed or deleted)."""
    runner = training_runner(name)
    if runner is not None:
        runner.pause()
        runner.set_saver(None)
        st.session_state.pop(STATE_TRAINING, None)


def quality_results(runner: Trainer):
    """The Quality panel's results for `runner` so far (for `RunWriter(quality=...)`); read on
    the runner thread at every save, so the monitors table is looked up here, on the page's."""
    from ganlab.ui.quality import get_monitors

    monitors = get_monitors()

    def results():
        monitor = monitors.by_runner.get(runner.id)
        return monitor.history() if monitor is not None else ()

    return results


def session_who(page: str) -> str:
    """How a lease names this session to another participant (ganlab.storage.lease)."""
    return f"a browser session on the {page} page"


def resume_run(name: str) -> Trainer | None:
    """Load run `name` into this session's runs-page runner (paused, autosaving into the run,
    whose lease it takes: one writer at a time)."""

    opened = open_saved_run(name, "resume")
    if opened is None:
        return None
    path, experiment, state, config, keep = opened
    try:
        lease = take(path, session_who("Runs"))
    except RunBusy as exc:
        flash("error", str(exc))
        st.session_state[COPY_OFFER] = name
        return None
    holder: dict[str, Trainer] = {}
    try:
        writer = RunWriter(path, experiment, extra=keep, status="paused", eval_every=config.get("eval_every"))
        saver = RunSaver(writer, lease, holder)
        runner = session_runner(PAGE_KEY)
        if runner is None:
            runner = create_runner(PAGE_KEY, lambda slots: make_runner(
                experiment, state.knobs, slots=slots, saver=saver, save_every=AUTOSAVE_S,
                eval_every=int(config.get("eval_every") or 100)), url_key=None)
        else:
            runner.pause()
            runner.set_saver(saver, AUTOSAVE_S)
    except BaseException:
        lease.release()
        raise
    holder["runner"] = runner
    runner.restore(experiment, state, notice=f"Resumed {name} at step {state.step:,}")
    st.session_state[STATE_TRAINING] = name
    return runner


def save_live_run(key: str, name: str, keep_saving: bool) -> bool:
    """Save this session's runner of page `key` as run `name`; with `keep_saving`, go on
    autosaving into it."""
    runner = session_runner(key)
    if runner is None:
        flash("error", "That training run is gone (its page was closed or reset).")
        return False
    try:
        writer, state = save_runner_as(runner, run_path(name), LIVE_PAGES.get(key, key), quality_results(runner))
        if keep_saving:
            autosave_into(runner, writer, AUTOSAVE_S, session_who(LIVE_PAGES.get(key, key)))
    except (RunFormatError, OSError, TimeoutError, ValueError) as exc:
        flash("error", f"Cannot save: {user_text(exc)}")
        return False
    flash("success", f"Saved run {name} at step {state.step:,}" + (" (autosaving every 10 s)." if keep_saving else "."))
    return True


# ------------------------------------------------------------------ sections
SAVED_KEY = "rn_saved_as"  # (name, what the form said) of the last save from the form


def _submit_save(key: str, name: str, keep: bool) -> None:
    """The form's one save. Enter in the name box submits it too, so a saved name leaves the box
    and the form says where it went: a second press then does not meet "that name exists"."""
    saved = st.session_state.get(SAVED_KEY)
    if not name.strip() and saved is not None:
        flash("info", f"{saved[1]} To save another copy, give it a new name.")
        return
    try:
        check_name(name)
    except RunFormatError as exc:
        flash("error", str(exc))
        return
    if save_live_run(key, name, keep):
        st.session_state[SAVED_KEY] = (name, st.session_state["rn_flash"][1])
        st.session_state["rn_save_clear"] = True  # the box is emptied before it is drawn again


def save_live_section() -> None:
    live = {key: label for key, label in LIVE_PAGES.items() if session_runner(key) is not None}
    if not live:
        return
    if st.session_state.pop("rn_save_clear", False):
        st.session_state["rn_save_name"] = ""
    with st.expander("Save this session's training as a run"):
        with st.form("rn_save_form", border=False):
            key = st.selectbox("Training of", list(live), format_func=live.get, key="rn_save_from")
            name = st.text_input("Run name", key="rn_save_name", help=NAME_RULE)
            keep = st.checkbox("Keep saving while it trains (every 10 s and on pause)", key="rn_save_keep")
            if st.form_submit_button("Save run"):
                _submit_save(key, name, keep)
                st.rerun()
