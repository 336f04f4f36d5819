"""One saved run on the runs page: the runs table, its numbers and curves (live while it
trains), and the replay of its snapshots."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ganlab.formatting import format_number
from ganlab.kinds import KIND_LABELS
from ganlab.metrics.names import best_text
from ganlab.runs import RunFormatError, RunSummary, read_config, replay_gif, run_path
from ganlab.runs.catalog import summarize
from ganlab.runs.evaluation import metric_lines, modes_total
from ganlab.runs.store import snapshot_steps
from ganlab.training import RunState
from ganlab.ui.runs_common import (
    AUTOSAVE_S,
    LIVE_POLL_S,
    curves,
    frame_png,
    is_headless,
    run_thumbnail,
    status_text,
)
from ganlab.ui.runs_live import training_runner
from ganlab.viz.plots import loss_figure, mode_coverage_figure
from ganlab.viz.plots_runs import compare_metric_figure, shared_metrics

TABLE_ROW_PX = 44  # the thumbnail's cell


def _updated(text: str) -> str:
    """"2026-12-01T22:57:09+00:00" -> "12-01 22:57" (a narrow cell; the year is rarely news)."""
    return text[5:16].replace("T", " ") if len(text) >= 16 else text


def runs_table(runs: list[RunSummary]) -> None:
    """One row a run. At a 1024 px laptop width with the sidebar open the table is ~560 px wide:
    name, best values, steps, what the run is (kind · data · loss, one cell) and status fit in
    it; the save time and the thumbnail come last (scroll sideways for them)."""
    rows = [{
        "Name": r.name, "Best": best_text(r.best) if r.error is None else (r.error or "")[:120], "Steps": r.step,
        "Run": f"{KIND_LABELS.get(r.kind, r.kind)} · {r.data} · {r.loss}" if r.error is None else "",
        "Status": status_text(r), "Updated": _updated(r.updated),
        "Thumbnail": run_thumbnail(r) if r.error is None else None,
    } for r in runs]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="rn_table", row_height=TABLE_ROW_PX,
                 column_config={
        "Name": st.column_config.TextColumn(width=100),
        "Best": st.column_config.TextColumn(width=200, help="The best value of each headline metric over the "
                                            "run's evaluations"),
        "Steps": st.column_config.NumberColumn(format="%d", width=56),
        "Run": st.column_config.TextColumn(width=110, help="2D or image · data · loss"),
        "Status": st.column_config.TextColumn(width=92),
        "Updated": st.column_config.TextColumn(width=90, help="Last saved (UTC, month-day hour:minute)"),
        "Thumbnail": st.column_config.ImageColumn("Last", width=TABLE_ROW_PX),
    })


METRICS_PER_ROW = 3  # st.metric's large digits need ~180 px each; a 1024 px laptop gives the page ~560


def _metrics_row(summary: RunSummary, config: dict[str, Any]) -> None:
    """Step, losses and the run's latest metrics with human labels, three to a row; an image
    run's Quality numbers show their real-vs-real baselines beneath."""
    losses = config.get("final_losses") or {}
    items = [("Step", f"{int(config.get('step') or 0):,}", None),
             ("D loss", format_number(losses.get("d_loss"), ".3g"), None),
             ("G loss", format_number(losses.get("g_loss"), ".3g"), None)]
    items += metric_lines(config.get("final_metrics") or {}, modes_total(config), missing="—")[:6]
    for start in range(0, len(items), METRICS_PER_ROW):
        cols = st.columns(METRICS_PER_ROW)
        for col, (label, value, baseline) in zip(cols, items[start: start + METRICS_PER_ROW], strict=False):
            col.metric(label[0].upper() + label[1:], value)
            if baseline:
                col.caption(baseline[0].upper() + baseline[1:])


def run_panel(name: str) -> None:
    """Status, numbers and curves of one run; refreshes itself while the run is live."""
    path = run_path(name)
    summary = summarize(path)
    if summary.error:
        st.error(summary.error)
        return
    runner = training_runner(name)
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
        badge = " · :green[**live**: a `ganlab train` process is writing it]" if is_headless(now) else ""
        st.markdown(f"**{KIND_LABELS.get(now.kind, now.kind)}** run on **{now.data}** · loss {now.loss} · step {now.step:,} · "
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
        if any(k in evals for k in ("modes_covered", "js_hist")):
            c2.plotly_chart(mode_coverage_figure(evals, modes_total(config)), width="stretch", key=f"rn_eval_{name}")
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

