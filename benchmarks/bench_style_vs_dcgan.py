"""The style-based generator against the DCGAN preset at the same training time, on the built-in digits.

    python benchmarks/bench_style_vs_dcgan.py --minutes 3 --seeds 3

For each seed, `ganlab train --preset dcgan` and `ganlab train --preset stylegan-digits` run side by
side (one torch thread each, so each has a core and the machine's load falls on both alike), each
stopped after `--minutes` minutes of training (`ganlab train --minutes`). The Fréchet distance is
each run's own final number (the shipped classifier's features, 256 samples from the EMA generator,
beside the real-vs-real baseline). The issue's target: the style-based generator's Fréchet distance
within 1.5x of the DCGAN preset's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # train_children, beside this script
from train_children import run_train, stop_children_on_signal  # noqa: E402

PRESETS = ("dcgan", "stylegan-digits")


def train(preset: str, seed: int, minutes: float, data: str, out_dir: Path) -> dict:
    out = out_dir / f"{preset}-{seed}"
    proc = run_train(["--preset", preset, "--data", data, "--seed", str(seed), "--steps", "1000000",
                      "--minutes", str(minutes), "--threads", "1", "-q", "--out", str(out)])
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
    config = json.loads((out / "config.json").read_text())
    m = config.get("final_metrics") or {}
    return {"steps": config.get("steps"), "frechet": m.get("frechet"), "baseline": m.get("frechet_baseline"),
            "classes": m.get("classes_covered")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--data", default="digits")
    args = ap.parse_args()
    stop_children_on_signal()
    print(f"# {' vs '.join(PRESETS)} on {args.data}: {args.minutes:g} min of training each, {args.seeds} seeds, "
          f"side by side; load average {os.getloadavg()[0]:.2f}")
    print("| seed | preset | steps | Fréchet | real vs real | classes |")
    print("|---:|---|---:|---:|---:|---:|")
    ratios = []
    with tempfile.TemporaryDirectory(prefix="ganlab-style-") as tmp, ThreadPoolExecutor(2) as pool:
        for seed in range(args.seeds):
            rows = list(pool.map(lambda p, s=seed: train(p, s, args.minutes, args.data, Path(tmp)), PRESETS))
            for preset, r in zip(PRESETS, rows, strict=True):
                if "error" in r:
                    print(f"| {seed} | {preset} | failed: {' '.join(r['error'])} |")
                    continue
                print(f"| {seed} | {preset} | {r['steps']:,} | {r['frechet']:.1f} | {r['baseline']:.1f} | "
                      f"{r['classes']:.0f} |")
            if all(r.get("frechet") for r in rows):
                ratios.append(rows[1]["frechet"] / rows[0]["frechet"])
    if ratios:
        print(f"style-based / DCGAN Fréchet: median {statistics.median(ratios):.2f}x "
              f"({', '.join(f'{r:.2f}' for r in ratios)}); target <= 1.5x; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
