"""The `ganlab train` progress line on stderr: a tqdm bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import math
import time
from typing import TextIO

from tqdm import tqdm

from ganlab.cli.common import terminal_number


def _fmt_duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """A progress line on `stream`: a tqdm bar redrawn in place on a terminal, plain lines
    (every 10% or 30 s) otherwise. The numbers are the command's own (its smoothed rate,
    the latest losses and modes), so both forms say the same."""

    def __init__(self, total: int, stream: TextIO, modes_total: int | None, enabled: bool = True) -> None:
        self.total = total
        self.stream = stream
        self.modes_total = modes_total
        self.enabled = enabled
        self.tty = enabled and hasattr(stream, "isatty") and stream.isatty()
        self._bar: tqdm | None = None  # made at the first update: no empty bar before step 1
        self._next_mark = 0.1
        self._last_line = 0.0

    def _text(self, step: int, rate: float, latest: dict[str, float], latest_eval: dict[str, float], elapsed: float) -> str:
        share = step / self.total
        parts = [f"{step:>{len(f'{self.total:,}')},}/{self.total:,} steps", f"{share:4.0%}",
                 f"{terminal_number(rate, ',.0f')} steps/s",
                 f"D {terminal_number(latest.get('d_loss'))}", f"G {terminal_number(latest.get('g_loss'))}"]
        if self.modes_total is not None and "modes_covered" in latest_eval:
            parts.append(f"modes {latest_eval['modes_covered']:.0f}/{self.modes_total}")
        elif "js_hist" in latest_eval:
            parts.append(f"JS {terminal_number(latest_eval['js_hist'])}")
        if step < self.total and rate > 0:
            parts.append(f"ETA {_fmt_duration((self.total - step) / rate)}")
        else:
            parts.append(f"in {_fmt_duration(elapsed)}")
        return "  ".join(parts)

    def update(self, step: int, rate: float, latest: dict[str, float], latest_eval: dict[str, float],
               elapsed: float, final: bool = False) -> None:
        if not self.enabled:
            return
        text = self._text(step, rate, latest, latest_eval, elapsed)
        if self.tty:
            if self._bar is None:
                # "[####......] text": an ASCII bar of 20, cut to the terminal's width (tqdm re-reads it)
                self._bar = tqdm(total=self.total, initial=step, desc=text, file=self.stream, ascii=".#",
                                 bar_format="[{bar:20}] {desc}", dynamic_ncols=True, mininterval=0, leave=True)
            else:
                self._bar.n = step
                self._bar.set_description_str(text, refresh=False)
                self._bar.refresh()
            if final:
                self.break_line()
            return
        now = time.monotonic()
        if not (final or step / self.total >= self._next_mark or now - self._last_line >= 30):
            return
        while self._next_mark <= step / self.total:
            self._next_mark += 0.1
        self._last_line = now
        self.stream.write(text + "\n")
        self.stream.flush()

    def break_line(self) -> None:
        """End a half-drawn terminal line before printing a message (the bar stays on screen)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
