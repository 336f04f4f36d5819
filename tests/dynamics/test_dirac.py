"""The Dirac-GAN's closed forms against ganlab.gan.losses / ganlab.gan.regularizers through torch autograd,
the vector field at hand-worked points, and the update rules against the paper's analysis
(Mescheder et al. 2018): simultaneous steps spiral out, alternating ones circle, R1 converges
for small enough steps, clipped WGAN does not converge."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganlab.dynamics.analysis import jacobian, spectral_radius, step_matrix
from ganlab.dynamics.dirac import LOSSES, Dynamics, loss_curves, penalty, penalty_grad, step, trajectories, vector_field
from ganlab.dynamics.verdict import CIRCLES, CONVERGES, DIVERGES, SPIRALS_OUT, STALLS, verdict
from ganlab.gan import losses as app_losses
from ganlab.gan.regularizers import gradient_penalty, r1_penalty

APP_NAME = {"wasserstein": "wasserstein-clip"}  # the Wasserstein objective (both app variants share it)
POINTS = [(1.0, 2.0), (-0.7, 0.3), (0.5, -1.5), (2.0, 0.0), (0.0, -1.0), (3.0, 4.0)]


def _autograd(name: str, theta: float, psi: float) -> tuple[float, float, float, float]:
    """(l_D, d l_D / d psi, l_G, d l_G / d theta) from ganlab.gan.losses on D(x) = psi x, real 0, fake theta."""
    loss = app_losses.get_loss(APP_NAME.get(name, name))
    th = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    ps = torch.tensor(psi, dtype=torch.float64, requires_grad=True)
    # D's step: its logits on the real point 0 and on the detached fake theta; G's step: D held fixed
    d = loss.d_loss(ps * torch.zeros(1, dtype=torch.float64), ps * th.detach().reshape(1))
    (d_psi,) = torch.autograd.grad(d, ps)
    g = loss.g_loss(ps.detach() * th.reshape(1))
    (g_theta,) = torch.autograd.grad(g, th)
    return d.item(), d_psi.item(), g.item(), g_theta.item()


@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize("theta, psi", POINTS)
def test_closed_forms_match_the_apps_losses_through_autograd(name, theta, psi):
    d, d_psi, g, g_theta = _autograd(name, theta, psi)
    loss, t = LOSSES[name], psi * theta
    assert float(loss.d_loss(t)) == pytest.approx(d, abs=1e-12)
    assert float(loss.g_loss(t)) == pytest.approx(g, abs=1e-12)
    v_theta, v_psi = vector_field(Dynamics(loss=name), theta, psi)
    assert float(v_theta) == pytest.approx(-g_theta, abs=1e-12)
    assert float(v_psi) == pytest.approx(-d_psi, abs=1e-12)


@pytest.mark.parametrize("psi", [-1.7, -0.4, 0.3, 2.5])
def test_penalties_match_the_apps_regularizers_through_autograd(psi):
    ps = torch.tensor(psi, dtype=torch.float64, requires_grad=True)
    critic = lambda x: ps * x.sum(1)  # noqa: E731 - D(x) = psi x
    real, fake = torch.zeros(4, 1, dtype=torch.float64), torch.full((4, 1), 0.8, dtype=torch.float64)
    for reg, weight, value in (("r1", 3.0, 3.0 * r1_penalty(critic, real)),
                               ("gp", 2.0, 2.0 * gradient_penalty(critic, real, fake))):
        (grad,) = torch.autograd.grad(value, ps)
        dyn = Dynamics(regularizer=reg, weight=weight)
        assert float(penalty(dyn, psi)) == pytest.approx(value.detach().item(), rel=1e-9)
        assert float(penalty_grad(dyn, psi)) == pytest.approx(float(grad), rel=1e-6)


@pytest.mark.parametrize("dyn, point, expected", [
    # non-saturating at (1, 2): t = 2, v = (sigmoid(-2) * 2, -sigmoid(2) * 1)
    (Dynamics(), (1.0, 2.0), (2 / (1 + math.exp(2)), -1 / (1 + math.exp(-2)))),
    (Dynamics(), (0.5, 0.0), (0.0, -0.25)),  # D = 0: only D moves, with slope sigmoid(0) = 1/2
    (Dynamics(loss="minimax"), (1.0, 2.0), (2 / (1 + math.exp(-2)), -1 / (1 + math.exp(-2)))),
    (Dynamics(regularizer="r1", weight=2.0), (0.0, 1.0), (0.5, -2.0)),  # sigmoid(0) * 1, -gamma * psi
    (Dynamics(loss="wasserstein"), (0.3, -0.7), (-0.7, -0.3)),  # a pure rotation (psi, -theta)
    (Dynamics(loss="hinge"), (1.0, -2.0), (-2.0, 0.0)),  # t = -2 < -1: D's hinge is flat
    (Dynamics(loss="least-squares"), (1.0, 0.5), (0.25, -0.5)),  # ((1 - t) psi, -t theta), t = 0.5
    (Dynamics(loss="wasserstein", regularizer="gp", weight=1.0), (0.0, 0.5), (0.5, 1.0)),  # -2 (0.5 - 1)
])
def test_the_vector_field_at_hand_worked_points(dyn, point, expected):
    assert tuple(float(v) for v in vector_field(dyn, *point)) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("h", [0.01, 0.1, 0.5, 1.0])
def test_simultaneous_steps_near_the_equilibrium_grow_the_distance_by_sqrt_1_plus_h2_f0_2(h):
    """Near 0: theta' = theta + h f'(0) psi, psi' = psi - h f'(0) theta with f'(0) = 1/2, so
    |x'|^2 = (1 + h^2 / 4) |x|^2 exactly for the linear part, for every h > 0."""
    x = np.array([3e-4, -4e-4])
    theta, psi = step(Dynamics(lr=h), x[0], x[1])
    assert (theta, psi) == pytest.approx((x[0] + h * 0.5 * x[1], x[1] - h * 0.5 * x[0]), rel=1e-6)
    assert (theta ** 2 + psi ** 2) / (x @ x) == pytest.approx(1 + h * h / 4, rel=1e-6)
    M = step_matrix(Dynamics(lr=h))
    assert np.abs(np.linalg.eigvals(M)) == pytest.approx([math.sqrt(1 + h * h / 4)] * 2, rel=1e-12)
    path = trajectories(Dynamics(lr=h), [[1e-5, 0.0]], 50)[0]  # stays where the field is linear
    r = np.hypot(path[:, 0], path[:, 1])
    assert np.all(np.diff(r) > 0)
    assert r[-1] / r[0] == pytest.approx((1 + h * h / 4) ** 25, rel=1e-3)


