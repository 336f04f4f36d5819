"""What the Dirac-GAN's iterates do near the equilibrium: the linearization at (0, 0) and the
eigenvalues of one iteration's map (the verdict on a whole trajectory is ganlab.dynamics.verdict).

Linearization (ganlab.dynamics.dirac's field, t = psi theta): at (0, 0) the Jacobian of v is

    J = [[0, -l_G'(0)], [-l_D'(0), -R''(0)]]

(d v_theta / d theta = -l_G''(t) psi^2 = 0 there). For the non-saturating loss l_G'(0) = -1/2 and
l_D'(0) = 1/2: without a penalty J's eigenvalues are +-i/2, purely imaginary, so the field
rotates around the equilibrium (Mescheder et al. 2018, Sec. 2). One iteration of gradient
descent is, to first order, x -> M x with

    simultaneous:           M = I + h J
    alternating, D first:   M = A_G A_D^n,  A_D = [[1, 0], [h J21, 1 + h J22]],  A_G = [[1 + h J11, h J12], [0, 1]]
    alternating, G first:   M = A_D^n A_G

(n D steps and one G step). Simultaneous, unregularized: eigenvalues 1 +- i h/2, |lambda| =
sqrt(1 + h^2/4) > 1 for every h > 0: the distance grows (spirals out). Alternating: det M = 1 and,
while n h^2 / 4 <= 4, |lambda| = 1: it circles. R1 (or R2) with gamma adds -gamma to J22:
eigenvalues -gamma/2 +- sqrt(gamma^2/4 - 1/4), in the left half-plane, so small enough steps
converge (Sec. 4).

Instance noise sigma adds -sigma^2 (a''(0) + l_D''(0)) to J22 (a the real sample's term of l_D;
ganlab.dynamics.dirac): -sigma^2 / 2 for the GAN losses, so sigma = 0.7 gives eigenvalues
-0.1225 +- 0.4848i, the paper's f''(0) sigma^2 +- sqrt(f''(0)^2 sigma^4 - f'(0)^2). Consensus
optimization gamma makes J - gamma J^T J of J (v = 0 at the equilibrium, so only J^T J is left of
the derivative of J^T v): -gamma/4 +- i/2 for the GAN losses.
"""

from __future__ import annotations

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
    if dyn.regularizer == "noise":
        curvature = dyn.weight ** 2 * (loss.real_curvature + float(loss.d_second(zero)))
    J = np.array([[0.0, -float(loss.g_prime(zero))], [-float(loss.d_prime(zero)), -curvature]])
    return J - dyn.weight * J.T @ J if dyn.regularizer == "consensus" else J


def step_matrix(dyn: Dynamics) -> np.ndarray | None:
    """M, the first-order map of one iteration at (0, 0) (see the module's docstring)."""
    J = jacobian(dyn)
    if J is None:
        return None
    h = dyn.lr
    if dyn.update == "simultaneous":
        return np.eye(2) + h * J
    a_d = np.linalg.matrix_power(np.array([[1.0, 0.0], [h * J[1, 0], 1.0 + h * J[1, 1]]]), dyn.d_steps)
    a_g = np.array([[1.0 + h * J[0, 0], h * J[0, 1]], [0.0, 1.0]])
    return a_d @ a_g if dyn.order == "g-first" else a_g @ a_d


def spectral_radius(matrix: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))
