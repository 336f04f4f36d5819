"""Figures for the image GAN's metric classifier (ganlab/assets/mnist_classifier.safetensors).

    python benchmarks/bench_metric_classifier.py [--root ../shared/data] [--threads 1]

Prints: the test accuracy recorded in the file, and, when MNIST's test set is under
--root, re-measured on all 10,000 test digits; the file's size; the time per 1,000 images
for features + class probabilities on --threads intra-op threads (best of --repeats);
the time one monitor evaluation of the default 256 samples takes; and the real-vs-real
baselines (Frechet, class KL, IS) at 256 and 1,000 samples, with the spread of the
Frechet baseline over its disjoint subsets. Plus, for scale, what a few damaged real
sets score (the built-in digits, which are MNIST training images: the scale of a perfect
generator; blurred; noisy; one class only).

    python benchmarks/bench_metric_classifier.py --overhead-seconds 20 --rounds 2

also measures what the monitor costs training: a headless Runner on the default image
preset (built-in digits) for --overhead-seconds per round, without and with a
QualityMonitor at --interval seconds, interleaved (without, with, with, without, ...);
prints steps/s of each and the ratio.

    python benchmarks/bench_metric_classifier.py --train-minutes 10

trains the default image preset on the built-in digits for that long with the monitor
attached (every --interval s) and prints each measurement and when each target was first
met: 10/10 classes, class KL < 0.05, Frechet within 3x the real-vs-real baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganlab.metrics.classifier import classifier_path, load_metric_classifier
from ganlab.training.quality_monitor import ImageQualityEvaluator, QualityMonitor, runner_sample_source

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--overhead-seconds", type=float, default=0.0, help="0: skip the overhead measurement")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--interval", type=float, default=5.0, help="monitor interval, seconds")
    parser.add_argument("--train-minutes", type=float, default=0.0, help="0: skip the training run")
    parser.add_argument("--data", default="digits", choices=("digits", "mnist"),
                        help="training data for --train-minutes: the built-in digits or MNIST from --root "
                             "(the issue's target is MNIST from ../shared/data)")
    parser.add_argument("--ema", action="store_true", help="score the EMA generator instead of the live one")
    parser.add_argument("--structure", type=json.loads, default={}, metavar="JSON",
                        help='changes to the default preset\'s nets for --train-minutes, e.g. \'{"width": 24}\'')
    parser.add_argument("--knobs", type=json.loads, default={}, metavar="JSON",
                        help='changes to its knobs, e.g. \'{"lr_decay_start": 15000, "lr_half_life": 4000}\'')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    clf = load_metric_classifier()
    print(f"test accuracy (recorded in the file): {clf.test_accuracy:.4f}")
    try:
        from torchvision.datasets import MNIST

        test = MNIST(root=str(args.root), train=False, download=False)
        x = test.data.float().div(127.5).sub(1).unsqueeze(1)
        pred = clf.predict(x)
        acc = float((pred == test.targets.numpy()).mean())
        print(f"test accuracy (re-measured on {len(x)} MNIST test digits): {acc:.4f}")
    except Exception as e:  # no MNIST here: the recorded figure stands
        print(f"(MNIST test set not readable under {args.root}: {type(e).__name__}; skipping re-measurement)")
        x = None
    size = classifier_path().stat().st_size
    print(f"file size: {size} bytes ({size / 2**20:.2f} MiB)")

    from ganlab.data.image_sources import load_image_source

    digits = load_image_source("digits")
    real = digits.to_float(digits.images[:1000]).numpy()
    clf.features_and_probs(real[:64])  # warm-up
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        clf.features_and_probs(real)
        times.append(time.perf_counter() - t)
    print(f"features + probabilities per 1,000 images on {args.threads} thread(s): "
          f"{min(times) * 1000:.0f} ms best, {np.median(times) * 1000:.0f} ms median of {args.repeats}")

    evaluator = ImageQualityEvaluator(clf)
    evaluator(0, real[:256])  # builds the reference for 256
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        evaluator(0, real[:256])
        times.append(time.perf_counter() - t)
    print(f"one monitor evaluation of 256 samples: {min(times) * 1000:.0f} ms best, {np.median(times) * 1000:.0f} "
          "ms median")

    for n in (256, 1000):
        ref = evaluator.reference(n)
        print(f"real-vs-real baselines at n={n} (held-out MNIST test digits, reference half {ref.reference_size}, "
              f"mean of {ref.baseline_rounds} disjoint subsets): Frechet {ref.frechet_baseline:.2f} "
              f"(sd {ref.frechet_baseline_std:.2f}), class KL {ref.kl_baseline:.4f}, IS {ref.inception_score_real:.2f}")

    g = torch.Generator().manual_seed(0)
    base = torch.from_numpy(real[:256])
    ones = torch.from_numpy(real[:1000][digits.labels[:1000].numpy() == 1][:256])
    cases = {
        "built-in digits (MNIST training images)": base,
        "blurred (3x3 box)": F.avg_pool2d(base, 3, 1, 1),
        "noisy (+ N(0, 0.5^2), clipped)": (base + 0.5 * torch.randn(base.shape, generator=g)).clamp(-1, 1),
        "one class only (1s)": ones.repeat(3, 1, 1, 1)[:256],
    }
    for name, images in cases.items():
        r = evaluator(0, images.numpy())
        print(f"  {name:40s} classes {r.classes_covered}/10, KL {r.class_kl:.3f}, Frechet {r.frechet:.1f} "
              f"({r.frechet_ratio:.1f}x baseline), IS {r.inception_score:.2f}")
    if args.overhead_seconds > 0:
        overhead(args.overhead_seconds, args.rounds, args.interval)
    if args.train_minutes > 0:
        train_with_monitor(args.train_minutes, args.interval, args.data, args.root, args.ema, args.structure,
                           args.knobs)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _digits_runner(data: str = "digits", root: Path | None = None, structure_changes: dict | None = None,
                   knob_changes: dict | None = None):
    from ganlab.data.image_sources import load_image_source
    from ganlab.kinds.image_experiment import ImageExperiment
    from ganlab.settings.config import ImageStructure, Knobs
    from ganlab.settings.image_presets import default_image_settings
    from ganlab.training.runner import Runner

    structure, knobs = default_image_settings()
    structure = ImageStructure.from_dict({**structure.to_dict(), **(structure_changes or {}), "dataset": data})
    knobs = Knobs.from_dict({**knobs.to_dict(), **(knob_changes or {})})
    dataset = load_image_source(data, structure.image_size, structure.channels,
                                **({"root": root} if data != "digits" and root is not None else {}))
    runner = Runner(ImageExperiment(structure, dataset), knobs)
    runner.wait_idle(60)
    return runner, structure, knobs


def _rate(seconds: float, with_monitor: bool, interval: float) -> tuple[float, int]:
    runner, _, _ = _digits_runner()
    monitor = QualityMonitor(runner_sample_source(runner), ImageQualityEvaluator(), interval_s=interval)
    try:
        runner.play()
        time.sleep(2.0)  # warm-up
        if with_monitor:
            monitor.start()
        s0, t0 = runner.snapshot().step, time.monotonic()
        time.sleep(seconds)
        s1, t1 = runner.snapshot().step, time.monotonic()
        return (s1 - s0) / (t1 - t0), monitor.snapshot().evaluations
    finally:
        monitor.stop()
        runner.release()


def overhead(seconds: float, rounds: int, interval: float) -> None:
    print(f"training speed, default image preset on digits, {seconds:.0f} s per measurement, monitor every "
          f"{interval:g} s:")
    bare, monitored = [], []
    for r in range(rounds):
        order = (False, True) if r % 2 == 0 else (True, False)
        for with_monitor in order:
            rate, evaluations = _rate(seconds, with_monitor, interval)
            (monitored if with_monitor else bare).append(rate)
            print(f"  round {r + 1}: {'with' if with_monitor else 'without'} monitor: {rate:.2f} steps/s"
                  + (f" ({evaluations} evaluations)" if with_monitor else ""), flush=True)
    print(f"with / without monitor: {np.mean(monitored):.2f} / {np.mean(bare):.2f} steps/s = "
          f"{np.mean(monitored) / np.mean(bare):.3f}")


def train_with_monitor(minutes: float, interval: float, data: str = "digits", root: Path | None = None,
                       ema: bool = False, structure_changes: dict | None = None,
                       knob_changes: dict | None = None) -> None:
    runner, structure, knobs = _digits_runner(data, root, structure_changes, knob_changes)
    monitor = QualityMonitor(runner_sample_source(runner, ema=ema), ImageQualityEvaluator(), interval_s=interval)
    print(f"training on {data} ({len(runner.experiment.dataset)} images) {structure} with {knobs} for {minutes:g} min; "
          f"scoring the {'EMA' if ema else 'live'} generator every {interval:g} s", flush=True)
    first: dict[str, tuple[float, int]] = {}
    seen = -1
    started = time.monotonic()
    try:
        runner.play()
        monitor.start()
        while time.monotonic() - started < minutes * 60:
            time.sleep(1.0)
            snap = monitor.snapshot()
            if snap.error:
                print(f"  monitor error: {snap.error}", flush=True)
            r = snap.latest
            if r is None or r.step == seen:
                continue
            seen = r.step
            elapsed = time.monotonic() - started
            print(f"  {elapsed:6.0f} s step {r.step:6d}: classes {r.classes_covered}/10, KL {r.class_kl:.3f}, "
                  f"Frechet {r.frechet:.1f} ({r.frechet_ratio:.2f}x baseline {r.frechet_baseline:.1f}), "
                  f"IS {r.inception_score:.2f}", flush=True)
            for name, met in (("10/10 classes", r.classes_covered == 10), ("KL < 0.05", r.class_kl < 0.05),
                              ("Frechet <= 3x baseline", r.frechet_ratio <= 3)):
                if met and name not in first:
                    first[name] = (elapsed, r.step)
    finally:
        monitor.stop()
        runner.release()
    for name in ("10/10 classes", "KL < 0.05", "Frechet <= 3x baseline"):
        print(f"first met: {name}: " + (f"{first[name][0]:.0f} s (step {first[name][1]})" if name in first
                                         else "not within the run"))


if __name__ == "__main__":
    main()
