"""The field's tables, reproduced: ganlab's rows beside the papers', printed as Markdown.

    python benchmarks/reproduce_tables.py --table 2d --seeds 5 --steps 5000        # PacGAN Table 1, unrolled GAN
    python benchmarks/reproduce_tables.py --table stacked --seeds 1 --steps 20000  # PacGAN Table 2 (Stacked MNIST)
    python benchmarks/reproduce_tables.py --table dirac                             # the Dirac-GAN notebook's runs

Every row is trained by `ganlab train` (a fresh process per run, one torch thread, `--jobs` at
once) and measured by the run's own final metrics (2D: modes covered, high-quality share and
reverse KL on the experiment's 2,500 fixed-noise samples; Stacked MNIST: `ganlab eval` on
26,000 samples, as VEEGAN and PacGAN count). The training budget is in steps (printed with the
table), so a slow or busy machine gives the same numbers, only later.

The papers' figures (Lin et al. 2018, PacGAN, Tables 1 and 2) are the mean over their seeds;
ganlab's are mean +/- sd over `--seeds` seeds. Their 2D nets are the presets' (G 4x400, D 3x200;
ReLU here, maxout there), their GAN row is the same recipe with packing 1. The Dirac-GAN rows
are closed-form (ganlab.dynamics): the distance to the equilibrium after the notebook's 500
steps and the page's verdict, for each of the notebook's runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Row:
    """A table row: what the paper calls it, the `ganlab train` flags that train it, and the
    paper's numbers (modes, reverse KL; None where it has none)."""

    table: str
    data: str
    method: str
    flags: tuple[str, ...]
    paper_modes: float | None
    paper_kl: float | None


_PAC = ("--preset", "pacgan2-ring")  # the paper's 2D nets and optimizer; --pack and --data pick the row
ROWS_2D = (
    Row("2d", "ring", "GAN", (*_PAC, "--data", "ring", "--pack", "1", "--batch-size", "100"), 6.3, 0.45),
    Row("2d", "ring", "PacGAN2", (*_PAC, "--data", "ring", "--pack", "2", "--batch-size", "200"), 7.9, 0.07),
    Row("2d", "ring", "PacGAN4", (*_PAC, "--data", "ring", "--pack", "4", "--batch-size", "400"), None, None),
    Row("2d", "ring", "Unrolled GAN (5 steps)", ("--preset", "unrolled-ring", "--data", "ring"), None, None),
    Row("2d", "grid", "GAN", (*_PAC, "--data", "grid", "--pack", "1", "--batch-size", "100"), 17.3, 0.70),
    Row("2d", "grid", "PacGAN2", (*_PAC, "--data", "grid", "--pack", "2", "--batch-size", "200"), None, None),
    Row("2d", "grid", "PacGAN4", (*_PAC, "--data", "grid", "--pack", "4", "--batch-size", "400"), 24.8, 0.04),
    Row("2d", "grid", "Unrolled GAN (5 steps)", ("--preset", "unrolled-ring", "--data", "grid"), None, None),
)
ROWS_STACKED = (  # the image presets of PacGAN's rows (ganlab/settings/image_presets.py) bring Stacked MNIST
    Row("stacked", "stacked-mnist", "DCGAN", ("--preset", "dcgan-stacked"), 99, 3.40),
    Row("stacked", "stacked-mnist", "PacDCGAN2", ("--preset", "pacdcgan2-stacked"), 1000, 0.06),
    Row("stacked", "stacked-mnist", "DCGAN, small D", ("--preset", "dcgan-stacked-small-d"), 30.6, 5.99),
    Row("stacked", "stacked-mnist", "PacDCGAN4, small D", ("--preset", "pacdcgan4-stacked-small-d"), 667.4, 1.81),
)


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f}) on {len(os.sched_getaffinity(0))} usable cores"


