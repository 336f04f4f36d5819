"""What `ganlab train` prints when it ends: the run's steps, speed and final numbers, as a
terminal shows them (plain ASCII where the app uses symbols)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ganlab.cli.common import terminal_number


def metrics_line(m: Mapping[str, Any], modes_total: int | None) -> str:
    parts = []
    if modes_total is not None and m.get("modes_covered") is not None:
        parts += [f"modes covered {m['modes_covered']:.0f}/{modes_total}",
                  f"high-quality {terminal_number(m.get('high_quality'), '.1%')}",
                  f"mode KL {terminal_number(m.get('mode_kl'))}"]
    if "kl_hist" in m or "js_hist" in m:
        parts += [f"KL {terminal_number(m.get('kl_hist'))}", f"JS {terminal_number(m.get('js_hist'))}"]
    shown = {"modes_covered", "high_quality", "mode_kl", "kl_hist", "js_hist", "step", "modes_total",
             "code_purity", "code_purity_chance", "cycle_error"}
    if "cycle_error" in m:  # CycleGAN
        parts.append(f"cycle error {terminal_number(m['cycle_error'], '.1%')} of A's spread")
    if "code_purity" in m:  # InfoGAN
        parts.append(f"code purity {terminal_number(m['code_purity'], '.1%')} "
                     f"(code-blind {terminal_number(m.get('code_purity_chance'), '.1%')})")
    if "classes_covered" in m:  # an image run's Quality numbers, labelled as the app shows them
        from ganlab.runs.evaluation import QUALITY_COLUMNS, ascii_text, line_text, metric_lines

        parts += [ascii_text(f"{label} {line_text(value, real)}")
                  for label, value, real in metric_lines({k: m[k] for k in QUALITY_COLUMNS if k in m})]
        shown |= set(QUALITY_COLUMNS)
    parts += [f"{k} {terminal_number(v, '.4g')}" for k, v in m.items() if k not in shown and isinstance(v, (int, float))]
    return "   ".join(parts)


def print_summary(config: dict[str, Any], modes_total: int | None, out: Path, written: list[str]) -> None:
    rate = config.get("steps_per_sec")
    head = "trained" if config["status"] == "completed" else f"{config['status']} after"
    resumed = f" (resumed; now at step {config['steps']:,})" if config["steps"] != config["steps_trained"] else ""
    print(f"{head} {config['steps_trained']:,} steps in {config['seconds']:.1f} s "
          f"({terminal_number(rate, ',.0f')} steps/s, {config['device']}){resumed}")
    m = config["final_metrics"]
    at = f" (step {m['step']:,})" if "step" in m and m["step"] != config["steps"] else ""
    print("  " + metrics_line(m, modes_total) + at)
    print(f"  wrote {out}: {' '.join(written)}")
