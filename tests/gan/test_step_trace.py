"""The slow-motion step: a traced iteration changes the run exactly as a plain Step, and its
trace holds what the step computed (checked against autograd and the regularizers' geometry)."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from ganlab.gan.losses import LOSSES, get_loss
from ganlab.gan.step import train_step
from ganlab.gan.step_stages import LOSS_FORMULAS, STAGES, substeps
from ganlab.gan.step_trace import MAX_POINTS, SlowMotionUnavailable, StepRecorder, traced_step
from ganlab.kinds.toy_experiment import SURFACE_RESOLUTION, ToyExperiment
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.training.runner import Runner

SMALL = MLPShape(hidden_layers=2, width=16)
STRUCTURE = ToyStructure(generator=SMALL, discriminator=SMALL)
BATCH = 32


def knobs_for(loss: str, **changes) -> Knobs:
    gp = 10.0 if LOSSES[loss].needs_gradient_penalty else 0.0
    return Knobs(loss=loss, batch_size=BATCH, gp_weight=gp).replace(**changes)


# every loss plain, and every regularizer (GP, R1, mode seeking) and several D steps per G step
CASES = [knobs_for(loss) for loss in sorted(LOSSES)] + [
    knobs_for("non-saturating", gp_weight=5.0),
    knobs_for("non-saturating", r1_weight=1.0),
    knobs_for("least-squares", ms_weight=1.0),
    knobs_for("wasserstein-gp", d_steps=3),
    knobs_for("hinge", gp_weight=1.0, r1_weight=0.5, d_steps=2, ms_weight=0.5),
    knobs_for("wasserstein-clip", d_steps=2),
]
IDS = [f"{k.loss}-gp{k.gp_weight:g}-r1{k.r1_weight:g}-ms{k.ms_weight:g}-d{k.d_steps}" for k in CASES]


def twin_parts(knobs: Knobs, warm_steps: int = 3):
    """Two identical GANs at the same state (weights, optimizer moments, sampling RNG)."""
    experiment = ToyExperiment(STRUCTURE)
    a, b = experiment.build(knobs), experiment.build(knobs)
    for _ in range(warm_steps):  # Adam's moments and the RNG are no longer at their start
        train_step(a, knobs)
        train_step(b, knobs)
    return experiment, a, b


def assert_same_state(a, b) -> None:
    for net in ("generator", "discriminator"):
        for (name, p), q in zip(getattr(a, net).named_parameters(), getattr(b, net).parameters(), strict=False):
            assert torch.equal(p, q), f"{net}.{name} differs"
    for opt in ("g_optimizer", "d_optimizer"):
        sa, sb = getattr(a, opt).state_dict(), getattr(b, opt).state_dict()
        assert sa["param_groups"] == sb["param_groups"]
        assert sa["state"].keys() == sb["state"].keys()
        for key in sa["state"]:
            for field, value in sa["state"][key].items():
                assert torch.equal(torch.as_tensor(value), torch.as_tensor(sb["state"][key][field])), (opt, key, field)
    assert torch.equal(a.rng.get_state(), b.rng.get_state())


@pytest.mark.parametrize("knobs", CASES, ids=IDS)
def test_a_traced_iteration_changes_the_run_exactly_as_a_step(knobs):
    experiment, plain, traced = twin_parts(knobs)
    record = train_step(plain, knobs)
    trace = traced_step(traced, experiment, knobs)
    assert_same_state(plain, traced)
    assert trace.record == record
    assert len(trace.d_phases) == knobs.d_steps
    # and the next steps stay in lockstep (nothing the recorder kept leaks into later steps)
    assert train_step(plain, knobs) == train_step(traced, knobs)
    assert_same_state(plain, traced)


@pytest.mark.parametrize("knobs", CASES, ids=IDS)
def test_sub_steps_per_loss_and_regularizer(knobs):
    experiment, parts, _ = twin_parts(knobs, warm_steps=0)
    trace = traced_step(parts, experiment, knobs)
    steps = substeps(trace)
    penalised = knobs.gp_weight > 0 or knobs.r1_weight > 0
    d_stages = ["d_sample", "d_fake", "d_score"] + (["d_penalty"] if penalised else []) + [
        "d_loss", "d_grad", "d_update"]
    expected = d_stages * knobs.d_steps + ["g_sample", "g_score", "g_loss", "g_grad", "g_update"]
    assert [s.stage for s in steps] == expected
    assert [s.phase for s in steps] == [k for k in range(knobs.d_steps) for _ in d_stages] + [None] * 5
    assert set(expected) <= set(STAGES)
    assert all(s.sentence and s.title for s in steps)
    d_loss = next(s for s in steps if s.stage == "d_loss")
    assert f"{trace.d_phases[0].d_loss:.4f}" in d_loss.sentence
    g_loss = next(s for s in steps if s.stage == "g_loss")
    assert dict(g_loss.numbers)["G loss"] == f"{trace.g_phase.g_loss:.4f}"
    assert (trace.g_phase.ms_penalty is not None) == (knobs.ms_weight > 0)
    assert ("mode seeking" in dict(g_loss.numbers)) == (knobs.ms_weight > 0)


def test_every_loss_has_its_formulas():
    assert set(LOSS_FORMULAS) == set(LOSSES)


def test_the_recorded_numbers_are_the_step_record():
    knobs = knobs_for("wasserstein-gp", d_steps=2)
    experiment, parts, _ = twin_parts(knobs)
    trace = traced_step(parts, experiment, knobs)
    last = trace.d_phases[-1]  # the record keeps the last D update's numbers
    assert last.d_loss == pytest.approx(trace.record["d_loss"], rel=1e-6)
    assert last.penalty == pytest.approx(trace.record["d_penalty"], rel=1e-6)
    assert np.mean(last.real_score) == pytest.approx(trace.record["d_real"], rel=1e-5)
    assert np.mean(last.fake_score) == pytest.approx(trace.record["d_fake"], rel=1e-5)
    assert last.grad_norm == pytest.approx(trace.record["d_grad_norm"], rel=1e-5)
    assert trace.g_phase.g_loss == pytest.approx(trace.record["g_loss"], rel=1e-6)
    assert trace.g_phase.grad_norm == pytest.approx(trace.record["g_grad_norm"], rel=1e-5)
    # D's surface after one update is the surface before the next
    np.testing.assert_array_equal(trace.d_phases[0].surface_after, trace.d_phases[1].surface_before)
    assert trace.d_phases[0].surface_before.shape == (SURFACE_RESOLUTION, SURFACE_RESOLUTION)
    assert not np.array_equal(last.surface_before, last.surface_after)


def test_gp_interpolates_lie_on_the_segments_between_real_and_fake():
    knobs = knobs_for("wasserstein-gp")
    experiment, parts, _ = twin_parts(knobs)
    phase = traced_step(parts, experiment, knobs).d_phases[0]
    mixed, real, fake = phase.penalty_points["gp"], phase.real, phase.fake
    # mixed = a * real + (1 - a) * fake with one a in [0, 1] per pair
    d = real - fake
    alpha = ((mixed - fake) * d).sum(1) / (d * d).sum(1)
    assert_close(torch.from_numpy(fake + alpha[:, None] * d), torch.from_numpy(mixed), atol=1e-5, rtol=0)
    assert ((alpha >= -1e-5) & (alpha <= 1 + 1e-5)).all()
    assert alpha.std() > 0.1  # a random point per segment, not one fixed mix


def test_r1_is_taken_at_the_real_points():
    knobs = knobs_for("non-saturating", r1_weight=1.0)
    experiment, parts, _ = twin_parts(knobs)
    phase = traced_step(parts, experiment, knobs).d_phases[0]
    np.testing.assert_array_equal(phase.penalty_points["r1"], phase.real)
    assert "gp" not in phase.penalty_points


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_arrows_are_autograd_of_the_g_loss_at_the_fakes(loss):
    knobs = knobs_for(loss)
    experiment, parts, _ = twin_parts(knobs)
    trace = traced_step(parts, experiment, knobs)
    g = trace.g_phase
    fake = torch.from_numpy(g.fake_before).requires_grad_(True)
    # D is not changed by G's update: the D after the iteration is the D that scored the fakes
    (grad,) = torch.autograd.grad(get_loss(loss).g_loss(parts.discriminator(fake)), fake)
    assert_close(torch.from_numpy(g.arrows), -grad * len(fake), rtol=1e-5, atol=1e-7)
    assert np.abs(g.arrows).sum() > 0


def test_d_pulls_are_autograd_of_the_d_loss_in_the_scores():
    knobs = knobs_for("least-squares")
    experiment, parts, _ = twin_parts(knobs)
    D_before = copy.deepcopy(parts.discriminator)
    phase = traced_step(parts, experiment, knobs).d_phases[0]
    real = D_before(torch.from_numpy(phase.real)).detach().requires_grad_(True)
    fake = D_before(torch.from_numpy(phase.fake)).detach().requires_grad_(True)
    # least squares by hand: d/dr of 0.5 * mean((r - 1)^2) is (r - 1) / n, so the pull is 1 - r
    assert_close(torch.from_numpy(phase.real_push), 1 - real.detach(), rtol=1e-5, atol=1e-6)
    assert_close(torch.from_numpy(phase.fake_push), -fake.detach(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(phase.real_score, real.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_g_update_moves_the_fakes_of_the_same_noise():
    knobs = knobs_for("non-saturating")
    experiment, parts, _ = twin_parts(knobs)
    trace = traced_step(parts, experiment, knobs)
    g = trace.g_phase
    assert g.fake_before.shape == g.fake_after.shape == (BATCH, 2)
    assert not np.array_equal(g.fake_before, g.fake_after)
    # the G after the step, on the noise of the traced G update, gives fake_after: replay its RNG
    _, replay, _ = twin_parts(knobs)
    for _ in range(knobs.d_steps):
        replay.sample_real(BATCH), replay.sample_noise(BATCH)
    noise = replay.sample_noise(BATCH)
    with torch.no_grad():
        np.testing.assert_allclose(parts.generator(noise).numpy(), g.fake_after, rtol=1e-6, atol=1e-6)


def test_a_big_batch_keeps_at_most_max_points():
    knobs = knobs_for("non-saturating", batch_size=MAX_POINTS + 100)
    experiment, parts, _ = twin_parts(knobs, warm_steps=0)
    trace = traced_step(parts, experiment, knobs)
    assert len(trace.d_phases[0].real) == len(trace.g_phase.arrows) == MAX_POINTS


def test_other_experiments_are_refused_with_a_message():
    with pytest.raises(SlowMotionUnavailable, match="2D"):
        StepRecorder.for_experiment(None, SimpleNamespace(kind="image"), Knobs())  # an image run


def runner_state(runner):
    runner.wait_idle()
    state = runner.export_state()
    counters = {k: v for k, v in state.counters.items() if k != "train_seconds"}
    return state, counters


def test_runner_step_traced_equals_runner_step():
    knobs = knobs_for("wasserstein-gp", d_steps=2, r1_weight=0.5)
    plain, traced = (Runner(ToyExperiment(STRUCTURE), knobs, torch_threads=None) for _ in range(2))
    try:
        for runner in (plain, traced):
            runner.step(count=4)
        plain.step()
        trace = traced.step_traced()
        a, counters_a = runner_state(plain)
        b, counters_b = runner_state(traced)
        assert counters_a == counters_b and counters_b["step"] == 5 and counters_b["d_updates"] == 10
        assert a.tensors.keys() == b.tensors.keys()
        for key in a.tensors:
            assert torch.equal(a.tensors[key], b.tensors[key]), key
        drop = lambda meta: {k: v for k, v in meta.items() if k != "lineage"}  # noqa: E731 - a run's own id
        assert drop(a.meta) == drop(b.meta)
        assert a.latest == b.latest == trace.record
        assert trace.step_before == 4
        assert plain.snapshot().latest_eval == traced.snapshot().latest_eval  # evaluated after, as a Step is
    finally:
        plain.release()
        traced.release()


def test_a_trainer_process_runs_the_traced_step_and_sends_the_trace_back():
    """The process runner: the trace crosses the pipe (picklable numpy), the run counts one step,
    and its weights are those of a thread runner that took a plain Step from the same start."""
    from ganlab.training.remote_runner import RemoteRunner
    from ganlab.training.worker_process import ProcessTransport

    knobs = knobs_for("non-saturating", gp_weight=1.0)
    remote = RemoteRunner(ToyExperiment(STRUCTURE), knobs, transport_factory=ProcessTransport)
    local = Runner(ToyExperiment(STRUCTURE), knobs, torch_threads=None)
    try:
        trace = remote.step_traced()
        local.step()
        assert [s.stage for s in substeps(trace)][:4] == ["d_sample", "d_fake", "d_score", "d_penalty"]
        assert trace.d_phases[0].penalty_points["gp"].shape == (BATCH, 2)
        a, counters_a = runner_state(local)
        b, counters_b = runner_state(remote)
        assert counters_a == counters_b and counters_b["step"] == 1
        for key in a.tensors:
            assert torch.equal(a.tensors[key], b.tensors[key]), key
        assert remote.snapshot().latest == trace.record
    finally:
        remote.release()
        local.release()
