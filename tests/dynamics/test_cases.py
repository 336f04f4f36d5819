"""The notebook's cases (ganlab.dynamics.cases) against the notebook's own equations
(LMescheder/GAN_stability, notebooks/DiracGAN.ipynb and diracgan/gans.py, written out again here
in its coordinates: its D is high on fakes, so its psi is minus ours), and the verdict the page
gives each of them."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable

import numpy as np
import pytest

from ganlab.dynamics.cases import CASES, COMMON, MODELS, RUNS, case, case_key
from ganlab.dynamics.dirac import trajectories
from ganlab.dynamics.settings import DiracSettings
from ganlab.dynamics.verdict import CIRCLES, CONVERGES, CYCLE, DIVERGES, SPIRALS_IN, SPIRALS_OUT, verdict

Field = Callable[[float, float], tuple[float, float]]


def _fp(t: float) -> float:
    """f'(t) = sigmoid(-t), f(t) = -log(1 + exp(-t)): the notebook's GAN objective."""
    return 1.0 / (1.0 + math.exp(t))


def _fp2(t: float) -> float:
    return -_fp(t) * (1.0 - _fp(t))


def _consensus_as_the_notebook_codes_it(th: float, ps: float) -> tuple[float, float]:
    """Its GAN_Consensus(1.): the second-order part of grad |v|^2 / 2 carries 0.5 where the gradient has 1."""
    q, f1, f2 = ps * ps + th * th, _fp(ps * th), _fp2(ps * th)
    return (-ps * f1 - (th * f1 ** 2 + 0.5 * ps * q * f1 * f2),
            th * f1 - (ps * f1 ** 2 + 0.5 * th * q * f1 * f2))


NOTEBOOK_FIELDS: dict[str, Field] = {  # (theta, psi) -> (v1, v2), G descends, D ascends, as the notebook's
    "gan": lambda th, ps: (-ps * _fp(ps * th), th * _fp(ps * th)),
    "nsgan": lambda th, ps: (-ps * _fp(-ps * th), th * _fp(ps * th)),
    "wgan": lambda th, ps: (-ps, th),
    "wgan_gp": lambda th, ps: (-ps, th - 0.7 * (abs(ps) - 1.0) * np.sign(ps)),
    "gan_gradpen": lambda th, ps: (-ps * _fp(ps * th), th * _fp(ps * th) - 0.3 * ps),
    "gan_gradpen_critical": lambda th, ps: (-ps * _fp(ps * th), th * _fp(ps * th) - 1.0 * ps),
    "nsgan_gradpen": lambda th, ps: (-ps * _fp(-ps * th), th * _fp(ps * th) - 0.3 * ps),
    "gan_consensus": _consensus_as_the_notebook_codes_it,
}


def _notebook_run(name: str, run: str, start: tuple[float, float] = (1.0, -1.0), steps: int = 500) -> np.ndarray:
    """Its trajectory_simgd / trajectory_altgd (G first, then `dsteps` D steps), h = 0.2, from its (1, 1)
    (our `start`); WGAN clips psi to [-1, 1] after every update. In our coordinates (psi negated)."""
    v, clip = NOTEBOOK_FIELDS[name], (1.0 if name == "wgan" else math.inf)
    th, ps, h = start[0], -start[1], 0.2
    out = [(th, ps)]
    for _ in range(steps):
        if run == "simgd":
            v1, v2 = v(th, ps)
            th, ps = th + h * v1, min(max(ps + h * v2, -clip), clip)
        else:
            th += h * v(th, ps)[0]
            for _ in range(int(run[-1])):
                ps = min(max(ps + h * v(th, ps)[1], -clip), clip)
        out.append((th, ps))
    return np.array(out) * np.array([1.0, -1.0])


def _path(settings: DiracSettings) -> np.ndarray:
    return trajectories(settings.dynamics(), np.array(settings.starts), settings.iterations)[0]


def test_the_table_holds_the_notebooks_27_runs_with_its_settings():
    assert len(CASES) == 27 and len(MODELS) == 9 and len(RUNS) == 3
    for key, settings in CASES.items():
        assert (settings.lr, settings.iterations, settings.starts, settings.view) == (0.2, 500, ((1.0, -1.0),), 2.0)
        assert settings.order == "g-first", key
    assert CASES["simgd/gan"].update == "simultaneous"
    assert (CASES["altgd5/gan_instnoise"].update, CASES["altgd5/gan_instnoise"].d_steps) == ("alternating", 5)
    assert CASES["altgd1/wgan_gp"].dynamics().weight == 0.35  # its 0.7 (|psi| - 1) is our 2 lambda (|psi| - 1)
    assert case_key(MODELS[4], RUNS[2]) == "altgd5/gan_instnoise" and case(MODELS[4], RUNS[2]).noise == 0.7


@pytest.mark.parametrize("name", [n for n in NOTEBOOK_FIELDS if n != "gan_consensus"])
@pytest.mark.parametrize("run", ["simgd", "altgd1", "altgd5"])
def test_each_deterministic_case_retraces_the_notebooks_trajectory(name, run):
    """Simultaneous and alternating with G first, as the notebook runs them: the same floating-point path."""
    assert _path(CASES[f"{run}/{name}"]) == pytest.approx(_notebook_run(name, run), abs=1e-12, rel=0)


def test_d_first_does_not_retrace_the_notebooks_alternating_runs():
    d_first = _path(replace(CASES["altgd1/gan"], order="d-first"))
    assert np.abs(d_first - _notebook_run("gan", "altgd1")).max() > 0.1


def test_consensus_differs_from_the_notebooks_code_only_beyond_first_order():
    """The notebook's consensus term halves the second-order part of grad |v|^2 / 2: the same near (0, 0)
    (a start at distance 1e-3 follows it to 1e-9), apart further out."""
    for run in ("simgd", "altgd5"):
        ours = _path(replace(CASES[f"{run}/gan_consensus"], starts=((1e-3, -1e-3),)))
        assert np.abs(ours - _notebook_run("gan_consensus", run, start=(1e-3, -1e-3))).max() < 1e-9
    # from (1, -1), with 5 D steps, ours drifts off (1.41 -> 11.0) where the notebook's converges
    ours, theirs = _path(CASES["altgd5/gan_consensus"]), _notebook_run("gan_consensus", "altgd5")
    assert np.hypot(*ours[-1]) == pytest.approx(10.97, abs=0.01) and np.hypot(*theirs[-1]) < 1e-20


@pytest.mark.parametrize("run", ["simgd", "altgd1", "altgd5"])
def test_instance_noise_retraces_the_notebooks_sampled_run_in_expectation(run):
    """The notebook draws 1,000 fresh samples per step: its path wanders about ours by ~1e-2."""
    rng = np.random.default_rng(0)

    def noisy(th: float, ps: float) -> tuple[float, float]:
        fake, real = th + 0.7 * rng.standard_normal(1000), 0.7 * rng.standard_normal(1000)
        slope = 1.0 / (1.0 + np.exp(ps * fake))
        return float(np.mean(-ps * slope)), float(np.mean(fake * slope - real / (1.0 + np.exp(-ps * real))))
    NOTEBOOK_FIELDS["gan_instnoise"] = noisy
    try:
        theirs = _notebook_run("gan_instnoise", run)
    finally:
        del NOTEBOOK_FIELDS["gan_instnoise"]
    ours = _path(CASES[f"{run}/gan_instnoise"])
    assert np.abs(ours - theirs).max() < 0.1 and np.hypot(*theirs[-1]) < 0.05


def test_the_verdicts_on_the_notebooks_runs():
    """Unregularized minimax spirals out when simultaneous (1.41 -> 3.10, growing at every step) and
    circles when alternating; every penalty, the noise and consensus converge with one D step; clipped
    WGAN and WGAN-GP never reach (0, 0)."""
    outcome = {key: verdict(_path(s), s.lr).outcome for key, s in CASES.items()}
    assert outcome["simgd/gan"] == SPIRALS_OUT
    assert outcome["altgd1/gan"] == CIRCLES and outcome["altgd5/gan"] == CIRCLES
    assert outcome["altgd1/nsgan"] == SPIRALS_IN and outcome["simgd/nsgan"] == CYCLE
    for run in ("simgd", "altgd1", "altgd5"):
        for name in ("gan_instnoise", "gan_gradpen", "gan_gradpen_critical", "nsgan_gradpen"):
            assert outcome[f"{run}/{name}"] == CONVERGES, (run, name)
        for name in ("wgan", "wgan_gp"):
            assert outcome[f"{run}/{name}"] not in (CONVERGES, SPIRALS_IN, DIVERGES), (run, name)
    assert outcome["simgd/gan_consensus"] == CONVERGES and outcome["altgd1/gan_consensus"] == CONVERGES


def test_the_verdict_reads_the_trend_of_the_whole_path():
    """Minimax, simultaneous, h = 0.2 from (1, -1): the distance grows at every step, 1.41 -> 3.10 in
    500 steps and 4.24 in 5,000 (the last fifth alone grows little): spirals out at both lengths."""
    for steps, end in ((500, 3.097), (5000, 4.240)):
        path = _path(replace(CASES["simgd/gan"], iterations=steps))
        r = np.hypot(*path.T)
        assert np.all(np.diff(r) > 0) and r[-1] == pytest.approx(end, abs=1e-3)
        assert r[-1] / r[4 * steps // 5] < 1.2  # the last fifth grows by less than a fifth
        assert verdict(path, 0.2).outcome == SPIRALS_OUT
    assert COMMON.starts == ((1.0, -1.0),)
