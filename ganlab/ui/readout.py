"""The discriminator's numbers of the last D update, for both training pages.

A lone G step computes no D(x), D(G(z)) or Wasserstein estimate: its record lacks them.
The readout keeps the last values a D update left (found in the history) instead of
blanking them.
"""

from __future__ import annotations

import math

import numpy as np

from ganlab.training import Snapshot, Trainer

D_KEYS = ("d_real", "d_fake", "wasserstein")


def last_known(history: dict[str, np.ndarray], keys: tuple[str, ...] = D_KEYS) -> dict[str, float]:
    """The newest finite value of each of `keys` in a history table (absent keys left out)."""
    out: dict[str, float] = {}
    for key in keys:
        column = history.get(key)
        if column is None or not len(column):
            continue
        finite = np.flatnonzero(np.isfinite(column))
        if len(finite):
            out[key] = float(column[finite[-1]])
    return out


def d_numbers(snap: Snapshot, runner: Trainer | None = None) -> dict[str, float]:
    """`snap.latest` with the D numbers of the last D update filled in where the last step
    (a lone G step) had none. Reads the history only then (`runner` when `snap` has none)."""
    latest = dict(snap.latest)
    if snap.step == 0 or all(k in latest for k in ("d_real", "d_fake")):
        return latest
    history = snap.history if snap.history else (runner.snapshot().history if runner is not None else {})
    for key, value in last_known(history).items():
        if key not in latest and math.isfinite(value):
            latest[key] = value
    return latest


def step_label(snap: Snapshot) -> str:
    """"**Step N**", with the D-only steps it includes: every generator update is one step and
    so is every lone D step, so the step count is the G updates plus the D-only steps (and a
    count one above the updates is not a miscount)."""
    d_only = snap.step - snap.g_updates
    extra = f" (incl. {d_only:,} D-only step{'s' if d_only != 1 else ''})" if d_only > 0 else ""
    return f"**Step {snap.step:,}**{extra}"
