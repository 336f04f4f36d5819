"""Do the teaching presets do what they promise? Trains a preset through the Runner
(headless, playing) on the ring and the grid for seeds 0-4 and prints, per run,
the modes covered and the share of high-quality samples at the end of the budget,
and when the target was first met.

    python benchmarks/bench_presets.py --preset all-modes --seconds 60
    python benchmarks/bench_presets.py --preset mode-collapse --steps 3000

Targets (metrics of ganlab.metrics.modes on the experiment's 2,500 fixed-noise samples,
measured every `--eval-every` steps by the runner):
- all-modes: every mode covered AND >= 90% high-quality samples, at some evaluation
  within the budget ("first" gives the seconds of training when that happened);
- mode-collapse: collapse, not failure to learn, at the end of the budget (issue 11.3:
  3,000 steps): at most half the modes covered (ring <= 4, grid <= 12) AND >= 50%
  high-quality samples, i.e. most samples sit sharply on a few modes.
A preset passes a dataset when at least 4 of the 5 seeds meet its target.

Measured 2026-12-01 (shared 2-core machine), `--preset mode-collapse --steps 3000`:
ring 5 of 5 (modes 2, 2, 2, 3, 1 of 8 at HQ 90.0, 88.7, 90.1, 78.5, 99.8%); grid 4 of 5
(modes 5, 1, 4, 6, 16 of 25 at HQ 54.6, 90.8, 65.2, 69.8, 7.7%: seed 4 spreads instead).

"Seconds" are seconds of training as the runner counts them (time inside training
steps, not evaluations). On a loaded machine a second holds fewer steps; `--steps N`
budgets by steps instead, e.g. the steps an idle machine makes in 60 s (printed as
steps/s per run). Runs go one at a time, each with `--threads` intra-op threads.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from ganlab.kinds.toy_experiment import ToyExperiment  # noqa: E402
from ganlab.settings.presets import PRESETS, get_preset  # noqa: E402
from ganlab.training.runner import Runner  # noqa: E402

POLL = 0.05


def meets_all_modes(modes: float, total: int, hq: float) -> bool:
    return modes >= total and hq >= 0.9


def meets_collapse(modes: float, total: int, hq: float) -> bool:
    """Most samples on a few modes: at most half the modes covered, at least half the samples sharp."""
    return modes <= total // 2 and hq >= 0.5


def train_one(preset: str, data: str, seed: int, seconds: float, steps: int | None, eval_every: int,
              threads: int = 1) -> dict:
    structure, knobs = get_preset(preset).apply(data, seed)
    experiment = ToyExperiment(structure)
    total = len(experiment.dataset.centres)
    runner = Runner(experiment, knobs, eval_every=eval_every, torch_threads=threads)
    clock: list[tuple[int, float]] = [(0, 0.0)]  # (step, training seconds), to date the evaluations
    try:
        runner.wait_idle()
        runner.play()
        started = time.perf_counter()
        while True:
            snap = runner.snapshot()
            clock.append((snap.step, snap.train_seconds))
            done = snap.step >= steps if steps else snap.train_seconds >= seconds
            if done or snap.message:
                break
            time.sleep(POLL)
        runner.pause()
        runner.wait_idle()
        wall = time.perf_counter() - started
        snap = runner.snapshot()
    finally:
        runner.release()
    if snap.message:
        return dict(data=data, seed=seed, error=snap.message)
    step_at, secs_at = np.array(clock, dtype=np.float64).T
    evals = snap.evals
    budget_step = steps if steps else int(np.interp(seconds, secs_at, step_at))
    keep = evals["step"] <= max(budget_step, eval_every)
    e_step, e_modes, e_hq = evals["step"][keep], evals["modes_covered"][keep], evals["high_quality"][keep]
    hits = [i for i in range(len(e_step)) if meets_all_modes(e_modes[i], total, e_hq[i])]
    first = hits[0] if hits else None
    return dict(
        data=data, seed=seed, total=total, steps=int(e_step[-1]), modes=int(e_modes[-1]), hq=float(e_hq[-1]),
        first_step=None if first is None else int(e_step[first]),
        first_seconds=None if first is None else float(np.interp(e_step[first], step_at, secs_at)),
        train_seconds=snap.train_seconds, wall=wall, rate=snap.step / max(snap.train_seconds, 1e-9),
        max_modes=int(e_modes.max()),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="all-modes", choices=list(PRESETS))
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of training per run (default 60)")
    parser.add_argument("--steps", type=int, default=None, help="budget in steps instead of seconds")
    parser.add_argument("--data", default="ring,grid", help="comma-separated datasets (default ring,grid)")
    parser.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated seeds (default 0-4)")
    parser.add_argument("--eval-every", type=int, default=100, help="steps between evaluations (default 100)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for the run (default 1, as in the app; 2 uses both cores, as "
                             "`ganlab train --threads 2` does)")
    args = parser.parse_args()

    collapse = args.preset == "mode-collapse"
    budget = f"{args.steps} steps" if args.steps else f"{args.seconds:g} s of training"
    target = ("at most half the modes and >= 50% HQ at the end" if collapse
              else "all modes and >= 90% HQ within the budget")
    print(f"preset {args.preset!r}, {budget} per run; target: {target}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    header = (f"{'data':5} {'seed':>4} {'steps':>6} {'steps/s':>7} {'modes':>6} {'max':>4} {'HQ %':>6} "
              f"{'first step':>10} {'first s':>7}  met")
    for data in args.data.split(","):
        print(header)
        met_count = runs = 0
        for seed in (int(s) for s in args.seeds.split(",")):
            r = train_one(args.preset, data, seed, args.seconds, args.steps, args.eval_every, args.threads)
            runs += 1
            if "error" in r:
                print(f"{data:5} {seed:>4}  stopped: {r['error']}")
                continue
            met = meets_collapse(r["modes"], r["total"], r["hq"]) if collapse else r["first_step"] is not None
            met_count += met
            first_step = "-" if r["first_step"] is None else str(r["first_step"])
            first_s = "-" if r["first_seconds"] is None else f"{r['first_seconds']:.1f}"
            print(f"{data:5} {seed:>4} {r['steps']:>6} {r['rate']:>7.0f} {r['modes']:>3}/{r['total']:<2} "
                  f"{r['max_modes']:>4} {100 * r['hq']:>6.1f} {first_step:>10} {first_s:>7}  {'yes' if met else 'no'}",
                  flush=True)
        print(f"{data}: {met_count}/{runs} seeds meet the target ({'pass' if met_count >= 4 else 'FAIL'} at >= 4 of 5)\n")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
