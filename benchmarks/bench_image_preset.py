"""Train an image preset for a fixed wall-clock budget through the app's Runner and write
its sample grids as PNGs, to judge by eye whether samples are recognisable in time.

    python benchmarks/bench_image_preset.py --preset dcgan --seconds 60 --out /tmp/dcgan

prints the steps reached, steps/s and images/s, the metric classifier's numbers (digit
data), for conditional presets the within-class spread of the samples against the real
data's (near 0: one style per class), and writes OUT-live.png (and OUT-ema.png with EMA
on, plus OUT-timeline.png: a strip of grids from the run's timeline).
One torch thread by default, as each runner in the app has.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import numpy as np
import torch
from PIL import Image

from ganlab.data.image_sources import load_image_source
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.settings.image_presets import IMAGE_PRESETS, get_image_preset
from ganlab.training.runner import Runner, RunState


def _save(grid: np.ndarray, path: str, scale: int = 2) -> None:
    img = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST).save(path)
    print(f"wrote {path}")


def _score(runner: Runner, structure) -> None:
    """The metric classifier's numbers for the live and the EMA generator (digits only)."""
    from ganlab.metrics.classifier import unavailable_reason_for
    from ganlab.training.quality_monitor import ImageQualityEvaluator, runner_sample_source

    reason = unavailable_reason_for(structure)
    if reason is not None:
        print(reason)
        return
    evaluator = ImageQualityEvaluator()
    for ema in (False, True) if structure.ema_decay > 0 else (False,):
        step, images = runner_sample_source(runner, ema=ema)()
        r = evaluator(step, images)
        print(f"{'EMA ' if ema else 'live'} G at step {step}: classes covered {r.classes_covered}/{r.num_classes}, "
              f"class KL {r.class_kl:.3f} (real {r.kl_baseline:.3f}), Frechet {r.frechet:.1f} "
              f"(real {r.frechet_baseline:.1f}), IS {r.inception_score:.2f} (real {r.inception_score_real:.2f})")


def _mean_pairwise_distance(x: torch.Tensor) -> float:
    flat = x.reshape(len(x), -1).float()
    return float(torch.cdist(flat, flat).sum() / (len(flat) * (len(flat) - 1)))


def _within_class_spread(runner: Runner, experiment: ImageExperiment) -> None:
    """Conditional runs: how varied each class's samples are, as the mean pairwise pixel
    distance among a class's samples over the same among real images of that class (1: as
    varied as the data; near 0: one image per class whatever the noise)."""
    from ganlab.training.quality_monitor import runner_sample_source

    labels = experiment.eval_labels
    real_x, real_y = experiment.dataset.to_float(experiment.dataset.images), experiment.dataset.labels
    classes = [int(c) for c in torch.unique(labels) if int((real_y == c).sum()) >= 2]
    real = {c: _mean_pairwise_distance(real_x[real_y == c][:64]) for c in classes}
    for ema in (False, True) if experiment.structure.ema_decay > 0 else (False,):
        step, images = runner_sample_source(runner, ema=ema)()
        x = torch.as_tensor(images)
        ratios = [_mean_pairwise_distance(x[labels == c]) / real[c] for c in classes if int((labels == c).sum()) >= 2]
        print(f"{'EMA ' if ema else 'live'} G at step {step}: within-class spread / real {np.mean(ratios):.2f} "
              f"(mean over {len(ratios)} classes; min {min(ratios):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="dcgan", choices=list(IMAGE_PRESETS))
    parser.add_argument("--data", default="digits", help="an image source name (digits works offline)")
    parser.add_argument("--seconds", type=float, default=60.0, help="wall-clock training budget")
    parser.add_argument("--steps", type=int, default=0,
                        help="train exactly this many steps instead (judge quality apart from machine load)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads for the runner")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--structure", default="{}", help='JSON overrides, e.g. \'{"width": 16}\'')
    parser.add_argument("--knobs", default="{}", help='JSON overrides, e.g. \'{"batch_size": 32}\'; '
                        'optimizer lr via "lr" (both nets)')
    parser.add_argument("--out", default="/tmp/ganlab-image-preset", help="path prefix of the PNGs")
    args = parser.parse_args()

    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    preset = get_image_preset(args.preset)
    dataset = load_image_source(args.data, 28 if args.data != "cifar10" else 32, 1 if args.data != "cifar10" else 3)
    from ganlab.settings.config import ImageStructure

    base = ImageStructure(dataset=args.data, image_size=dataset.image_size, channels=dataset.channels,
                          num_classes=dataset.num_classes, seed=args.seed)
    structure, knobs = preset.apply(base)
    structure = dataclasses.replace(structure, **json.loads(args.structure))
    changes = json.loads(args.knobs)
    if "lr" in changes:
        lr = changes.pop("lr")
        changes |= {"g_opt": dataclasses.replace(knobs.g_opt, lr=lr), "d_opt": dataclasses.replace(knobs.d_opt, lr=lr)}
    knobs = knobs.replace(**changes)
    experiment = ImageExperiment(structure, dataset, device=args.device)
    runner = Runner(experiment, knobs, torch_threads=args.threads, eval_every=100)
    try:
        runner.wait_idle(60)
        started = time.monotonic()
        if args.steps:
            runner.step("both", args.steps)
            runner.wait_idle(timeout=24 * 3600)
        else:
            runner.play()
            while time.monotonic() - started < args.seconds:
                time.sleep(0.5)
                if runner.state != RunState.RUNNING:
                    break
            runner.pause()
        elapsed = time.monotonic() - started
        runner.wait_idle(60)
        snap = runner.snapshot(want_view=True, wait_for_view=30)
        if snap.message:
            print(snap.message)
        rate = snap.step / elapsed
        images = rate * knobs.batch_size * (knobs.d_steps + 1)
        print(f"preset {args.preset} on {args.data}, seed {args.seed}, {args.threads} torch thread(s), {args.device}: "
              f"{snap.step} steps in {elapsed:.1f} s = {rate:.1f} steps/s, {images:,.0f} generated images/s "
              f"(batch {knobs.batch_size} x (D steps {knobs.d_steps} + 1))")
        print(f"last losses: D {snap.latest.get('d_loss', float('nan')):.3f}, G {snap.latest.get('g_loss', float('nan')):.3f}; "
              f"D(x) {snap.latest.get('d_real', float('nan')):.2f}, D(G(z)) {snap.latest.get('d_fake', float('nan')):.2f}")
        _score(runner, structure)
        if structure.conditional:
            _within_class_spread(runner, experiment)
        _save(snap.view.grid, f"{args.out}-live.png")
        if snap.view.ema_grid is not None:
            _save(snap.view.ema_grid, f"{args.out}-ema.png")
        frames = experiment.timeline.frames()
        if frames:
            pick = [frames[i] for i in np.linspace(0, len(frames) - 1, min(6, len(frames))).round().astype(int)]
            strip = np.concatenate([f.grid for f in pick], axis=1)
            _save(strip, f"{args.out}-timeline.png", scale=1)
            print("timeline strip steps:", [f.step for f in pick])
    finally:
        runner.release()
        print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    torch.set_flush_denormal(True)
    main()
