"""The memory estimate (ganlab.training.memory_budget) beside the measured peak: each config trains
two steps in a fresh process, whose peak RSS growth (ru_maxrss after the steps minus before the nets
were built) is the measured figure.

    python benchmarks/bench_memory_estimate.py
    python benchmarks/bench_memory_estimate.py --config 512,64,32,3

Prints per config: estimate, measured peak growth, their ratio (the target: within a factor of 2)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# batch size, width, image size, channels (+ ",gp" for a WGAN-GP run)
CONFIGS = ("256,64,32,3", "512,64,32,3", "128,128,32,3", "256,64,28,1,gp")

CHILD = r"""
import json, resource, sys, torch
torch.set_num_threads(1); torch.set_flush_denormal(True)
from ganlab.settings.config import ImageStructure, Knobs
from ganlab.data.images import ImageDataset
from ganlab.training import memory_budget as mb
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.gan.step import train_step
parts = sys.argv[1].split(",")
bs, w, size, ch = map(int, parts[:4])
s = ImageStructure(image_size=size, channels=ch, width=w, noise_dim=100)
k = Knobs(batch_size=bs, loss="wasserstein-gp", gp_weight=10.0) if "gp" in parts else Knobs(batch_size=bs)
data = ImageDataset(torch.zeros(512, ch, size, size, dtype=torch.uint8), name="blank")
experiment = ImageExperiment(s, data)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
run = experiment.build(k)
for _ in range(2):
    train_step(run, k, "both")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
print(json.dumps({"estimate": mb.estimate(s, k, mb.dataset_bytes(data)).total, "measured": peak}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", action="append", help="batch,width,size,channels[,gp] (repeatable)")
    args = parser.parse_args()
    print("config (batch, width, size, channels)   estimate MB   measured MB   estimate/measured")
    for config in args.config or CONFIGS:
        out = subprocess.run([sys.executable, "-c", CHILD, config], cwd=ROOT, capture_output=True, text=True, check=False,
                             timeout=600, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        if out.returncode != 0:
            print(f"{config:40s} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        got = json.loads(out.stdout.strip().splitlines()[-1])
        est, meas = got["estimate"] / 2**20, got["measured"] / 2**20
        print(f"{config:40s} {est:11.0f}   {meas:11.0f}   {est / meas:17.2f}")


if __name__ == "__main__":
    main()
