"""Plotly figures comparing saved runs: one colour per run, shared axes (pure functions)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import plotly.graph_objects as go

from ganlab.metrics.names import METRICS
from ganlab.viz.plots import has_values, mark_no_data, new_chart

RUN_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")
METRIC_LABELS = {key: metric.label for key, metric in METRICS.items()}  # in the order charts offer them


def run_colour(index: int) -> str:
    return RUN_COLOURS[index % len(RUN_COLOURS)]


def compare_losses_figure(histories: Mapping[str, Mapping[str, np.ndarray]]) -> go.Figure:
    """D loss (solid) and G loss (dashed) of every run against step, one colour per run."""
    fig = new_chart("Losses (solid: D, dashed: G)", "loss")
    drawn = 0
    for i, (name, table) in enumerate(histories.items()):
        for key, dash, who in (("d_loss", "solid", "D"), ("g_loss", "dash", "G")):
            if has_values(table, key):
                fig.add_trace(go.Scatter(x=table["step"], y=np.asarray(table[key], dtype=float), mode="lines",
                                         name=f"{name} · {who}", legendgroup=name,
                                         line=dict(color=run_colour(i), width=1.5, dash=dash)))
                drawn += 1
    return fig if drawn else mark_no_data(fig)


def compare_metric_figure(evals: Mapping[str, Mapping[str, np.ndarray]], metric: str) -> go.Figure:
    """One evaluation metric of every run against step, one colour per run."""
    label = METRIC_LABELS.get(metric, metric)
    fig = new_chart(label[0].upper() + label[1:], label)
    drawn = 0
    for i, (name, table) in enumerate(evals.items()):
        if has_values(table, metric):
            fig.add_trace(go.Scatter(x=table["step"], y=np.asarray(table[metric], dtype=float), mode="lines+markers",
                                     name=name, marker=dict(size=4), line=dict(color=run_colour(i), width=1.6)))
            drawn += 1
    return fig if drawn else mark_no_data(fig)


def shared_metrics(evals: Mapping[str, Mapping[str, np.ndarray]]) -> list[str]:
    """The evaluation metrics that at least two runs (or the only run) have values for, in a stable order."""
    counts: dict[str, int] = {}
    for table in evals.values():
        for key in table:
            if key != "step" and has_values(table, key):
                counts[key] = counts.get(key, 0) + 1
    need = min(2, len(evals))
    preferred = list(METRIC_LABELS)
    keys = [k for k, n in counts.items() if n >= need]
    return sorted(keys, key=lambda k: (preferred.index(k) if k in preferred else len(preferred), k))
