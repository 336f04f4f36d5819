"""Several saved runs side by side on the runs page: shared curves, best values, final samples."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ganlab.metric_names import metric_label
from ganlab.plots_runs import compare_losses_figure, compare_metric_figure, shared_metrics
from ganlab.runs import RunFormatError, RunSummary
from ganlab.runs.catalog import summarize
from ganlab.runs.store import snapshot_steps
from ganlab.ui.runs_common import LIVE_POLL_S, curves, frame_png


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
            metric = st.selectbox("Metric", metrics, key="rn_cmp_metric", format_func=metric_label)
            st.plotly_chart(compare_metric_figure(evals, metric), width="stretch", key="rn_cmp_metric_chart")
        rows = [{"Run": r.name, "Kind": r.kind, "Data": r.data, "Loss": r.loss, "Steps": summarize(r.path).step,
                 **{f"best {metric_label(k)}": round(v, 4) for k, v in summarize(r.path).best.items()}} for r in runs]
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


