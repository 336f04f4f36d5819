"""One real training step on CPU with tiny (width 16) nets.

Real data and noise come from fixed tensors, so each recorded number can be
recomputed from copies of the nets taken before the step."""

import copy
import math

import pytest
import torch
from torch.testing import assert_close

from ganlab.data.toy import get_toy
from ganlab.gan.losses import LOSSES
from ganlab.gan.regularizers import r1_penalty
from ganlab.gan.step import (
    RECORD_KEYS,
    GanParts,
    apply_optimizer_knobs,
    first_non_finite,
    make_optimizer,
    optimizer_kind,
    train_step,
)
from ganlab.nets.mlp import MLPDiscriminator, MLPGenerator
from ganlab.settings.config import Knobs, MLPShape, OptimizerKnobs

BATCH = 32
SHAPE = MLPShape(hidden_layers=2, width=16)


def knobs_for(loss: str, **changes) -> Knobs:
    gp = 10.0 if LOSSES[loss].needs_gradient_penalty else 0.0
    return Knobs(loss=loss, batch_size=BATCH, gp_weight=gp).replace(**changes)


def make_parts(knobs: Knobs, seed: int = 0) -> GanParts:
    torch.manual_seed(seed)
    G, D = MLPGenerator(2, SHAPE), MLPDiscriminator(SHAPE)
    rng = torch.Generator().manual_seed(seed)
    real = get_toy("ring").sample(BATCH, torch.Generator().manual_seed(seed + 1))
    noise = torch.randn(BATCH, 2, generator=torch.Generator().manual_seed(seed + 2))
    return GanParts(
        G, D, make_optimizer(G.parameters(), knobs.g_opt), make_optimizer(D.parameters(), knobs.d_opt),
        sample_real=lambda n: (real[:n], None), sample_noise=lambda n: noise[:n], rng=rng,
    )


