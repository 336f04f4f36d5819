"""The runner interface through its states with the training in a real worker process: play,
pause, steps, live knobs (Adam's state kept), reset, divergence, errors, a killed worker and its
restart, the queue, and no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import Knobs, OptimizerKnobs, ToyStructure
from ganlab.training.remote_runner import RemoteRunner
from ganlab.training.runner_state import RunnerClosedError, RunState
from ganlab.training.slots import TrainingSlots
from ganlab.training.worker_process import ProcessTransport, wait_gone
from tests.conftest import wait_until
from tests.trainer_probes import break_training, g_optimizer_facts

SMALL = ToyStructure.from_dict({"generator": {"width": 16, "hidden_layers": 1},
                                "discriminator": {"width": 16, "hidden_layers": 1}})


@pytest.fixture
def make():
    made: list[RemoteRunner] = []

    def make_runner(slots: TrainingSlots | None = None, **options) -> RemoteRunner:
        runner = RemoteRunner(ToyExperiment(SMALL), Knobs(), transport_factory=ProcessTransport, slots=slots, **options)
        made.append(runner)
        return runner

    yield make_runner
    for runner in made:
        runner.release()
    assert wait_gone([r.pid for r in made if r.pid]) == []


def test_play_pause_and_steps_happen_in_another_process(make):
    runner = make()
    assert runner.pid is None and not runner.has_trainer and runner.state == RunState.PAUSED  # nothing to train yet
    runner.play()
    assert runner.pid not in (None, os.getpid()) and runner.state == RunState.RUNNING
    wait_until(lambda: runner.snapshot(with_history=False).step >= 20, timeout=30)
    runner.pause()
    assert runner.wait_idle() and runner.state == RunState.PAUSED
    paused_at = runner.snapshot().step
    runner.step("d")
    runner.step("g")
    runner.step("both", count=3)
    assert runner.wait_idle()
    snap = runner.snapshot(want_view=True, wait_for_view=10)
    assert snap.step == paused_at + 5 and snap.g_updates == paused_at + 4  # the D step counts as a step
    assert snap.view is not None and snap.view_step == snap.step and snap.settled
    assert len(snap.history["step"]) == snap.step and snap.device == "cpu"
    with pytest.raises(ValueError, match="which must be one of"):
        runner.step("sideways")


def test_live_knobs_keep_adams_state_and_reset_starts_over(make):
    runner = make()
    runner.step("both", count=3)
    runner.wait_idle()
    before = runner.call_on_thread(g_optimizer_facts)
    assert before["updates"] == 3
    faster = Knobs(g_opt=OptimizerKnobs(lr=0.002))
    runner.set_knobs(faster)
    runner.wait_idle()
    assert runner.call_on_thread(g_optimizer_facts) == {**before, "lr": 0.002}
    assert runner.snapshot().knobs == faster and runner.snapshot().step == 3
    bigger = ToyExperiment(ToyStructure.from_dict({"generator": {"width": 24, "hidden_layers": 1}}))
    runner.reset(bigger, notice="fresh")
    runner.wait_idle()
    snap = runner.snapshot()
    assert (snap.step, snap.notice, snap.structure.generator.width) == (0, "fresh", 24)
    assert runner.experiment is bigger  # the page's own copy of what trains now
    assert runner.call_on_thread(g_optimizer_facts)["updates"] == 0


def test_divergence_pauses_and_frees_the_slot(make):
    slots = TrainingSlots(1)
    runner = make(slots)
    break_training(runner, "nan-d")
    runner.play()
    wait_until(lambda: runner.state == RunState.DIVERGED, timeout=30)
    assert "d_loss became nan" in runner.snapshot().message
    wait_until(lambda: slots.in_use == 0)  # the trainer said so; nobody had to press Pause


def _failed_run(make) -> tuple[RemoteRunner, TrainingSlots]:
    """A run whose Step failed in its trainer (its generator's loss raises), and its slots."""
    slots = TrainingSlots(1)
    runner = make(slots)
    break_training(runner, "raise-g")
    runner.step()
    wait_until(lambda: runner.state == RunState.ERROR, timeout=30)
    return runner, slots


def test_an_error_is_reported_and_play_does_nothing_until_reset(make):
    runner, slots = _failed_run(make)
    snap = runner.snapshot()
    assert "a training step failed" in snap.message and "Traceback" in snap.error_detail
    assert not snap.worker_lost
    runner.play()
    assert runner.state == RunState.ERROR and slots.in_use == 0
    runner.reset()
    runner.wait_idle()
    assert runner.state == RunState.PAUSED


def test_play_on_a_failed_run_does_not_wait_in_line_for_a_slot(make):
    runner, slots = _failed_run(make)
    wait_until(lambda: slots.in_use == 0, timeout=30)
    slots.acquire("someone-else")  # the server is full: a Play that joined the line would show QUEUED
    runner.play()
    assert runner.state == RunState.ERROR and slots.position(runner.id) is None
    slots.release("someone-else")


def test_a_killed_worker_is_an_error_with_a_restart_from_the_last_autosave(make):
    saved = []
    runner = make(TrainingSlots(1))
    runner.set_saver(saved.append, 3600)
    runner.step("both", count=7)
    runner.save_now()
    wait_until(lambda: saved and saved[-1].step == 7, timeout=30)
    runner.step("both", count=5)  # trained past the autosave: these steps are lost with the worker
    runner.wait_idle()
    assert runner.snapshot().step == 12  # what a page last saw
    runner.play()
    assert runner._slots.in_use == 1
    old_pid = runner.pid
    os.kill(old_pid, signal.SIGKILL)
    wait_until(lambda: runner.state == RunState.ERROR, timeout=10)
    snap = runner.snapshot()
    assert snap.worker_lost and snap.restart_step == 7 and "stopped unexpectedly" in snap.message
    assert snap.step == 12 and len(snap.history["step"]) == 12  # the page keeps what it last saw (no snapshot since)
    assert runner._slots.in_use == 0  # the dead run holds no slot
    runner.restart()
    assert runner.pid != old_pid and runner.state == RunState.PAUSED
    snap = runner.snapshot()
    assert snap.step == 7 and not snap.worker_lost and "step 7" in snap.notice
    runner.play()  # and it trains again
    wait_until(lambda: runner.snapshot(with_history=False).step > 7, timeout=30)


def test_a_worker_killed_before_any_autosave_restarts_at_step_zero(make):
    runner = make()
    runner.step("both", count=4)
    runner.wait_idle()
    os.kill(runner.pid, signal.SIGKILL)
    wait_until(lambda: runner.snapshot().worker_lost, timeout=10)
    assert runner.snapshot().restart_step == 0
    runner.restart()
    assert runner.snapshot().step == 0 and runner.state == RunState.PAUSED


def test_the_queue_starts_the_next_run_when_one_pauses(make):
    slots = TrainingSlots(1)
    first, second = make(slots), make(slots)
    first.play()
    second.play()
    assert first.state == RunState.RUNNING and second.state == RunState.QUEUED
    assert second.snapshot().queue_position == 1 and second.snapshot().step == 0
    first.pause()
    wait_until(lambda: second.state == RunState.RUNNING, timeout=10)
    wait_until(lambda: second.snapshot(with_history=False).step > 0, timeout=30)
    assert slots.holds(second.id) and not slots.holds(first.id)


def test_release_ends_the_worker_and_refuses_further_use(make):
    runner = make()
    runner.step()
    pid = runner.pid
    runner.release()
    assert wait_gone([pid]) == [] and not runner.alive
    with pytest.raises(RunnerClosedError):
        runner.play()


HOLDER = textwrap.dedent("""
    import sys, time
    from multiprocessing import forkserver
    from ganlab.settings.config import Knobs, ToyStructure
    from ganlab.training.remote_runner import RemoteRunner
    from ganlab.kinds.toy_experiment import ToyExperiment
    from ganlab.training.worker_process import ProcessTransport
    runners = [RemoteRunner(ToyExperiment(ToyStructure()), Knobs(), transport_factory=ProcessTransport) for _ in range(2)]
    runners[0].play()
    runners[1].step()
    print(*[r.pid for r in runners], forkserver._forkserver._forkserver_pid, flush=True)
    time.sleep(120)
""")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_server_that_is_killed_or_stopped_leaves_no_trainer_process(sig):
    root = Path(__file__).resolve().parents[2]
    server = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True, cwd=root)
    try:
        pids = [int(p) for p in server.stdout.readline().split()]
        assert len(pids) == 3 and wait_gone(pids, timeout=0.5) == pids  # two workers and their forkserver
        os.kill(server.pid, sig)
        server.wait(10)
        assert wait_gone(pids, timeout=10) == []
    finally:
        server.kill()
        server.wait(10)


