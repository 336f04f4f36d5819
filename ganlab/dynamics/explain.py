"""A few sentences on what the chosen recipe does near the equilibrium, from its linearization
(ganlab.dynamics.analysis), and on what the starts shown did where that is not the whole story
(their verdicts, ganlab.dynamics.verdict): the words follow the numbers, so they stay right for
any loss, regularizer, update rule, learning rate and start."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ganlab.dynamics.analysis import NEAR_ONE, jacobian, spectral_radius, step_matrix
from ganlab.dynamics.dirac import LOSSES, Dynamics
from ganlab.dynamics.verdict import CIRCLES, CONVERGES, CYCLE, SPIRALS_IN, SPIRALS_OUT, STALLS, Verdict, shown_number

PAPER = "Mescheder et al. 2018"


def _complex(z: complex) -> str:
    """A conjugate pair to 4 significant digits (the paper's -0.1225 ± 0.4848i for instance noise 0.7)."""
    re, im = z.real, z.imag
    if abs(im) < 1e-12:
        return f"{re:.4g}"
    if abs(re) < 1e-12:
        return f"±{abs(im):.4g}i"
    return f"{re:.4g} ± {abs(im):.4g}i"


def _eigen_text(J: np.ndarray) -> str:
    values = np.linalg.eigvals(J)
    if abs(values[0].imag) > 1e-12:  # a conjugate pair
        return _complex(complex(values[0]))
    return " and ".join(f"{v + 0.0:.3g}" for v in sorted(values.real))  # + 0.0: no "-0"


def field_sentence(dyn: Dynamics) -> str:
    """What the continuous field does at (0, 0)."""
    J = jacobian(dyn)
    if J is None:
        text = ("The gradient penalty λ(|ψ| − 1)² wants |ψ| = 1, so D is never flat at the data, and it has a kink at "
                f"ψ = 0: there is no linearization, and no convergence to (0, 0) ({PAPER}, Sec. 3).")
        slope = float(LOSSES[dyn.loss].d_prime(np.zeros(())))
        if slope > 0 and dyn.weight > 0:
            text += (" Depending on λ and h the iterates keep circling, or come to rest on the θ axis where D's pull "
                     f"{slope:g}·|θ| meets the penalty's push 2λ: at |θ| = {2 * dyn.weight / slope:.3g}, away from "
                     "the data.")
        return text
    values = np.linalg.eigvals(J)
    text = f"At (0, 0) the field's Jacobian has eigenvalues {_eigen_text(J)}"
    if np.all(np.abs(values) < 1e-12):
        return text + f". {LOSSES[dyn.loss].radial}"
    if np.all(np.abs(values.real) < 1e-12):
        text += f": purely imaginary, so the field rotates around the equilibrium ({PAPER}, Sec. 2)"
        if dyn.regularizer == "clip":
            text += "; clipping only acts once |ψ| reaches c, where it stops D but not the rotation (Sec. 3)"
        return text + f". {LOSSES[dyn.loss].radial}"
    if np.all(values.real < 0):
        text += f": in the left half-plane, so the field pulls into the equilibrium ({PAPER}, Sec. 3 and 4)."
        return " ".join((text, _method_sentence(dyn, J))).strip()
    return text + "."


def _method_sentence(dyn: Dynamics, J: np.ndarray) -> str:
    """How instance noise or consensus optimization moved the eigenvalues off the imaginary axis."""
    if dyn.regularizer == "noise":
        return (f"Instance noise σ = {dyn.weight:g} smooths D's loss: near (0, 0) D's update pulls ψ back by "
                f"{-J[1, 1]:.4g}·ψ (σ² times the losses' curvature at 0), a damping the noise-free field lacks.")
    if dyn.regularizer == "consensus":
        return (f"Consensus optimization γ = {dyn.weight:g} has both players also shrink |v|²/2, which adds −γJᵀJ "
                "to the Jacobian and damps the rotation; far out it also pulls towards where the field is weak (where D "
                "saturates), so a start there can drift away instead of converging.")
    return ""


def _order_words(dyn: Dynamics) -> str:
    d_steps = f"{dyn.d_steps} D step{'s' * (dyn.d_steps != 1)}"
    return f"a G step, then {d_steps}" if dyn.order == "g-first" else f"{d_steps}, then a G step"


def step_sentence(dyn: Dynamics) -> str:
    """What one iteration of the chosen update does near (0, 0), with its spectral radius: the
    linearization's word, which holds close to the equilibrium only."""
    M = step_matrix(dyn)
    if M is None:
        return ""
    rho = spectral_radius(M)
    how = "simultaneous step" if dyn.update == "simultaneous" else \
        f"alternating iteration ({_order_words(dyn)})"
    text = f"Near (0, 0) one {how} with h = {dyn.lr:g} multiplies the distance by up to |λ| = {rho:.4f}: "
    if rho > 1 + NEAR_ONE:
        return text + "close to the equilibrium the iterates spiral outwards (for any h > 0 if the field only rotates)."
    if rho < 1 - NEAR_ONE:
        if rho <= 1e-12:
            return text + "close to the equilibrium they reach it at once."
        steps = math.log(0.01) / math.log(rho)
        return text + f"close to the equilibrium they converge (to 1% of the start in about {steps:,.0f} iterations)."
    return text + "neither in nor out to first order; the loss's curvature decides."


# What the linearization predicts near (0, 0), as a verdict outcome: a start that did otherwise
# began where the loss's curvature (or the clip, or the penalty) takes over, and the
# explanation says what it did instead.
def _predicted(dyn: Dynamics) -> tuple[str, ...]:
    M = step_matrix(dyn)
    if M is None:
        return ()
    rho = spectral_radius(M)
    if rho > 1 + NEAR_ONE:
        return (SPIRALS_OUT,)
    if rho < 1 - NEAR_ONE:
        return (CONVERGES, SPIRALS_IN)
    return (CIRCLES,)


def starts_sentence(dyn: Dynamics, verdicts: Sequence[Verdict]) -> str:
    """What the starts shown did, in the verdicts' own words, where the linearization alone
    would mislead (a start further out than its reach); "" when every start did what it says."""
    expected = _predicted(dyn)
    parts = []
    for i, v in enumerate(verdicts):
        if v.outcome in expected:
            continue
        where = ""
        if v.outcome in (CYCLE, CIRCLES) and math.isfinite(v.cycle_distance):
            where = f" (at distance ≈ {v.cycle_distance:.3g})"
        elif v.outcome == STALLS:
            where = f" (at θ = {shown_number(v.end[0], v.end_distance)}, ψ = {shown_number(v.end[1], v.end_distance)})"
        parts.append(f"from start {i + 1} the iterates {v.meaning}{where}")
    if not parts:
        return ""
    lead = "Further out the first order is not the whole story: " if expected else "Here "
    return lead + "; ".join(parts) + "."


def explanation(dyn: Dynamics, verdicts: Sequence[Verdict]) -> str:
    """The page's explanation: the field at (0, 0), one step near it, and what the starts shown did
    where that differs (the same verdicts as the lines beside the plane)."""
    return " ".join(part for part in (field_sentence(dyn), step_sentence(dyn), starts_sentence(dyn, verdicts)) if part)
