"""The verdict on a trajectory, on paths built by hand and on the cases issue 22.6 found the page
contradicting itself on, and the page's sentences, which follow the linearization's numbers and
the verdicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganlab.dynamics.dirac import Dynamics, trajectories
from ganlab.dynamics.explain import explanation, field_sentence, starts_sentence, step_sentence
from ganlab.dynamics.settings import SCENARIOS, DiracSettings
from ganlab.dynamics.verdict import (
    AT_EQUILIBRIUM,
    CIRCLES,
    CONVERGES,
    CYCLE,
    DIVERGES,
    SPIRALS_IN,
    SPIRALS_OUT,
    STALLS,
    shown_number,
    turn_distances,
    verdict,
)


def _spiral(rate: float, n: int = 400, squash: float = 1.0) -> np.ndarray:
    k = np.arange(n + 1)
    r = rate ** k
    return np.stack([r * np.cos(0.1 * k), squash * r * np.sin(0.1 * k)], axis=1)


def _onto_cycle(n: int = 1000) -> np.ndarray:
    """From distance 1 onto the circle of radius 0.5: r = 0.5 + 0.5 * 0.99^k, 0.1 rad per step."""
    k = np.arange(n + 1)
    r = 0.5 + 0.5 * 0.99 ** k
    return np.stack([r * np.cos(0.1 * k), r * np.sin(0.1 * k)], axis=1)


@pytest.mark.parametrize("path, kind", [
    (_spiral(0.97), CONVERGES),  # 0.97^400 ~ 5e-6 of the start
    (_spiral(0.999), SPIRALS_IN),  # 0.999^63 = 6% less at each turn (63 steps of 0.1 rad)
    (_spiral(1.0), CIRCLES),
    (_spiral(1.0, squash=0.5), CIRCLES),  # an ellipse: the distance swings 2:1 within every turn, no trend
    (_spiral(1.001), SPIRALS_OUT),
    (_spiral(1.001, n=40), CIRCLES),  # less than a turn, 4% more: below the trend
    (_spiral(1.003, n=50), SPIRALS_OUT),  # 16% more in less than a turn
    (_onto_cycle(), CYCLE),  # the last turn changes the distance by 0.5 * 0.99^937 * (1 - 0.99^63): ~0
    (np.array([[1.0, 0.0], [2.0, 0.0], [np.nan, np.nan]]), DIVERGES),
    (np.array([[1.0, 1.0], [0.8, 0.5], [0.7, 0.0], [0.7, 0.0]]), STALLS),
    (np.zeros((5, 2)), AT_EQUILIBRIUM),
])
def test_the_verdict_on_hand_built_paths(path, kind):
    v = verdict(path, lr=0.1)
    assert v.outcome == kind
    assert v.start_distance == pytest.approx(math.hypot(*path[0]))


def test_the_verdict_reports_where_it_ended():
    v = verdict(np.array([[3.0, 4.0], [0.6, 0.8], [0.3, 0.4]]), lr=0.1)
    assert (v.start_distance, v.end_distance, *v.end) == pytest.approx((5.0, 0.5, 0.3, 0.4))


def test_the_distance_is_read_once_per_turn():
    # an ellipse (semi-axes 2 and 1) turning at 0.1 rad per step: back at distance 2 after each turn
    turns = turn_distances(_spiral(1.0, n=1000, squash=0.5) * 2)
    assert len(turns) == 1 + 15 and turns == pytest.approx([2.0] * 16, abs=2e-3)  # 100 rad = 15.9 turns
    # a spiral out by 1.001 a step gains 1.001^(2 pi / 0.1) = 6.5% a turn
    ratios = np.diff(np.log(turn_distances(_spiral(1.001))))
    assert np.exp(ratios) == pytest.approx([1.001 ** (20 * math.pi)] * 6, rel=1e-3)


def _case(settings: DiracSettings) -> list:
    dyn = settings.dynamics()
    return [verdict(p, dyn.lr) for p in trajectories(dyn, np.array(settings.starts), settings.iterations)]


def test_minimax_simultaneous_from_1_minus_1_spirals_out():
    """Issue 22.6: h = 0.2 from (1, -1) grows at every one of 500 steps, 1.41 -> 3.10, and was called
    "circles" because only the last fifth's growth was judged."""
    settings = DiracSettings(loss="minimax", lr=0.2, starts=((1.0, -1.0),))
    path = trajectories(settings.dynamics(), np.array(settings.starts), 500)[0]
    r = np.hypot(*path.T)
    assert np.all(np.diff(r) > 0) and (r[0], r[-1]) == pytest.approx((math.sqrt(2), 3.10), abs=0.005)
    (v,) = _case(settings)
    assert v.outcome == SPIRALS_OUT
    # |lambda| = |1 + 0.2 * (+-i/2)| = sqrt(1.01) near (0, 0): the explanation says out, and so does the verdict
    text = explanation(settings.dynamics(), [v])
    assert "|λ| = 1.0050: close to the equilibrium the iterates spiral outwards" in text
    assert "not the whole story" not in text  # nothing to reconcile


