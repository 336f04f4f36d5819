"""What does the Runner cost? Its steps/s (headless, playing) against a bare,
hand-written PyTorch loop on the same nets, batch, loss and Adam settings.

    python benchmarks/bench_runner_overhead.py --data ring --preset default --seconds 10
    python benchmarks/bench_runner_overhead.py --data digits --preset dcgan --seconds 10   # an image GAN
    python benchmarks/bench_runner_overhead.py --trainer thread   # the Runner as a thread of this process

`--trainer process` (the default, what the app runs) trains the run in its own worker
process (`make_runner`: forked from the forkserver with torch preloaded, one intra-op
thread); `--trainer thread` is the in-process Runner thread (before trainer processes).

The two are measured in the same process, interleaved (runner, bare, bare,
runner, ...) so that drift in the machine's load hits both alike. The runner's
rate is read from snapshot step counts over wall time after a warm-up; the bare
loop counts its own steps over wall time. Both use the same number of intra-op
threads (the runner's default, one). Prints each round, the totals and the
ratio runner / bare (target >= 0.95).

The bare loop uses ganlab's nets (MLP, or DCGAN for image data) and the loss functions
from the loss registry (pure functions on logits), and R1 / gradient penalty from
ganlab.gan.regularizers when the preset sets them, but none of ganlab's step code:
no records, no history, no evaluations, no locks. For an image preset with an EMA
generator, the bare loop averages G's weights by hand too (the same work).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from ganlab.data.image_sources import load_image_source  # noqa: E402
from ganlab.data.toy import TOY_DISTRIBUTIONS as PRESET_DATA_2D  # noqa: E402
from ganlab.gan.losses import get_loss  # noqa: E402
from ganlab.gan.regularizers import gradient_penalty, r1_penalty  # noqa: E402
from ganlab.kinds.image_experiment import ImageExperiment  # noqa: E402
from ganlab.kinds.toy_experiment import ToyExperiment  # noqa: E402
from ganlab.nets.dcgan import DCGANDiscriminator, DCGANGenerator  # noqa: E402
from ganlab.nets.mlp import MLPDiscriminator, MLPGenerator  # noqa: E402
from ganlab.settings.config import ImageStructure  # noqa: E402
from ganlab.settings.image_presets import IMAGE_PRESETS, get_image_preset  # noqa: E402
from ganlab.settings.presets import PRESETS, get_preset  # noqa: E402
from ganlab.training.runner import Runner  # noqa: E402
from ganlab.training.trainers import make_runner, trainer_kind  # noqa: E402

TRAINERS = ("process", "thread")


def new_runner(experiment, knobs, trainer: str = "process", threads: int = 1):
    """A headless runner: "process" as the app makes it (its own worker process, one intra-op
    thread there whatever `threads` says), "thread" the in-process Runner with `threads`."""
    if trainer == "thread":
        return Runner(experiment, knobs, torch_threads=threads)
    if trainer_kind() != "process":
        raise SystemExit("unset GANLAB_TRAINERS and GANLAB_RAY_ADDRESS to measure process trainers")
    return make_runner(experiment, knobs, slots=None)


def runner_rate(experiment: ToyExperiment, knobs, warmup: float, seconds: float, threads: int,
                trainer: str = "process") -> float:
    runner = new_runner(experiment, knobs, trainer, threads)
    try:
        runner.wait_idle()
        runner.play()
        time.sleep(warmup)
        first, t0 = runner.snapshot(with_history=False).step, time.perf_counter()
        time.sleep(seconds)
        last, t1 = runner.snapshot(with_history=False).step, time.perf_counter()
        state = runner.snapshot(with_history=False)
        if state.message:
            raise RuntimeError(f"runner stopped: {state.message}")
        return (last - first) / (t1 - t0)
    finally:
        runner.release()


def bare_rate(experiment, knobs, warmup: float, seconds: float, threads: int) -> float:
    """A plain training loop, written out by hand."""
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    s = experiment.structure
    torch.manual_seed(s.seed)
    if isinstance(experiment, ImageExperiment):
        G = DCGANGenerator(s.noise_dim, s.image_size, s.channels, s.width, batch_norm=s.g_batch_norm,
                           extra_conv=s.extra_conv)
        D = DCGANDiscriminator(s.image_size, s.channels, s.discriminator_width, batch_norm=s.d_batch_norm,
                               spectral_norm=s.d_spectral_norm, extra_conv=s.extra_conv)
        images = experiment.dataset.to_float(experiment.dataset.images)
        ema = copy.deepcopy(G).requires_grad_(False) if s.ema_decay > 0 else None
    else:
        G = MLPGenerator(s.noise_dim, s.generator)
        D = MLPDiscriminator(s.discriminator)
        images, ema = None, None
    opt_g = torch.optim.Adam(G.parameters(), lr=knobs.g_opt.lr, betas=(knobs.g_opt.beta1, knobs.g_opt.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=knobs.d_opt.lr, betas=(knobs.d_opt.beta1, knobs.d_opt.beta2))
    loss = get_loss(knobs.loss)
    rng = torch.Generator().manual_seed(s.seed)
    dataset, n, dim = experiment.dataset, knobs.batch_size, s.noise_dim

    def sample_data() -> torch.Tensor:
        if images is None:
            return dataset.sample(n, rng)
        return images[torch.randint(len(images), (n,), generator=rng)]

    def noise() -> torch.Tensor:
        if getattr(s, "noise", "gaussian") == "uniform":
            return torch.rand(n, dim, generator=rng) * 2 - 1
        return torch.randn(n, dim, generator=rng)

    def one_step() -> None:
        for _ in range(knobs.d_steps):
            real = sample_data()
            with torch.no_grad():
                fake = G(noise())
            d_loss = loss.d_loss(D(real), D(fake))
            if knobs.gp_weight > 0:
                d_loss = d_loss + knobs.gp_weight * gradient_penalty(D, real, fake, rng)
            if knobs.r1_weight > 0:
                d_loss = d_loss + knobs.r1_weight * r1_penalty(D, real)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            if loss.clips_weights:
                with torch.no_grad():
                    for p in D.parameters():
                        p.clamp_(-knobs.clip_value, knobs.clip_value)
        g_loss = loss.g_loss(D(G(noise())))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        if ema is not None:
            with torch.no_grad():
                for mine, live in zip(ema.parameters(), G.parameters(), strict=False):
                    mine.lerp_(live, 1 - s.ema_decay)
                for mine, live in zip(ema.buffers(), G.buffers(), strict=False):
                    mine.copy_(live)

    deadline = time.perf_counter() + warmup
    while time.perf_counter() < deadline:
        one_step()
    steps, t0 = 0, time.perf_counter()
    while (t1 := time.perf_counter()) - t0 < seconds:
        one_step()
        steps += 1
    return steps / (t1 - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="ring", help="2D dataset (default ring)")
    parser.add_argument("--preset", default=None, choices=list(PRESETS) + list(IMAGE_PRESETS),
                        help="recipe (default: 'default' for 2D data, 'dcgan' for images)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per segment (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each segment (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="runner/bare pairs, order alternating (default 3)")
    parser.add_argument("--threads", type=int, default=1,
                        help="intra-op threads for the bare loop and a thread runner (default 1; a process "
                             "trainer always uses 1)")
    parser.add_argument("--trainer", choices=TRAINERS, default="process",
                        help="where the Runner trains: its own worker process (default, as in the app) or "
                             "a thread of this process (the old way)")
    args = parser.parse_args()

    if args.data in PRESET_DATA_2D:
        preset = args.preset or "default"
        structure, knobs = get_preset(preset).apply(args.data, seed=0)
        experiment = ToyExperiment(structure)
        nets = f"G/D {structure.generator.hidden_layers}x{structure.generator.width} {structure.generator.activation}"
    else:
        preset = args.preset or "dcgan"
        dataset = load_image_source(args.data)
        base = dataclasses.replace(ImageStructure(), dataset=args.data, image_size=dataset.image_size,
                                   channels=dataset.channels, num_classes=max(dataset.num_classes, 2))
        structure, knobs = get_image_preset(preset).apply(base)
        structure = dataclasses.replace(structure, conditional=False)  # the bare loop is unconditional
        experiment = ImageExperiment(structure, dataset)
        nets = (f"DCGAN {structure.image_size}px width {structure.width} noise {structure.noise_dim}, "
                f"EMA {structure.ema_decay:g}")
    print(f"preset {preset!r} on {args.data}: {nets}, loss {knobs.loss}, batch {knobs.batch_size}, "
          f"d_steps {knobs.d_steps}, r1 {knobs.r1_weight:g}, gp {knobs.gp_weight:g}; runner as a {args.trainer}, "
          f"{1 if args.trainer == 'process' else args.threads} thread(s), bare loop {args.threads}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    rates: dict[str, list[float]] = {"runner": [], "bare": []}
    for i in range(args.rounds):
        order = ("runner", "bare") if i % 2 == 0 else ("bare", "runner")
        for name in order:
            if name == "runner":
                rate = runner_rate(experiment, knobs, args.warmup, args.seconds, args.threads, args.trainer)
            else:
                rate = bare_rate(experiment, knobs, args.warmup, args.seconds, args.threads)
            rates[name].append(rate)
        print(f"round {i + 1}: runner {rates['runner'][-1]:8.1f} steps/s   bare loop {rates['bare'][-1]:8.1f} steps/s"
              f"   ratio {rates['runner'][-1] / rates['bare'][-1]:.3f}", flush=True)
    runner_mean, bare_mean = statistics.fmean(rates["runner"]), statistics.fmean(rates["bare"])
    ratios = [r / b for r, b in zip(rates["runner"], rates["bare"], strict=False)]
    print(f"mean:    runner {runner_mean:8.1f} steps/s   bare loop {bare_mean:8.1f} steps/s"
          f"   ratio {runner_mean / bare_mean:.3f} (median of rounds {statistics.median(ratios):.3f}; target >= 0.95)")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
