"""The runs page: list saved runs, open one (curves, replay, GIF), rename, delete, resume
training, compare several, save this session's live training, and follow a run that a
headless `ganlab train` is still writing.

Files are re-read only when their modification time changes (cached on (path, mtime)), so
polling a live run every second costs a few `stat` calls while nothing changes.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from ganlab.formatting import format_number
from ganlab.plots import loss_figure, mode_coverage_figure
from ganlab.plots_runs import compare_losses_figure, compare_metric_figure, shared_metrics
from ganlab.runs import (
    RunFormatError, RunSummary, RunWriter, delete_run, list_runs, load_run, read_config, rename_run, replay_gif,
    run_path, runs_root,
)
from ganlab.runs.catalog import read_curves, replay_frame, summarize, toy_bounds
from ganlab.runs.paths import NAME_RULE, check_name
from ganlab.runs.render import png_bytes
from ganlab.runs.store import EVALS, HISTORY, snapshot_steps
from ganlab.training.runner import Runner, RunState
from ganlab.training.slots import CapacityError
from ganlab.ui.session import TOKEN_KEY, get_registry, session_id

PAGE_KEY = "runs"
LIVE_POLL_S = 1.0
AUTOSAVE_S = 10.0
LIVE_PAGES = {"playground": "2D playground", "images": "Image GAN"}  # page keys whose runners can be saved here
MAX_COMPARE = 8
STATE_TRAINING = "rn_training"  # the run name this session's runs-page runner trains


# ------------------------------------------------------------------ cached reading
def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@st.cache_data(max_entries=256, show_spinner=False)
def _curves_cached(path: str, mtimes: tuple[int, int]) -> tuple[dict, dict]:
    return read_curves(Path(path))


def curves(path: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(history, evals) of a run, re-read only when a file changed."""
    return _curves_cached(str(path), (_mtime(path / HISTORY), _mtime(path / EVALS)))


@st.cache_data(max_entries=512, show_spinner=False)
def _frame_cached(path: str, file: str, mtime: int, size: int) -> bytes:
    run = Path(path)
    try:
        bounds, real = toy_bounds(read_config(run), run)
    except RunFormatError:
        bounds, real = None, None
    img = replay_frame(run, Path(file), bounds, real, size=size)
    return png_bytes(np.asarray(img))


def frame_png(path: Path, file: Path, size: int = 360) -> bytes:
    return _frame_cached(str(path), str(file), _mtime(file), size)


def _thumbnail(summary: RunSummary) -> str | None:
    snaps = snapshot_steps(summary.path)
    if not snaps:
        return None
    try:
        data = frame_png(summary.path, snaps[-1][1], size=96)
    except RunFormatError:
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode()


# ------------------------------------------------------------------ formatting
def best_text(best: dict[str, float]) -> str:
    parts = []
    if "modes_covered" in best:
        parts.append(f"modes {best['modes_covered']:.0f}")
    if "high_quality" in best:
        parts.append(f"HQ {100 * best['high_quality']:.0f}%")
    for key in ("js_hist", "fid", "inception_score"):
        if key in best:
            parts.append(f"{key} {format_number(best[key], '.3g')}")
    return ", ".join(parts[:3]) or "—"


def status_text(summary: RunSummary) -> str:
    if summary.error:
        return "unreadable"
    if summary.live:
        return "training (live)"
    return summary.status + (" (view only)" if summary.view_only else "")


def _headless(summary: RunSummary) -> bool:
    """Live, and written by another process (a headless `ganlab train`), not this server."""
    if not summary.live:
        return False
    try:
        return (read_config(summary.path).get("writer") or {}).get("pid") != os.getpid()
    except RunFormatError:
        return False


def _flash(kind: str, text: str) -> None:
    st.session_state["rn_flash"] = (kind, text)


def _show_flash() -> None:
    if "rn_flash" in st.session_state:
        kind, text = st.session_state.pop("rn_flash")
        {"info": st.info, "error": st.error, "success": st.success}[kind](text)


