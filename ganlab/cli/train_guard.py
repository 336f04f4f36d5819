"""What `ganlab train` keeps safe while it trains: the last finite training state (a diverged
run is saved with weights it can resume from, not NaN), and failing saves reported at once
(a full disk is said on the first failing autosave, not as a traceback at the end)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, TextIO

from ganlab.storage.guard import mark_save_failed, save_error_text
from ganlab.storage.schema import first_non_finite

KEEP_EVERY_S = 2.0  # an export copies weights, optimizer state and history on the training thread


class TrainGuard:
    """Watches a CLI training run between chunks. `after_chunk()` keeps the state just trained
    when the run is healthy (at most every KEEP_EVERY_S: a chunk lasts ~0.5 s, and each export
    pauses training for ~10 ms) and prints a save error the first time it appears."""

    def __init__(self, runner: Any, stream: TextIO, prog: str = "ganlab train") -> None:
        self.runner, self.stream, self.prog = runner, stream, prog
        self.last_good = None
        self._kept_at = -float("inf")
        self._reported: str | None = None

    def keep(self) -> None:
        """Remember the runner's current state as the last finite one."""
        self.last_good = self.runner.export_state()
        self._kept_at = time.monotonic()

    def report_save_error(self) -> None:
        error = self.runner.save_error
        if error and error != self._reported:
            print(f"\n{self.prog}: {error}", file=self.stream, flush=True)
        elif self._reported and not error:
            print(f"\n{self.prog}: saving works again", file=self.stream, flush=True)
        self._reported = error

    def after_chunk(self, healthy: bool) -> None:
        self.report_save_error()
        if healthy and time.monotonic() - self._kept_at >= KEEP_EVERY_S:
            self.keep()

    def finite_state(self, state: Any) -> tuple[Any, bool]:
        """(`state`, False) when its tensors are finite, else (the last finite state, True): its
        weights can be resumed with lower learning rates; NaN weights cannot be loaded at all."""
        if first_non_finite(state.tensors) is None or self.last_good is None:
            return state, False
        if first_non_finite(self.last_good.tensors) is not None:
            return state, False
        return self.last_good, True


def divergence_message(step: int, bad: str, value: float, kept_step: int | None, name: str, knobs: Any) -> str:
    """What happened and what to change, with the command that goes on from the kept weights."""
    g_lr, d_lr = knobs.g_opt.lr / 10, knobs.d_opt.lr / 10
    text = f"training diverged at step {step}: {bad} became {value}."
    if kept_step is not None:
        text += (f" The run keeps the last finite weights (step {kept_step}); go on from there with lower learning "
                 f"rates: ganlab train --resume {name} --g-lr {g_lr:.3g} --d-lr {d_lr:.3g}")
    else:
        text += " Lower the learning rates (--g-lr, --d-lr)"
    return text + " (or add a penalty: --r1-weight 1, or --loss wasserstein-gp --gp-weight 10)."


def save_or_report(writer: Any, state: Any, status: str, message: str | None, stream: TextIO,
                   prog: str = "ganlab train") -> bool:
    """The final save; on failure a clear line (what failed, what is kept) and False."""
    try:
        writer.save(state, status=status, message=message)
        return True
    except OSError as exc:
        text = save_error_text(exc)
    except ValueError as exc:  # RunFormatError: a link in the run folder, another run's folder
        text = save_error_text(exc)
    kept = mark_save_failed(Path(writer.run_dir), f"the save at step {state.step} failed: {text}")
    where = f"it keeps its last good save (step {kept:,})" if kept is not None else "it holds no complete save"
    print(f"{prog}: the final save of run {Path(writer.run_dir).name} at step {state.step:,} failed. {text} "
          f"The run folder is not corrupted: {where}.", file=stream, flush=True)
    return False

