"""What does the style-based generator cost against the DCGAN generator, per training step and
per slider move?

    python benchmarks/bench_style_generator.py                 # ~30 s
    python benchmarks/bench_style_generator.py --rounds 30 --style-widths 16 32

Training: one generator step's forward + backward (mean of the output squared as a stand-in
loss) on a batch of 64 28x28 grey images from 100-d noise, for StyleGenerator at a few widths and
DCGANGenerator at the presets' widths 32 and 64 (batch norm, as the presets have it). The nets take
turns within each round, so a change in the machine's load falls on all of them alike; the median
of the rounds is printed. The discriminator's step is not included (it is the same for both).

Rendering (eval mode, no grad, w's precomputed): one style-mixing render (mix_styles +
synthesize of 8 images) and one truncation render (truncate + synthesize of 8 images), the work
one slider move costs the page. Target: at most 100 ms.

One torch thread, as each runner in the app has; denormals flushed (as the trainers do).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from ganlab.nets.dcgan import DCGANGenerator
from ganlab.nets.mlp import count_parameters
from ganlab.nets.style import StyleGenerator, mix_styles, truncate

NOISE = 100
BATCH = 64
SIZE = 28
RENDER_BATCH = 8
TARGET_MS = 100.0


def _load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def _step(G: nn.Module, z: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        G.zero_grad(set_to_none=True)
        G(z).square().mean().backward()
    return run


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_training(style_widths: list[int], dcgan_widths: list[int], rounds: int) -> None:
    torch.manual_seed(0)
    z = torch.randn(BATCH, NOISE)
    nets: dict[str, nn.Module] = {}
    for w in style_widths:
        nets[f"StyleGenerator width {w}"] = StyleGenerator(NOISE, SIZE, 1, w).train()
    for w in dcgan_widths:
        nets[f"DCGANGenerator width {w}"] = DCGANGenerator(NOISE, SIZE, 1, w).train()
    steps = {name: _step(G, z) for name, G in nets.items()}
    for run in steps.values():  # warm-up: first-call allocations and kernel choice
        run()
    times: dict[str, list[float]] = {name: [] for name in nets}
    for _ in range(rounds):
        for name, run in steps.items():
            times[name].append(_timed(run))
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    reference = medians.get(f"DCGANGenerator width {max(dcgan_widths)}") if dcgan_widths else None
    print(f"G step (forward + backward), batch {BATCH}, {SIZE}x{SIZE} grey, noise {NOISE}: median of {rounds} rounds")
    for name, ms in medians.items():
        ratio = f"  x{ms / reference:.1f} DCGAN width {max(dcgan_widths)}" if reference else ""
        print(f"  {name:<26} {ms:8.1f} ms  ({count_parameters(nets[name]):>9,} parameters){ratio}")
    print(f"  {_load()}")


def _renders(G: StyleGenerator) -> tuple[Callable[[], torch.Tensor], Callable[[], torch.Tensor]]:
    """(mixing, truncation): one slider move's render each, the w's computed once here."""
    with torch.no_grad():
        w_a, w_b = G.mapping(torch.randn(RENDER_BATCH, NOISE)), G.mapping(torch.randn(RENDER_BATCH, NOISE))
        w_mean = G.mean_w()

    @torch.no_grad()
    def mixing() -> torch.Tensor:
        return G.synthesize(mix_styles(w_a, w_b, G.num_styles, G.num_styles // 2))

    @torch.no_grad()
    def truncation() -> torch.Tensor:
        return G.synthesize(truncate(w_a, w_mean, 0.7)[:, None, :].expand(-1, G.num_styles, -1))

    return mixing, truncation


def bench_rendering(style_widths: list[int], repeats: int) -> None:
    print(f"slider renders, {RENDER_BATCH} images, eval mode, no grad: median of {repeats} (target <= {TARGET_MS:.0f} ms)")
    for w in style_widths:
        torch.manual_seed(0)
        mixing, truncation = _renders(StyleGenerator(NOISE, SIZE, 1, w).eval())
        mixing(), truncation()  # warm-up
        mix_ms = statistics.median(_timed(mixing) for _ in range(repeats)) * 1000
        trunc_ms = statistics.median(_timed(truncation) for _ in range(repeats)) * 1000
        verdict = "ok" if max(mix_ms, trunc_ms) <= TARGET_MS else "OVER TARGET"
        print(f"  StyleGenerator width {w:<3}  mixing {mix_ms:6.1f} ms   truncation {trunc_ms:6.1f} ms   {verdict}")
    print(f"  {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15, help="training rounds (each net once per round)")
    parser.add_argument("--style-widths", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--dcgan-widths", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--render-repeats", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    print(f"torch {torch.__version__}, 1 thread, {_load()}")
    started = time.perf_counter()
    bench_training(args.style_widths, args.dcgan_widths, args.rounds)
    bench_rendering(args.style_widths, args.render_repeats)
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