def params(module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def changed(before, module) -> bool:
    return any(not torch.equal(b, p) for b, p in zip(before, module.parameters(), strict=False))


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_one_step_per_loss_updates_both_nets_and_records(loss):
    knobs = knobs_for(loss)
    parts = make_parts(knobs)
    g0, d0 = params(parts.generator), params(parts.discriminator)
    record = train_step(parts, knobs)
    assert changed(g0, parts.generator)
    assert changed(d0, parts.discriminator)
    expected = {"d_loss", "g_loss", "d_penalty", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"}
    if LOSSES[loss].wasserstein:
        expected.add("wasserstein")
    assert set(record) == expected
    assert list(record) == [k for k in RECORD_KEYS if k in record]  # in RECORD_KEYS order
    assert all(type(v) is float and math.isfinite(v) for v in record.values())
    assert first_non_finite(record) is None


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_recorded_values_match_a_recomputation(loss):
    knobs = knobs_for(loss)
    spec = LOSSES[loss]
    parts = make_parts(knobs)
    G0, D0 = copy.deepcopy(parts.generator), copy.deepcopy(parts.discriminator)
    real, _ = parts.sample_real(BATCH)
    z = parts.sample_noise(BATCH)
    record = train_step(parts, knobs)
    with torch.no_grad():
        d_real, d_fake = D0(real), D0(G0(z))
        # G is updated after D: its loss is measured with the updated D
        g_loss = spec.g_loss(parts.discriminator(G0(z)))
    assert record["d_loss"] == pytest.approx(spec.d_loss(d_real, d_fake).item(), rel=1e-5, abs=1e-6)
    assert record["d_real"] == pytest.approx(spec.score(d_real).mean().item(), rel=1e-5, abs=1e-6)
    assert record["d_fake"] == pytest.approx(spec.score(d_fake).mean().item(), rel=1e-5, abs=1e-6)
    assert record["g_loss"] == pytest.approx(g_loss.item(), rel=1e-5, abs=1e-6)
    if spec.wasserstein:
        assert record["wasserstein"] == pytest.approx((d_real.mean() - d_fake.mean()).item(), rel=1e-5, abs=1e-6)
    if not spec.needs_gradient_penalty:
        assert record["d_penalty"] == 0.0


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_label_smoothing_makes_the_real_target_one_minus_epsilon_for_cross_entropy(loss):
    """D's loss with label smoothing ε is the cross-entropy against 1 − ε on real samples (and
    0 on fake), for the cross-entropy losses; the others' D loss is left alone."""
    knobs = knobs_for(loss, label_smoothing=0.2)
    parts = make_parts(knobs)
    D0, G0 = copy.deepcopy(parts.discriminator), copy.deepcopy(parts.generator)
    real, _ = parts.sample_real(BATCH)
    record = train_step(parts, knobs, "d")
    with torch.no_grad():
        d_real, d_fake = D0(real), D0(G0(parts.sample_noise(BATCH)))
    smoothed = (torch.nn.functional.binary_cross_entropy_with_logits(d_real, torch.full_like(d_real, 0.8))
                + torch.nn.functional.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
    expected = smoothed if LOSSES[loss].display == "probability" else LOSSES[loss].d_loss(d_real, d_fake)
    assert record["d_loss"] == pytest.approx(expected.item(), rel=1e-5, abs=1e-6)
    plain = make_parts(knobs_for(loss))
    train_step(plain, knobs_for(loss), "d")
    assert changed(params(plain.discriminator), parts.discriminator) == (LOSSES[loss].display == "probability")


def test_r1_penalty_is_weighted_into_the_record():
    knobs = knobs_for("non-saturating", r1_weight=2.5)
    parts = make_parts(knobs)
    D0 = copy.deepcopy(parts.discriminator)
    real, _ = parts.sample_real(BATCH)
    record = train_step(parts, knobs, "d")
    assert record["d_penalty"] == pytest.approx(2.5 * r1_penalty(D0, real).item(), rel=1e-5)


def test_penalty_changes_the_d_update():
    plain, penalised = knobs_for("non-saturating"), knobs_for("non-saturating", r1_weight=100.0)
    a, b = make_parts(plain), make_parts(penalised)
    train_step(a, plain, "d")
    train_step(b, penalised, "d")
    assert changed(params(a.discriminator), b.discriminator)


def test_d_only_step_leaves_g_unchanged():
    knobs = knobs_for("non-saturating")
    parts = make_parts(knobs)
    g0, d0 = params(parts.generator), params(parts.discriminator)
    record = train_step(parts, knobs, "d")
    assert not changed(g0, parts.generator)
    assert changed(d0, parts.discriminator)
    assert set(record) == {"d_loss", "d_penalty", "d_real", "d_fake", "d_grad_norm"}
    assert "g_loss" not in record


def test_g_only_step_leaves_d_unchanged():
    knobs = knobs_for("hinge")
    parts = make_parts(knobs)
    g0, d0 = params(parts.generator), params(parts.discriminator)
    seen = {}

    class Scores:  # the logits G's loss was computed from
        def __getattr__(self, name):
            return lambda *args: seen.update(scores=args[0].detach().clone()) if name == "g_backward_done" else None

    record = train_step(parts, knobs, "g", observer=Scores())
    assert changed(g0, parts.generator)
    assert not changed(d0, parts.discriminator)
    # G's loss scored its batch with D: the record says so (issue 22.7: the model graph greyed D(G(z))
    # after a G step as "not computed"); hinge's score is the critic's raw value
    assert set(record) == {"g_loss", "g_grad_norm", "d_fake"}
    assert record["d_fake"] == pytest.approx(seen["scores"].mean().item(), rel=1e-6)
    assert "d_fake" in train_step(parts, knobs, "both") and "d_real" in train_step(parts, knobs, "both")


def test_d_steps_per_g_step():
    knobs = knobs_for("non-saturating", d_steps=3)
    parts = make_parts(knobs)
    train_step(parts, knobs)
    d_state = parts.d_optimizer.state[next(parts.discriminator.parameters())]
    g_state = parts.g_optimizer.state[next(parts.generator.parameters())]
    assert int(d_state["step"]) == 3
    assert int(g_state["step"]) == 1
    # "d" is always exactly one D update, whatever d_steps says
    train_step(parts, knobs, "d")
    assert int(d_state["step"]) == 4


@pytest.mark.parametrize("clip", [0.01, 0.05])
def test_weight_clipping_keeps_d_params_within_clip(clip):
    knobs = knobs_for("wasserstein-clip", clip_value=clip, d_opt=OptimizerKnobs(lr=0.5))
    parts = make_parts(knobs)
    assert max(p.abs().max().item() for p in parts.discriminator.parameters()) > clip  # init is wider
    train_step(parts, knobs)
    flat = torch.cat([p.detach().flatten() for p in parts.discriminator.parameters()])
    assert flat.abs().max().item() == pytest.approx(clip)  # with lr 0.5 some weights sit on the bound
    assert (flat.abs() <= clip).all()


def test_no_clipping_for_other_losses():
    knobs = knobs_for("wasserstein-gp", clip_value=0.01)
    parts = make_parts(knobs)
    train_step(parts, knobs)
    assert max(p.abs().max().item() for p in parts.discriminator.parameters()) > 0.01


def test_grad_norm_is_the_global_norm_of_the_last_update():
    knobs = knobs_for("least-squares", g_opt=OptimizerKnobs("sgd", lr=1e-6, beta1=0.0))
    parts = make_parts(knobs)
    record = train_step(parts, knobs, "g")
    expected = torch.sqrt(sum(p.grad.pow(2).sum() for p in parts.generator.parameters()))
    assert record["g_grad_norm"] == pytest.approx(expected.item(), rel=1e-5)


def test_train_step_rejects_unknown_which():
    knobs = knobs_for("hinge")
    with pytest.raises(ValueError, match="which"):
        train_step(make_parts(knobs), knobs, "gd")


def test_first_non_finite():
    assert first_non_finite({"d_loss": 1.0, "g_loss": -2.0}) is None
    assert first_non_finite({"d_loss": 1.0, "g_loss": math.nan, "d_real": math.inf}) == "g_loss"
    assert first_non_finite({"d_real": -math.inf}) == "d_real"
    assert first_non_finite({}) is None


# ------------------------------------------------------------ optimizers
def test_make_optimizer_maps_knobs():
    p = [torch.nn.Parameter(torch.zeros(2))]
    adam = make_optimizer(p, OptimizerKnobs("adam", 0.01, 0.3, 0.9))
    assert isinstance(adam, torch.optim.Adam) and optimizer_kind(adam) == "adam"
    assert (adam.param_groups[0]["lr"], adam.param_groups[0]["betas"]) == (0.01, (0.3, 0.9))
    sgd = make_optimizer(p, OptimizerKnobs("sgd", 0.02, 0.8, 0.9))
    assert optimizer_kind(sgd) == "sgd"
    assert (sgd.param_groups[0]["lr"], sgd.param_groups[0]["momentum"]) == (0.02, 0.8)
    rms = make_optimizer(p, OptimizerKnobs("rmsprop", 0.03, 0.1, 0.95))
    assert optimizer_kind(rms) == "rmsprop"
    g = rms.param_groups[0]
    assert (g["lr"], g["momentum"], g["alpha"]) == (0.03, 0.1, 0.95)


def test_apply_optimizer_knobs_keeps_adam_state_when_lr_changes():
    knobs = knobs_for("non-saturating")
    parts = make_parts(knobs)
    train_step(parts, knobs)
    opt = parts.d_optimizer
    first = next(parts.discriminator.parameters())
    exp_avg, exp_avg_sq, step = opt.state[first]["exp_avg"], opt.state[first]["exp_avg_sq"], opt.state[first]["step"]
    exp_avg_copy = exp_avg.clone()
    new = apply_optimizer_knobs(opt, parts.discriminator, OptimizerKnobs("adam", lr=2e-4, beta1=0.0, beta2=0.9))
    assert new is opt
    assert all(g["lr"] == 2e-4 and g["betas"] == (0.0, 0.9) for g in new.param_groups)
    assert new.state[first]["exp_avg"] is exp_avg
    assert new.state[first]["exp_avg_sq"] is exp_avg_sq
    assert new.state[first]["step"] is step
    assert_close(exp_avg, exp_avg_copy)
    # the next step uses the new lr on the kept moments and keeps counting
    train_step(parts, knobs.replace(d_opt=OptimizerKnobs("adam", lr=2e-4, beta1=0.0, beta2=0.9)), "d")
    assert int(new.state[first]["step"]) == 2


def test_apply_optimizer_knobs_in_place_for_sgd_and_rmsprop():
    module = torch.nn.Linear(2, 1)
    sgd = make_optimizer(module.parameters(), OptimizerKnobs("sgd", 0.1, 0.0))
    assert apply_optimizer_knobs(sgd, module, OptimizerKnobs("sgd", 0.05, 0.9)) is sgd
    assert (sgd.param_groups[0]["lr"], sgd.param_groups[0]["momentum"]) == (0.05, 0.9)
    rms = make_optimizer(module.parameters(), OptimizerKnobs("rmsprop", 0.1, 0.0, 0.99))
    assert apply_optimizer_knobs(rms, module, OptimizerKnobs("rmsprop", 0.01, 0.5, 0.9)) is rms
    g = rms.param_groups[0]
    assert (g["lr"], g["momentum"], g["alpha"]) == (0.01, 0.5, 0.9)


@pytest.mark.parametrize("kind, cls", [("sgd", torch.optim.SGD), ("rmsprop", torch.optim.RMSprop)])
def test_apply_optimizer_knobs_switches_kind(kind, cls):
    knobs = knobs_for("non-saturating")
    parts = make_parts(knobs)
    train_step(parts, knobs)
    old = parts.g_optimizer
    new = apply_optimizer_knobs(old, parts.generator, OptimizerKnobs(kind, lr=0.05, beta1=0.5, beta2=0.9))
    assert new is not old
    assert type(new) is cls and optimizer_kind(new) == kind
    assert new.param_groups[0]["lr"] == 0.05
    assert not new.state  # fresh: no moments carried over
    assert [id(p) for p in new.param_groups[0]["params"]] == [id(p) for p in parts.generator.parameters()]
    parts.g_optimizer = new
    g0 = params(parts.generator)
    train_step(parts, knobs, "g")
    assert changed(g0, parts.generator)


def test_lr_schedule_halves_after_the_start():
    from ganlab.gan.step import lr_factor

    knobs = Knobs(lr_decay_start=100, lr_half_life=50)
    assert [lr_factor(knobs, s) for s in (0, 100, 150, 200, 125)] == pytest.approx([1.0, 1.0, 0.5, 0.25, 0.5**0.5])
    assert lr_factor(Knobs(), 10_000) == 1.0  # half-life 0: constant


def test_runner_applies_the_schedule_to_both_optimizers(release_runners):
    from ganlab.kinds.toy_experiment import ToyExperiment
    from ganlab.settings.config import ToyStructure
    from ganlab.training.runner import Runner

    knobs = Knobs(batch_size=16, lr_decay_start=2, lr_half_life=2,
                  g_opt=OptimizerKnobs(lr=1e-3), d_opt=OptimizerKnobs(lr=4e-3))
    runner = Runner(ToyExperiment(ToyStructure(generator=MLPShape(1, 8), discriminator=MLPShape(1, 8))), knobs)
    runner.step("both", 6)
    assert runner.wait_idle()
    # the 6th step (0-based 5) ran at 0.5 ** ((5 - 2) / 2)
    factor = 0.5 ** 1.5
    assert runner._parts.g_optimizer.param_groups[0]["lr"] == pytest.approx(1e-3 * factor)
    assert runner._parts.d_optimizer.param_groups[0]["lr"] == pytest.approx(4e-3 * factor)


class CountingAverage:
    """Records the generator weights it was asked to average, at each call."""

    def __init__(self) -> None:
        self.seen: list[list[torch.Tensor]] = []

    def update(self, generator) -> None:
        self.seen.append(params(generator))


def test_ema_is_updated_after_each_g_update_with_the_new_weights():
    knobs = knobs_for("non-saturating", d_steps=2)
    parts = make_parts(knobs)
    parts.ema = CountingAverage()
    train_step(parts, knobs, "d")
    assert parts.ema.seen == []  # D-only steps leave G (and its average) alone
    train_step(parts, knobs, "both")
    train_step(parts, knobs, "g")
    assert len(parts.ema.seen) == 2
    for a, b in zip(parts.ema.seen[-1], parts.generator.parameters(), strict=False):
        assert torch.equal(a, b)  # called after the optimizer step, not before


def test_no_penalty_records_zero_and_leaves_the_d_loss_alone():
    knobs = knobs_for("non-saturating")
    record = train_step(make_parts(knobs), knobs, "d")
    assert record["d_penalty"] == 0.0
    assert math.isfinite(record["d_loss"])


class CountingD(MLPDiscriminator):
    """An MLP D that counts its calls and the samples it scored."""

    def __init__(self, shape: MLPShape, independent: bool) -> None:
        super().__init__(shape)
        self.scores_samples_independently = independent
        self.calls: list[int] = []

    def forward(self, x, labels=None):
        self.calls.append(len(x))
        return super().forward(x, labels)


@pytest.mark.parametrize("independent", [True, False])
def test_d_scores_real_and_fake_in_one_pass_only_when_samples_are_independent(independent):
    knobs = knobs_for("non-saturating")
    reference, parts = make_parts(knobs), make_parts(knobs)
    counting = CountingD(SHAPE, independent)
    counting.load_state_dict(reference.discriminator.state_dict())
    parts.discriminator = counting
    parts.d_optimizer = make_optimizer(counting.parameters(), knobs.d_opt)
    record = train_step(parts, knobs, "d")
    # one pass of 2 x BATCH, or (a D with batch norm or spectral norm) a pass per batch
    assert counting.calls == ([2 * BATCH] if independent else [BATCH, BATCH])
    expected = train_step(reference, knobs, "d")
    for key in expected:
        assert record[key] == pytest.approx(expected[key], rel=1e-5, abs=1e-7)
    for mine, theirs in zip(counting.parameters(), reference.discriminator.parameters(), strict=False):
        assert_close(mine, theirs, rtol=1e-5, atol=1e-6)
