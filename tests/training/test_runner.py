"""The background runner's state machine, driven through its public methods.

Every runner made here is released at teardown (the `release_runners` fixture);
waits poll with `wait_until` or the runner's own `wait_idle`, never fixed sleeps."""

import dataclasses
import re
import time

import numpy as np
import pytest
import torch

from ganlab.gan.losses import LOSSES
from ganlab.gan.step import RECORD_KEYS
from ganlab.kinds.toy_experiment import VIEW_POINTS, ToyExperiment, ToyView
from ganlab.settings.config import Knobs, MLPShape, OptimizerKnobs, ToyStructure
from ganlab.training.runner import Runner, RunnerClosedError, RunState
from ganlab.training.slots import CapacityError, TrainingSlots

pytestmark = pytest.mark.usefixtures("release_runners")

STRUCTURE = ToyStructure(data="ring", noise_dim=2, generator=MLPShape(2, 16), discriminator=MLPShape(2, 16), seed=0)
KNOBS = Knobs(batch_size=32)
EVAL_KEYS = {"kl_hist", "js_hist", "modes_covered", "high_quality", "mode_kl"}


def make_runner(experiment=None, knobs=KNOBS, **kwargs) -> Runner:
    runner = Runner(experiment or ToyExperiment(STRUCTURE), knobs, **kwargs)
    assert runner.wait_idle(), "the initial build did not finish"
    return runner


def counters(runner):
    s = runner.snapshot()
    return s.step, s.d_updates, s.g_updates


def g_params(runner):
    return [p.detach().clone() for p in runner._parts.generator.parameters()]


# ------------------------------------------------------------------ start
def test_starts_paused_at_step_zero():
    runner = Runner(ToyExperiment(STRUCTURE), KNOBS)
    first = runner.snapshot()
    assert (first.state, first.step, first.d_updates, first.g_updates) == (RunState.PAUSED, 0, 0, 0)
    assert runner.alive
    assert runner.wait_idle()
    snap = runner.snapshot()
    assert (snap.state, snap.step) == (RunState.PAUSED, 0)
    assert snap.structure == STRUCTURE and snap.knobs == KNOBS
    assert snap.message is None and snap.notice is None
    assert len(snap.history["step"]) == 0 and snap.latest == {}
    # the fresh nets are measured once, at step 0
    assert set(snap.latest_eval) == EVAL_KEYS
    np.testing.assert_array_equal(snap.evals["step"], [0])


# ------------------------------------------------------------ play / pause
def test_play_runs_and_pause_stops(wait_until):
    slots = TrainingSlots(2)
    runner = make_runner(slots=slots, history_capacity=100_000)
    runner.play()
    assert runner.state == RunState.RUNNING
    assert slots.in_use == 1
    wait_until(lambda: runner.snapshot().step >= 20)
    runner.pause()
    assert runner.state == RunState.PAUSED
    assert slots.in_use == 0
    assert runner.wait_idle()
    stopped, d, g = counters(runner)
    assert stopped >= 20 and d == g == stopped  # d_steps 1: one D and one G update per step
    # nothing trains in the background any more: one queued G step moves the counters by exactly one
    runner.step("g")
    assert runner.wait_idle()
    assert counters(runner) == (stopped + 1, stopped, stopped + 1)
    snap = runner.snapshot()
    np.testing.assert_array_equal(snap.history["step"], np.arange(1, stopped + 2))
    assert snap.train_seconds > 0
    assert runner.state == RunState.PAUSED


def test_play_twice_and_pause_when_paused_are_harmless(wait_until):
    slots = TrainingSlots(1)
    runner = make_runner(slots=slots)
    runner.pause()
    assert runner.state == RunState.PAUSED and slots.in_use == 0
    runner.play()
    runner.play()
    assert runner.state == RunState.RUNNING and slots.in_use == 1
    wait_until(lambda: runner.snapshot().step > 0)
    runner.pause()
    assert slots.in_use == 0


