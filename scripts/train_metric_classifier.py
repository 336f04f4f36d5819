"""Train ganlab's metric classifier and write it, with a held-out real reference, as
ganlab/assets/mnist_classifier.safetensors; also write the tiny test fixture of real test
digits (tests/fixtures/mnist_test_digits.npz).

    python scripts/train_metric_classifier.py --root ../shared/data

Data: MNIST through torchvision (download=False; the idx files must be in <root>/MNIST/raw).
It trains on the training split there (10,000 images in this project's offline copy) and
reports accuracy on the official 10,000-image test set, which is never used for any choice
(the recipe below is fixed: no early stopping, no tuning on it). Augmentation: a random
affine per image (rotation +-10 degrees, scale 0.9-1.1, shift +-2 px), which helps with a
training set this small and makes the classifier less brittle on generated digits.

The file also carries the 64-d features of `--reference` held-out test digits (a fixed
random subset of the test set, seed 0) and their labels: the real side of the Frechet
distance, the class distribution and the real-vs-real baselines. MNIST is by Yann LeCun
and Corinna Cortes, CC BY-SA 3.0 (see ganlab/assets/README.md).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganlab.metrics.classifier import (
    FEATURE_DIM,
    FORMAT_VERSION,
    REFERENCE_FEATURES,
    REFERENCE_LABELS,
    DigitClassifier,
    metadata_dict,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "ganlab" / "assets" / "mnist_classifier.safetensors"
DEFAULT_FIXTURE = REPO / "tests" / "fixtures" / "mnist_test_digits.npz"
MAX_BYTES = 2 * 1024 * 1024
ARCHITECTURE = "3 conv blocks (32-64-64, 3x3, ReLU, max-pool) -> 64-d ReLU features -> linear 10"


def to_input(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [-1, 1], the generator's range."""
    return images_uint8.float().div(127.5).sub(1.0).unsqueeze(1)


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A random affine per image: rotation +-10 deg, scale 0.9-1.1, shift +-2 px (of 28).
    Out-of-frame pixels are background (-1)."""
    n = x.shape[0]
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(10)
    scale = 0.9 + 0.2 * torch.rand(n, generator=generator)
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * (2 / 14)  # normalised coords: 14 px per unit
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x + 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False) - 1


@torch.no_grad()
def accuracy(net: DigitClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    net.eval()
    pred = torch.cat([net(chunk).argmax(1) for chunk in x.split(1000)])
    return float((pred == y).float().mean())


def train(x: torch.Tensor, y: torch.Tensor, epochs: int, batch_size: int, lr: float, seed: int) -> DigitClassifier:
    torch.manual_seed(seed)
    net = DigitClassifier()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps = epochs * math.ceil(len(x) / batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.2)
    g = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        net.train()
        started, total, correct, seen = time.perf_counter(), 0.0, 0, 0
        for idx in torch.randperm(len(x), generator=g).split(batch_size):
            xb, yb = augment(x[idx], g), y[idx]
            logits = net(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            seen += len(idx)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / seen:.4f}, train acc (augmented) {correct / seen:.4f}, "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    net.eval()
    return net


@torch.no_grad()
def features(net: DigitClassifier, x: torch.Tensor) -> torch.Tensor:
    return torch.cat([net.features(chunk) for chunk in x.split(1000)])


def fixture_indices(labels: np.ndarray, per_class: int) -> np.ndarray:
    """The first `per_class` reference images of every class (indices into the reference)."""
    return np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="data root holding MNIST/raw")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--fixture", type=Path, default=DEFAULT_FIXTURE)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--reference", type=int, default=4000, help="held-out test digits whose features ship")
    parser.add_argument("--fixture-per-class", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    from safetensors.torch import save_file
    from torchvision.datasets import MNIST

    train_set = MNIST(root=str(args.root), train=True, download=False)
    test_set = MNIST(root=str(args.root), train=False, download=False)
    x_train, y_train = to_input(train_set.data), train_set.targets.long()
    x_test, y_test = to_input(test_set.data), test_set.targets.long()
    print(f"training on {len(x_train)} MNIST training images, testing on {len(x_test)} test images "
          f"({args.threads} torch thread(s))", flush=True)

    started = time.perf_counter()
    net = train(x_train, y_train, args.epochs, args.batch_size, args.lr, args.seed)
    train_seconds = time.perf_counter() - started
    test_acc = accuracy(net, x_test, y_test)
    train_acc = accuracy(net, x_train, y_train)
    print(f"trained in {train_seconds:.0f} s; train accuracy {train_acc:.4f}; TEST ACCURACY {test_acc:.4f} "
          f"({round(test_acc * len(x_test))}/{len(x_test)})")

    ref = torch.randperm(len(x_test), generator=torch.Generator().manual_seed(args.seed))[:args.reference]
    ref_features = features(net, x_test[ref]).float().contiguous()
    ref_labels = y_test[ref].to(torch.uint8).contiguous()
    tensors = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
    tensors[REFERENCE_FEATURES] = ref_features
    tensors[REFERENCE_LABELS] = ref_labels
    meta = metadata_dict(
        format_version=FORMAT_VERSION,
        architecture=ARCHITECTURE,
        parameters=sum(p.numel() for p in net.parameters()),
        test_accuracy=f"{test_acc:.4f}",
        test_images=len(x_test),
        test_set="MNIST official test set (t10k), 10,000 images",
        train_accuracy=f"{train_acc:.4f}",
        training_data=f"MNIST training split as found under the data root: {len(x_train)} images "
                      "(this project's offline copy: the first 10,000 of the 60,000, shuffled); "
                      "augmented by random affine (rotation +-10 deg, scale 0.9-1.1, shift +-2 px)",
        training=f"Adam, one-cycle lr max {args.lr}, {args.epochs} epochs, batch {args.batch_size}, seed {args.seed}",
        input="float (N, 1, 28, 28) in [-1, 1]: pixel / 127.5 - 1, white ink on black; no other normalisation",
        image_size=28,
        channels=1,
        num_classes=10,
        feature_dim=FEATURE_DIM,
        feature_layer="body: output of the 64-unit ReLU layer before the linear head (dropout is off in eval)",
        reference=f"{REFERENCE_FEATURES}: features of {len(ref)} held-out MNIST test images (randperm seed "
                  f"{args.seed} of the 10,000, first {len(ref)}); {REFERENCE_LABELS}: their true labels",
        made_by="scripts/train_metric_classifier.py",
        licence="weights and features derived from MNIST (Yann LeCun and Corinna Cortes), CC BY-SA 3.0",
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(args.out), metadata=meta)
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({size / 1024:.0f} KiB: {sum(p.numel() for p in net.parameters())} weights, "
          f"{len(ref)} reference feature vectors)")
    if size > MAX_BYTES:
        raise SystemExit(f"{args.out} is {size} bytes, over the {MAX_BYTES} limit")

    # tiny fixture for the tests: real test digits from the reference set, with their
    # reference index so a test can check the shipped features against fresh ones
    pick = fixture_indices(ref_labels.numpy(), args.fixture_per_class)
    args.fixture.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.fixture, images=test_set.data[ref[pick]].numpy(), labels=ref_labels.numpy()[pick],
                        reference_index=pick.astype(np.int64), test_index=ref[pick].numpy().astype(np.int64))
    print(f"wrote {args.fixture} ({len(pick)} test digits, {args.fixture.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
