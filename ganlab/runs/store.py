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

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load

import ganlab
from ganlab.kinds import GanKind, UnknownKind, get_kind, kind_of
from ganlab.kinds.image import IMAGES_FILE  # noqa: F401  (the run folder's file names, for readers)
from ganlab.kinds.toy import POINTS_FILE  # noqa: F401
from ganlab.kinds.toy import SAMPLES_FILE as SAMPLES  # noqa: F401
from ganlab.runs.state import StateMismatch, TrainingState
from ganlab.settings.config import ConfigError, Knobs
from ganlab.storage import guard, safefs, schema
from ganlab.storage.paths import RunFormatError
from ganlab.storage.report import unreadable
from ganlab.storage.tables import read_table

FORMAT = "ganlab-run"
FORMAT_VERSION = 1
CONFIG, WEIGHTS, HISTORY, EVALS = "config.json", "weights.safetensors", "history.csv", "evals.csv"
SNAPSHOTS = "snapshots"
MAX_CONFIG_BYTES = 10 * 1024 * 1024
MAX_WEIGHTS_BYTES = 2 * 1024 * 1024 * 1024


# ------------------------------------------------------------------ data of a run
def load_dataset(run_dir: Path, config: Mapping[str, Any]):
    """The run's training data (a ToyDistribution or ImageDataset); RunFormatError when it is
    gone or differs from what the run trained on."""
    data = config.get("data_source") or {}
    kind = config_kind(config)
    if data.get("source") not in kind.data_sources:
        raise RunFormatError(f"{CONFIG} does not say where the run's data comes from "
                             f"(data.source={data.get('source')!r})")
    return kind.load_dataset(Path(run_dir), data, config_structure(config))


# ------------------------------------------------------------------ config
def config_kind(config: Mapping[str, Any]) -> GanKind:
    try:
        return get_kind(config.get("kind"))
    except UnknownKind as exc:
        raise RunFormatError(f"{CONFIG}: {exc}") from None


def config_structure(config: Mapping[str, Any]):
    kind = config_kind(config)
    try:
        return kind.structure_from_dict(config.get("structure"))
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
        structure = get_kind(st["kind"]).structure_from_dict(st["structure"])
        knobs = Knobs.from_dict(st["knobs"])
        counters = {k: st["counters"][k] for k in ("step", "d_updates", "g_updates", "train_seconds", "last_eval_step")}
        step = int(counters["step"])
        history = _history_state(st["history"], read_table(run_dir / HISTORY), step, HISTORY)
        evals = _history_state(st["evals"], read_table(run_dir / EVALS), step, EVALS) if st.get("evals") else None
        meta = st["meta"]
        latest, latest_eval = dict(st.get("latest") or {}), dict(st.get("latest_eval") or {})
    except RunFormatError:
        raise
    except (KeyError, TypeError, ValueError, ConfigError, AttributeError, OverflowError, UnknownKind) as exc:
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
    try:
        return config_kind(config).experiment(structure, dataset, device=device)
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
    return kind_of(structure).build_nets(structure, device)[0]


def generator_from_tensors(structure: Any, tensors: Mapping[str, torch.Tensor], prefer_ema: bool = True,
                           device: str | torch.device = "cpu") -> torch.nn.Module:
    """The run's generator (its EMA average when saved and `prefer_ema`), in eval mode."""
    from ganlab.runs.state import module_state

    G = build_generator(structure, device)
    prefix = "ema" if prefer_ema and any(k.startswith("ema.") for k in tensors) else "generator"
    try:
        G.load_state_dict(module_state(prefix, G, dict(tensors), "generator"))
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
