"""Instance noise, consensus optimization and the order of alternating updates in the Dirac-GAN:
eigenvalues at the equilibrium against the paper's formulas, the fields against hand-worked values,
finite differences and a Monte Carlo of the notebook's noise, and single steps worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganlab.dynamics.analysis import jacobian, spectral_radius, step_matrix
from ganlab.dynamics.dirac import LOSSES, Dynamics, loss_curves, step, trajectories, vector_field
from ganlab.dynamics.explain import field_sentence, step_sentence
from ganlab.gan import losses as app_losses


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _numeric_jacobian(dyn: Dynamics, theta: float = 0.0, psi: float = 0.0, eps: float = 1e-6) -> np.ndarray:
    def v(a: float, b: float) -> np.ndarray:
        return np.array([float(c) for c in vector_field(dyn, a, b)])
    return np.stack([(v(theta + eps, psi) - v(theta - eps, psi)) / (2 * eps),
                     (v(theta, psi + eps) - v(theta, psi - eps)) / (2 * eps)], axis=1)


def _pair(values: np.ndarray) -> list[complex]:
    return sorted(np.linalg.eigvals(values), key=lambda z: z.imag)


@pytest.mark.parametrize("name", list(LOSSES))
def test_the_real_term_and_second_derivatives_match_the_apps_losses(name):
    """a(s) + b(t) is ganlab.gan.losses' D loss on real logit s and fake logit t; the derivatives the noise
    and consensus use are those of the closed forms (central differences, away from the hinge's kinks)."""
    app = app_losses.get_loss({"wasserstein": "wasserstein-clip"}.get(name, name))
    loss, a0, eps = LOSSES[name], float(LOSSES[name].real(0.0)), 1e-6
    for s, t in ((0.3, -0.4), (-1.7, 2.2), (2.5, 0.7)):
        expected = app.d_loss(torch.tensor([s], dtype=torch.float64), torch.tensor([t], dtype=torch.float64)).item()
        assert float(loss.real(s)) - a0 + float(loss.d_loss(t)) == pytest.approx(expected, abs=1e-12)
        for f, df in ((loss.real, loss.real_prime), (loss.d_prime, loss.d_second), (loss.g_prime, loss.g_second)):
            assert float(df(s)) == pytest.approx((float(f(s + eps)) - float(f(s - eps))) / (2 * eps), abs=1e-6)
    slope = (float(loss.real_prime(eps)) - float(loss.real_prime(-eps))) / (2 * eps)
    assert loss.real_curvature == pytest.approx(slope, abs=1e-6)


@pytest.mark.parametrize("loss", ["minimax", "non-saturating"])
def test_instance_noise_07_puts_the_eigenvalues_at_the_papers_minus_01225_pm_0485i(loss):
    """The paper: f''(0) sigma^2 +- sqrt(f''(0)^2 sigma^4 - f'(0)^2), f'(0) = 1/2, f''(0) = -1/4: the
    continuous field's Jacobian (no step size in it). sigma = 0.7: -0.1225 +- i sqrt(0.25 - 0.1225^2)."""
    dyn = Dynamics(loss=loss, regularizer="noise", weight=0.7)
    J = jacobian(dyn)
    assert J == pytest.approx(np.array([[0.0, -float(LOSSES[loss].g_prime(0.0))], [-0.5, -0.245]]), abs=1e-15)
    imag = math.sqrt(0.25 - 0.1225 ** 2)  # 0.48476
    assert _pair(J) == pytest.approx([complex(-0.1225, -imag), complex(-0.1225, imag)], abs=1e-12)
    assert imag == pytest.approx(0.485, abs=5e-4)
    assert _numeric_jacobian(dyn) == pytest.approx(J, abs=1e-8)  # the field's own slope at (0, 0)
    assert "-0.1225 ± 0.4848i: in the left half-plane" in field_sentence(dyn)
    assert "pulls ψ back by 0.245·ψ" in field_sentence(dyn)


def test_consensus_10_puts_the_eigenvalues_at_minus_025_pm_05i():
    """J - gamma J^T J with J = [[0, 1/2], [-1/2, 0]] (minimax, ganlab's signs): J^T J = I / 4."""
    dyn = Dynamics(loss="minimax", regularizer="consensus", weight=1.0)
    J = jacobian(dyn)
    assert J == pytest.approx(np.array([[-0.25, 0.5], [-0.5, -0.25]]), abs=1e-15)
    assert _pair(J) == pytest.approx([complex(-0.25, -0.5), complex(-0.25, 0.5)], abs=1e-15)
    assert _numeric_jacobian(dyn) == pytest.approx(J, abs=1e-8)
    assert "-0.25 ± 0.5i: in the left half-plane" in field_sentence(dyn)


def test_a_consensus_step_worked_by_hand():
    """Minimax at (theta, psi) = (1, 0), t = 0: v = (sigma(0) psi, -sigma(0) theta) = (0, -1/2).
    Jacobian there: d v_theta/d theta = 0, d v_theta/d psi = sigma(0) = 1/2, d v_psi/d theta = -1/2,
    d v_psi/d psi = -sigma'(0) theta^2 = -1/4. J^T v = (0 * 0 + (-1/2)(-1/2), 0 * 1/2 + (-1/2)(-1/4))
    = (1/4, 1/8); gamma = 1: v - J^T v = (-1/4, -5/8); h = 0.2: (1, 0) -> (0.95, -0.125)."""
    dyn = Dynamics(loss="minimax", regularizer="consensus", weight=1.0, lr=0.2)
    assert tuple(map(float, vector_field(dyn, 1.0, 0.0))) == pytest.approx((-0.25, -0.625), abs=1e-15)
    assert tuple(map(float, step(dyn, 1.0, 0.0))) == pytest.approx((0.95, -0.125), abs=1e-15)
    alternating = Dynamics(loss="minimax", regularizer="consensus", weight=1.0, lr=0.2, update="alternating")
    # D first: psi = -0.125, then G at (1, -0.125); its v_theta is the consensus field's there
    theta = 1.0 + 0.2 * float(vector_field(dyn, 1.0, -0.125)[0])
    assert tuple(map(float, step(alternating, 1.0, 0.0))) == pytest.approx((theta, -0.125), abs=1e-15)


@pytest.mark.parametrize("loss", ["minimax", "non-saturating", "least-squares", "wasserstein"])
@pytest.mark.parametrize("theta, psi", [(1.0, -1.0), (0.4, 0.9), (-1.5, 0.3)])
def test_consensus_subtracts_gamma_times_the_gradient_of_half_the_squared_field(loss, theta, psi):
    plain, gamma, eps = Dynamics(loss=loss), 0.6, 1e-6

    def half_norm(a: float, b: float) -> float:
        return 0.5 * sum(float(c) ** 2 for c in vector_field(plain, a, b))
    grad = ((half_norm(theta + eps, psi) - half_norm(theta - eps, psi)) / (2 * eps),
            (half_norm(theta, psi + eps) - half_norm(theta, psi - eps)) / (2 * eps))
    v = vector_field(plain, theta, psi)
    consensus = vector_field(Dynamics(loss=loss, regularizer="consensus", weight=gamma), theta, psi)
    assert tuple(map(float, consensus)) == pytest.approx((v[0] - gamma * grad[0], v[1] - gamma * grad[1]), abs=1e-8)


def test_instance_noise_on_least_squares_matches_its_closed_form():
    """x_f = theta + sigma e, x_r = sigma e': v_theta = -psi E[psi x_f - 1] = -(psi theta - 1) psi;
    v_psi = -E[psi x_f^2] - E[(psi x_r - 1) x_r] = -psi (theta^2 + sigma^2) - psi sigma^2. At
    (0.8, -0.6), sigma = 0.5: (-0.888, 0.684); h = 0.1: (0.7112, -0.5316). The D loss
    E[(x_r psi - 1)^2 / 2] + E[(psi x_f)^2 / 2] = (psi^2 sigma^2 + 1) / 2 + psi^2 (theta^2 + sigma^2) / 2 = 0.7052."""
    dyn = Dynamics(loss="least-squares", regularizer="noise", weight=0.5)
    assert tuple(map(float, vector_field(dyn, 0.8, -0.6))) == pytest.approx((-0.888, 0.684), abs=1e-12)
    assert tuple(map(float, step(dyn, 0.8, -0.6))) == pytest.approx((0.7112, -0.5316), abs=1e-12)
    d, g = loss_curves(dyn, np.array([[0.8, -0.6]]))
    assert (float(d[0]), float(g[0])) == pytest.approx((0.7052, 0.5 * (0.36 * 0.89 + 0.96 + 1)), abs=1e-12)
    assert jacobian(dyn)[1, 1] == pytest.approx(-0.25 * 2)  # -sigma^2 (a''(0) + b''(0)) = -0.25 (1 + 1)


@pytest.mark.parametrize("theta, psi", [(1.0, -1.0), (0.5, 0.8), (-1.2, 0.3)])
def test_instance_noise_is_the_expectation_the_notebook_samples(theta, psi):
    """The notebook's GAN_InstNoise averages 1,000 fresh samples per step; here 10^6 seeded ones, in its
    coordinates (its psi is minus ours): v1 = -psi E[f'(psi x_f)], v2 = E[x_f f'(psi x_f)] - E[x_r f'(-psi x_r)],
    f'(t) = sigmoid(-t). The standard error is about 3e-4."""
    rng = np.random.default_rng(7)
    paper_psi, fake, real = -psi, theta + 0.7 * rng.standard_normal(10 ** 6), 0.7 * rng.standard_normal(10 ** 6)
    slope = lambda t: 1.0 / (1.0 + np.exp(t))  # noqa: E731 - f'(t) = sigmoid(-t)
    v1 = float(np.mean(-paper_psi * slope(paper_psi * fake)))
    v2 = float(np.mean(fake * slope(paper_psi * fake) - real * slope(-paper_psi * real)))
    ours = vector_field(Dynamics(loss="minimax", regularizer="noise", weight=0.7), theta, psi)
    assert (float(ours[0]), -float(ours[1])) == pytest.approx((v1, v2), abs=2e-3)


def test_the_noise_expectation_is_exact_where_the_page_looks():
    """Against a fine trapezoid rule, for |psi| sigma up to 3 (sigma 1.5 at the edge of the default view)."""
    e = np.linspace(-12, 12, 200_001)
    density = np.exp(-e ** 2 / 2) / math.sqrt(2 * math.pi)
    for theta, psi, sigma in ((0.3, 2.0, 1.5), (-1.0, -1.0, 0.7), (2.0, 0.5, 3.0)):
        fake = theta + sigma * e
        expected = -psi * np.trapezoid(_vec_sigmoid(psi * fake) * density, e)  # minimax: -l_G' = sigmoid
        v = vector_field(Dynamics(loss="minimax", regularizer="noise", weight=sigma), theta, psi)
        assert float(v[0]) == pytest.approx(-float(expected), abs=1e-6)


def _vec_sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * x))