def test_unregularized_simultaneous_training_spirals_out_and_alternating_circles():
    start = [[0.05, 0.05]]
    sim = trajectories(Dynamics(lr=0.1), start, 1000)[0]
    alt = trajectories(Dynamics(lr=0.1, update="alternating"), start, 1000)[0]
    assert verdict(sim, 0.1).outcome == SPIRALS_OUT
    r = np.hypot(alt[:, 0], alt[:, 1]) / math.hypot(0.05, 0.05)
    assert 0.9 < r.min() and r.max() < 1.1  # stays on its orbit
    assert verdict(alt, 0.1).outcome == CIRCLES


@pytest.mark.parametrize("h, n", [(0.1, 1), (0.5, 1), (0.3, 5), (1.0, 3)])
def test_alternating_steps_keep_both_eigenvalues_on_the_unit_circle(h, n):
    """M = A_G A_D^n has det 1 and trace 2 - n h^2 f'(0)^2; while that is within [-2, 2] both
    eigenvalues have modulus 1: alternating training neither converges nor spirals out."""
    M = step_matrix(Dynamics(lr=h, update="alternating", d_steps=n))
    assert np.linalg.det(M) == pytest.approx(1.0, abs=1e-12)
    assert np.trace(M) == pytest.approx(2 - n * h * h / 4, abs=1e-12)
    assert spectral_radius(M) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("gamma", [0.5, 1.5])
def test_r1_converges_at_the_rate_of_its_linearization(gamma):
    J = jacobian(Dynamics(regularizer="r1", weight=gamma))
    expected = np.sort_complex(np.array([-gamma / 2 + s * np.sqrt(complex(gamma * gamma / 4 - 0.25)) for s in (1, -1)]))
    assert np.sort_complex(np.linalg.eigvals(J)) == pytest.approx(expected, abs=1e-12)
    dyn = Dynamics(regularizer="r1", weight=gamma, lr=0.1)
    rho = spectral_radius(step_matrix(dyn))
    assert rho < 1
    path = trajectories(dyn, [[1e-3, 1e-3]], 700)[0]
    r = np.hypot(path[:, 0], path[:, 1])
    assert (r[700] / r[200]) ** (1 / 500) == pytest.approx(rho, abs=2e-3)
    assert verdict(trajectories(dyn, [[1.0, 1.0]], 2000)[0], 0.1).outcome == CONVERGES


def test_r1_with_too_large_a_step_does_not_converge():
    """|1 + h lambda| < 1 needs h < -2 Re(lambda) / |lambda|^2 = 2 for gamma = 0.5 (lambda = -1/4 +- i sqrt(3)/4)."""
    assert spectral_radius(step_matrix(Dynamics(regularizer="r1", weight=0.5, lr=1.9))) < 1
    dyn = Dynamics(regularizer="r1", weight=0.5, lr=2.2)
    assert spectral_radius(step_matrix(dyn)) > 1
    r = np.hypot(*trajectories(dyn, [[1e-3, 0.0]], 200)[0].T)
    assert r[-1] > 10 * r[0]