class _FakeImageExperiment:
    kind = "image"

    def __init__(self, device: str = "cpu") -> None:
        self.device = device

    def on_device(self, device: str) -> "_FakeImageExperiment":
        return _FakeImageExperiment(device)


def test_image_runs_go_to_the_gpu_when_there_is_one_and_2d_runs_stay_on_the_cpu(monkeypatch):
    import torch

    from ganlab.training.trainer_host import pick_device

    toy = ToyExperiment(SMALL)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device(_FakeImageExperiment()).device == "cuda"
    assert pick_device(_FakeImageExperiment(), "cpu").device == "cpu"  # a host may keep them on the CPU
    assert pick_device(toy) is toy
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device(_FakeImageExperiment()).device == "cpu"


def test_an_image_experiment_moves_to_a_device_with_the_same_fixed_noise():
    import torch

    from ganlab.data.image_sources import load_image_source
    from ganlab.kinds.image_experiment import ImageExperiment
    from ganlab.settings.config import ImageStructure

    structure = ImageStructure()
    experiment = ImageExperiment(structure, load_image_source(structure.dataset))
    assert experiment.on_device("cpu") is experiment
    moved = experiment.on_device("meta")  # a device without data: only where the tensors live changes
    assert moved.device == torch.device("meta") and moved.eval_noise.device.type == "meta"
    assert moved.timeline is experiment.timeline and moved.structure == structure


