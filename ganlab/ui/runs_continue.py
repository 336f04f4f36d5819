"""Continue a saved run where it is watched: a 2D run in the playground (decision surface,
knobs, history), an image run on the Image GAN page (grids, Quality panel, history).

The run is restored into this session's runner of that page (the one the page claims by its
token, see `ganlab.ui.session`), autosaving into the run directory, and the page is opened.
A run the session already has there, with steps trained, is never replaced without asking:
the user saves it first under a name, replaces it, or cancels.
"""

from __future__ import annotations

import datetime as _dt
import functools
from typing import Any

import streamlit as st

from ganlab.gan.timeline import offer_frames
from ganlab.kinds import KINDS
from ganlab.runs import RunFormatError, RunSummary, RunWriter, run_path
from ganlab.runs.catalog import copy_run, free_name
from ganlab.settings.config import DRAWN_DATA
from ganlab.storage.lease import RunBusy, busy_text, holder, take
from ganlab.storage.paths import NAME_RULE, check_name
from ganlab.training import RunSaver, Trainer, make_runner, timeline_frames
from ganlab.ui.nav import TRAINING_PAGE_FILES
from ganlab.ui.runs_common import AUTOSAVE_S, COPY_OFFER, flash, open_saved_run, user_text
from ganlab.ui.runs_live import quality_results, save_live_run, session_runner, session_who, training_runner
from ganlab.ui.session import WIDGETS_SYNCED, create_runner

# run kind -> (page key, page file, the page's name in the button's help)
TARGETS = {kind.name: (kind.page_key, TRAINING_PAGE_FILES[kind.page_key], kind.page_name) for kind in KINDS.values()}
BUTTONS = {kind.name: kind.continue_label for kind in KINDS.values()}
STATE_CONTINUED = "rn_continued"  # {page key: run name} this session's page runners autosave into
CONFIRM = "rn_confirm_continue"


def continued_into(name: str) -> list[str]:
    """The page keys whose runners autosave into run `name`."""
    return [key for key, run in st.session_state.get(STATE_CONTINUED, {}).items() if run == name]


def detach_continued(name: str) -> None:
    """Stop the page runners that continue `name` from saving into it (before a rename or delete)."""
    for key in continued_into(name):
        runner = session_runner(key)
        if runner is not None and saves_into(runner, name):
            runner.set_saver(None)
        st.session_state[STATE_CONTINUED].pop(key, None)


def _why_not(summary: RunSummary, config: dict[str, Any] | None, copy: bool = False) -> str | None:
    """Why the run cannot be continued on its page (None: it can); with `copy`, why a copy of it
    cannot (a run that another process or session writes can be copied)."""
    if summary.view_only:
        return "this run has no weights to continue from"
    if summary.live and not copy:
        return "a training process is still writing it"
    if not copy and (lease := held_elsewhere(summary)) is not None:
        return f"{lease.get('who') or 'another training'} writes it now: continue it as a copy below"
    if summary.kind not in TARGETS:
        return "this run's kind has no page to continue on"
    if config is not None and (config.get("data_source") or {}).get("source") in ("points", "embedded") \
            and not _drawn(config):
        return "it trained on uploaded data, which the page cannot select: resume it here instead"
    return None


def _drawn(config: dict[str, Any]) -> bool:
    """Whether a run trained on a drawing: its code is in the structure, so the playground
    draws it again (its points are the run's saved ones)."""
    structure = config.get("structure") or {}
    return structure.get("data") == DRAWN_DATA and bool(structure.get("drawing"))


def continue_run(name: str) -> bool:
    """Restore run `name` into this session's runner of its page (created if there is none),
    autosaving into the run (whose lease it takes: one writer at a time), and mark the page's
    widgets for syncing to it. False on failure (with a message; a run that another session
    or process writes offers a copy)."""
    opened = open_saved_run(name, "continue")
    if opened is None:
        return False
    path, experiment, state, config, keep = opened
    key, _, label = TARGETS[experiment.kind]
    try:
        lease = take(path, session_who(label))
    except RunBusy as exc:
        flash("error", str(exc))
        st.session_state[COPY_OFFER] = name
        return False
    try:
        box: dict[str, Trainer] = {}
        runner = session_runner(key)
        if runner is None:
            options = _runner_options(key)
            runner = create_runner(key, lambda slots: make_runner(
                experiment, state.knobs, slots=slots, **options), url_key=None)
        else:
            runner.pause()
        writer = RunWriter(path, experiment, extra=keep, status="paused", eval_every=config.get("eval_every"),
                           quality=quality_results(runner))
    except BaseException:
        lease.release()  # no runner saves into it (a trainer could not start): the run stays free
        raise
    box["runner"] = runner
    runner.set_saver(RunSaver(writer, lease, box), AUTOSAVE_S)
    runner.restore(experiment, state, notice=f"Continued run {name} from step {state.step:,}: it saves into "
                                             f"the run every {AUTOSAVE_S:.0f} s and on pause.")
    frames = timeline_frames(path, experiment.structure)
    if frames:  # after the restore (building the nets clears the timeline)
        try:
            runner.call_on_thread(functools.partial(offer_frames, frames), 30, "loading the run's timeline")
        except TimeoutError:
            pass  # the page shows the grids from here on
    st.session_state.setdefault(STATE_CONTINUED, {})[key] = name
    st.session_state.pop(WIDGETS_SYNCED[key], None)  # the page puts the run's settings into its widgets
    return True