# ------------------------------------------------------------------ this session's runners
def _token_key(key: str) -> str:
    return f"{TOKEN_KEY}:{key}"


def session_runner(key: str) -> Runner | None:
    """This session's runner for a page key (looked up, never claimed from the URL)."""
    token = st.session_state.get(_token_key(key))
    runner = get_registry().get(token) if token else None
    return runner if runner is not None and runner.alive else None


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


def _saver_for(writer: RunWriter, holder: dict[str, Runner]):
    def save(state) -> None:
        runner = holder.get("runner")
        running = runner is not None and runner.state == RunState.RUNNING
        writer.save(state, status="training" if running else "paused")

    return save


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
    try:
        path = run_path(name)
        experiment, state, config = load_run(path)
    except (RunFormatError, OSError, ValueError) as exc:
        _flash("error", f"Cannot resume {name!r}: {exc}")
        return None
    keep = {k: config[k] for k in ("preset", "csv", "images", "created", "steps_requested") if k in config}
    writer = RunWriter(path, experiment, extra=keep, status="paused", eval_every=config.get("eval_every"))
    holder: dict[str, Runner] = {}
    saver = _saver_for(writer, holder)
    runner = session_runner(PAGE_KEY)
    if runner is None:
        token, runner = get_registry().create(session_id(), lambda slots: Runner(
            experiment, state.knobs, slots=slots, saver=saver, save_every=AUTOSAVE_S,
            eval_every=int(config.get("eval_every") or 100)))
        st.session_state[_token_key(PAGE_KEY)] = token
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
        path = run_path(name)
        if path.exists():
            raise RunFormatError(f"a run named {name!r} already exists; choose another name")
        state = runner.export_state()
        writer = RunWriter(path, runner.experiment, extra={"saved_from": LIVE_PAGES.get(key, key)}, status="paused",
                           eval_every=runner.eval_every, quality=quality_results(runner))
        writer.save(state)
    except (RunFormatError, OSError, TimeoutError, ValueError) as exc:
        _flash("error", f"Cannot save: {exc}")
        return False
    if keep_saving:
        holder = {"runner": runner}
        runner.set_saver(_saver_for(writer, holder), AUTOSAVE_S)
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


def runs_table(runs: list[RunSummary]) -> None:
    rows = [{
        "Thumbnail": _thumbnail(r) if r.error is None else None, "Name": r.name, "Kind": r.kind, "Data": r.data,
        "Loss": r.loss, "Steps": r.step, "Status": status_text(r),
        "Best": best_text(r.best) if r.error is None else (r.error or "")[:120], "Updated": r.updated[:19].replace("T", " "),
    } for r in runs]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="rn_table", column_config={
        "Thumbnail": st.column_config.ImageColumn("", width="small"),
        "Steps": st.column_config.NumberColumn(format="%d"),
    })


def _metrics_row(summary: RunSummary, config: dict[str, Any]) -> None:
    final = config.get("final_metrics") or {}
    shown = [(k, v) for k, v in final.items() if k not in ("step", "modes_total") and isinstance(v, (int, float))][:5]
    losses = config.get("final_losses") or {}
    cols = st.columns(max(2, len(shown) + 2))
    cols[0].metric("Step", f"{int(config.get('step') or 0):,}")
    cols[1].metric("D / G loss", f"{format_number(losses.get('d_loss'), '.3g')} / {format_number(losses.get('g_loss'), '.3g')}")
    for col, (key, value) in zip(cols[2:], shown):
        best = summary.best.get(key)
        col.metric(key, format_number(value, ".4g"), help=f"best: {format_number(best, '.4g')}" if best is not None else None)


