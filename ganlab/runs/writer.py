"""Writing a run into its directory as it trains (the format and the reading: ganlab.runs.store)."""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import torch
from safetensors.torch import save as st_save

import ganlab
from ganlab.kinds import kind_of
from ganlab.metrics.names import HIGHER_IS_BETTER, LOWER_IS_BETTER
from ganlab.runs.state import TrainingState
from ganlab.runs.store import (
    CONFIG,
    EVALS,
    FORMAT,
    FORMAT_VERSION,
    HISTORY,
    SNAPSHOTS,
    WEIGHTS,
    generator_from_tensors,
    snapshot_steps,
)
from ganlab.storage import guard, safefs
from ganlab.storage.liveness import writer_identity
from ganlab.storage.paths import atomic_write_bytes, atomic_write_text
from ganlab.storage.tables import table_csv, write_table

MAX_SNAPSHOTS = 120  # beyond this, every other middle snapshot is dropped (first and last kept)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN / infinity
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return _json_safe(float(value))
    return value


# Which evaluation is a run's best: compared on these metrics in turn (the first that the run
# records decides; ties go to the next).
BEST_RANKING = ("modes_covered", "high_quality", "frechet", "classes_covered", "class_kl", "fid", "js_hist",
                "inception_score")


def best_metrics(evals: Mapping[str, np.ndarray]) -> dict[str, float]:
    """The known metrics of a run's one best evaluation after step 0 (step 0 only when it is all
    there is). One row, not each metric's best over the run: those would mix moments that never
    happened together (an untrained clump's high-quality share at step 0 beside step 100's modes)."""
    steps = np.asarray(evals.get("step", []), dtype=float)
    known = [k for k in evals if k != "step" and (k in HIGHER_IS_BETTER or k in LOWER_IS_BETTER)]
    if not len(steps) or not known:
        return {}
    rows = np.flatnonzero(steps > 0) if (steps > 0).any() else np.arange(len(steps))
    ranking = [k for k in BEST_RANKING if k in known] or known

    def score(row: int) -> tuple[float, ...]:
        out = []
        for key in ranking:
            value = float(np.asarray(evals[key], dtype=float)[row])
            value = value if key in HIGHER_IS_BETTER else -value
            out.append(value if np.isfinite(value) else -np.inf)
        return tuple(out)

    best = max(rows, key=score)
    values = {k: float(np.asarray(evals[k], dtype=float)[best]) for k in known}
    return {k: v for k, v in values.items() if np.isfinite(v)}


def describe_data(experiment: Any, run_dir: Path) -> dict[str, Any]:
    """How to get a run's training data back, writing the user's own data into the run."""
    return kind_of(experiment).describe_data(experiment, run_dir)


def _weights_bytes(state: TrainingState, kind: str) -> bytes:
    extra = {
        "kind": kind, "structure": state.structure.to_dict(), "knobs": state.knobs.to_dict(),
        "meta": state.meta, "counters": state.counters, "latest": state.latest, "latest_eval": state.latest_eval,
        "history": _history_meta(state.history), "evals": _history_meta(state.evals) if state.evals else None,
    }
    metadata = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "ganlab_version": ganlab.__version__,
                "state": json.dumps(_json_safe(extra))}
    return st_save(state.tensors, metadata=metadata)


def _history_meta(h: Mapping[str, Any]) -> dict[str, Any]:
    return {k: h[k] for k in ("columns", "capacity", "stride", "acc_sum", "acc_count", "acc_steps")}


def _thin_snapshots(run_dir: Path) -> None:
    snaps = snapshot_steps(run_dir)
    if len(snaps) <= MAX_SNAPSHOTS:
        return
    for _, path in snaps[1:-1:2]:
        safefs.remove_inside(run_dir, path)


