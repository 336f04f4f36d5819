"""Several saved runs side by side on the runs page: shared curves, best values, final samples."""

from __future__ import annotations

from typing import Sequence

import pandas as pd
import streamlit as st

from ganlab.formatting import MISSING
from ganlab.gan.losses import loss_label
from ganlab.kinds import KIND_LABELS
from ganlab.metrics.names import metric_label
from ganlab.runs import RunFormatError, RunSummary
from ganlab.runs.catalog import summarize
from ganlab.runs.store import snapshot_steps
from ganlab.ui.runs_common import LIVE_POLL_S, curves, frame_png
from ganlab.viz.plots_runs import compare_losses_figure, compare_metric_figure, shared_metrics


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
        st.dataframe(pd.DataFrame(compare_rows(runs)), hide_index=True, width="stretch", key="rn_cmp_table")

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


def compare_rows(runs: Sequence[RunSummary]) -> list[dict[str, str | int]]:
    """One readable row per run: kinds and losses by name, each best metric to 4 significant
    digits, and MISSING where a metric does not apply to a run (not Python's None)."""
    bests = [summarize(r.path).best for r in runs]
    keys = list(dict.fromkeys(k for best in bests for k in best))
    return [{"Run": r.name, "Kind": KIND_LABELS.get(r.kind, r.kind), "Data": r.data, "Loss": loss_label(r.loss),
             "Steps": summarize(r.path).step,
             **{f"best {metric_label(k)}": f"{best[k]:.4g}" if k in best else MISSING for k in keys}}
            for r, best in zip(runs, bests, strict=False)]
