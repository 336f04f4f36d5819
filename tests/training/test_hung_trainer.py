"""A trainer process that stops answering (SIGSTOP: alive, but it answers nothing) is offered a
restart at once and no call waits on it again; Reset and Restart kill it without waiting; a fresh
run holds no process; a released run's Quality monitor ends quietly (issue 23.4, 23.9, 23.10)."""

from __future__ import annotations

import logging
import os
import signal

import pytest

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import ImageStructure, Knobs, ToyStructure
from ganlab.training.remote_runner import RemoteRunner
from ganlab.training.runner_state import RunState
from ganlab.training.worker_process import ProcessTransport, wait_gone
from tests.conftest import wait_until

SMALL = ToyStructure.from_dict({"generator": {"width": 16, "hidden_layers": 1},
                                "discriminator": {"width": 16, "hidden_layers": 1}})


@pytest.fixture
def make():
    made: list[RemoteRunner] = []
    stopped: list[int] = []

    def make_runner(experiment=None, knobs=None) -> RemoteRunner:
        runner = RemoteRunner(experiment or ToyExperiment(SMALL), knobs or Knobs(), transport_factory=ProcessTransport)
        made.append(runner)
        return runner

    def stop(pid: int) -> None:
        stopped.append(pid)
        os.kill(pid, signal.SIGSTOP)

    make_runner.stop = stop
    yield make_runner
    for pid in stopped:  # a stopped process left behind would stay for good
        for sig in (signal.SIGCONT, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
    for runner in made:
        runner.release()
    assert wait_gone([r.pid for r in made if r.pid] + stopped) == []


def spy_calls(runner: RemoteRunner, monkeypatch) -> list[str]:
    calls: list[str] = []
    real_call = runner._transport.call
    monkeypatch.setattr(runner._transport, "call", lambda *a, **k: calls.append(a[0]) or real_call(*a, **k))
    return calls


def trained_with_autosave(make, steps_saved: int, steps_after: int) -> RemoteRunner:
    runner = make()
    runner.step("both", count=steps_saved)
    runner.save_now()  # no run folder: the server keeps the autosave as the restart point
    wait_until(lambda: runner.restart_point is not None and runner.restart_point.step == steps_saved, timeout=30)
    runner.step("both", count=steps_after)
    assert runner.wait_idle()
    assert runner.snapshot().step == steps_saved + steps_after  # what a page last saw
    return runner


def test_a_stopped_trainer_is_offered_a_restart_and_no_page_call_waits_on_it(make, monkeypatch):
    runner = trained_with_autosave(make, 5, 3)
    hung_pid = runner.pid
    make.stop(hung_pid)
    wait_until(lambda: runner.state == RunState.ERROR, timeout=30)  # noticed with no page asking
    snap = runner.snapshot()
    assert runner.hung and snap.worker_lost and snap.restart_step == 5 and snap.settled
    assert "stopped answering" in snap.message and "step 5" in snap.message and snap.step == 8
    calls = spy_calls(runner, monkeypatch)
    runner.step()
    runner.set_knobs(Knobs(batch_size=32))
    assert runner.wait_idle() is False and runner.state == RunState.ERROR
    assert runner.experiment.structure == SMALL and runner.snapshot(want_view=True, wait_for_view=3).step == 8
    runner.play()
    assert runner.state == RunState.ERROR
    assert set(calls) <= {"next_events"}  # only the background poll still asks it
    text = runner.restart()
    assert text == "A new trainer took over at step 5, the run's last autosave (the 3 steps after it were lost)."
    assert wait_gone([hung_pid]) == []  # the hung process was killed
    snap = runner.snapshot()
    assert runner.pid not in (None, hung_pid) and not runner.hung and snap.step == 5 and not snap.worker_lost
    runner.step()
    assert runner.wait_idle() and runner.snapshot().step == 6


def test_reset_of_a_stopped_trainer_kills_it_without_asking_it_anything(make, monkeypatch):
    runner = trained_with_autosave(make, 2, 1)
    hung_pid = runner.pid
    make.stop(hung_pid)
    wait_until(lambda: runner.hung, timeout=30)
    calls = spy_calls(runner, monkeypatch)
    runner.reset(notice="fresh")
    assert "reset" not in calls and runner.pid is None and wait_gone([hung_pid]) == []
    snap = runner.snapshot()
    assert (snap.state, snap.step, snap.notice, snap.worker_lost) == (RunState.PAUSED, 0, "fresh", False)


def test_a_trainer_that_answers_again_goes_on_by_itself(make):
    runner = trained_with_autosave(make, 2, 0)
    make.stop(runner.pid)
    wait_until(lambda: runner.hung, timeout=30)
    os.kill(runner.pid, signal.SIGCONT)
    wait_until(lambda: not runner.hung, timeout=30)
    snap = runner.snapshot()
    assert snap.state == RunState.PAUSED and snap.message is None and not snap.worker_lost and snap.step == 2


def test_restarting_before_any_autosave_says_the_run_begins_again(make):
    runner = make()
    runner.step("both", count=4)
    assert runner.wait_idle()
    runner.snapshot()
    os.kill(runner.pid, signal.SIGKILL)
    wait_until(lambda: runner.snapshot().worker_lost, timeout=10)
    text = runner.restart()
    assert "step 0" in text and "had not autosaved yet" in text and "last autosave" not in text
    assert runner.snapshot().step == 0


def test_a_fresh_run_holds_no_process_until_it_trains(make):
    runner = make()
    snap = runner.snapshot(want_view=True, wait_for_view=10)
    assert runner.pid is None and not runner.has_trainer  # yet its page has the step-0 picture
    assert (snap.state, snap.step, snap.settled) == (RunState.PAUSED, 0, True) and snap.view is not None
    assert runner.wait_idle() and [f.step for f in runner.timeline_frames()] == [0] and runner.state == RunState.PAUSED
    runner.set_knobs(Knobs(batch_size=32))
    assert runner.pid is None and runner.snapshot().knobs == Knobs(batch_size=32)
    runner.step()
    assert runner.wait_idle()
    trained = runner.snapshot(want_view=True, wait_for_view=10)
    assert runner.pid is not None and trained.step == 1 and trained.knobs == Knobs(batch_size=32)
    # the trainer's step 0 was the preview's: the same seed gives the same first generator samples
    fresh = make()
    fresh_view = fresh.snapshot(want_view=True, wait_for_view=10).view
    fresh.step("d")  # a D step leaves G as it was
    assert fresh.wait_idle()
    after = fresh.snapshot(want_view=True, wait_for_view=10)
    assert after.step == 1 and (after.view.fake == fresh_view.fake).all()


def test_a_released_runs_quality_monitor_ends_without_logging_again(make, monkeypatch, caplog):
    from ganlab.data.image_sources import load_image_source
    from ganlab.kinds.image_experiment import ImageExperiment
    from ganlab.ui import quality

    monkeypatch.setattr(quality, "INTERVAL_S", 0.2)
    structure = ImageStructure(width=8, noise_dim=8)
    runner = make(ImageExperiment(structure, load_image_source("digits")), Knobs(batch_size=8))
    runner.step()
    monitors = quality.get_monitors()
    monitor = monitors.get(runner)
    try:
        wait_until(lambda: monitor.snapshot().latest is not None, timeout=60)
        checks = monitor.snapshot().checks
        with caplog.at_level(logging.WARNING):
            runner.release()  # its tab closed: the reaper released it
            wait_until(lambda: not monitor.alive, timeout=30)
        assert monitor.snapshot().checks >= checks and runner.id not in monitors.by_runner
        assert [r for r in caplog.records if "quality" in r.getMessage()] == []
    finally:
        monitors.stop(runner)


def test_a_stopped_forkserver_fails_the_start_with_a_message_and_is_replaced(make, monkeypatch):
    from multiprocessing import forkserver

    from ganlab.training import worker_process
    from ganlab.training.remote_runner import TrainerStartError

    first = make()
    first.step()  # the forkserver is up and has handed over a worker
    assert first.wait_idle()
    hung = forkserver._forkserver._forkserver_pid
    monkeypatch.setattr(worker_process, "WARM_START_S", 1.0, raising=False)
    make.stop(hung)
    runner = make()
    with pytest.raises(TrainerStartError, match="could not start a trainer .* Try again in a moment"):
        runner.step()
    assert runner.pid is None and forkserver._forkserver._forkserver_pid != hung
    runner.step()  # the retry: a new forkserver starts the trainer
    assert runner.wait_idle() and runner.snapshot().step == 1 and runner.pid is not None
    wait_until(lambda: not first.hung, timeout=60)  # (a machine busy with the new forkserver's imports may delay it)
    first.step()  # the old forkserver's worker trains on
    assert first.wait_idle() and first.snapshot().step == 2
