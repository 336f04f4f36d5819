"""Using a saved run: draw samples (a PNG grid / scatter, or arrays), export a data set for
augmentation (a zip of PNGs or an .npz, with labels for conditional nets), measure it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganlab.kinds import get_kind, kind_of
from ganlab.runs.state import restore_parts
from ganlab.runs.store import config_structure, load_generator, load_run
from ganlab.storage.report import unreadable

MAX_SAMPLES = 100_000
BATCH = 256


def class_names(config: dict[str, Any]) -> list[str]:
    structure = config_structure(config)
    names = config.get("class_names")
    k = getattr(structure, "num_classes", 0)  # the data's classes (a toy has none)
    if isinstance(names, list) and k and len(names) == k:
        return [str(c) for c in names]
    return [str(i) for i in range(k)]


@torch.no_grad()
def generate(run_dir: Path, n: int, seed: int = 0, prefer_ema: bool = True, label: int | None = None
             ) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
    """(samples, labels or None, config): n samples of the run's generator, as float32 numpy:
    (n, 2) points for a 2D run, (n, C, H, W) images in [-1, 1] for an image run. A conditional
    run draws the classes in turn (0, 1, ..., k-1, 0, ...), or only `label`."""
    if not 1 <= n <= MAX_SAMPLES:
        raise ValueError(f"the number of samples must be between 1 and {MAX_SAMPLES:,}, got {n}")
    G, config = load_generator(run_dir, prefer_ema=prefer_ema)
    structure = config_structure(config)
    kind = kind_of(structure)
    k = kind.num_classes(structure)
    if label is not None and not (k and 0 <= label < k):
        raise ValueError(f"--class needs a conditional run and a class from 0 to {k - 1}" if k
                         else "--class needs a conditional run; this one has no classes")
    rng = torch.Generator().manual_seed(seed)
    labels = None
    if k:
        labels = torch.full((n,), label) if label is not None else torch.arange(n) % k
    out = []
    for start in range(0, n, BATCH):
        z = kind.noise(structure, min(BATCH, n - start), rng)
        out.append(G(z, None if labels is None else labels[start: start + len(z)]).float())
    samples = torch.cat(out).numpy().astype(np.float32)
    return samples, (None if labels is None else labels.numpy()), config


def write_samples(run_dir: Path, n: int, out: Path, seed: int = 0, prefer_ema: bool = True,
                  label: int | None = None) -> str:
    """`ganlab sample`: .png (an 8-column grid, or a scatter for 2D) or .npy (the raw samples).
    Returns a one-line description."""
    suffix = out.suffix.lower()
    if suffix not in (".png", ".npy"):
        raise ValueError(f"-o must end in .png or .npy, got {out.name!r}")
    samples, labels, config = generate(run_dir, n, seed, prefer_ema, label)
    if suffix == ".npy":
        buf = io.BytesIO()
        np.save(buf, samples, allow_pickle=False)
        out.write_bytes(buf.getvalue())
        return f"wrote {out}: {n} samples, float32 {samples.shape}"
    picture, description = get_kind(config["kind"]).samples_picture(samples, config, run_dir)
    out.write_bytes(picture)
    return f"wrote {out}: {description}"


def export_samples(run_dir: Path, n: int, out: Path, seed: int = 0, prefer_ema: bool = True) -> str:
    """`ganlab export`: n samples as a zip of PNGs (one folder per class for a conditional run,
    plus labels.csv) or an .npz (`images` uint8 (n, H, W, C) and `labels`, or `points` for 2D)."""
    suffix = out.suffix.lower()
    if suffix not in (".zip", ".npz"):
        raise ValueError(f"-o must end in .zip or .npz, got {out.name!r}")
    samples, labels, config = generate(run_dir, n, seed, prefer_ema)
    return get_kind(config["kind"]).export(samples, labels, class_names(config), out)


def evaluate_run(run_dir: Path, device: str = "cpu") -> tuple[dict[str, float], dict[str, Any]]:
    """(metrics of the saved weights as the app shows them, config): a 2D run's modes and
    divergences; a digit run's Quality numbers with their baselines (and its pixel statistics).
    `config["quality_unavailable"]` says why an image run has no Quality numbers."""
    from ganlab.runs.evaluation import evaluate_parts

    experiment, state, config = load_run(run_dir, device)
    parts = experiment.build(state.knobs)
    restore_parts(parts, state.tensors, state.meta)
    torch.set_flush_denormal(True)
    try:
        metrics, reason = evaluate_parts(experiment, parts)
    except (RuntimeError, ValueError) as exc:
        raise unreadable("measuring the run failed (the details are in the server log)", exc) from None
    if reason is not None:
        config = dict(config, quality_unavailable=reason)
    return metrics, config
