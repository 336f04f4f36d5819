"""The run directory format: writing a run as it trains, and reading it back safely.

    <runs>/<name>/
      config.json            what the run is: format, ganlab version, kind, structure, knobs, data
                             (its name) and data_source (how to load it again),
                             status, step counts, latest losses and metrics, best metrics, timestamps
      weights.safetensors    G, D, EMA G (when present), both optimizers' tensors and the sampling
                             RNG state; its metadata holds the rest of the training state as JSON
      history.csv            step + every logged loss/score (empty cell: not computed)
      evals.csv              step + every evaluation metric
      snapshots/step-N.png   the fixed-noise sample grid at saved steps (image runs)
      snapshots/step-N.npy   500 generated points from fixed noise at saved steps (2D runs)
      samples.npy            2D runs: 2,500 samples from the fixed eval noise at the last save
      data_points.npy / dataset.npz   the user's own data, when the run trained on it

Every file is written atomically (temp file + rename) and the weights are written after
history and evals and before config.json, so a reader of a run that is still training sees
a consistent run (history may run a little ahead of the weights). Nothing is unpickled:
weights go through safetensors, arrays through `np.load(allow_pickle=False)`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

import ganlab
from ganlab.config import ConfigError, ImageStructure, Knobs, ToyStructure
from ganlab.metric_names import HIGHER_IS_BETTER, LOWER_IS_BETTER
from ganlab.runs import guard, safefs, schema
from ganlab.runs.liveness import writer_identity
from ganlab.runs.paths import RunFormatError, atomic_write_bytes, atomic_write_text
from ganlab.runs.report import unreadable
from ganlab.runs.state import StateMismatch, TrainingState
from ganlab.runs.tables import read_table, table_csv, write_table

FORMAT = "ganlab-run"
FORMAT_VERSION = 1
CONFIG, WEIGHTS, HISTORY, EVALS, SAMPLES = "config.json", "weights.safetensors", "history.csv", "evals.csv", "samples.npy"
SNAPSHOTS = "snapshots"
POINTS_FILE, IMAGES_FILE = "data_points.npy", "dataset.npz"
MAX_SNAPSHOTS = 120  # beyond this, every other middle snapshot is dropped (first and last kept)
MAX_CONFIG_BYTES = 10 * 1024 * 1024
MAX_WEIGHTS_BYTES = 2 * 1024 * 1024 * 1024
SNAPSHOT_POINTS = 500
STRUCTURES = {"toy": ToyStructure, "image": ImageStructure}


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


def best_metrics(evals: Mapping[str, np.ndarray]) -> dict[str, float]:
    """The best value of each known metric over a run's evaluations."""
    out = {}
    for key, values in evals.items():
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values)]
        if key == "step" or not len(values):
            continue
        if key in HIGHER_IS_BETTER:
            out[key] = float(values.max())
        elif key in LOWER_IS_BETTER:
            out[key] = float(values.min())
    return out


# ------------------------------------------------------------------ data of a run
def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def describe_data(experiment: Any, run_dir: Path) -> dict[str, Any]:
    """How to get a run's training data back, writing the user's own data into the run."""
    if experiment.kind == "toy":
        ds = experiment.dataset
        if experiment.structure.data != "csv":
            return {"source": "toy", "name": ds.name}
        points = _points_of(ds)
        atomic_write_bytes(run_dir / POINTS_FILE, _npy_bytes(points.astype(np.float32)))
        return {"source": "points", "file": POINTS_FILE, "label": ds.label, "count": int(len(points))}
    ds = experiment.dataset
    from ganlab.data.image_sources import IMAGE_SOURCES

    images = ds.images.numpy()
    digest = _sha256(images)
    if ds.name in IMAGE_SOURCES:
        return {"source": "named", "name": ds.name, "count": len(ds), "sha256": digest}
    buf = io.BytesIO()
    labels = ds.labels.numpy() if ds.labels is not None else np.zeros(0, dtype=np.int64)
    np.savez(buf, images=images, labels=labels, has_labels=np.array(ds.labels is not None),
             class_names=np.array(ds.class_names, dtype=str))
    atomic_write_bytes(run_dir / IMAGES_FILE, buf.getvalue())
    return {"source": "embedded", "file": IMAGES_FILE, "name": ds.name, "count": len(ds), "sha256": digest}


