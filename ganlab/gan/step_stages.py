"""The sub-steps of a slow-motion iteration (a `StepTrace`), each with a sentence that explains it.

One D phase per D update (D steps per G step), then the G phase. A stage name (STAGES) says what
a sub-step is, so other views (the model graph) can light up the part of the model it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ganlab.gan.losses import get_loss, loss_label
from ganlab.gan.packing import usable_batch
from ganlab.gan.step_trace import DPhase, StepTrace

if TYPE_CHECKING:  # annotations only: settings sit above the step
    from ganlab.settings.config import Knobs

D_STAGES = ("d_sample", "d_fake", "d_score", "d_penalty", "d_loss", "d_grad", "d_update")
G_STAGES = ("g_sample", "g_score", "g_loss", "g_grad", "g_update")
STAGES = D_STAGES + G_STAGES  # "d_penalty" only when a gradient penalty or R1 is on

TITLES = {
    "d_sample": "draw a real batch and noise", "d_fake": "G makes fakes", "d_score": "D scores both",
    "d_penalty": "the penalty's points", "d_loss": "D's loss", "d_grad": "D's gradients",
    "d_update": "D's update", "g_sample": "fresh noise, new fakes", "g_score": "D scores the fakes",
    "g_loss": "G's loss", "g_grad": "gradients at the fakes", "g_update": "G's update",
}

# (D's loss, G's loss) per loss, averaged over the batch; D(x) is D's raw output here
LOSS_FORMULAS = {
    "minimax": ("−log σ(D(x)) − log(1 − σ(D(G(z))))", "log(1 − σ(D(G(z))))"),
    "non-saturating": ("−log σ(D(x)) − log(1 − σ(D(G(z))))", "−log σ(D(G(z)))"),
    "least-squares": ("½(D(x) − 1)² + ½D(G(z))²", "½(D(G(z)) − 1)²"),
    "wasserstein-clip": ("D(G(z)) − D(x)", "−D(G(z))"),
    "wasserstein-gp": ("D(G(z)) − D(x)", "−D(G(z))"),
    "hinge": ("max(0, 1 − D(x)) + max(0, 1 + D(G(z)))", "−D(G(z))"),
}
OPTIMIZER_NAMES = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}


@dataclass(frozen=True)
class SubStep:
    stage: str  # one of STAGES
    phase: int | None  # the D update it belongs to (0-based), None for the G update
    title: str  # "D scores both"
    sentence: str
    numbers: tuple[tuple[str, str], ...] = ()


def _f(value: float | None, spec: str = ".4f") -> str:
    return "—" if value is None or not np.isfinite(value) else format(value, spec)


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if np.size(values) else float("nan")


def _formulas(loss: str) -> tuple[str, str]:
    return LOSS_FORMULAS.get(loss, (f"the {loss_label(loss)} loss of D", f"the {loss_label(loss)} loss of G"))


def _rate(trace: StepTrace, which: str) -> str:
    knobs = trace.knobs
    opt = knobs.d_opt if which == "d" else knobs.g_opt
    rate = f" (learning rate {opt.lr:g})" if knobs.lr_half_life <= 0 else " (at the scheduled learning rate)"
    return OPTIMIZER_NAMES.get(opt.name, opt.name) + rate


def _penalty_sentence(trace: StepTrace) -> str:
    knobs, parts = trace.knobs, []
    if knobs.gp_weight > 0:
        parts.append(f"The gradient penalty (weight {knobs.gp_weight:g}) takes one random point on each segment "
                     "from a real point to a fake (grey ×) and asks D's slope there to be 1.")
    if knobs.r1_weight > 0:
        parts.append(f"R1 (weight {knobs.r1_weight:g}) penalises D's slope at the real points (ringed): "
                     "it keeps D flat where the data is.")
    return " ".join(parts)


def _pack_note(trace: StepTrace) -> str:
    """What a packed D (PacGAN) scores: packs of consecutive points, and its background."""
    pack = trace.pack
    if pack == 1:
        return ""
    return (f". D judges packs of {pack}: every {pack} consecutive points of a batch, all real or all fake, "
            f"get one score together, which each of them shows; the background scores each place packed "
            f"with {pack - 1} cop{'y' if pack == 2 else 'ies'} of itself")


def _unroll_note(knobs: Knobs) -> str:
    if knobs.unroll == 0:
        return ""
    return (f" (unrolled: as D would be after {knobs.unroll} more D steps on fresh batches, taken on a copy; "
            "D itself does not change)")


def _d_phase(trace: StepTrace, k: int, phase: DPhase) -> list[SubStep]:
    knobs, label = trace.knobs, trace.surface_label
    count = len(trace.d_phases)
    which = f"D update {k + 1} of {count}: " if count > 1 else ""
    d_formula, _ = _formulas(knobs.loss)
    total = phase.d_loss + (phase.penalty or 0.0)
    n = usable_batch(knobs.batch_size, trace.pack)  # the step's batch: whole packs for a packed D
    steps = [
        SubStep("d_sample", k, TITLES["d_sample"],
                f"{which}Draw a batch of {n} real points from the data (green) and "
                f"{n} noise vectors z ({trace.noise_dim}-dimensional)."),
        SubStep("d_fake", k, TITLES["d_fake"],
                "G turns the noise into fakes (purple). G is not trained in this part: its output is taken "
                "as it is."),
        SubStep("d_score", k, TITLES["d_score"],
                f"D scores both batches (the background is D's {label} everywhere; hover a point for its own "
                f"score){_pack_note(trace)}. Mean {label}: {_f(_mean(phase.real_score), '.3f')} on the real points, "
                f"{_f(_mean(phase.fake_score), '.3f')} on the fakes.",
                ((f"mean {label}, real", _f(_mean(phase.real_score), ".3f")),
                 (f"mean {label}, fake", _f(_mean(phase.fake_score), ".3f")))),
    ]
    if phase.penalty_points:
        steps.append(SubStep("d_penalty", k, TITLES["d_penalty"], _penalty_sentence(trace),
                             (("penalty (weighted)", _f(phase.penalty)),)))
    loss_text = f"D's loss, {d_formula} averaged over the batch, is {_f(phase.d_loss)}"
    if phase.penalty is not None:
        loss_text += f"; with the penalty ({_f(phase.penalty)}) D minimizes {_f(total)}"
    numbers = [("D loss", _f(phase.d_loss))]
    if phase.penalty is not None:
        numbers += [("penalty", _f(phase.penalty)), ("D minimizes", _f(total))]
    steps += [
        SubStep("d_loss", k, TITLES["d_loss"], loss_text + ".", tuple(numbers)),
        SubStep("d_grad", k, TITLES["d_grad"],
                "Backpropagation: every point pulls on D's weights, a real point to raise D's score where it "
                "lies, a fake to lower it; the bigger its marker, the harder it pulls (a point D already "
                f"gets right pulls less). Together{' with the penalty' if phase.penalty is not None else ''} "
                f"they make D's gradient, of norm {_f(phase.grad_norm, '.3g')}.",
                (("D gradient norm", _f(phase.grad_norm, ".3g")),
                 ("mean pull, real", _f(_mean(np.abs(phase.real_push)), ".3g")),
                 ("mean pull, fake", _f(_mean(np.abs(phase.fake_push)), ".3g")))),
        SubStep("d_update", k, TITLES["d_update"],
                f"{_rate(trace, 'd')} moves D's weights one step against the gradient"
                + (f", then clips every weight to [−{knobs.clip_value:g}, {knobs.clip_value:g}]"
                   if get_loss(knobs.loss).clips_weights else "")
                + ": D's surface before (left) and after (right), and under them what changed, green where "
                  "D's score rose and purple where it fell: mostly up where real points pulled, down where "
                  "fakes did.",
                (("D loss", _f(phase.d_loss)),)),
    ]
    return steps


def _g_phase(trace: StepTrace) -> list[SubStep]:
    g, knobs, label = trace.g_phase, trace.knobs, trace.surface_label
    _, g_formula = _formulas(knobs.loss)
    pairs = " (two halves with their own noise, which mode seeking compares)" if knobs.ms_weight > 0 else ""
    loss_text = f"G's loss, {g_formula} averaged over the fakes, is {_f(g.g_loss)}"
    numbers = [("G loss", _f(g.g_loss))]
    if g.ms_penalty is not None:
        loss_text += (f"; mode seeking (weight {knobs.ms_weight:g}) adds {_f(g.ms_penalty)}, large when "
                      "different noise gives the same point")
        numbers.append(("mode seeking", _f(g.ms_penalty)))
    moved = np.linalg.norm(g.fake_after - g.fake_before, axis=1) if np.size(g.fake_before) else np.zeros(0)
    return [
        SubStep("g_sample", None, TITLES["g_sample"],
                f"G's turn: draw {usable_batch(knobs.batch_size, trace.pack, 2 if knobs.ms_weight > 0 else 1)} fresh "
                f"noise vectors{pairs}; G maps them to new fakes. "
                "No real data is used: G learns only through D."),
        SubStep("g_score", None, TITLES["g_score"],
                f"D, just updated{_unroll_note(knobs)}, scores the new fakes: mean {label} {_f(_mean(g.score), '.3f')}.",
                ((f"mean {label}, fake", _f(_mean(g.score), ".3f")),)),
        SubStep("g_loss", None, TITLES["g_loss"], loss_text + ".", tuple(numbers)),
        SubStep("g_grad", None, TITLES["g_grad"],
                "Backpropagating G's loss through D gives a gradient at every fake (the arrows, scaled to be "
                "seen: the picture says at what scale): the way to move that point which lowers G's loss "
                "fastest, uphill on D's surface."
                + (" G's weights also get the gradient through D's look-ahead steps: how D would answer G's "
                   "move (not drawn)." if knobs.unroll else ""),
                (("mean gradient length", _f(_mean(np.linalg.norm(g.arrows, axis=1)) if np.size(g.arrows) else None,
                                          ".3g")),)),
        SubStep("g_update", None, TITLES["g_update"],
                f"{_rate(trace, 'g')} moves G's weights one step, so the same noise now lands elsewhere: faded "
                "points are the fakes before, solid ones after. They move roughly along their arrows, and "
                "together, since they share G's weights.",
                (("G gradient norm", _f(g.grad_norm, ".3g")),
                 ("mean move", _f(_mean(moved), ".3g")))),
    ]


def substeps(trace: StepTrace) -> list[SubStep]:
    """Every sub-step of `trace`, in the order the step ran them."""
    out: list[SubStep] = []
    for k, phase in enumerate(trace.d_phases):
        out += _d_phase(trace, k, phase)
    if trace.g_phase is not None:
        out += _g_phase(trace)
    return out
