"""Make ganlab's built-in "digits" dataset: a class-balanced subset of real MNIST
handwriting, shipped as ganlab/assets/digits.npz so the image page works offline.

    python scripts/make_builtin_digits.py --root ../shared/data

reads MNIST's training split through torchvision (download=False: the idx files must be
in <root>/MNIST/raw), takes `--per-class` images of every digit with a fixed seed and
writes uint8 `images` (N, 28, 28) and `labels` (N,) with np.savez_compressed, shuffled.
MNIST is by Yann LeCun and Corinna Cortes, CC BY-SA 3.0 (see ganlab/assets/README.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "ganlab" / "assets" / "digits.npz"
MAX_BYTES = 2 * 1024 * 1024


def balanced_subset(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of `per_class` examples of every class, drawn without replacement, shuffled."""
    rng = np.random.default_rng(seed)
    picks = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        if len(members) < per_class:
            raise SystemExit(f"class {c} has only {len(members)} images; asked for {per_class}")
        picks.append(rng.choice(members, per_class, replace=False))
    return rng.permutation(np.concatenate(picks))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="data root holding MNIST/raw")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--per-class", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from torchvision.datasets import MNIST

    mnist = MNIST(root=str(args.root), train=True, download=False)
    images, labels = mnist.data.numpy(), mnist.targets.numpy()
    idx = balanced_subset(labels, args.per_class, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, images=images[idx].astype(np.uint8), labels=labels[idx].astype(np.uint8))
    size = args.out.stat().st_size
    print(f"wrote {args.out}: {len(idx)} images ({args.per_class} per class), {size / 2**20:.2f} MB")
    if size > MAX_BYTES:
        raise SystemExit(f"{args.out} is over {MAX_BYTES // 2**20} MB; use fewer images per class")


if __name__ == "__main__":
    main()
