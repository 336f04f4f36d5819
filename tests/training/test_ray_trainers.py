"""Runs trained by Ray actors (GANLAB_RAY_ADDRESS), against a local Ray this module starts on
loopback and shuts down: play, live knobs, a saved run landing in the server's folder, a lost
actor and its restart, and the CPUs given back. CI installs the `cluster` extra."""

from __future__ import annotations

import os

import pytest

# Before `import ray`: without it Ray on Linux turns 127.0.0.1 into the machine's network address.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
ray = pytest.importorskip("ray")

from ray import cloudpickle  # noqa: E402  (Ray vendors it; the cloudpickle package is not a Ray dependency)

from ganlab.kinds.toy_experiment import ToyExperiment  # noqa: E402
from ganlab.runs.store import load_run  # noqa: E402
from ganlab.runs.writer import RunWriter  # noqa: E402
from ganlab.settings.config import Knobs, OptimizerKnobs, ToyStructure  # noqa: E402
from ganlab.training.ray_trainers import ENV_RAY_ADDRESS  # noqa: E402
from ganlab.training.remote_runner import RemoteRunner  # noqa: E402
from ganlab.training.runner_state import RunState  # noqa: E402
from ganlab.training.trainers import make_runner  # noqa: E402
from tests import trainer_probes  # noqa: E402
from tests.conftest import wait_until  # noqa: E402

SMALL = ToyStructure.from_dict({"generator": {"width": 16, "hidden_layers": 1},
                                "discriminator": {"width": 16, "hidden_layers": 1}})


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", namespace="ganlab-tests",
             log_to_driver=False)
    gcs = ray.get_runtime_context().gcs_address
    assert gcs.startswith("127."), f"the test cluster left loopback: {gcs}"
    cloudpickle.register_pickle_by_value(trainer_probes)  # the actors need not import the tests
    try:
        yield
    finally:
        cloudpickle.unregister_pickle_by_value(trainer_probes)
        ray.shutdown()


@pytest.fixture
def ray_runner(local_ray, monkeypatch):
    monkeypatch.setenv(ENV_RAY_ADDRESS, "auto")  # connect() finds the Ray this module started
    made = []

    def make(experiment=None, **options) -> RemoteRunner:
        """A run of `experiment` (a small 2D one when not given) on an actor."""
        knobs = Knobs() if experiment is None else Knobs(batch_size=8)
        runner = make_runner(experiment or ToyExperiment(SMALL), knobs, **options)
        made.append(runner)
        return runner

    yield make
    for runner in made:
        runner.release()
    wait_until(lambda: ray.available_resources().get("CPU", 0) == 2, timeout=30)  # every actor's CPU back


def test_a_ray_actor_trains_with_live_knobs(ray_runner):
    runner = ray_runner()
    runner.play()
    assert type(runner._transport).__name__ == "RayTransport"
    wait_until(lambda: ray.available_resources().get("CPU", 0) == 1, timeout=30)  # the actor holds one CPU
    wait_until(lambda: runner.snapshot(with_history=False).step >= 10, timeout=60)
    runner.pause()
    runner.wait_idle()
    before = runner.call_on_thread(trainer_probes.g_optimizer_facts)
    assert before["updates"] == runner.snapshot().g_updates > 0
    runner.set_knobs(Knobs(g_opt=OptimizerKnobs(lr=0.002)))
    runner.wait_idle()
    assert runner.call_on_thread(trainer_probes.g_optimizer_facts) == {**before, "lr": 0.002}  # Adam state kept
    snap = runner.snapshot(want_view=True, wait_for_view=10)
    assert snap.state == RunState.PAUSED and snap.view is not None and snap.device == "cpu"


def test_a_saved_ray_run_lands_in_the_servers_runs_folder(ray_runner, tmp_path):
    runner = ray_runner()
    writer = RunWriter(tmp_path / "ray-run", runner.experiment, status="paused")
    runner.set_saver(writer.save, 3600)
    runner.step("both", count=6)
    runner.save_now()
    wait_until(lambda: (tmp_path / "ray-run" / "config.json").exists() and writer.saves > 0, timeout=60)
    experiment, state, config = load_run(tmp_path / "ray-run")
    assert state.step == 6 and config["step"] == 6 and runner.save_error is None


def test_a_lost_actor_is_an_error_with_a_restart(ray_runner):
    runner = ray_runner()
    runner.step("both", count=3)
    runner.wait_idle()
    ray.kill(runner._transport.actor)
    wait_until(lambda: runner.snapshot().worker_lost, timeout=30)
    assert runner.state == RunState.ERROR and "stopped unexpectedly" in runner.snapshot().message
    runner.restart()
    assert runner.state == RunState.PAUSED and runner.snapshot().step == 0


def test_a_ray_actor_takes_a_slow_motion_step(ray_runner):
    """step_traced is in the host's call table: the trace comes back from the actor, one step counted."""
    from ganlab.gan.step_stages import substeps

    runner = ray_runner()
    trace = runner.step_traced()
    assert runner.wait_idle(30)
    snap = runner.snapshot()
    assert (snap.step, snap.d_updates, snap.g_updates) == (1, 1, 1)
    assert trace.step_before == 0 and trace.record == snap.latest
    assert [s.stage for s in substeps(trace)][-1] == "g_update"


def test_a_ray_actor_hands_over_nets_with_every_option(ray_runner):
    """Issue 22.3: the nets come back as weights (a spectral-norm module cannot be pickled), rebuilt
    here: spectral and batch norm, conditional, the extra conv and the EMA generator all at once."""
    import dataclasses

    import torch

    from ganlab.kinds.image_experiment import ImageExperiment
    from tests.live_runs import image_experiment, tiny_dataset

    every = dataclasses.replace(image_experiment("fast start").structure, conditional=True, d_batch_norm=True)
    runner = ray_runner(ImageExperiment(every, tiny_dataset()))
    runner.step("both", count=2)
    runner.wait_idle()
    nets = runner.copy_nets()
    live = runner.call_on_thread(trainer_probes.net_state)
    assert nets.step == 2 and nets.experiment is runner.experiment
    for prefix, module in (("generator", nets.generator), ("discriminator", nets.discriminator),
                           ("ema", nets.ema_generator)):
        mine = {f"{prefix}.{k}": v for k, v in module.state_dict().items()}
        assert mine and all(torch.equal(v, live[k]) for k, v in mine.items()), prefix
    assert sum(k.startswith(("generator.", "discriminator.", "ema.")) for k in live) == len(
        nets.generator.state_dict()) + len(nets.discriminator.state_dict()) + len(nets.ema_generator.state_dict())


def test_open_pages_hold_no_cpu_until_a_run_trains(ray_runner):
    """Three visitors on a 2-CPU cluster: their fresh runs draw step 0 without an actor; the first
    Play takes one CPU, and a Reset gives it back."""
    runners = [ray_runner() for _ in range(3)]
    for runner in runners:
        snap = runner.snapshot(want_view=True, wait_for_view=30)
        assert snap.step == 0 and snap.view is not None and runner.pid is None
    assert ray.available_resources().get("CPU", 0) == 2
    runners[2].play()
    wait_until(lambda: runners[2].snapshot(with_history=False).step > 0, timeout=60)
    assert ray.available_resources().get("CPU", 0) == 1 and runners[0].pid is None
    runners[2].reset()
    wait_until(lambda: ray.available_resources().get("CPU", 0) == 2, timeout=30)  # fresh weights: no actor kept