def _points_of(ds) -> np.ndarray:
    """The points behind an empirical distribution (`points_csv.empirical_distribution`)."""
    closure = ds.sampler.__closure__ or ()
    for cell in closure:
        value = cell.cell_contents
        if isinstance(value, torch.Tensor) and value.dim() == 2 and value.shape[1] == 2:
            return value.numpy()
    raise ValueError("cannot recover the points of this 2D dataset")


def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _load_npy(path: Path) -> np.ndarray:
    """A `.npy` file of a run: a plain file, its header's declared size checked before reading."""
    path = Path(path)
    data = safefs.read_capped(path, schema.MAX_ARRAY_BYTES + 65536)
    return schema.npy_from_bytes(data, path.name)


def load_dataset(run_dir: Path, config: Mapping[str, Any]):
    """The run's training data (a ToyDistribution or ImageDataset); RunFormatError when it is
    gone or differs from what the run trained on."""
    data = config.get("data_source") or {}
    source = data.get("source")
    structure = config_structure(config)
    if source == "toy":
        from ganlab.data.toy import get_toy

        try:
            return get_toy(data.get("name"))
        except KeyError as exc:
            raise RunFormatError(str(exc.args[0])) from None
    if source == "points":
        from ganlab.data.points_csv import empirical_distribution

        points = _load_npy(run_dir / POINTS_FILE)
        if points.ndim != 2 or points.shape[1] != 2 or points.dtype != np.float32 or not np.isfinite(points).all():
            raise RunFormatError(f"{POINTS_FILE} must hold finite float32 points of shape (n, 2)")
        return empirical_distribution(points, label=str(data.get("label", "Uploaded points")))
    if source == "embedded":
        from ganlab.data.images import ImageDataset

        z = schema.npz_from_bytes(safefs.read_capped(run_dir / IMAGES_FILE, 2 * schema.MAX_ARRAY_BYTES), IMAGES_FILE,
                                  ("images", "labels", "has_labels", "class_names"))
        images, labels = z["images"], z["labels"]
        try:
            has_labels, names = bool(z["has_labels"]), [str(c) for c in z["class_names"]]
        except (ValueError, TypeError):
            raise RunFormatError(f"{IMAGES_FILE} is not a ganlab dataset (malformed labels)") from None
        try:
            return ImageDataset(torch.from_numpy(images), torch.from_numpy(labels) if has_labels else None,
                                name=str(data.get("name", "images")), class_names=names if has_labels else None)
        except (ValueError, TypeError, RuntimeError, IndexError) as exc:
            raise unreadable(f"{IMAGES_FILE} does not hold a usable image data set (its images and labels "
                             "do not fit together)", exc) from None
    if source == "named":
        from ganlab.data.image_sources import DatasetUnavailable, IMAGE_SOURCES

        name, count = data.get("name"), data.get("count")
        if name not in IMAGE_SOURCES:
            raise RunFormatError(f"the run trained on an unknown image dataset {name!r}")
        src = IMAGE_SOURCES[name]
        for seed in dict.fromkeys((0, structure.seed)):
            try:
                ds = src.load(structure.image_size, structure.channels, max_images=count, seed=seed)
            except DatasetUnavailable as exc:
                raise RunFormatError(str(exc)) from None
            if _sha256(ds.images.numpy()) == data.get("sha256"):
                return ds
        raise RunFormatError(f"the {name!r} images on this machine differ from those the run trained on")
    raise RunFormatError(f"{CONFIG} does not say where the run's data comes from (data.source={source!r})")


# ------------------------------------------------------------------ config
def config_structure(config: Mapping[str, Any]):
    kind = config.get("kind")
    if kind not in STRUCTURES:
        raise RunFormatError(f"{CONFIG}: unknown run kind {kind!r} (expected toy or image)")
    try:
        return STRUCTURES[kind].from_dict(config.get("structure"))
    except ConfigError as exc:  # written for the user
        raise RunFormatError(f"{CONFIG}: bad structure: {exc}") from None
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError, RecursionError) as exc:
        raise unreadable(f"{CONFIG}: bad structure (a setting has a value of the wrong kind)", exc) from None


def config_knobs(config: Mapping[str, Any]) -> Knobs:
    try:
        return Knobs.from_dict(config.get("knobs"))
    except ConfigError as exc:  # written for the user
        raise RunFormatError(f"{CONFIG}: bad knobs: {exc}") from None
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError, RecursionError) as exc:
        raise unreadable(f"{CONFIG}: bad knobs (a setting has a value of the wrong kind)", exc) from None


