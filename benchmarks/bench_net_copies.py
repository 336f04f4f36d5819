"""How long the Latent page waits for a live run's nets: `copy_nets` (weights taken on the
runner's thread, nets built again here: ganlab/training/net_copies.py) on a thread runner and
on a trainer process, against the deep copy of the modules the thread runner used to make
(the baseline, measured in the same run). The image page's default preset ("DCGAN (fast
start)": spectral norm in D, an EMA generator) on the built-in digits, paused.

    python benchmarks/bench_net_copies.py --repeats 15

prints the median and quartiles of each (ms), their ratio to the baseline, and the load average.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time

import torch

from ganlab.data.image_sources import load_image_source
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.settings.image_presets import get_image_preset
from ganlab.training.net_copies import live_modules
from ganlab.training.remote_runner import RemoteRunner
from ganlab.training.runner import Runner
from ganlab.training.worker_process import ProcessTransport


def _deep_copies(parts, experiment, step):
    """The old way (thread runner only: a spectral-norm module cannot be pickled)."""
    return {name: copy.deepcopy(m).to("cpu").eval().requires_grad_(False) for name, m in live_modules(parts).items()}


def _times(fn, repeats: int) -> list[float]:
    fn()  # warm up
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    preset = get_image_preset("dcgan")
    structure, knobs = preset.structure, preset.knobs
    data = load_image_source("digits", 28, 1)
    thread = Runner(ImageExperiment(structure, data), knobs)
    process = RemoteRunner(ImageExperiment(structure, data), knobs, transport_factory=ProcessTransport)
    try:
        for runner in (thread, process):
            runner.step("both", 3)
            assert runner.wait_idle(120)
        results = {
            "thread: deep copy of the modules (baseline)": _times(lambda: thread.call_on_thread(_deep_copies), args.repeats),
            "thread: copy_nets (weights, rebuilt)": _times(thread.copy_nets, args.repeats),
            "process: copy_nets (weights, rebuilt)": _times(process.copy_nets, args.repeats),
        }
    finally:
        thread.release()
        process.release()
    base = statistics.median(next(iter(results.values())))
    print(f"default preset: width {structure.width}, noise {structure.noise_dim}, "
          f"spectral norm {structure.d_spectral_norm}, EMA {structure.ema_decay}; {args.repeats} repeats")
    for name, ms in results.items():
        q1, med, q3 = statistics.quantiles(ms, n=4)
        print(f"{name:46s} median {statistics.median(ms):7.1f} ms  (quartiles {q1:.1f}-{q3:.1f})  "
              f"x{statistics.median(ms) / base:.2f} of the baseline")
    print("load average: " + " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