def run_panel(name: str) -> None:
    """Status, numbers and curves of one run; refreshes itself while the run is live."""
    path = run_path(name)
    summary = summarize(path)
    if summary.error:
        st.error(summary.error)
        return
    runner = _training_runner(name)
    live = summary.live or (runner is not None and runner.state == RunState.RUNNING)

    @st.fragment(run_every=LIVE_POLL_S if live else None)
    def panel() -> None:
        now = summarize(path)
        if now.error:
            st.error(now.error)
            return
        active = runner is not None and runner.state == RunState.RUNNING
        if live and not (now.live or active):
            st.rerun(scope="app")  # it finished: redraw the buttons, stop polling
        config = read_config(path)
        badge = " · :green[**live**: a `ganlab train` process is writing it]" if _headless(now) else ""
        st.markdown(f"**{now.kind}** run on **{now.data}** · loss {now.loss} · step {now.step:,} · "
                    f"{status_text(now)}{badge}")
        if runner is not None:
            snap = runner.snapshot()
            st.caption(f"Training here: step {snap.step:,} · {snap.state.value} · "
                       f"{snap.steps_per_sec:,.0f} steps/s · saved to disk every {AUTOSAVE_S:.0f} s and on pause")
            if runner.save_error:
                st.warning(runner.save_error)
            if snap.message:
                st.error(snap.message)
        if now.note:
            st.info(f"This run was {now.note}.")
        _metrics_row(now, config)
        history, evals = curves(path)
        c1, c2 = st.columns(2)
        c1.plotly_chart(loss_figure(history), width="stretch", key=f"rn_loss_{name}")
        modes_total = (config.get("final_metrics") or {}).get("modes_total")
        if any(k in evals for k in ("modes_covered", "js_hist")):
            c2.plotly_chart(mode_coverage_figure(evals, modes_total), width="stretch", key=f"rn_eval_{name}")
        else:
            metrics = shared_metrics({name: evals})
            if metrics:
                c2.plotly_chart(compare_metric_figure({name: evals}, metrics[0]), width="stretch", key=f"rn_eval_{name}")

    panel()


def replay_section(name: str) -> None:
    path = run_path(name)
    snaps = snapshot_steps(path)
    st.markdown("#### Replay")
    if not snaps:
        st.caption("No snapshots saved yet: they are taken at every save (every few seconds while training).")
        return
    steps = [s for s, _ in snaps]
    key = f"rn_replay_{name}"
    if st.session_state.get(key) not in steps:
        st.session_state[key] = steps[-1]
    if len(steps) > 1:
        step = st.select_slider("Saved step", steps, key=key, format_func=lambda s: f"{s:,}")
    else:
        step = steps[0]
    file = dict(snaps)[step]
    left, right = st.columns([2, 1])
    try:
        left.image(frame_png(path, file), caption=f"{name} at step {step:,}")
    except RunFormatError as exc:
        left.error(str(exc))
    with right:
        st.caption(f"{len(steps)} snapshots, steps {steps[0]:,} to {steps[-1]:,}.")
        gif_key = f"rn_gif_{name}"
        if st.button("Make an animated GIF", key=f"rn_make_gif_{name}", icon=":material/movie:"):
            try:
                st.session_state[gif_key] = (steps[-1], replay_gif(path))
            except RunFormatError as exc:
                st.error(str(exc))
        if gif_key in st.session_state:
            last, data = st.session_state[gif_key]
            st.download_button("Download GIF", data, file_name=f"{name}-evolution.gif", mime="image/gif",
                               key=f"rn_gif_dl_{name}", icon=":material/download:")
            st.caption(f"GIF up to step {last:,} ({len(data) / 1024:,.0f} KiB).")


def _start(runner: Runner) -> None:
    try:
        runner.play()
    except CapacityError as exc:
        _flash("error", str(exc))


