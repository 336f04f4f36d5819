"""The cases of Mescheder et al.'s notebook (LMescheder/GAN_stability, notebooks/DiracGAN.ipynb) as
settings of the Dynamics page: one table, which the page draws as buttons and the tests run.

The notebook runs each of its nine GANs three ways, with h = 0.2 for both players, 500 steps, from
its (theta, psi) = (1, 1): simultaneous gradient descent, and alternating with 1 or 5 D steps, G
first. Its D is high on fakes, so its psi is minus ours and its start is our (1, -1). Its
WGAN-GP adds -0.7 (|psi| - 1) sign(psi) to D's update, the derivative of our lambda (|psi| - 1)^2
with lambda = 0.35; its gradient penalty -gamma psi is our R1 (= R2 for a linear D).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ganlab.dynamics.settings import DiracSettings


@dataclass(frozen=True)
class Model:
    """One of the notebook's GANs: its output file's name, its class there, a short label, and the
    settings it fixes."""

    name: str  # "gan_instnoise"
    notebook: str  # "GAN_InstNoise(0.7)"
    label: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class Run:
    """One of the notebook's ways to run them: its output folder, a label, and the settings it fixes."""

    name: str  # "simgd", "altgd1", "altgd5"
    label: str
    settings: dict[str, Any]


MODELS: tuple[Model, ...] = (
    Model("gan", "GAN()", "GAN", dict(loss="minimax")),
    Model("nsgan", "NSGAN()", "NSGAN", dict(loss="non-saturating")),
    Model("wgan", "WGAN(1.)", "WGAN", dict(loss="wasserstein", regularizer="clip", clip=1.0)),
    Model("wgan_gp", "WGAN_GP(0.7, 1.)", "WGAN-GP", dict(loss="wasserstein", regularizer="gp", gp_lambda=0.35)),
    Model("gan_instnoise", "GAN_InstNoise(0.7)", "Noise", dict(loss="minimax", regularizer="noise", noise=0.7)),
    Model("gan_gradpen", "GAN_GradPenalty(0.3)", "R1 0.3", dict(loss="minimax", regularizer="r1", r1_gamma=0.3)),
    Model("gan_gradpen_critical", "GAN_GradPenalty(1.)", "R1 1", dict(loss="minimax", regularizer="r1",
                                                                          r1_gamma=1.0)),
    Model("gan_consensus", "GAN_Consensus(1.)", "Consensus", dict(loss="minimax", regularizer="consensus",
                                                                    consensus=1.0)),
    Model("nsgan_gradpen", "NSGAN_GradPenalty(0.3)", "NSGAN R1", dict(loss="non-saturating", regularizer="r1",
                                                                        r1_gamma=0.3)),
)
RUNS: tuple[Run, ...] = (
    Run("simgd", "Simultaneous", dict(update="simultaneous")),
    Run("altgd1", "Alternating, 1 D step", dict(update="alternating", d_steps=1)),
    Run("altgd5", "Alternating, 5 D steps", dict(update="alternating", d_steps=5)),
)
COMMON = DiracSettings(lr=0.2, iterations=500, view=2.0, order="g-first", starts=((1.0, -1.0),))


def case(model: Model, run: Run) -> DiracSettings:
    """The page's settings for the notebook's `model` run as `run` (the rest at their defaults)."""
    return replace(COMMON, **model.settings, **run.settings)


def case_key(model: Model, run: Run) -> str:
    """The pair's name, unique in the table: the notebook's output file, e.g. "altgd5/gan_instnoise"."""
    return f"{run.name}/{model.name}"


CASES: dict[str, DiracSettings] = {case_key(m, r): case(m, r) for r in RUNS for m in MODELS}
