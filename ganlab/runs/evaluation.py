"""What a saved run remembers of its evaluations, and the numbers `ganlab eval` prints.

The image page's Quality panel measures a run on its own thread (`QualityMonitor`), at steps
of its own choosing; the runner's evaluations (every `eval_every` steps) hold only cheap
numbers. A `RunWriter` merges the monitor's results into the run's evaluation table
(`merge_records`): rows at new steps are inserted in step order, so evals.csv and the
weights' table state stay one table that `load_state` reads back unchanged.

`evaluate_parts` measures a run's nets as the app shows them: for 2D runs the experiment's
own metrics; for digit image runs the Quality panel's numbers too, with their real-vs-real
baselines. `metric_lines` turns either into labelled lines.
"""

from __future__ import annotations

import copy
import unicodedata
from typing import Any, Mapping

import numpy as np
import torch

from ganlab.data.stacked_digits import STACKED_DATASET, STACKED_MODES
from ganlab.formatting import format_number
from ganlab.kinds import KIND_LABELS, UnknownKind, get_kind, kind_of
from ganlab.metrics.names import metric_label
from ganlab.metrics.stacked_modes import FINAL_SAMPLES as STACKED_FINAL_SAMPLES
from ganlab.metrics.stacked_modes import expected_coverage

_CHUNK = 2_000  # images generated at a time for a large evaluation

# evals.csv column -> QualityResult attribute
QUALITY_COLUMNS = {
    "classes_covered": "classes_covered", "num_classes": "num_classes",
    "class_kl": "class_kl", "class_kl_baseline": "kl_baseline",
    "frechet": "frechet", "frechet_baseline": "frechet_baseline",
    "inception_score": "inception_score", "inception_score_baseline": "inception_score_real",
    "quality_samples": "n",
}


def quality_record(result: Any) -> dict[str, float]:
    """A `QualityResult` as one row of the evaluation table."""
    return {column: float(getattr(result, attr)) for column, attr in QUALITY_COLUMNS.items()}


def merge_records(evals: Mapping[str, Any] | None, records: Mapping[int, Mapping[str, float]],
                  up_to: int | None = None) -> dict[str, Any] | None:
    """A BoundedHistory state (see `ganlab.runs.state.history_state`) with `records` ({step: {column:
    value}}) merged in: new columns are added, a record at a step the table holds fills that row,
    one at a new step becomes a new row in step order. Records after `up_to` are left out (they
    belong to weights not saved yet). The input is not changed."""
    records = {int(s): r for s, r in records.items() if up_to is None or int(s) <= up_to}
    if not records:
        return None if evals is None else dict(evals)
    if evals is None:
        evals = {"columns": [], "capacity": 4, "stride": 1, "steps": np.zeros(0, dtype=np.int64),
                 "values": np.zeros((0, 0)), "acc_sum": [], "acc_count": [], "acc_steps": 0}
    columns = list(evals["columns"])
    for record in records.values():
        columns += [c for c in record if c not in columns]
    steps = np.asarray(evals["steps"], dtype=np.int64)
    old = np.asarray(evals["values"], dtype=float).reshape(len(steps), len(evals["columns"]))
    rows: dict[int, np.ndarray] = {}
    for i, step in enumerate(steps):
        row = np.full(len(columns), np.nan)
        row[: old.shape[1]] = old[i]
        rows[int(step)] = row
    for step, record in records.items():
        row = rows.setdefault(step, np.full(len(columns), np.nan))
        for column, value in record.items():
            row[columns.index(column)] = value
    order = sorted(rows)
    extra = len(columns) - len(evals["columns"])
    capacity = max(int(evals["capacity"]), len(order) + len(order) % 2, 4)
    return dict(evals, columns=columns, capacity=capacity, steps=np.array(order, dtype=np.int64),
                values=np.stack([rows[s] for s in order]) if order else np.zeros((0, len(columns))),
                acc_sum=list(evals["acc_sum"]) + [0.0] * extra, acc_count=list(evals["acc_count"]) + [0.0] * extra)


# ------------------------------------------------------------------ measuring saved nets
@torch.no_grad()
def image_quality(experiment: Any, parts: Any, evaluator: Any = None) -> tuple[dict[str, float], str | None]:
    """(the Quality panel's numbers, None) for a digit run; ({}, why not) for any other. Scores
    what the panel scores: the averaged generator when the run keeps one, on the fixed eval noise."""
    from ganlab.metrics.classifier import ClassifierUnavailable, unavailable_reason_for

    reason = unavailable_reason_for(experiment.structure)
    if reason is not None:
        return {}, reason
    module = parts.generator
    if experiment.structure.ema_decay > 0 and getattr(parts, "ema", None) is not None:
        module = parts.ema.module
    clone = copy.deepcopy(module).to("cpu")  # the panel's copy: the net's own mode, its own batch-norm statistics
    labels = getattr(experiment, "eval_labels", None)
    noise = experiment.eval_noise.cpu()
    if experiment.structure.dataset == STACKED_DATASET:  # 1,000 modes: the papers' 26,000 samples, fixed noise
        noise = torch.randn(STACKED_FINAL_SAMPLES, noise.shape[1], generator=torch.Generator().manual_seed(
            experiment.structure.seed + 2))
        images = np.concatenate([clone(chunk, None).float().numpy() for chunk in noise.split(_CHUNK)])
    else:
        images = clone(noise, None if labels is None else labels.cpu()).float().numpy()
    if evaluator is None:
        from ganlab.metrics.evaluator import ImageQualityEvaluator

        evaluator = ImageQualityEvaluator()
    try:
        return quality_record(evaluator(0, images)), None
    except ClassifierUnavailable as exc:
        return {}, str(exc)