def test_no_noise_and_no_consensus_is_the_plain_field():
    points = (np.array([0.3, -1.0, 2.0]), np.array([1.0, 0.5, -0.2]))
    for loss in LOSSES:
        plain = vector_field(Dynamics(loss=loss), *points)
        for reg in ("noise", "consensus"):
            other = vector_field(Dynamics(loss=loss, regularizer=reg, weight=0.0), *points)
            assert np.allclose(other, plain, atol=1e-14, rtol=0)


def test_g_first_and_d_first_alternate_the_other_way_round():
    """Minimax, h = 0.2, from (1, -1): t = -1. G first: theta = 1 + 0.2 sigmoid(-1) (-1), then D at the
    new theta: psi = -1 - 0.2 sigmoid(theta psi) theta. D first: psi = -1 - 0.2 sigmoid(-1), then G."""
    g_first = Dynamics(loss="minimax", lr=0.2, update="alternating", order="g-first")
    d_first = Dynamics(loss="minimax", lr=0.2, update="alternating", order="d-first")
    theta = 1.0 - 0.2 * _sigmoid(-1.0)
    psi = -1.0 - 0.2 * _sigmoid(-theta) * theta
    assert tuple(map(float, step(g_first, 1.0, -1.0))) == pytest.approx((theta, psi), abs=1e-15)
    psi = -1.0 - 0.2 * _sigmoid(-1.0)
    theta = 1.0 + 0.2 * _sigmoid(psi) * psi
    assert tuple(map(float, step(d_first, 1.0, -1.0))) == pytest.approx((theta, psi), abs=1e-15)
    a, b = trajectories(g_first, [[1.0, -1.0]], 500)[0], trajectories(d_first, [[1.0, -1.0]], 500)[0]
    assert np.abs(a - b).max() > 0.1  # not the same path, though both circle
    # A_D^n A_G and A_G A_D^n have the same eigenvalues: the linearization cannot tell the orders apart
    for n in (1, 5):
        m_g = step_matrix(Dynamics(lr=0.2, update="alternating", d_steps=n, order="g-first"))
        m_d = step_matrix(Dynamics(lr=0.2, update="alternating", d_steps=n, order="d-first"))
        assert not np.allclose(m_g, m_d) and spectral_radius(m_g) == pytest.approx(spectral_radius(m_d), abs=1e-12)
    assert "(a G step, then 5 D steps)" in step_sentence(Dynamics(update="alternating", d_steps=5, order="g-first"))


def test_an_unknown_order_is_refused():
    with pytest.raises(ValueError, match="order must be one of d-first, g-first"):
        Dynamics(order="sideways")