# ------------------------------------------------------------ single steps
def test_single_steps_advance_exact_counters():
    runner = make_runner(eval_every=1000)
    runner.step("d")
    assert runner.wait_idle()
    assert counters(runner) == (1, 1, 0)
    assert "g_loss" not in runner.snapshot().latest
    runner.step("g")
    assert runner.wait_idle()
    assert counters(runner) == (2, 1, 1)
    assert set(runner.snapshot().latest) == {"g_loss", "g_grad_norm", "d_fake"}  # G's loss scored its batch with D
    runner.step("both", count=3)
    assert runner.wait_idle()
    assert counters(runner) == (5, 4, 4)
    # with 2 D steps per G step, each "both" step makes two D updates
    runner.set_knobs(KNOBS.replace(d_steps=2))
    runner.step("both", count=3)
    assert runner.wait_idle()
    assert counters(runner) == (8, 10, 7)
    snap = runner.snapshot()
    assert snap.state == RunState.PAUSED
    np.testing.assert_array_equal(snap.history["step"], np.arange(1, 9))
    # a plain GAN's step records every number but a critic's and the models' own (InfoGAN's, CycleGAN's)
    models_own = {"info_loss", "cycle_loss", "reverse_d_loss", "reverse_g_loss"}
    assert set(snap.latest) == set(RECORD_KEYS) - {"wasserstein"} - models_own
    assert snap.history["g_loss"][-1] == pytest.approx(snap.latest["g_loss"])
    assert np.isnan(snap.history["g_loss"][0])  # step 1 was D only
    assert snap.evals["step"][-1] == 8  # measured after the queued steps


def test_step_rejects_unknown_which():
    runner = make_runner()
    with pytest.raises(ValueError, match="which"):
        runner.step("both-ways")


def test_evaluates_every_eval_every_steps_once_per_step():
    runner = make_runner(eval_every=5)
    runner.step("both", count=12)
    assert runner.wait_idle()
    np.testing.assert_array_equal(runner.snapshot().evals["step"], [0, 5, 10, 12])
    runner.step("both", count=3)  # ends on 15, a multiple of eval_every: measured once, not twice
    assert runner.wait_idle()
    np.testing.assert_array_equal(runner.snapshot().evals["step"], [0, 5, 10, 12, 15])


# ------------------------------------------------------------------- knobs
def test_set_knobs_while_running_changes_lr_in_place(wait_until):
    runner = make_runner()
    runner.play()
    wait_until(lambda: runner.snapshot().step >= 3)
    parts = runner._parts
    d_opt, g_opt = parts.d_optimizer, parts.g_optimizer
    first = next(parts.discriminator.parameters())
    exp_avg = d_opt.state[first]["exp_avg"]
    new = KNOBS.replace(d_opt=OptimizerKnobs(lr=2e-4, beta1=0.0), g_opt=OptimizerKnobs(lr=3e-4))
    runner.set_knobs(new)
    assert runner.snapshot().knobs == new
    wait_until(lambda: d_opt.param_groups[0]["lr"] == 2e-4 and g_opt.param_groups[0]["lr"] == 3e-4)
    assert d_opt.param_groups[0]["betas"] == (0.0, 0.999)
    assert runner._parts.d_optimizer is d_opt
    assert runner._parts.g_optimizer is g_opt
    assert d_opt.state[first]["exp_avg"] is exp_avg  # Adam's moments survive
    assert runner.state == RunState.RUNNING
    at = runner.snapshot().step
    wait_until(lambda: runner.snapshot().step >= at + 3)  # still training


def test_set_knobs_with_another_optimizer_kind_rebuilds_it():
    runner = make_runner()
    old = runner._parts.d_optimizer
    runner.set_knobs(KNOBS.replace(d_opt=OptimizerKnobs("sgd", lr=0.01, beta1=0.9)))
    runner.step("d")  # knobs are applied before the queued step
    assert runner.wait_idle()
    new = runner._parts.d_optimizer
    assert new is not old and isinstance(new, torch.optim.SGD)
    assert (new.param_groups[0]["lr"], new.param_groups[0]["momentum"]) == (0.01, 0.9)
    assert isinstance(runner._parts.g_optimizer, torch.optim.Adam)
    assert counters(runner) == (1, 1, 0)