def train_one(row: Row, seed: int, steps: int, where: Path) -> dict[str, float]:
    """Train one seed of `row` with `ganlab train` and return its final metrics (and, for
    Stacked MNIST, `ganlab eval`'s on 26,000 samples)."""
    out = where / f"{row.data}-{'-'.join(row.method.lower().replace(',', '').split())}-{seed}"
    command = [sys.executable, "-m", "ganlab", "train", *row.flags, "--seed", str(seed), "--steps", str(steps),
               "--out", str(out), "--force", "--threads", "1", "-q"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    metrics = dict(json.loads((out / "config.json").read_text())["final_metrics"])
    if row.table == "stacked":
        measured = subprocess.run([sys.executable, "-m", "ganlab", "eval", str(out), "--json"], capture_output=True,
                                  text=True, cwd=ROOT, check=True)
        metrics.update(json.loads(measured.stdout))
    metrics["seconds"] = time.perf_counter() - started
    return metrics


def mean_sd(values: list[float], spec: str) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return format(values[0], spec)
    return f"{statistics.mean(values):{spec}} ± {statistics.stdev(values):{spec}}"


def paper(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table_2d(results: dict[Row, list[dict[str, float]]], steps: int) -> list[str]:
    lines = ["| data | method | modes (paper) | modes (ganlab) | high quality (ganlab) | reverse KL (paper) | "
             "reverse KL (ganlab) | runs meeting all modes |",
             "|---|---|---|---|---|---|---|---|"]
    for row, runs in results.items():
        total = 8 if row.data == "ring" else 25
        full = sum(1 for r in runs if r.get("modes_covered", 0) >= total)
        lines.append(
            f"| {row.data} | {row.method} | {paper(row.paper_modes, '.1f')} | "
            f"{mean_sd([r['modes_covered'] for r in runs], '.1f')} / {total} | "
            f"{mean_sd([100 * r['high_quality'] for r in runs], '.1f')} % | {paper(row.paper_kl, '.2f')} | "
            f"{mean_sd([r['mode_kl'] for r in runs], '.2f')} | {full} of {len(runs)} |")
    lines.append(f"\n{steps:,} training steps per run; {len(next(iter(results.values())))} seeds per row.")
    return lines


def table_stacked(results: dict[Row, list[dict[str, float]]], steps: int) -> list[str]:
    lines = ["| method | modes (paper) | modes of 1,000 (ganlab, 26,000 samples) | KL (paper) | KL to uniform (ganlab) |",
             "|---|---|---|---|---|"]
    for row, runs in results.items():
        lines.append(f"| {row.method} | {paper(row.paper_modes, '.0f')} | "
                     f"{mean_sd([r['classes_covered'] for r in runs], '.0f')} | {paper(row.paper_kl, '.2f')} | "
                     f"{mean_sd([r['class_kl'] for r in runs], '.2f')} |")
    lines.append(f"\n{steps:,} training steps per run; {len(next(iter(results.values())))} seeds per row.")
    return lines


def table_dirac() -> list[str]:
    import numpy as np

    from ganlab.dynamics.cases import MODELS, RUNS, case
    from ganlab.dynamics.dirac import trajectories
    from ganlab.dynamics.verdict import verdict

    lines = ["| the notebook's GAN | " + " | ".join(run.label for run in RUNS) + " |",
             "|---|" + "---|" * len(RUNS)]
    for model in MODELS:
        cells = []
        for run in RUNS:
            settings = case(model, run)
            dyn = settings.dynamics()
            path = trajectories(dyn, np.array(settings.starts), settings.iterations)[0]
            distance = float(np.hypot(*path[-1]))
            cells.append(f"{verdict(path, dyn.lr).outcome}, {distance:.3g}")
        lines.append(f"| {model.notebook} | " + " | ".join(cells) + " |")
    lines.append("\nEach cell: the page's verdict and the distance from the equilibrium after the notebook's 500 "
                 "steps (h = 0.2, from its start (1, 1), our (1, -1); alternating: G first).")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", choices=("2d", "stacked", "dirac"), required=True)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5000, help="training steps per run")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="runs at once")
    parser.add_argument("--only", default="", help="comma-separated methods to keep (e.g. GAN,PacGAN4)")
    args = parser.parse_args()
    print(f"at the start: {load_line()}", flush=True)
    if args.table == "dirac":
        print("\n".join(table_dirac()))
        return
    rows = ROWS_2D if args.table == "2d" else ROWS_STACKED
    if args.only:
        keep = {m.strip() for m in args.only.split(",")}
        rows = tuple(r for r in rows if r.method in keep or r.method.split()[0] in keep)
    results: dict[Row, list[dict[str, float]]] = {row: [] for row in rows}
    with tempfile.TemporaryDirectory(prefix="ganlab-tables-") as tmp, ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(train_one, row, seed, args.steps, Path(tmp)): (row, seed)
                   for seed in range(args.seeds) for row in rows}
        for future, (row, seed) in futures.items():
            metrics = future.result()
            results[row].append(metrics)
            shown = {k: round(v, 4) for k, v in metrics.items()
                     if k in ("modes_covered", "high_quality", "mode_kl", "classes_covered", "class_kl", "seconds")}
            print(f"{row.data} {row.method} seed {seed}: {shown}", flush=True)
    table = table_2d if args.table == "2d" else table_stacked
    print()
    print("\n".join(table(results, args.steps)))
    print(f"\nat the end: {load_line()}")


if __name__ == "__main__":
    main()
