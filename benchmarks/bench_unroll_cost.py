"""What unrolling costs: the time of one training step (`train_step`, one D and one G update) with
G's loss against D unrolled K steps ahead (ganlab.gan.unroll), against K = 0, on one torch thread.

    python benchmarks/bench_unroll_cost.py --unroll 5

Prints ms/step (median of `--repeats` timings of `--steps` steps) for K = 0, K (the paper's
gradient through the unrolling, what ganlab trains) and K first order (no gradient through it),
for the "Unrolled GAN on the ring" preset's nets and the default 3x128 nets.

Measured on the shared 2-core dev machine (two runs of the defaults), K = 5: Unrolled preset 8.0-8.5 ms -> 61-62 ms
(7.3-7.6x; first order 3.6-3.7x); default nets 4.9-5.7 ms -> 49-53 ms (9.2-10.1x; first order 4.0-5.0x).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

import ganlab.gan.step as step_module  # noqa: E402
from ganlab.gan.unroll import unrolled_discriminator  # noqa: E402
from ganlab.kinds.toy_experiment import ToyExperiment  # noqa: E402
from ganlab.settings.presets import get_preset  # noqa: E402


def per_step(structure, knobs, steps: int, repeats: int, first_order: bool = False) -> float:
    """Median seconds per `train_step` (after 5 warm-up steps)."""
    original = step_module.unrolled_discriminator
    if first_order:
        step_module.unrolled_discriminator = functools.partial(unrolled_discriminator, second_order=False)
    try:
        parts = ToyExperiment(structure).build(knobs)
        for _ in range(5):
            step_module.train_step(parts, knobs)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(steps):
                step_module.train_step(parts, knobs)
            times.append((time.perf_counter() - start) / steps)
        return statistics.median(times)
    finally:
        step_module.unrolled_discriminator = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unroll", type=int, default=5)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    k = args.unroll
    for name in ("unrolled-ring", "default"):
        structure, knobs = get_preset(name).apply("ring")
        base = per_step(structure, knobs.replace(unroll=0), args.steps, args.repeats)
        full = per_step(structure, knobs.replace(unroll=k), args.steps, args.repeats)
        first = per_step(structure, knobs.replace(unroll=k), args.steps, args.repeats, first_order=True)
        g, d = structure.generator, structure.discriminator
        print(f"{name}: G {g.hidden_layers}x{g.width} {g.activation}, D {d.hidden_layers}x{d.width} {d.activation}, "
              f"batch {knobs.batch_size}")
        print(f"  K=0 {base * 1e3:.2f} ms/step; K={k} {full * 1e3:.2f} ms ({full / base:.1f}x); "
              f"K={k} first order {first * 1e3:.2f} ms ({first / base:.1f}x)")


if __name__ == "__main__":
    main()
