"""What one Dirac-GAN trajectory did, judged over the whole of it: the verdict the Dynamics page
prints beside each start and the sentence its explanation uses (one table, `OUTCOMES`, for both).

The trend test looks at the distance to (0, 0) each time the iterates complete a turn around
it (a Poincaré section on the ray through the start): an orbit that is an ellipse comes back to
the same distance however much the distance swings within a turn, so the sequence of these
distances shows a spiral (it keeps growing or shrinking), a circle (it stays) and a limit cycle
(it moves, then stays). A path that turns fewer than MIN_TURNS times is sampled at evenly spaced
iterations instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CONVERGES, SPIRALS_IN, CYCLE, CIRCLES, SPIRALS_OUT, DIVERGES, STALLS, AT_EQUILIBRIUM = (
    "converges", "spirals in", "settles on a cycle", "circles", "spirals out", "diverges",
    "stops away from (0, 0)", "stays at the equilibrium")
# outcome -> what it means, in the words the explanation uses ("from start 1 the iterates ...")
OUTCOMES = {
    CONVERGES: "reach the equilibrium",
    SPIRALS_IN: "spiral in: the distance still falls at every turn",
    CYCLE: "settle on a cycle: the distance changed, then stopped changing from turn to turn",
    CIRCLES: "circle: the distance comes back to where it was at every turn",
    SPIRALS_OUT: "spiral out: the distance still grows at every turn",
    DIVERGES: "run off to infinity",
    STALLS: "come to rest away from the equilibrium",
    AT_EQUILIBRIUM: "stay at the equilibrium, where they started",
}
TREND = 0.05  # a change of the per-turn distance this large over the whole path is a trend
SETTLED_SHARE = 0.1  # a last turn that changes the distance less than this share of the largest change: settled
MIN_TURNS = 2
SAMPLES = 5  # the fallback's evenly spaced samples


@dataclass(frozen=True)
class Verdict:
    outcome: str  # one of OUTCOMES
    start_distance: float
    end_distance: float  # nan when it diverged
    end: tuple[float, float]
    cycle_distance: float = math.nan  # a settled cycle's (or a circle's) distance, from its last turn

    @property
    def meaning(self) -> str:
        return OUTCOMES[self.outcome]


def turn_distances(path: np.ndarray) -> np.ndarray:
    """The start's distance and the distance at each completed turn around (0, 0) (interpolated
    where the unwrapped angle passes the start's angle plus k full turns, in the direction the
    path turns overall)."""
    r = np.hypot(path[:, 0], path[:, 1])
    angle = np.unwrap(np.arctan2(path[:, 1], path[:, 0]))
    turns = (angle - angle[0]) / (2 * math.pi)
    turns = turns * (1.0 if turns[-1] >= 0 else -1.0)
    out = [float(r[0])]
    for k in range(1, int(np.floor(turns.max())) + 1):
        i = int(np.argmax(turns >= k))
        a = (k - turns[i - 1]) / (turns[i] - turns[i - 1])
        out.append(float(r[i - 1] + a * (r[i] - r[i - 1])))
    return np.asarray(out)


def _trend(samples: np.ndarray, turns: bool) -> str:
    """The outcome of a sequence of distances above 0: per turn (`turns`) or evenly spaced. No
    trend over the whole: circles; the last turn's change a small share of the largest one's
    (or back the other way): it settled on a cycle; else it spirals on."""
    logs = np.log(samples)
    whole = logs[-1] - logs[0]
    if abs(whole) < math.log1p(TREND):
        return CIRCLES
    changes = np.diff(logs)
    if turns and (abs(changes[-1]) < SETTLED_SHARE * np.abs(changes).max() or changes[-1] * whole <= 0):
        return CYCLE
    return SPIRALS_OUT if whole > 0 else SPIRALS_IN


def verdict(path: np.ndarray, lr: float) -> Verdict:
    """What one (iterations + 1, 2) path did. Diverged: it left the finite plane. Converged: it
    ended within 0.1% of its start's distance (or 1e-6). Stalled: its last step moved less than
    1e-6 * h, away from (0, 0). Otherwise the trend of its per-turn distances decides (see the
    module's docstring)."""
    path = np.asarray(path, dtype=float)
    r = np.hypot(path[:, 0], path[:, 1])
    start = float(r[0])
    if not np.isfinite(r).all():
        return Verdict(DIVERGES, start, math.nan, (math.nan, math.nan))
    end, point = float(r[-1]), (float(path[-1, 0]), float(path[-1, 1]))
    if start == 0.0 and end == 0.0:
        return Verdict(AT_EQUILIBRIUM, start, end, point)
    if end <= max(1e-3 * start, 1e-6):
        return Verdict(CONVERGES, start, end, point)
    n = len(r) - 1
    if n >= 1 and float(np.hypot(*(path[-1] - path[-2]))) < 1e-6 * lr:
        return Verdict(STALLS, start, end, point)
    samples = turn_distances(path)
    if len(samples) <= MIN_TURNS or (samples <= 0).any():
        samples = r[np.linspace(0, n, SAMPLES).round().astype(int)]
        if (samples <= 0).any():
            return Verdict(CIRCLES, start, end, point)
        outcome, last_turn = _trend(samples, turns=False), r[-max(1, n // SAMPLES):]
    else:
        outcome = _trend(samples, turns=True)
        last_turn = r[_last_turn_start(path):]
    cycle = float(last_turn.mean()) if outcome in (CYCLE, CIRCLES) else math.nan
    return Verdict(outcome, start, end, point, cycle)


def _last_turn_start(path: np.ndarray) -> int:
    """The first index of the path's last full turn around (0, 0) (0 if it turned less)."""
    unwrapped = np.unwrap(np.arctan2(path[:, 1], path[:, 0]))
    angle = np.abs(unwrapped - unwrapped[-1])
    before = np.flatnonzero(angle >= 2 * math.pi)
    return int(before[-1]) + 1 if len(before) else 0


def shown_number(value: float, scale: float) -> str:
    """`value` to 3 significant digits, or "0" when it is below a millionth of `scale` (a
    coordinate of 3e-57 beside one of 1.1 is 0 for the reader)."""
    if not math.isfinite(value):
        return "∞" if value > 0 else "−∞" if value < 0 else "nan"
    if value == 0 or abs(value) < 1e-6 * abs(scale):
        return "0"
    return f"{value:.3g}"
