"""The runner's autosave: on pause, every `save_every` seconds of training, and failures reported."""

from __future__ import annotations

import threading

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.runs import RunWriter, load_run, read_config
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.training.runner import Runner, RunState
from tests.conftest import wait_until

TINY = MLPShape(hidden_layers=1, width=8)


def experiment():
    return ToyExperiment(ToyStructure(generator=TINY, discriminator=TINY))


def test_pause_saves_the_run(tmp_path, release_runners):
    exp = experiment()
    writer = RunWriter(tmp_path / "r", exp)
    runner = Runner(exp, Knobs(batch_size=16), saver=writer.save, save_every=3600)
    runner.play()
    wait_until(lambda: runner.snapshot().step >= 5, timeout=30)
    runner.pause()
    wait_until(lambda: writer.saves == 1, timeout=30)
    assert runner.wait_idle(30)
    paused_at = runner.snapshot().step
    _, state, config = load_run(tmp_path / "r")
    assert state.step == paused_at == config["step"]


def test_saves_every_interval_while_training_and_never_while_idle(tmp_path, release_runners):
    exp = experiment()
    saved = []
    done = threading.Event()

    def saver(state):
        saved.append(state.step)
        if len(saved) >= 3:
            done.set()

    runner = Runner(exp, Knobs(batch_size=16), saver=saver, save_every=0.0)
    assert runner.wait_idle(30)
    assert saved == []  # building and measuring step 0 is no reason to save
    runner.play()
    assert done.wait(30)
    runner.pause()
    assert runner.wait_idle(30)
    assert saved == sorted(saved) and saved[0] >= 1


def test_a_failing_save_is_reported_and_training_goes_on(tmp_path, release_runners):
    def saver(state):
        raise OSError(28, "No space left on device")

    runner = Runner(experiment(), Knobs(batch_size=16), saver=saver, save_every=0.0)
    runner.play()
    wait_until(lambda: runner.save_error is not None, timeout=30)
    step = runner.snapshot().step
    wait_until(lambda: runner.snapshot().step > step, timeout=30)
    assert runner.state == RunState.RUNNING
    assert "No space left on device" in runner.save_error
    runner.pause()


def test_save_now_and_status(tmp_path, release_runners):
    exp = experiment()
    writer = RunWriter(tmp_path / "r", exp, status="paused")
    runner = Runner(exp, Knobs(batch_size=16))
    runner.save_now()  # no saver yet: nothing happens
    runner.set_saver(writer.save)
    runner.step("both", 2)
    runner.save_now()
    wait_until(lambda: writer.saves == 1, timeout=30)
    config = read_config(tmp_path / "r")
    assert (config["step"], config["status"]) == (2, "paused")


def test_queued_steps_are_autosaved_too(tmp_path, release_runners):
    """`ganlab train` queues steps instead of pressing Play: its run must still be saved as it goes."""
    saved = []
    runner = Runner(experiment(), Knobs(batch_size=16), saver=lambda state: saved.append(state.step), save_every=0.0)
    runner.step("both", 3)
    assert runner.wait_idle(30)
    wait_until(lambda: saved, timeout=30)
    assert saved == [3]
    runner.step("both", 0)  # no training since the save: nothing to save
    assert runner.wait_idle(30)
    assert saved == [3]