def test_the_default_start_spirals_in_and_the_text_says_why_though_0_0_pushes_out():
    """Issue 22.6: from (1, 1) the verdict said "spirals in" while the text said only "the iterates
    spiral outwards"; at 5,000 iterations it was "circles" at distance 0.445."""
    (v,) = _case(DiracSettings())
    assert v.outcome == SPIRALS_IN and v.end_distance == pytest.approx(0.521, abs=1e-3)
    text = explanation(DiracSettings().dynamics(), [v])
    assert f"|λ| = {math.sqrt(1 + 0.01 / 4):.4f}: close to the equilibrium the iterates spiral outwards" in text
    assert text.endswith("Further out the first order is not the whole story: from start 1 the iterates spiral in: "
                         "the distance still falls at every turn.")
    (settled,) = _case(DiracSettings(iterations=5000))
    assert settled.outcome == CYCLE and settled.cycle_distance == pytest.approx(0.445, abs=0.005)
    assert "from start 1 the iterates settle on a cycle" in explanation(DiracSettings().dynamics(), [settled])


def test_clipped_wgan_falls_onto_a_cycle():
    """Issue 22.6: "circles" while the distance fell 1.12 -> 0.53. psi is clipped to 0.5 and the
    WGAN field rotates at unit speed, so the orbit shrinks until it fits: a circle of radius ~0.5."""
    scenario = SCENARIOS["Clipped WGAN falls onto a cycle"]
    (v,) = _case(scenario)
    assert v.outcome == CYCLE
    assert (v.start_distance, v.end_distance) == pytest.approx((math.hypot(1, 0.5), 0.526), abs=1e-3)
    assert v.cycle_distance == pytest.approx(0.5, abs=0.05)
    assert "from start 1 the iterates settle on a cycle" in explanation(scenario.dynamics(), [v])


def test_lsgan_stops_away_and_the_text_no_longer_says_it_circles():
    """Issue 22.6: verdict "stops away", text "the iterates circle". psi decays to 3e-57, shown as 0."""
    scenario = SCENARIOS["LSGAN gets stuck"]
    verdicts = _case(scenario)
    assert [v.outcome for v in verdicts] == [STALLS, STALLS]
    assert abs(verdicts[0].end[1]) < 1e-50 and shown_number(verdicts[0].end[1], verdicts[0].end_distance) == "0"
    text = explanation(scenario.dynamics(), verdicts)
    assert "the iterates circle" not in text and "neither in nor out to first order" in text
    assert "from start 1 the iterates come to rest away from the equilibrium (at θ = 1.11, ψ = 0)" in text


@pytest.mark.parametrize("value, scale, shown", [
    (3.05e-57, 1.1, "0"), (-2.98e-65, 1.19, "0"), (1.10813, 1.1, "1.11"), (9.4e-7, 1.1e-6, "9.4e-07"),
    (0.0, 0.0, "0"), (math.inf, 1.0, "∞"),
])
def test_tiny_numbers_beside_large_ones_are_shown_as_0(value, scale, shown):
    assert shown_number(value, scale) == shown


def test_every_start_that_does_what_the_linearization_says_needs_no_more_words():
    scenario = SCENARIOS["Simultaneous spirals out"]
    assert starts_sentence(scenario.dynamics(), _case(scenario)) == ""
    scenario = SCENARIOS["R1 converges"]
    assert starts_sentence(scenario.dynamics(), _case(scenario)) == ""


def test_the_sentences_follow_the_numbers():
    plain = Dynamics(lr=0.2)
    assert "eigenvalues ±0.5i: purely imaginary" in field_sentence(plain)
    assert f"|λ| = {math.sqrt(1 + 0.04 / 4):.4f}: close to the equilibrium the iterates spiral outwards" \
        in step_sentence(plain)
    alternating = Dynamics(update="alternating", d_steps=2)
    assert "|λ| = 1.0000: neither in nor out to first order" in step_sentence(alternating)
    r1 = Dynamics(regularizer="r1", weight=0.5, lr=0.1)
    assert "-0.25 ± 0.433i: in the left half-plane" in field_sentence(r1)
    # |1 + h lambda| = sqrt(0.975^2 + 0.0433^2); 1% of the start after ln 0.01 / ln |.| iterations
    rho = abs(1 + 0.1 * complex(-0.25, math.sqrt(3) / 4))
    steps = math.log(0.01) / math.log(rho)
    assert f"|λ| = {rho:.4f}: close to the equilibrium they converge (to 1% of the start in about {steps:,.0f}" \
        in step_sentence(r1)
    assert "no linearization" in field_sentence(Dynamics(regularizer="gp", weight=1.0))
    assert step_sentence(Dynamics(regularizer="gp", weight=1.0)) == ""
    assert "at |θ| = 2, away from the data" in field_sentence(Dynamics(loss="wasserstein", regularizer="gp", weight=1.0))
    assert "pull 0.5·|θ|" in field_sentence(Dynamics(regularizer="gp", weight=1.0))  # l_D'(0) = 1/2: rest at 4
    assert "every point of the line ψ = 0 is a resting point" in field_sentence(Dynamics(loss="least-squares"))