# ------------------------------------------------------------------- reset
def test_reset_returns_to_step_zero_paused_with_notice(wait_until):
    slots = TrainingSlots(1)
    runner = make_runner(slots=slots)
    fresh = g_params(runner)
    runner.play()
    wait_until(lambda: runner.snapshot().step >= 5)
    runner.reset(notice="Settings changed: the run starts again.")
    assert runner.state == RunState.PAUSED
    assert slots.in_use == 0
    assert runner.wait_idle()
    snap = runner.snapshot()
    assert (snap.state, snap.step, snap.d_updates, snap.g_updates) == (RunState.PAUSED, 0, 0, 0)
    assert snap.notice == "Settings changed: the run starts again."
    assert len(snap.history["step"]) == 0 and snap.latest == {}
    np.testing.assert_array_equal(snap.evals["step"], [0])
    # fresh weights: the seeded initialisation again, not the trained ones
    for a, b in zip(fresh, g_params(runner), strict=False):
        torch.testing.assert_close(a, b)
    runner.step("both")
    assert runner.wait_idle()
    assert counters(runner) == (1, 1, 1)


def test_reset_with_a_new_experiment_changes_structure():
    runner = make_runner()
    runner.step("both", count=2)
    new_structure = ToyStructure(data="grid", noise_dim=3, generator=MLPShape(1, 8), discriminator=MLPShape(1, 8), seed=1)
    experiment = ToyExperiment(new_structure)
    runner.reset(experiment, notice="Structure changed.")
    assert runner.wait_idle()
    snap = runner.snapshot()
    assert snap.structure == new_structure
    assert runner.experiment is experiment
    assert (snap.step, snap.notice) == (0, "Structure changed.")
    assert runner._parts.generator.noise_dim == 3
    assert runner._parts.generator.net[0].out_features == 8
    runner.step("both")
    assert runner.wait_idle()
    assert counters(runner) == (1, 1, 1)
    assert runner.snapshot().latest_eval["modes_covered"] <= 25


# -------------------------------------------------------- failure states
def _nan_d_loss(monkeypatch):
    spec = LOSSES["non-saturating"]
    monkeypatch.setitem(LOSSES, "non-saturating",
                        dataclasses.replace(spec, d_loss=lambda real, fake: spec.d_loss(real, fake) * float("nan")))


def test_nan_divergence_while_running(monkeypatch, wait_until):
    _nan_d_loss(monkeypatch)
    slots = TrainingSlots(1)
    runner = make_runner(slots=slots)
    runner.play()
    wait_until(lambda: runner.state == RunState.DIVERGED)
    snap = runner.snapshot()
    assert "d_loss" in snap.message and "nan" in snap.message
    assert snap.message.startswith("Step 1:")
    assert "lower them" in snap.message  # the advice
    assert slots.in_use == 0  # slot released
    assert runner.wait_idle()
    assert runner.snapshot().step == 1  # training stopped at the bad step
    other = make_runner(slots=slots)
    other.play()  # the freed slot is usable
    assert slots.in_use == 1


def test_nan_divergence_stops_queued_steps(monkeypatch):
    _nan_d_loss(monkeypatch)
    runner = make_runner()
    runner.step("both", count=5)
    assert runner.wait_idle()
    snap = runner.snapshot()
    assert snap.state == RunState.DIVERGED
    assert snap.step == 1
    assert "d_loss" in snap.message