def saves_into(runner: Trainer | None, name: str) -> bool:
    """Whether `runner` still autosaves into run `name` (a Reset or a closed page ends that)."""
    saver = getattr(runner, "saver", None) if runner is not None else None
    return isinstance(saver, RunSaver) and not saver.closed and saver.run_dir.name == name


def held_elsewhere(summary: RunSummary) -> dict[str, Any] | None:
    """The lease of another session or process on the run (None when it is free or this session's)."""
    lease = holder(summary.path)
    if lease is None:
        return None
    mine = [session_runner(key) for key in continued_into(summary.name)] + [training_runner(summary.name)]
    return None if any(saves_into(r, summary.name) for r in mine) else lease


def copy_offer(summary: RunSummary, config: dict[str, Any] | None) -> None:
    """When another session or process writes the run: who, and *Continue as a copy*."""
    name = summary.name
    lease = held_elsewhere(summary)
    if lease is None and st.session_state.get(COPY_OFFER) != name:
        return
    key, page, _ = TARGETS.get(summary.kind, (None, None, None))
    if lease is not None:
        st.info(busy_text(name, lease), icon=":material/lock:")
    if key is None or _why_not(summary, config, copy=True) is not None:
        return
    typed = st.session_state.get("rn_copy_name")
    if st.session_state.get("rn_copy_for") != name or not typed or _taken(typed):
        st.session_state["rn_copy_for"] = name  # a free name (the widget's value is dropped on other pages)
        st.session_state["rn_copy_name"] = free_name(name)
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    new = c1.text_input("Name of the copy", key="rn_copy_name", help=NAME_RULE)
    if c2.button("Continue as a copy", key="rn_copy", icon=":material/content_copy:",
                 help="A new run with this run's history so far, continued in this session; the run itself "
                      "stays with whoever writes it"):
        try:
            check_name(new)
            copy_run(name, new)
        except (RunFormatError, OSError) as exc:
            flash("error", f"Cannot copy {name}: {user_text(exc)}")
            st.rerun()
        st.session_state.pop(COPY_OFFER, None)
        st.session_state["rn_select_next"] = [new]
        _go(new, page)


def _runner_options(key: str) -> dict[str, Any]:
    """The options the page's own runners are made with (the image page's evaluation clock)."""
    from ganlab.ui.images import PAGE_KEY as IMAGES_PAGE
    from ganlab.ui.images import RUNNER_OPTIONS

    return dict(RUNNER_OPTIONS) if key == IMAGES_PAGE else {}


def _taken(name: str) -> bool:
    try:
        return run_path(name).exists()
    except RunFormatError:
        return False  # a bad name is said when it is used


def _default_name(key: str) -> str:
    return f"{key}-{_dt.datetime.now().strftime('%Y%m%d-%H%M')}"


def _go(name: str, page: str) -> None:
    st.session_state.pop(CONFIRM, None)
    if continue_run(name):
        st.switch_page(page)
    st.rerun()


def continue_section(summary: RunSummary, config: dict[str, Any] | None) -> None:
    """The "Continue in the ..." button, and the question when the page already has a run."""
    name = summary.name
    key, page, label = TARGETS.get(summary.kind, (None, None, "page"))
    why = _why_not(summary, config)
    current = session_runner(key) if key else None
    step = current.snapshot(with_history=False).step if current is not None else 0
    already = saves_into(current, name) and st.session_state.get(STATE_CONTINUED, {}).get(key) == name
    has_other = step > 0 and not already
    if st.button(BUTTONS.get(summary.kind, "Continue"), key="rn_continue", icon=":material/open_in_new:",
                 disabled=why is not None,
                 help=why or f"Open the run on the {label} at its saved step, with its knobs and history; "
                             "it saves into this run"):
        if already:  # the page trains this run already (maybe ahead of the last autosave): just go there
            st.session_state.pop(WIDGETS_SYNCED[key], None)  # its widgets show the runner's settings again
            st.switch_page(page)
        if has_other:
            st.session_state[CONFIRM] = name
            st.rerun()
        _go(name, page)


def continue_question(summary: RunSummary, config: dict[str, Any] | None) -> None:
    """Below the Manage row: what to do with the page's run before `summary` replaces it."""
    name = summary.name
    key, page, label = TARGETS.get(summary.kind, (None, None, "page"))
    current = session_runner(key) if key else None
    if st.session_state.get(CONFIRM) != name or current is None or _why_not(summary, config) is not None:
        return
    step = current.snapshot(with_history=False).step
    st.warning(f"This session's {label} has a run at step {step:,}. Continuing {name} there replaces it: "
               "save it first to keep it.")
    if "rn_continue_save_name" not in st.session_state:
        st.session_state["rn_continue_save_name"] = _default_name(key)
    keep_as = st.text_input("Save it as", key="rn_continue_save_name", help=NAME_RULE)
    c1, c2, c3 = st.columns(3)
    if c1.button("Save it, then continue", key="rn_continue_save", type="primary"):
        try:
            check_name(keep_as)
        except RunFormatError as exc:
            flash("error", str(exc))
            st.rerun()
        if save_live_run(key, keep_as, keep_saving=False):
            _go(name, page)
        st.rerun()
    if c2.button("Replace it without saving", key="rn_continue_replace"):
        _go(name, page)
    if c3.button("Cancel", key="rn_continue_cancel"):
        st.session_state.pop(CONFIRM, None)
        st.rerun()
