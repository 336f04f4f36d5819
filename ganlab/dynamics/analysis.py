"""What the Dirac-GAN's iterates do: the linearization at the equilibrium (0, 0), the
eigenvalues of one iteration's map, and a verdict on a computed trajectory.

Linearization (ganlab.dynamics.dirac's field, t = psi theta): at (0, 0) the Jacobian of v is

    J = [[0, -l_G'(0)], [-l_D'(0), -R''(0)]]

(d v_theta / d theta = -l_G''(t) psi^2 = 0 there). For the non-saturating loss l_G'(0) = -1/2 and
l_D'(0) = 1/2: without a penalty J's eigenvalues are +-i/2, purely imaginary, so the field
rotates around the equilibrium (Mescheder et al. 2018, Sec. 2). One iteration of gradient
descent is, to first order, x -> M x with

    simultaneous: M = I + h J
    alternating:  M = A_G A_D^n,  A_D = [[1, 0], [h J21, 1 + h J22]],  A_G = [[1 + h J11, h J12], [0, 1]]

(n D steps, then one G step). Simultaneous, unregularized: eigenvalues 1 +- i h/2, |lambda| =
sqrt(1 + h^2/4) > 1 for every h > 0: the distance grows (spirals out). Alternating: det M = 1 and,
while n h^2 / 4 <= 4, |lambda| = 1: it circles. R1 (or R2) with gamma adds -gamma to J22:
eigenvalues -gamma/2 +- sqrt(gamma^2/4 - 1/4), in the left half-plane, so small enough steps
converge (Sec. 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ganlab.dynamics.dirac import LOSSES, Dynamics

NEAR_ONE = 1e-9  # |lambda| within this of 1 counts as on the unit circle


def jacobian(dyn: Dynamics) -> np.ndarray | None:
    """J of the vector field at (0, 0); None for the gradient penalty, whose |psi| has a kink there."""
    if dyn.regularizer == "gp":
        return None
    loss = LOSSES[dyn.loss]
    zero = np.zeros(())
    curvature = dyn.weight if dyn.regularizer in ("r1", "r2") else 0.0  # clipping is inactive near 0
    return np.array([[0.0, -float(loss.g_prime(zero))], [-float(loss.d_prime(zero)), -curvature]])


def step_matrix(dyn: Dynamics) -> np.ndarray | None:
    """M, the first-order map of one iteration at (0, 0) (see the module's docstring)."""
    J = jacobian(dyn)
    if J is None:
        return None
    h = dyn.lr
    if dyn.update == "simultaneous":
        return np.eye(2) + h * J
    a_d = np.array([[1.0, 0.0], [h * J[1, 0], 1.0 + h * J[1, 1]]])
    a_g = np.array([[1.0 + h * J[0, 0], h * J[0, 1]], [0.0, 1.0]])
    return a_g @ np.linalg.matrix_power(a_d, dyn.d_steps)


def spectral_radius(matrix: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


# ------------------------------------------------------------------ verdict on a trajectory
CONVERGES, SPIRALS_IN, CIRCLES, SPIRALS_OUT, DIVERGES, STALLS, AT_EQUILIBRIUM = (
    "converges", "spirals in (not there yet)", "circles", "spirals out", "diverges", "stops away from (0, 0)",
    "stays at the equilibrium")
TREND = 0.05  # a window's mean distance this much above / below the previous one is a trend


@dataclass(frozen=True)
class Verdict:
    kind: str  # one of the constants above
    start_distance: float
    end_distance: float  # nan when it diverged
    end: tuple[float, float]


def verdict(path: np.ndarray, lr: float) -> Verdict:
    """What one (iterations + 1, 2) path did. Converged: ended within 0.1% of its start's distance
    (or 1e-6); stalled: its last step moved less than 1e-6 * h, away from (0, 0); otherwise the mean
    distance over the last fifth against the fifth before decides (a 5% trend spirals out or in;
    less circles)."""
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
    w = max(1, n // 5)
    if n < 2 * w:
        return Verdict(SPIRALS_OUT if end > start else SPIRALS_IN if end < start else CIRCLES, start, end, point)
    late, before = float(r[-w:].mean()), float(r[-2 * w:-w].mean())
    if late > (1 + TREND) * before:
        return Verdict(SPIRALS_OUT, start, end, point)
    if late < (1 - TREND) * before:
        return Verdict(SPIRALS_IN, start, end, point)
    return Verdict(CIRCLES, start, end, point)