def test_after_a_reset_a_restart_goes_back_to_the_fresh_run_not_the_old_one(make):
    runner = make()
    runner.step("both", count=4)
    runner.save_now()
    wait_until(lambda: runner._restart_point is not None and runner._restart_point.step == 4, timeout=30)
    other = ToyExperiment(ToyStructure.from_dict({"generator": {"width": 24, "hidden_layers": 1}}))
    old_pid = runner.pid
    runner.reset(other)
    assert runner.pid is None and wait_gone([old_pid]) == []  # fresh weights hold no trainer
    snap = runner.snapshot(want_view=True)
    assert (snap.step, snap.structure, snap.state) == (0, other.structure, RunState.PAUSED) and snap.view is not None
    runner.step("both", count=2)
    runner.wait_idle()
    os.kill(runner.pid, signal.SIGKILL)
    wait_until(lambda: runner.snapshot().worker_lost, timeout=10)
    assert runner.snapshot().restart_step == 0
    runner.restart()
    snap = runner.snapshot()
    assert snap.step == 0 and snap.structure == other.structure


def test_the_trainer_runs_as_a_batch_process_at_the_servers_priority(make):
    """SCHED_BATCH for throughput (30 runs on 2 cores), and no lower priority: a browser on the same
    machine must not starve the run it shows."""
    runner = make()
    runner.play()
    wait_until(lambda: runner.snapshot(with_history=False).step >= 1, timeout=30)
    assert os.sched_getscheduler(runner.pid) == os.SCHED_BATCH  # CPU-bound: longer slices, fewer switches
    assert os.getpriority(os.PRIO_PROCESS, runner.pid) == os.getpriority(os.PRIO_PROCESS, 0)
