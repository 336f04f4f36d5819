"""The runs page: list saved runs, open one (curves, replay, GIF), rename, delete, resume
training, compare several, save this session's live training, and follow a run that a
headless `ganlab train` is still writing. Its parts: runs_common (cached reading, texts),
runs_live (this session's training), runs_view (one run), runs_compare (several)."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from ganlab.kinds import get_kind
from ganlab.runs import (
    RunFormatError,
    RunSummary,
    delete_run,
    list_runs,
    read_config,
    rename_run,
    run_path,
    runs_root,
)
from ganlab.storage.paths import NAME_RULE, check_name
from ganlab.training import CapacityError, OverBudgetError, RunState, Trainer
from ganlab.ui.runs_common import flash, show_flash, user_text
from ganlab.ui.runs_compare import compare_runs
from ganlab.ui.runs_continue import continue_question, continue_section, copy_offer, detach_continued, held_elsewhere
from ganlab.ui.runs_live import detach_if_training, resume_run, save_live_section, training_runner
from ganlab.ui.runs_view import replay_section, run_panel, runs_table

log = logging.getLogger(__name__)

MAX_COMPARE = 8


def _start(runner: Trainer) -> None:
    try:
        runner.play()
    except (CapacityError, OverBudgetError) as exc:
        flash("error", str(exc))


def _config_or_none(summary: RunSummary) -> dict | None:
    try:
        return read_config(summary.path)
    except RunFormatError:
        return None


def manage_section(summary: RunSummary) -> None:
    name = summary.name
    st.markdown("#### Manage")
    runner = training_runner(name)
    if runner is None:
        continue_section(summary, _config_or_none(summary))
        copy_offer(summary, _config_or_none(summary))
    c1, c2, c3 = st.columns(3)
    with c1:
        if runner is None:
            held = held_elsewhere(summary)
            disabled = summary.view_only or summary.live or held is not None
            why = ("this run has no weights to resume from" if summary.view_only else
                   "a training process is still writing it" if summary.live else
                   f"{held.get('who') or 'another training'} writes it now" if held is not None else None)
            if st.button("Resume here", key="rn_resume", icon=":material/play_circle:", disabled=disabled,
                         help=why or "Train on this page (curves only) from the saved step, optimizer and RNG "
                                     "state; saves into this run"):
                if resume_run(name) is not None:
                    flash("success", f"Loaded {name}: press Play to continue training from step {summary.step:,}.")
                st.rerun()
        else:
            running = runner.state == RunState.RUNNING
            if running:
                st.button("Pause", key="rn_pause", icon=":material/pause:", on_click=runner.pause, type="primary")
            else:
                st.button("Play", key="rn_play", icon=":material/play_arrow:", on_click=_start, args=(runner,),
                          type="primary")
            st.button("Save now", key="rn_save_now", on_click=runner.save_now, disabled=running,
                      help="Training saves every 10 s and on pause by itself")
    with c2:
        new = st.text_input("New name", key="rn_new_name", placeholder=name, help=NAME_RULE)
        if st.button("Rename", key="rn_rename", disabled=not new or new == name):
            try:
                check_name(new)
                detach_if_training(name)
                detach_continued(name)
                rename_run(name, new)
            except (RunFormatError, OSError) as exc:
                flash("error", f"Cannot rename: {user_text(exc)}")
            else:
                st.session_state["rn_select_next"] = [new]
                flash("success", f"Renamed {name} to {new}.")
            st.rerun()
    with c3:
        if st.session_state.get("rn_confirm_delete") != name:
            if st.button("Delete…", key="rn_delete", icon=":material/delete:"):
                st.session_state["rn_confirm_delete"] = name
                st.rerun()
        else:
            st.warning(f"Delete {name} and all its files for good?")
            yes, no = st.columns(2)
            if yes.button("Yes, delete", key="rn_delete_yes", type="primary"):
                try:
                    detach_if_training(name)
                    detach_continued(name)
                    delete_run(name)
                except (RunFormatError, OSError) as exc:
                    flash("error", f"Cannot delete: {user_text(exc)}")
                else:
                    st.session_state["rn_select_next"] = []
                    flash("success", f"Deleted {name}.")
                st.session_state.pop("rn_confirm_delete", None)
                st.rerun()
            if no.button("Cancel", key="rn_delete_no"):
                st.session_state.pop("rn_confirm_delete", None)
                st.rerun()
    continue_question(summary, _config_or_none(summary))


def export_section(summary: RunSummary) -> None:
    """Generated samples for data augmentation: a zip of PNGs (labelled by folder) or an .npz."""
    if summary.view_only:
        return
    name = summary.name
    with st.expander("Export generated samples (for data augmentation)"):
        formats = list(get_kind(summary.kind).export_formats)
        c1, c2, c3 = st.columns([1, 1, 1], vertical_alignment="bottom")
        n = c1.number_input("Samples", 1, 20_000, 1_000, step=100, key="rn_export_n")
        fmt = c2.selectbox("Format", formats, key="rn_export_fmt", format_func={
            "zip": "PNG images in a zip", "npz": "NumPy .npz"}.get)
        if c3.button("Prepare export", key="rn_export"):
            import tempfile

            from ganlab.runs.sampling import export_samples

            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / f"{name}-samples.{fmt}"
                try:
                    text = export_samples(run_path(name), int(n), out)
                    st.session_state["rn_export_data"] = (name, out.name, out.read_bytes(), text)
                except (RunFormatError, ValueError, OSError) as exc:
                    st.error(f"Cannot export: {user_text(exc)}")
        ready = st.session_state.get("rn_export_data")
        if ready and ready[0] == name:
            _, file_name, data, text = ready
            st.download_button(f"Download {file_name}", data, file_name=file_name, key="rn_export_dl",
                               icon=":material/download:")
            st.caption(text.split(": ", 1)[-1] + ". Conditional runs draw the classes in turn, with their labels.")


def open_run(summary: RunSummary) -> None:
    st.subheader(summary.name)
    run_panel(summary.name)
    replay_section(summary.name)
    export_section(summary)
    manage_section(summary)


def runs_page() -> None:
    root = runs_root()
    st.title("Runs")
    st.caption("Saved runs live in the server's runs folder (whoever starts the server chooses it with "
               "`GANLAB_RUNS_DIR`). Train one headless with "
               "`ganlab train --data digits --steps 2000 --name digits-1`; it shows here while it trains.")
    show_flash()
    save_live_section()
    try:
        runs = list_runs()
    except OSError:
        log.exception("cannot read the runs folder %s", root)
        st.error("The runs folder cannot be read right now (the details are in the server log). "
                 "Ask whoever runs the server to check it.")
        return
    if not runs:
        st.info("No saved runs yet: save this session's training above, or train one with `ganlab train`.")
        return
    runs_table(runs)
    readable = {r.name: r for r in runs if r.error is None}
    if "rn_select_next" in st.session_state:  # set by rename / delete, applied before the widget exists
        st.session_state["rn_selected"] = st.session_state.pop("rn_select_next")
        st.session_state["rn_new_name"] = ""
    st.session_state["rn_selected"] = [n for n in st.session_state.get("rn_selected", []) if n in readable]
    selected = st.multiselect("Open one run, or pick two or more to compare", list(readable), key="rn_selected",
                              max_selections=MAX_COMPARE, placeholder="Choose runs")
    if len(selected) == 1:
        open_run(readable[selected[0]])
    elif len(selected) > 1:
        compare_runs([readable[n] for n in selected])