@dataclass
class RunWriter:
    """Writes a training run into `run_dir`; `save(state)` is a Runner's `saver`.

    `extra`: more config.json fields (the CLI's preset, device, ...). `status` is what
    config.json says while saving ("training" while a process writes it). `quality`: the
    Quality panel's results so far (`QualityMonitor.history`), merged into evals.csv at
    every save. The experiment's `timeline` (grids or points at every evaluation, from
    step 0) goes into snapshots/ as it grows."""

    run_dir: Path
    experiment: Any
    extra: dict[str, Any] | None = None
    status: str = "training"
    eval_every: int | None = None
    quality: Callable[[], Iterable[Any]] | None = None
    lease: Any = None  # a ganlab.storage.lease.RunLease: each save checks that the run is still this writer's

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        guard.check_run_tree(self.run_dir)  # before the data files: nothing is written through a link
        previous = self.run_dir / CONFIG
        self.created = _now()
        if previous.exists():
            created = (guard.saved_config(self.run_dir) or {}).get("created")
            self.created = created if isinstance(created, str) else self.created
        self.data = describe_data(self.experiment, self.run_dir)
        self.saves = 0
        self._quality: dict[int, dict[str, float]] = {}  # kept here: the monitor's history is bounded
        snaps = snapshot_steps(self.run_dir)
        self._snapshot_step = snaps[-1][0] if snaps else -1  # frames up to here are on disk

    @property
    def kind(self) -> str:
        return self.experiment.kind

    def save(self, state: TrainingState, status: str | None = None, message: str | None = None) -> None:
        if status is not None:
            self.status = status
        if self.lease is not None:
            self.lease.check()  # one writer at a time: never over another session's saves
        guard.check_before_save(self.run_dir, state)  # no link, no other run's folder
        run = self.run_dir
        state = self._with_quality(state)
        history = _table_of(state.history)
        evals = _table_of(state.evals) if state.evals is not None else {"step": np.zeros(0, dtype=np.int64)}
        atomic_write_text(run / HISTORY, self._history_text(history, state.history))
        write_table(run / EVALS, evals)
        self._snapshot(state)
        atomic_write_bytes(run / WEIGHTS, _weights_bytes(state, self.kind))
        self.write_config(state, evals, message)
        self.saves += 1

    def mark(self, status: str, message: str | None = None) -> None:
        """Set config.json's status and message only (the run ends without a newer state to save)."""
        if self.lease is not None:
            self.lease.check()
        config = guard.saved_config(self.run_dir)
        if config is None:
            return
        self.status = status
        config.update(status=status, message=message, updated=_now())
        atomic_write_text(self.run_dir / CONFIG, json.dumps(_json_safe(config), indent=2) + "\n")

    def _with_quality(self, state: TrainingState) -> TrainingState:
        """The state with the Quality results so far merged into its evaluation table."""
        from ganlab.runs.evaluation import merge_records, quality_record

        if self.quality is not None:
            for result in self.quality():
                self._quality[int(result.step)] = quality_record(result)
        if not self._quality:
            return state
        return replace(state, evals=merge_records(state.evals, self._quality, up_to=state.step))

    def _history_text(self, table: dict[str, np.ndarray], h: Mapping[str, Any]) -> str:
        """history.csv's text, extending the last save's text while the rows it held are unchanged
        (same columns and stride): formatting 200,000 rows anew took 2.8 s a save."""
        steps = table["step"]
        key = (tuple(table), int(h["stride"]))
        cached = getattr(self, "_history_cache", None)
        if cached and cached[0] == key and 0 < cached[1] <= len(steps) and steps[cached[1] - 1] == cached[2]:
            text = cached[3] + table_csv(table, start=cached[1], header=False)
        else:
            text = table_csv(table)
        self._history_cache = (key, len(steps), int(steps[-1]) if len(steps) else -1, text)
        return text

    def write_config(self, state: TrainingState, evals: Mapping[str, np.ndarray], message: str | None = None) -> None:
        config = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "ganlab_version": ganlab.__version__,
            "name": self.run_dir.name, "kind": self.kind, "status": self.status, "message": message,
            "writer": writer_identity(), "lineage": state.meta.get("lineage"),
            "data": _data_label(self.experiment), "data_source": self.data,
            "class_names": list(getattr(self.experiment.dataset, "class_names", ())) or None,
            "structure": state.structure.to_dict(), "knobs": state.knobs.to_dict(),
            "step": state.step, "d_updates": int(state.counters["d_updates"]),
            "g_updates": int(state.counters["g_updates"]), "train_seconds": round(float(state.counters["train_seconds"]), 3),
            "eval_every": self.eval_every,
            "final_losses": state.latest, "final_metrics": state.latest_eval, "best_metrics": best_metrics(evals),
            **(self.extra or {}),
            "files": {"weights": WEIGHTS, "history": HISTORY, "evals": EVALS, "snapshots": SNAPSHOTS,
                      "samples": kind_of(self.experiment).samples_file, **(self.extra or {}).get("files", {})},
            "created": self.created, "updated": _now(),
        }
        quality = {s: r for s, r in self._quality.items() if s <= state.step}
        if quality:  # the Quality panel's latest numbers beside the runner's
            config["final_metrics"] = {**config["final_metrics"], **quality[max(quality)]}
        atomic_write_text(self.run_dir / CONFIG, json.dumps(_json_safe(config), indent=2) + "\n")

    @torch.no_grad()
    def _snapshot(self, state: TrainingState) -> None:
        folder = self.run_dir / SNAPSHOTS
        folder.mkdir(exist_ok=True)
        exp = self.experiment
        self._timeline_snapshots(state.step)
        G = generator_from_tensors(state.structure, state.tensors, prefer_ema=True)
        G.train()  # the view as the runner draws it (batch norm on the batch)
        frame, suffix, files = kind_of(exp).snapshot_files(G, exp)
        for name, data in files.items():
            atomic_write_bytes(self.run_dir / name, data)
        if state.step > self._snapshot_step:
            atomic_write_bytes(folder / f"step-{state.step:09d}{suffix}", frame)
        self._snapshot_step = max(self._snapshot_step, state.step)
        _thin_snapshots(self.run_dir)

    def _timeline_snapshots(self, up_to: int) -> None:
        """The experiment's timeline frames not on disk yet (up to the saved step), so the replay
        starts where the run did. An image frame is the averaged generator's grid when there is one."""
        timeline = getattr(self.experiment, "timeline", None)
        folder = self.run_dir / SNAPSHOTS
        for frame in timeline.frames() if timeline is not None else ():
            if not self._snapshot_step < frame.step <= up_to:
                continue
            data, suffix = kind_of(self.experiment).timeline_frame_file(frame)
            atomic_write_bytes(folder / f"step-{frame.step:09d}{suffix}", data)
            self._snapshot_step = frame.step


def _data_label(experiment: Any) -> str:
    return kind_of(experiment).data_label(experiment)


def _table_of(h: Mapping[str, Any]) -> dict[str, np.ndarray]:
    values = np.asarray(h["values"])
    return {"step": np.asarray(h["steps"]), **{c: values[:, i] for i, c in enumerate(h["columns"])}}