def evaluate_parts(experiment: Any, parts: Any) -> tuple[dict[str, float], str | None]:
    """(metrics as the app shows them, why the quality numbers are missing or None)."""
    metrics = dict(experiment.evaluate(parts))
    if not kind_of(experiment).scores_image_quality:
        return metrics, None
    quality, reason = image_quality(experiment, parts)
    return {**quality, **metrics}, reason


# ------------------------------------------------------------------ as text
def _value(metrics: Mapping[str, float], key: str, spec: str, missing: str) -> str:
    return format_number(metrics.get(key), spec, missing=missing)


def metric_lines(metrics: Mapping[str, float], modes_total: int | None = None,
                 missing: str = "-") -> list[tuple[str, str, str | None]]:
    """(label, value, baseline or None) of a run's metrics, the way the app shows them: 2D runs'
    modes covered x / N, high-quality share and divergences; image runs' Quality numbers, each
    with its real-vs-real baseline ("real vs real: 0.021")."""
    m, lines = metrics, []
    if "modes_covered" in m:
        total = f" / {modes_total}" if modes_total else ""
        lines.append((metric_label("modes_covered"), _value(m, "modes_covered", ".0f", missing) + total, None))
    if "high_quality" in m:
        lines.append((metric_label("high_quality"), format_number(100 * m["high_quality"], ".1f", missing) + " %", None))
    for key in ("mode_kl", "kl_hist", "js_hist"):
        if key in m:
            lines.append((metric_label(key), _value(m, key, ".4f", missing), None))
    if "classes_covered" in m:
        total = f" / {_value(m, 'num_classes', '.0f', missing)}" if "num_classes" in m else ""
        if m.get("num_classes") == STACKED_MODES:  # Stacked MNIST: modes, with a perfect generator's count beside
            n = int(m.get("quality_samples", STACKED_FINAL_SAMPLES))
            lines.append(("modes covered", _value(m, "classes_covered", ".0f", missing) + total,
                          f"a perfect generator: {expected_coverage(n):.0f} in {n:,} samples"))
        else:
            lines.append((metric_label("classes_covered"), _value(m, "classes_covered", ".0f", missing) + total, None))
    for key, spec, real in (("class_kl", ".3f", "real vs real"), ("frechet", ".1f", "real vs real"),
                            ("inception_score", ".2f", "real digits")):
        if key in m:
            baseline = f"{real}: {_value(m, key + '_baseline', spec, missing)}" if key + "_baseline" in m else None
            lines.append((metric_label(key), _value(m, key, spec, missing), baseline))
    if "cycle_error" in m:  # CycleGAN: the round trip's distance, as a share of domain A's spread
        lines.append((metric_label("cycle_error"), format_number(100 * m["cycle_error"], ".1f", missing) + " %",
                      "of domain A's spread"))
    if "code_purity" in m:  # InfoGAN: beside what a G that ignored its code would score
        chance = m.get("code_purity_chance")
        lines.append((metric_label("code_purity"), format_number(100 * m["code_purity"], ".1f", missing) + " %",
                      None if chance is None else f"code-blind G: {format_number(100 * chance, '.1f', missing)} %"))
    if "pixel_mean" in m and "classes_covered" not in m:
        lines.append(("pixel mean / sd", f"{_value(m, 'pixel_mean', '.3f', missing)} / "
                                         f"{_value(m, 'pixel_std', '.3f', missing)}", None))
    return lines


def line_text(value: str, baseline: str | None) -> str:
    return f"{value}   ({baseline})" if baseline else value


def modes_total(config: Mapping[str, Any]) -> int | None:
    """How many modes a saved run's data has (None: no discrete modes, or not a 2D run)."""
    try:
        return get_kind(config.get("kind")).saved_modes_total(config)
    except UnknownKind:
        return None


def ascii_text(text: str) -> str:
    """Plain ASCII for terminals (Fréchet -> Frechet)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def eval_report(name: str, metrics: Mapping[str, float], config: Mapping[str, Any]) -> str:
    """`ganlab eval`'s text: what the run is, then its labelled metrics (plain ASCII)."""
    kind = KIND_LABELS.get(config.get("kind"), str(config.get("kind")))
    lines = [f"{name}: {kind} run on {config.get('data')}, step {int(config.get('step') or 0):,} "
             f"({config.get('status')})"]
    rows = [(ascii_text(label), ascii_text(line_text(value, baseline)))
            for label, value, baseline in metric_lines(metrics, modes_total(config))]
    width = max((len(label) for label, _ in rows), default=0)
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    if config.get("quality_unavailable"):
        lines.append("  " + ascii_text(config["quality_unavailable"]))
    return "\n".join(lines)