def read_config(run_dir: Path) -> dict[str, Any]:
    """config.json, checked: a ganlab run of a format this ganlab reads. A run written before
    issue 4's format (format 0: the first `ganlab train`) is migrated in memory, with
    `view_only` set and a `migration` message (it has no weights to resume from)."""
    path = Path(run_dir) / CONFIG
    safefs.check_folder(Path(run_dir), f"run {Path(run_dir).name}")
    try:
        raw = safefs.read_capped(path, MAX_CONFIG_BYTES)
    except RunFormatError as exc:
        if not path.exists() and not path.is_symlink():
            raise RunFormatError(f"{Path(run_dir).name} is not a ganlab run: {CONFIG} is missing") from None
        raise exc from None
    config = safefs.parse_json(raw, CONFIG)
    if not isinstance(config, dict):
        raise RunFormatError(f"{CONFIG} is not a ganlab run config (not a JSON object)")
    if config.get("format") != FORMAT:
        if "format" not in config and config.get("kind") == "toy" and "ganlab_version" in config \
                and "structure" in config:
            config = dict(config, format=FORMAT, format_version=0, view_only=True,
                          data_source={"source": "toy", "name": config.get("data")} if config.get("data") != "csv" else {},
                          step=config.get("steps", 0),
                          migration=f"written by ganlab {config['ganlab_version']} before runs kept their weights: "
                                    "it can be viewed and compared, not resumed or sampled")
        else:
            raise RunFormatError(f"{CONFIG} is not a ganlab run config (format {str(config.get('format'))[:40]!r})")
    schema.check_config_fields(config)
    version = config.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise RunFormatError(f"{CONFIG}: format_version must be a whole number, got {str(version)[:40]!r}")
    if version > FORMAT_VERSION:
        raise RunFormatError(f"this run was written by ganlab {config.get('ganlab_version', '?')} in run format "
                             f"{version}; ganlab {ganlab.__version__} reads formats up to {FORMAT_VERSION}: "
                             "upgrade ganlab to open it")
    config_structure(config)
    if not config.get("view_only"):
        config_knobs(config)
    return config


# ------------------------------------------------------------------ weights
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