@pytest.mark.parametrize("update, n", [("simultaneous", 1), ("alternating", 5)])
def test_clipped_wgan_does_not_converge(update, n):
    dyn = Dynamics(loss="wasserstein", regularizer="clip", weight=0.5, update=update, d_steps=n, lr=0.1)
    path = trajectories(dyn, [[1.0, 0.5], [0.1, 0.0]], 5000)
    assert np.abs(path[..., 1]).max() <= 0.5 + 1e-12  # clipped after every D step
    for p in path:
        assert verdict(p, 0.1).outcome not in (CONVERGES, DIVERGES)
        assert np.hypot(*p[-500:].T).min() > 0.05


def test_unclipped_wgan_blows_up_and_the_rest_of_its_path_is_nan():
    path = trajectories(Dynamics(loss="wasserstein", lr=1.0), [[1.0, 0.0], [0.0, 0.0]], 200)
    # each step multiplies the distance by sqrt(2): beyond 1e6 after 40 steps
    assert np.isnan(path[0, -1]).all() and np.isfinite(path[0, :39]).all()
    assert verdict(path[0], 1.0).outcome == DIVERGES
    assert np.all(path[1] == 0.0)  # the equilibrium is a fixed point


def test_least_squares_stops_on_the_line_where_d_is_flat():
    path = trajectories(Dynamics(loss="least-squares"), [[0.5, 0.5]], 3000)[0]
    v = verdict(path, 0.1)
    assert v.outcome == STALLS
    assert abs(v.end[1]) < 1e-6 and v.end[0] > 0.5  # psi = 0, theta stuck away from the data


def test_the_gradient_penalty_has_no_linearization_and_does_not_reach_the_data():
    dyn = Dynamics(loss="wasserstein", regularizer="gp", weight=1.0, update="alternating", d_steps=5)
    assert jacobian(dyn) is None and step_matrix(dyn) is None
    path = trajectories(dyn, [[0.3, 0.3]], 2000)[0]
    assert math.hypot(*path[-1]) > 0.5


def test_loss_curves_are_the_losses_at_each_state():
    path = np.array([[1.0, 2.0], [0.0, 0.0]])
    d, g = loss_curves(Dynamics(), path)
    assert d == pytest.approx([math.log(2) + math.log1p(math.exp(2)), 2 * math.log(2)])
    assert g == pytest.approx([math.log1p(math.exp(-2)), math.log(2)])


def test_a_recipe_out_of_range_is_refused():
    for bad in (dict(loss="nope"), dict(update="sideways"), dict(lr=0.0), dict(d_steps=0),
                dict(regularizer="clip", weight=0.0)):
        with pytest.raises(ValueError):
            Dynamics(**bad)


@pytest.mark.parametrize("theta, psi", POINTS)
def test_what_the_flow_does_to_the_distance(theta, psi):
    """d/dt |x|^2 / 2 = theta v_theta + psi v_psi = -t (l_G'(t) + l_D'(t)): -t tanh(t/2) for the
    non-saturating loss (inwards), 0 for minimax and Wasserstein (the flow circles)."""
    t = theta * psi
    radial = {name: float(np.dot((theta, psi), vector_field(Dynamics(loss=name), theta, psi))) for name in LOSSES}
    assert radial["non-saturating"] == pytest.approx(-t * math.tanh(t / 2), abs=1e-12)
    assert radial["minimax"] == pytest.approx(0.0, abs=1e-12) and radial["wasserstein"] == pytest.approx(0.0, abs=1e-12)


def test_non_saturating_simultaneous_steps_settle_on_one_cycle_and_alternating_ones_creep_in():
    """Pushed out by the step (|x|^2 grows by h^2/4 |x|^2), pulled in by the loss (~ r^4): from inside
    and from outside, h = 0.1 ends on the same cycle, about 0.445 from (0, 0)."""
    paths = trajectories(Dynamics(lr=0.1), [[0.1, 0.1], [2.0, -2.0]], 10_000)
    tail = np.hypot(paths[:, -2000:, 0], paths[:, -2000:, 1])
    assert tail.min() > 0.43 and tail.max() < 0.46
    alt = np.hypot(*trajectories(Dynamics(lr=0.1, update="alternating"), [[1.0, 1.0]], 10_000)[0].T)
    assert alt[10_000] < 0.75 * alt[2_500] < alt[0]


@pytest.mark.parametrize("loss, rest", [("wasserstein", 2.0), ("non-saturating", 4.0)])
def test_a_strong_gradient_penalty_comes_to_rest_where_ds_pull_meets_the_penalty(loss, rest):
    """On the theta axis, just above psi = 0: v_psi = -l_D'(0) theta + 2 lambda, zero at theta = 2 lambda / l_D'(0)."""
    dyn = Dynamics(loss=loss, regularizer="gp", weight=1.0)
    end = trajectories(dyn, [[1.0, 1.0], [-0.5, 0.3]], 5000)[:, -1]
    assert np.abs(end[:, 0]) == pytest.approx([rest, rest], abs=1e-3) and np.abs(end[:, 1]).max() < 1e-3
    assert float(vector_field(dyn, rest, 1e-9)[1]) == pytest.approx(0.0, abs=1e-6)
