"""The verdict on a trajectory, on paths built by hand, and the page's sentences, which follow
the linearization's numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganlab.dynamics.analysis import (
    AT_EQUILIBRIUM, CIRCLES, CONVERGES, DIVERGES, SPIRALS_IN, SPIRALS_OUT, STALLS, verdict,
)
from ganlab.dynamics.dirac import Dynamics
from ganlab.dynamics.explain import field_sentence, step_sentence


def _spiral(rate: float, n: int = 400) -> np.ndarray:
    k = np.arange(n + 1)
    r = rate ** k
    return np.stack([r * np.cos(0.1 * k), r * np.sin(0.1 * k)], axis=1)


@pytest.mark.parametrize("path, kind", [
    (_spiral(0.97), CONVERGES),  # 0.97^400 ~ 5e-6 of the start
    (_spiral(0.999), SPIRALS_IN),  # 8% per fifth of the run
    (_spiral(1.0), CIRCLES),
    (_spiral(1.001), SPIRALS_OUT),
    (np.array([[1.0, 0.0], [2.0, 0.0], [np.nan, np.nan]]), DIVERGES),
    (np.array([[1.0, 1.0], [0.8, 0.5], [0.7, 0.0], [0.7, 0.0]]), STALLS),
    (np.zeros((5, 2)), AT_EQUILIBRIUM),
])
def test_the_verdict_on_hand_built_paths(path, kind):
    v = verdict(path, lr=0.1)
    assert v.kind == kind
    assert v.start_distance == pytest.approx(math.hypot(*path[0]))


def test_the_verdict_reports_where_it_ended():
    v = verdict(np.array([[3.0, 4.0], [0.6, 0.8], [0.3, 0.4]]), lr=0.1)
    assert (v.start_distance, v.end_distance, *v.end) == pytest.approx((5.0, 0.5, 0.3, 0.4))


def test_the_sentences_follow_the_numbers():
    plain = Dynamics(lr=0.2)
    assert "eigenvalues ±0.5i: purely imaginary" in field_sentence(plain)
    assert f"|λ| = {math.sqrt(1 + 0.04 / 4):.4f}: the iterates spiral outwards" in step_sentence(plain)
    alternating = Dynamics(update="alternating", d_steps=2)
    assert "|λ| = 1.0000" in step_sentence(alternating) and "circle" in step_sentence(alternating)
    r1 = Dynamics(regularizer="r1", weight=0.5, lr=0.1)
    assert "-0.25 ± 0.433i: in the left half-plane" in field_sentence(r1)
    # |1 + h lambda| = sqrt(0.975^2 + 0.0433^2); 1% of the start after ln 0.01 / ln |.| iterations
    rho = abs(1 + 0.1 * complex(-0.25, math.sqrt(3) / 4))
    assert f"|λ| = {rho:.4f}: they converge (to 1% of the start in about {math.log(0.01) / math.log(rho):,.0f}" \
        in step_sentence(r1)
    assert "no linearization" in field_sentence(Dynamics(regularizer="gp", weight=1.0))
    assert step_sentence(Dynamics(regularizer="gp", weight=1.0)) == ""
    assert "at |θ| = 2, away from the data" in field_sentence(Dynamics(loss="wasserstein", regularizer="gp", weight=1.0))
    assert "pull 0.5·|θ|" in field_sentence(Dynamics(regularizer="gp", weight=1.0))  # l_D'(0) = 1/2: rest at 4
    assert "every point of the line ψ = 0 is a resting point" in field_sentence(Dynamics(loss="least-squares"))
