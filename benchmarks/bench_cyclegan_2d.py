"""CycleGAN between two 2D distributions: target modes, high-quality share and cycle error per seed
after a fixed training time on one core.

    python benchmarks/bench_cyclegan_2d.py --seeds 5 --minutes 1

Each seed is a fresh `ganlab train --preset cyclegan-ring-square` process (the ring onto the square of
8) with one torch thread, stopped after `--minutes` of training. The issue's target: every mode of
the square covered with >= 90 % high-quality samples and a cycle error under 5 % of the ring's
spread within 60 s of one core.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # train_children, beside this script
from train_children import run_train, stop_children_on_signal  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--preset", default="cyclegan-ring-square")
    args = ap.parse_args()
    stop_children_on_signal()
    print(f"# {args.preset}: {args.seeds} seeds, {args.minutes:g} min of one core each, one at a time; "
          f"load average {os.getloadavg()[0]:.2f}")
    print("| seed | steps | modes | HQ | cycle error |")
    print("|---:|---:|---:|---:|---:|")
    met = 0
    with tempfile.TemporaryDirectory(prefix="ganlab-cycle-") as tmp:
        for seed in range(args.seeds):
            out = Path(tmp) / str(seed)
            proc = run_train(["--preset", args.preset, "--seed", str(seed), "--steps", "1000000",
                              "--minutes", str(args.minutes), "--threads", "1", "-q", "--out", str(out)])
            if proc.returncode != 0:
                print(f"| {seed} | failed: {(proc.stderr or proc.stdout).strip().splitlines()[-1:]} |")
                continue
            config = json.loads((out / "config.json").read_text())
            m = config["final_metrics"]
            ok = m["modes_covered"] == m.get("modes_total", 8) and m["high_quality"] >= 0.9 and m["cycle_error"] < 0.05
            met += ok
            print(f"| {seed} | {config['steps']:,} | {m['modes_covered']:.0f} / {m.get('modes_total', 8)} | "
                  f"{100 * m['high_quality']:.1f} % | {100 * m['cycle_error']:.1f} % |")
    print(f"{met} of {args.seeds} seeds met all three; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