def test_huge_learning_rate_diverges(wait_until):
    # lr 1 with plain SGD on a wide net blows the weights up within a few steps
    wide = ToyStructure(generator=MLPShape(3, 512), discriminator=MLPShape(3, 512))
    sgd = OptimizerKnobs("sgd", lr=1.0, beta1=0.9)
    runner = make_runner(ToyExperiment(wide), Knobs(loss="least-squares", batch_size=64, g_opt=sgd, d_opt=sgd))
    runner.step("both", count=200)
    assert runner.wait_idle(timeout=60)
    snap = runner.snapshot()
    assert snap.state == RunState.DIVERGED
    match = re.match(r"Step (\d+): (\w+) became (nan|inf|-inf)\. ", snap.message)
    assert match, snap.message
    assert int(match.group(1)) == snap.step < 200
    assert match.group(2) in RECORD_KEYS


class ExplodingExperiment(ToyExperiment):
    """Its real-data sampler raises once `explode` is set."""

    explode = False

    def build(self, knobs):
        parts = super().build(knobs)
        sample_real = parts.sample_real

        def maybe_explode(n):
            if self.explode:
                raise RuntimeError("data source exploded")
            return sample_real(n)

        parts.sample_real = maybe_explode
        return parts


def test_exception_in_the_experiment_sets_error(wait_until, caplog):
    slots = TrainingSlots(1)
    experiment = ExplodingExperiment(STRUCTURE)
    runner = make_runner(experiment, slots=slots)
    runner.step("both", count=2)
    assert runner.wait_idle()
    runner.play()
    experiment.explode = True
    wait_until(lambda: runner.state == RunState.ERROR)
    snap = runner.snapshot()
    assert snap.message == ("Training stopped: a training step failed (an unexpected error). Press Reset to start "
                            "again from fresh weights; the details are under Error details and in the server log.")
    assert "Traceback" in snap.error_detail and "maybe_explode" in snap.error_detail  # behind the details toggle
    logged = [r for r in caplog.records if r.exc_info and "stopped with an error" in r.getMessage()]
    assert logged and str(logged[0].exc_info[1]) == "data source exploded"  # the server log has the traceback
    assert slots.in_use == 0
    assert runner.alive  # the thread survives to be reset
    experiment.explode = False
    runner.reset()
    assert runner.wait_idle()
    snap = runner.snapshot()
    assert (snap.state, snap.step, snap.message, snap.error_detail) == (RunState.PAUSED, 0, None, None)


def test_exception_while_building_sets_error(wait_until):
    class Unbuildable(ToyExperiment):
        def build(self, knobs):
            raise ValueError("cannot build this")

    runner = Runner(Unbuildable(STRUCTURE), KNOBS)
    wait_until(lambda: runner.state == RunState.ERROR)
    message = runner.snapshot().message
    assert message.startswith("Training stopped: building the networks failed (an unexpected error). Press Reset")
    assert "ValueError" not in message and "cannot build this" not in message


# --------------------------------------------------------------- capacity
def test_training_slots_cap_across_runners(wait_until):
    slots = TrainingSlots(1)
    first, second = make_runner(slots=slots), make_runner(slots=slots)
    first.play()
    with pytest.raises(CapacityError):
        second.play()
    assert second.state == RunState.PAUSED
    assert slots.in_use == 1
    first.pause()
    assert slots.in_use == 0
    second.play()
    assert second.state == RunState.RUNNING
    wait_until(lambda: second.snapshot().step > 0)
    with pytest.raises(CapacityError):
        first.play()
    second.reset()  # a reset pauses and frees the slot too
    assert slots.in_use == 0
    first.play()
    second.release()
    first.release()
    assert slots.in_use == 0


# ---------------------------------------------------------------- release
def test_release_stops_the_thread(wait_until):
    slots = TrainingSlots(1)
    runner = make_runner(slots=slots)
    runner.play()
    wait_until(lambda: runner.snapshot().step > 0)
    runner.release()
    assert not runner.alive
    assert runner.state == RunState.RELEASED
    assert slots.in_use == 0
    for call in (runner.play, runner.step, runner.reset, lambda: runner.set_knobs(KNOBS)):
        with pytest.raises(RunnerClosedError):
            call()
    runner.release()  # twice is fine
    assert runner.snapshot().state == RunState.RELEASED


