"""Issue 23.2: a run saved from a page (Keep saving, Continue) stops being "training (live)"
when it stops being trained there: its page closed (the registry releases the runner), Reset,
or its trainer process killed. Each ends the saver with a final save and a status that says
what happened, gives the run's lease back, and `ganlab train --resume` goes on from it."""

from __future__ import annotations

import os
import signal

import pytest

from ganlab.cli import main
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.runs import RunWriter, list_runs, load_run, read_config
from ganlab.settings.config import Knobs, ToyStructure
from ganlab.storage.lease import LEASE_FILE, holder
from ganlab.training.registry import RunnerRegistry
from ganlab.training.remote_runner import RemoteRunner
from ganlab.training.resume import autosave_into
from ganlab.training.runner_state import RunState
from ganlab.training.slots import TrainingSlots
from ganlab.training.worker_process import ProcessTransport, wait_gone
from tests.conftest import wait_until

SMALL = ToyStructure.from_dict({"generator": {"width": 16, "hidden_layers": 1},
                                "discriminator": {"width": 16, "hidden_layers": 1}})
RESUME = ["--device", "cpu", "-q"]


@pytest.fixture
def page(tmp_path):
    """A session's process runner saving into run `kept` with Keep saving, playing, in a registry
    whose owner (the tab) can be closed."""
    alive = {"tab": True}
    registry = RunnerRegistry(TrainingSlots(2), grace_s=0.0, is_owner_alive=lambda owner: alive["tab"])
    token, runner = registry.create("tab", lambda slots: RemoteRunner(
        ToyExperiment(SMALL), Knobs(), transport_factory=ProcessTransport, slots=slots))
    run_dir = tmp_path / "runs" / "kept"
    state = runner.export_state()
    writer = RunWriter(run_dir, runner.experiment, status="paused")
    writer.save(state)
    autosave_into(runner, writer, 0.5, "a browser session on the 2D playground page")
    runner.play()
    wait_until(lambda: read_config(run_dir)["status"] == "training" and read_config(run_dir)["step"] > 0, timeout=60)
    assert [r.live for r in list_runs(tmp_path / "runs")] == [True] and holder(run_dir) is not None
    pid = runner.pid
    yield registry, runner, run_dir, alive
    registry.shutdown()
    assert wait_gone([pid]) == []


def ended(run_dir, runs) -> dict:
    config = read_config(run_dir)
    assert holder(run_dir) is None and not (run_dir / LEASE_FILE).exists()
    assert [r.live for r in list_runs(runs)] == [False]
    return config


def resumes(run_dir) -> None:
    step = read_config(run_dir)["step"]
    assert main(["train", "--steps", "3", "--runs-dir", str(run_dir.parent), "--resume", run_dir.name, *RESUME]) == 0
    assert read_config(run_dir)["step"] == step + 3 and read_config(run_dir)["status"] == "completed"


def test_a_closed_tab_pauses_the_run_with_a_final_save(page):
    registry, runner, run_dir, alive = page
    alive["tab"] = False
    registry.sweep()  # the first sweep notices the tab gone, the next one (grace period 0) releases
    assert len(registry.sweep()) == 1 and len(registry) == 0
    config = ended(run_dir, run_dir.parent)
    assert config["status"] == "paused" and "page that trained it was closed" in config["message"]
    assert load_run(run_dir)[1].step == config["step"] > 0
    resumes(run_dir)


def test_reset_pauses_the_continued_run_at_the_state_before_the_reset(page):
    _, runner, run_dir, _ = page
    runner.pause()
    assert runner.wait_idle()
    before = runner.snapshot(with_history=False).step
    runner.reset()
    config = ended(run_dir, run_dir.parent)
    assert (config["status"], config["step"]) == ("paused", before) and "reset" in config["message"]
    runner.step("both", 4)  # the fresh run is not saved over it
    runner.save_now()
    assert runner.wait_idle() and read_config(run_dir)["step"] == before
    resumes(run_dir)


def test_a_killed_trainer_interrupts_the_run_at_its_last_autosave_and_a_restart_takes_it_again(page):
    _, runner, run_dir, _ = page
    wait_until(lambda: read_config(run_dir)["step"] > 20, timeout=60)
    os.kill(runner.pid, signal.SIGKILL)
    wait_until(lambda: runner.snapshot(with_history=False).state == RunState.ERROR, timeout=60)
    wait_until(lambda: read_config(run_dir)["status"] == "interrupted" and holder(run_dir) is None, timeout=30)
    config = ended(run_dir, run_dir.parent)
    assert config["status"] == "interrupted" and "stopped unexpectedly" in config["message"]
    kept = config["step"]
    assert load_run(run_dir)[1].step == kept
    runner.restart()  # the run is free: the restarted trainer saves into it again
    assert holder(run_dir) is not None and runner.snapshot(with_history=False).step == kept
    runner.step("both", 2)
    runner.save_now()
    wait_until(lambda: read_config(run_dir)["step"] == kept + 2, timeout=30)
    runner.reset()
    resumes(run_dir)