def manage_section(summary: RunSummary) -> None:
    name = summary.name
    st.markdown("#### Manage")
    runner = _training_runner(name)
    c1, c2, c3 = st.columns(3)
    with c1:
        if runner is None:
            disabled = summary.view_only or summary.live
            why = ("this run has no weights to resume from" if summary.view_only else
                   "a training process is still writing it" if summary.live else None)
            if st.button("Resume training", key="rn_resume", icon=":material/play_circle:", disabled=disabled,
                         help=why or "Continue from the saved step, optimizer and RNG state; saves into this run"):
                if resume_run(name) is not None:
                    _flash("success", f"Loaded {name}: press Play to continue training from step {summary.step:,}.")
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
                _detach_if_training(name)
                rename_run(name, new)
            except (RunFormatError, OSError) as exc:
                _flash("error", f"Cannot rename: {exc}")
            else:
                st.session_state["rn_select_next"] = [new]
                _flash("success", f"Renamed {name} to {new}.")
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
                    _detach_if_training(name)
                    delete_run(name)
                except (RunFormatError, OSError) as exc:
                    _flash("error", f"Cannot delete: {exc}")
                else:
                    st.session_state["rn_select_next"] = []
                    _flash("success", f"Deleted {name}.")
                st.session_state.pop("rn_confirm_delete", None)
                st.rerun()
            if no.button("Cancel", key="rn_delete_no"):
                st.session_state.pop("rn_confirm_delete", None)
                st.rerun()


def export_section(summary: RunSummary) -> None:
    """Generated samples for data augmentation: a zip of PNGs (labelled by folder) or an .npz."""
    if summary.view_only:
        return
    name = summary.name
    with st.expander("Export generated samples (for data augmentation)"):
        formats = ["npz"] if summary.kind == "toy" else ["zip", "npz"]
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
                    st.error(f"Cannot export: {exc}")
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


def compare_runs(runs: list[RunSummary]) -> None:
    st.subheader("Compare " + ", ".join(r.name for r in runs))
    live = any(r.live for r in runs)

    @st.fragment(run_every=LIVE_POLL_S if live else None)
    def panel() -> None:
        tables = {r.name: curves(r.path) for r in runs}
        histories = {n: t[0] for n, t in tables.items()}
        evals = {n: t[1] for n, t in tables.items()}
        st.plotly_chart(compare_losses_figure(histories), width="stretch", key="rn_cmp_losses")
        metrics = shared_metrics(evals)
        if metrics:
            metric = st.selectbox("Metric", metrics, key="rn_cmp_metric")
            st.plotly_chart(compare_metric_figure(evals, metric), width="stretch", key="rn_cmp_metric_chart")
        rows = [{"Run": r.name, "Kind": r.kind, "Data": r.data, "Loss": r.loss, "Steps": summarize(r.path).step,
                 **{k: round(v, 4) for k, v in summarize(r.path).best.items()}} for r in runs]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="rn_cmp_table")

    panel()
    st.markdown("#### Final samples")
    cols = st.columns(min(len(runs), 4))
    for i, r in enumerate(runs):
        snaps = snapshot_steps(r.path)
        with cols[i % len(cols)]:
            st.markdown(f":{_colour_name(i)}[■] **{r.name}**")
            if snaps:
                try:
                    st.image(frame_png(r.path, snaps[-1][1]), caption=f"step {snaps[-1][0]:,}")
                except RunFormatError as exc:
                    st.error(str(exc))
            else:
                st.caption("no snapshots")


def _colour_name(index: int) -> str:
    """The Streamlit markdown colour closest to the run's chart colour (`run_colour(index)`)."""
    return ("green", "orange", "violet", "red", "green", "orange", "orange", "gray")[index % 8]


def runs_page() -> None:
    root = runs_root()
    st.title("Runs")
    st.caption(f"Saved runs in `{root}` (set `GANLAB_RUNS_DIR` to use another folder). Train one headless with "
               "`ganlab train --data digits --steps 2000 --name digits-1`; it shows here while it trains.")
    _show_flash()
    save_live_section()
    try:
        runs = list_runs()
    except OSError as exc:
        st.error(f"Cannot read the runs folder {root}: {exc}")
        return
    if not runs:
        st.info(f"No runs in {root} yet.")
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
