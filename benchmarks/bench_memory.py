"""Memory over a long run: resident set size of a playing Runner, sampled as it trains.

    python benchmarks/bench_memory.py --steps 300000

Uses tiny nets so many steps fit in a few minutes (an hour of the default nets at
~200 steps/s is ~720,000 steps; history growth depends on steps, not net size).
Prints RSS and history rows at intervals; flat memory means the last figures
match the first ones after warm-up.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlab.kinds.toy_experiment import ToyExperiment  # noqa: E402
from ganlab.settings.config import Knobs, MLPShape, ToyStructure  # noqa: E402
from ganlab.training.runner import Runner  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300_000)
    parser.add_argument("--reports", type=int, default=8)
    args = parser.parse_args()
    structure = ToyStructure(data="grid", generator=MLPShape(1, 8), discriminator=MLPShape(1, 8))
    runner = Runner(ToyExperiment(structure), Knobs(batch_size=16), eval_every=100)
    runner.wait_idle()
    runner.play()
    started = time.perf_counter()
    print(f"{'step':>9} {'seconds':>8} {'RSS MiB':>8} {'history rows':>13} {'eval rows':>10}")
    marks = [args.steps * (i + 1) // args.reports for i in range(args.reports)]
    for mark in marks:
        while (snap := runner.snapshot(want_view=True)).step < mark:
            time.sleep(0.2)
        print(f"{snap.step:>9,} {time.perf_counter() - started:>8.1f} {rss_mib():>8.1f} "
              f"{len(snap.history['step']):>13,} {len(snap.evals['step']):>10,}")
    runner.release()


if __name__ == "__main__":
    main()
