"""The `ganlab` commands that use saved runs: sample, export, eval and runs (the list)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Callable

from ganlab.cli.common import EXIT_OK, UsageError, pick_device
from ganlab.kinds import KIND_LABELS
from ganlab.metrics.names import best_text


def _run_dir(args: argparse.Namespace) -> Path:
    from ganlab.storage.paths import resolve_run

    return resolve_run(args.run, args.runs_dir)


def _write(output: Path, write: Callable[[], str]) -> int:
    """Print what `write()` (which writes `output`) says; a bad request or an output that cannot
    be written is one usage line."""
    try:
        print(write())
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    return EXIT_OK


def cmd_sample(args: argparse.Namespace) -> int:
    from ganlab.runs.sampling import write_samples

    run = _run_dir(args)
    return _write(args.output, lambda: write_samples(run, args.n, args.output, seed=args.seed,
                                                     prefer_ema=not args.no_ema, label=args.label))


def cmd_export(args: argparse.Namespace) -> int:
    from ganlab.runs.sampling import export_samples

    run = _run_dir(args)
    if args.output.exists() and not args.force:
        raise UsageError(f"{args.output} exists; pass --force to overwrite it")
    return _write(args.output, lambda: export_samples(run, args.n, args.output, seed=args.seed,
                                                      prefer_ema=not args.no_ema))


def cmd_eval(args: argparse.Namespace) -> int:
    from ganlab.runs.sampling import evaluate_run

    run = _run_dir(args)
    metrics, config = evaluate_run(run, pick_device(args.device))
    if args.json:
        print(json.dumps({"run": run.name, "step": config.get("step"), "metrics": metrics}))
        return EXIT_OK
    from ganlab.runs.evaluation import eval_report

    print(eval_report(run.name, metrics, config))
    return EXIT_OK


def cmd_runs(args: argparse.Namespace) -> int:
    from ganlab.runs.catalog import list_runs
    from ganlab.storage.paths import runs_root

    runs = list_runs(args.runs_dir)
    if args.json:
        for r in runs:
            print(json.dumps({"name": r.name, "kind": r.kind, "data": r.data, "loss": r.loss, "step": r.step,
                              "status": "training (live)" if r.live else r.status, "best": r.best,
                              "updated": r.updated, "error": r.error, "note": r.note}))
        return EXIT_OK
    if not runs:
        print(f"no runs in {runs_root(args.runs_dir)}")
        return EXIT_OK
    rows = [("NAME", "KIND", "DATA", "LOSS", "STEPS", "STATUS", "BEST")]
    for r in runs:
        if r.error:
            rows.append((r.name, "?", "?", "?", "?", "unreadable", r.error))
            continue
        status = "training (live)" if r.live else r.status + (" (view only)" if r.view_only else "")
        rows.append((r.name, KIND_LABELS.get(r.kind, r.kind), r.data, r.loss, f"{r.step:,}", status, best_text(r.best)))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:6], widths, strict=False)) + "  " + row[6])
    return EXIT_OK