def read_weights(run_dir: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(tensors, state JSON) from weights.safetensors; RunFormatError for anything else."""
    path = Path(run_dir) / WEIGHTS
    safefs.check_folder(Path(run_dir), f"run {Path(run_dir).name}")
    data = safefs.read_capped(path, MAX_WEIGHTS_BYTES)
    if len(data) < 8:
        raise RunFormatError(f"{WEIGHTS} is truncated ({len(data)} bytes)")
    header_len = int.from_bytes(data[:8], "little")
    if header_len > len(data) - 8 or header_len > 100_000_000:
        raise RunFormatError(f"{WEIGHTS} is not a safetensors file or is truncated (header of {header_len:,} bytes "
                             f"in a file of {len(data):,})")
    header = safefs.parse_json(data[8: 8 + header_len], f"{WEIGHTS} header")
    if not isinstance(header, dict):
        raise RunFormatError(f"{WEIGHTS} is not a safetensors file (its header is not an object)")
    try:
        tensors = st_load(data)
    except (SafetensorError, ValueError, UnicodeDecodeError, RuntimeError, TypeError, MemoryError) as exc:
        raise unreadable(f"{WEIGHTS} is corrupt or truncated (not a valid safetensors file)", exc) from None
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise RunFormatError(f"{WEIGHTS} is a safetensors file but not ganlab run weights")
    try:
        version = int(metadata.get("format_version", ""))
        state = safefs.parse_json(metadata["state"], f"{WEIGHTS} metadata")
    except RunFormatError:
        raise
    except (ValueError, KeyError, TypeError):
        raise RunFormatError(f"{WEIGHTS}: its ganlab metadata is missing or corrupt") from None
    if version > FORMAT_VERSION:
        raise RunFormatError(f"{WEIGHTS} was written by ganlab {metadata.get('ganlab_version', '?')} in run format "
                             f"{version}; this ganlab reads formats up to {FORMAT_VERSION}: upgrade ganlab")
    if not isinstance(state, dict):
        raise RunFormatError(f"{WEIGHTS}: its ganlab metadata is not an object")
    schema.check_training_state(state)
    return tensors, state


def _history_state(meta: Mapping[str, Any], table: Mapping[str, np.ndarray], step: int, what: str) -> dict[str, Any]:
    columns = list(meta["columns"])
    keep = table["step"] <= step  # a reader may see history written just after the weights
    missing = [c for c in columns if c not in table]
    if missing:
        raise RunFormatError(f"{what} lacks column(s) {', '.join(missing)}")
    steps = table["step"][keep]
    if len(steps) > meta["capacity"]:
        raise RunFormatError(f"{what} has {len(steps):,} rows up to step {step:,}, more than the saved capacity "
                             f"of {meta['capacity']:,}")
    return dict(meta, steps=steps, values=np.stack([table[c][keep] for c in columns], 1) if columns
                else np.zeros((len(steps), 0)))


def load_state(run_dir: Path, config: Mapping[str, Any] | None = None) -> TrainingState:
    """The training state to resume from (weights + history + evals)."""
    run_dir = Path(run_dir)
    config = read_config(run_dir) if config is None else config
    if config.get("view_only"):
        raise RunFormatError(f"run {run_dir.name} was {config['migration']}")
    tensors, st = read_weights(run_dir)
    try:
        kind = st["kind"]
        structure = STRUCTURES[kind].from_dict(st["structure"])
        knobs = Knobs.from_dict(st["knobs"])
        counters = {k: st["counters"][k] for k in ("step", "d_updates", "g_updates", "train_seconds", "last_eval_step")}
        step = int(counters["step"])
        history = _history_state(st["history"], read_table(run_dir / HISTORY), step, HISTORY)
        evals = _history_state(st["evals"], read_table(run_dir / EVALS), step, EVALS) if st.get("evals") else None
        meta = st["meta"]
        latest, latest_eval = dict(st.get("latest") or {}), dict(st.get("latest_eval") or {})
    except RunFormatError:
        raise
    except (KeyError, TypeError, ValueError, ConfigError, AttributeError, OverflowError) as exc:
        raise unreadable(f"{WEIGHTS}: its training state is incomplete or malformed", exc) from None
    bad = schema.first_non_finite(tensors)
    if bad is not None:
        raise RunFormatError(f"{WEIGHTS}: the saved tensor {bad!r} holds NaN or infinite values (the run diverged "
                             "before this save): it cannot be resumed; start a new run with lower learning rates")
    if structure != config_structure(config):
        raise RunFormatError(f"{WEIGHTS} belongs to another structure than {CONFIG} describes")
    latest = {k: (float("nan") if v is None else float(v)) for k, v in latest.items()}
    latest_eval = {k: (float("nan") if v is None else float(v)) for k, v in latest_eval.items()}
    return TrainingState(structure, knobs, tensors, meta, counters, history, evals, latest, latest_eval)


def build_experiment(run_dir: Path, config: Mapping[str, Any], device: str | torch.device = "cpu"):
    """A fresh experiment of the run's structure on the run's data."""
    structure = config_structure(config)
    dataset = load_dataset(Path(run_dir), config)
    if config["kind"] == "toy":
        from ganlab.training.toy_experiment import ToyExperiment

        return ToyExperiment(structure, dataset, device=device)
    from ganlab.training.image_experiment import ImageExperiment

    try:
        return ImageExperiment(structure, dataset, device=device)
    except ValueError as exc:
        raise RunFormatError(f"the run's data does not fit its structure: {exc}") from None


def load_run(run_dir: Path, device: str | torch.device = "cpu"):
    """(experiment, state, config) of a saved run, ready for `Runner.restore(experiment, state)`.
    The weights are checked against the structure here, so a bad file fails now, not in the runner."""
    run_dir = Path(run_dir)
    config = read_config(run_dir)
    guard.check_run_tree(run_dir)  # a run to resume is written to: no links out of it
    state = load_state(run_dir, config)
    experiment = build_experiment(run_dir, config, device)
    check_state(experiment, state)
    return experiment, state, config


def check_state(experiment: Any, state: TrainingState) -> None:
    """Raise RunFormatError when the state's tensors do not fit the experiment's nets."""
    from ganlab.runs.state import restore_parts

    try:
        restore_parts(experiment.build(state.knobs), state.tensors, state.meta)
    except StateMismatch as exc:  # written for the user
        raise RunFormatError(f"{WEIGHTS}: {str(exc)[:200]}") from None
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as exc:
        raise unreadable(f"{WEIGHTS}: the saved weights do not fit the run's networks", exc) from None


# ------------------------------------------------------------------ generator only
def build_generator(structure: Any, device: str | torch.device = "cpu") -> torch.nn.Module:
    """A generator of `structure` (no data needed), for sampling from saved weights."""
    from ganlab.nets.image_nets import image_generator
    from ganlab.nets.mlp import MLPGenerator

    s = structure
    with torch.random.fork_rng(devices=[]):  # initialisation draws from the global RNG; leave it be
        if isinstance(s, ToyStructure):
            return MLPGenerator(s.noise_dim, s.generator).to(device)
        return image_generator(s).to(device)


def generator_from_tensors(structure: Any, tensors: Mapping[str, torch.Tensor], prefer_ema: bool = True,
                           device: str | torch.device = "cpu") -> torch.nn.Module:
    """The run's generator (its EMA average when saved and `prefer_ema`), in eval mode."""
    from ganlab.runs.state import _module_state

    G = build_generator(structure, device)
    prefix = "ema" if prefer_ema and any(k.startswith("ema.") for k in tensors) else "generator"
    try:
        G.load_state_dict(_module_state(prefix, G, dict(tensors), "generator"))
    except StateMismatch as exc:
        raise RunFormatError(f"{WEIGHTS}: {exc}") from None
    return G.eval()


def load_generator(run_dir: Path, prefer_ema: bool = True, device: str | torch.device = "cpu"):
    """(generator, config) of a saved run."""
    config = read_config(Path(run_dir))
    if config.get("view_only"):
        raise RunFormatError(f"run {Path(run_dir).name} was {config['migration']}")
    tensors, _ = read_weights(Path(run_dir))
    return generator_from_tensors(config_structure(config), tensors, prefer_ema, device), config


# ------------------------------------------------------------------ writing
def snapshot_steps(run_dir: Path) -> list[tuple[int, Path]]:
    """(step, file) of every saved snapshot, in step order: plain files only, in a snapshots
    folder that is not a link (a link out of the run is never read, written or thinned)."""
    out = []
    for p in safefs.plain_entries(Path(run_dir) / SNAPSHOTS):
        if p.name.startswith("step-") and p.suffix in (".png", ".npy") and p.stem[5:].isdigit() and len(p.stem) < 30:
            out.append((int(p.stem[5:]), p))
    return sorted(out)


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
                      "samples": SAMPLES if self.kind == "toy" else None, **(self.extra or {}).get("files", {})},
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
        if self.kind == "toy":
            noise = exp.eval_noise.cpu()
            samples = G(noise).numpy().astype(np.float32)
            atomic_write_bytes(self.run_dir / SAMPLES, _npy_bytes(samples))
            if state.step > self._snapshot_step:
                atomic_write_bytes(folder / f"step-{state.step:09d}.npy", _npy_bytes(samples[:SNAPSHOT_POINTS]))
        elif state.step > self._snapshot_step:
            from ganlab.runs.render import grid_png

            fake = G(exp.grid_noise.cpu(), None if exp.grid_labels is None else exp.grid_labels.cpu())
            atomic_write_bytes(folder / f"step-{state.step:09d}.png", grid_png(fake, exp.structure.channels))
        self._snapshot_step = max(self._snapshot_step, state.step)
        _thin_snapshots(self.run_dir)

    def _timeline_snapshots(self, up_to: int) -> None:
        """The experiment's timeline frames not on disk yet (up to the saved step), so the replay
        starts where the run did. An image frame is the averaged generator's grid when there is one."""
        from ganlab.runs.render import png_bytes

        timeline = getattr(self.experiment, "timeline", None)
        folder = self.run_dir / SNAPSHOTS
        for frame in timeline.frames() if timeline is not None else ():
            if not self._snapshot_step < frame.step <= up_to:
                continue
            if self.kind == "toy":
                data = _npy_bytes(np.asarray(frame.grid, dtype=np.float32)[:SNAPSHOT_POINTS])
                atomic_write_bytes(folder / f"step-{frame.step:09d}.npy", data)
            else:
                grid = frame.ema_grid if frame.ema_grid is not None else frame.grid
                atomic_write_bytes(folder / f"step-{frame.step:09d}.png", png_bytes(np.asarray(grid)))
            self._snapshot_step = frame.step


def _data_label(experiment: Any) -> str:
    if experiment.kind == "toy":
        return experiment.structure.data  # a toy name, or "csv"
    return experiment.dataset.name


def _table_of(h: Mapping[str, Any]) -> dict[str, np.ndarray]:
    values = np.asarray(h["values"])
    return {"step": np.asarray(h["steps"]), **{c: values[:, i] for i, c in enumerate(h["columns"])}}