def test_fixture_releases_runners_left_running(release_runners, wait_until):
    runner = make_runner()
    runner.play()
    wait_until(lambda: runner.snapshot().step > 0)
    assert runner in release_runners  # teardown releases it and checks the thread ended


# ------------------------------------------------------------------- view
def test_snapshot_view_of_the_toy_experiment(wait_until):
    runner = make_runner()
    runner.step("both", count=2)
    assert runner.wait_idle()
    assert runner.snapshot().view is None  # only computed when asked for
    snap = wait_until(lambda: (s := runner.snapshot(want_view=True)).view is not None and s)
    view = snap.view
    assert isinstance(view, ToyView)
    assert snap.view_step == 2
    assert view.real.shape == (VIEW_POINTS, 2) and view.fake.shape == (VIEW_POINTS, 2)
    assert view.surface.shape == (60, 60) and view.surface_x.shape == (60,)
    assert ((view.surface > 0) & (view.surface < 1)).all()  # sigmoid scores for the NS loss
    assert view.surface_label == "P(real)"
    assert view.arrow_from.shape == view.arrow_dir.shape == (150, 2)
    assert view.manifold.shape == (30, 40, 2)
    assert view.bounds == (-1.5, 1.5, -1.5, 1.5)



class CountingViews(ToyExperiment):
    views = 0

    def view(self, parts, knobs):
        CountingViews.views += 1
        return super().view(parts, knobs)


def test_views_are_drawn_once_per_request_while_running(wait_until):
    CountingViews.views = 0
    runner = make_runner(CountingViews(STRUCTURE), view_interval=0.05)
    runner.play()
    wait_until(lambda: runner.snapshot().step >= 30)
    assert CountingViews.views == 0  # nobody watching: no view costs the trainer anything
    snap = runner.snapshot(want_view=True, wait_for_view=10.0)
    assert snap.view is not None and CountingViews.views == 1
    assert snap.step - snap.view_step < 50  # drawn after the request, from the weights of that moment
    wait_until(lambda: runner.snapshot().step >= snap.step + 30)
    time.sleep(2 * runner.view_interval)  # a view younger than view_interval is handed out as it is
    assert CountingViews.views == 1  # still one: requests, not a timer, drive the views
    later = runner.snapshot(want_view=True, wait_for_view=10.0)
    assert later.view_step > snap.view_step and CountingViews.views == 2
    light = runner.snapshot(with_history=False)
    assert light.history == {} and light.evals == {} and light.latest  # latest numbers still there


# ------------------------------------------------------- work on the thread
def test_copy_nets_are_frozen_cpu_copies_that_training_leaves_alone(wait_until):
    runner = make_runner()
    runner.step("both", count=3)
    nets = runner.copy_nets()
    assert nets.step == 3 and nets.ema_generator is None  # the toy experiment keeps no average
    assert not nets.generator.training and not any(p.requires_grad for p in nets.generator.parameters())
    z = torch.randn(5, STRUCTURE.noise_dim, generator=torch.Generator().manual_seed(1))
    before = nets.generator(z).clone()
    expected = runner._parts.generator(z).detach()  # same weights right now (paused)
    torch.testing.assert_close(before, expected)
    runner.step("both", count=5)
    assert runner.wait_idle()
    torch.testing.assert_close(nets.generator(z), before)  # the copy did not move with training
    assert not torch.equal(runner._parts.generator(z).detach(), before)


def test_call_on_thread_returns_the_step_and_raises_the_callers_error():
    runner = make_runner()
    runner.step("both", count=2)
    step, samples = runner.generate_eval_samples_at_step()
    assert step == 2 and samples.shape == (runner.experiment.eval_noise.shape[0], 2)

    def broken(parts, experiment, step):
        raise KeyError("nope")

    with pytest.raises(KeyError, match="nope"):
        runner.call_on_thread(broken)
    assert runner.state == RunState.PAUSED and runner.snapshot().message is None  # not a training failure
