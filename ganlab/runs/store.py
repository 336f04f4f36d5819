"""The run directory format, and reading a run back safely (writing it: ganlab.runs.writer).

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

import hashlib
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load

import ganlab
from ganlab.config import ConfigError, ImageStructure, Knobs, ToyStructure
from ganlab.runs import guard, safefs, schema
from ganlab.runs.paths import RunFormatError
from ganlab.runs.report import unreadable
from ganlab.runs.state import StateMismatch, TrainingState
from ganlab.runs.tables import read_table

FORMAT = "ganlab-run"
FORMAT_VERSION = 1
CONFIG, WEIGHTS, HISTORY, EVALS, SAMPLES = "config.json", "weights.safetensors", "history.csv", "evals.csv", "samples.npy"
SNAPSHOTS = "snapshots"
POINTS_FILE, IMAGES_FILE = "data_points.npy", "dataset.npz"
MAX_CONFIG_BYTES = 10 * 1024 * 1024
MAX_WEIGHTS_BYTES = 2 * 1024 * 1024 * 1024
STRUCTURES = {"toy": ToyStructure, "image": ImageStructure}


# ------------------------------------------------------------------ data of a run
def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


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


# ------------------------------------------------------------------ snapshots
def snapshot_steps(run_dir: Path) -> list[tuple[int, Path]]:
    """(step, file) of every saved snapshot, in step order: plain files only, in a snapshots
    folder that is not a link (a link out of the run is never read, written or thinned)."""
    out = []
    for p in safefs.plain_entries(Path(run_dir) / SNAPSHOTS):
        if p.name.startswith("step-") and p.suffix in (".png", ".npy") and p.stem[5:].isdigit() and len(p.stem) < 30:
            out.append((int(p.stem[5:]), p))
    return sorted(out)
