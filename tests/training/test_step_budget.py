"""Step takes a training slot like Play (thread and process runners), a run over the memory
budget is refused before anything is built for it, and a worker that goes over its memory limit
anyway ends its run with a message while the server (this test process) and other runs go on."""

from __future__ import annotations

import os

import pytest
import torch

from ganlab.data.images import ImageDataset
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import ImageStructure, Knobs, ToyStructure
from ganlab.training.memory_budget import OverBudgetError
from ganlab.training.remote_runner import RemoteRunner
from ganlab.training.runner import Runner
from ganlab.training.runner_state import RunState
from ganlab.training.slots import CapacityError, TrainingSlots
from ganlab.training.worker_process import ProcessTransport, wait_gone
from tests.conftest import wait_until

SMALL = ToyStructure.from_dict({"generator": {"width": 16, "hidden_layers": 1},
                                "discriminator": {"width": 16, "hidden_layers": 1}})
IMAGES = ImageStructure(image_size=32, channels=3, width=64, noise_dim=16, d_spectral_norm=False)


def _images() -> ImageDataset:
    return ImageDataset(torch.zeros(64, 3, 32, 32, dtype=torch.uint8), name="blank")


@pytest.fixture
def made():
    runners: list = []
    yield runners
    for runner in runners:
        runner.release()
    assert wait_gone([r.pid for r in runners if getattr(r, "pid", None)]) == []


def _thread(made, slots, experiment=None, knobs=None, **options) -> Runner:
    runner = Runner(experiment or ToyExperiment(SMALL), knobs or Knobs(), slots=slots, **options)
    made.append(runner)
    return runner


def _process(made, slots, experiment=None, knobs=None, **options) -> RemoteRunner:
    runner = RemoteRunner(experiment or ToyExperiment(SMALL), knobs or Knobs(), transport_factory=ProcessTransport,
                          slots=slots, **options)
    made.append(runner)
    return runner


@pytest.mark.parametrize("make", [_thread, _process], ids=["thread", "process"])
def test_step_under_a_full_cap_is_refused_with_plays_words_and_takes_the_slot_when_free(made, make):
    slots = TrainingSlots(1)
    slots.acquire("someone else's run")
    runner = make(made, slots)
    assert runner.wait_idle()
    for which in ("both", "d", "g"):
        with pytest.raises(CapacityError, match="already training 1 run"):
            runner.step(which)
    assert runner.wait_idle() and runner.snapshot().step == 0 and slots.in_use == 1
    slots.release("someone else's run")
    runner.step("both", count=3)
    assert runner.wait_idle(30)
    assert runner.snapshot().step == 3
    wait_until(lambda: slots.in_use == 0, timeout=10)  # the step's slot went back when it was done
    runner.play()  # a playing run holds its own slot; Step does not ask for another
    runner.step("d")
    assert slots.in_use == 1
    runner.pause()
    wait_until(lambda: slots.in_use == 0, timeout=10)


@pytest.mark.parametrize("make", [_thread, _process], ids=["thread", "process"])
def test_a_run_over_its_memory_budget_is_refused_before_it_computes(made, make):
    slots = TrainingSlots(2)
    runner = make(made, slots, ImageExperiment(IMAGES, _images()), Knobs(batch_size=4096), memory_budget=2**30)
    assert runner.wait_idle(60)
    for act in (runner.play, runner.step):
        with pytest.raises(OverBudgetError, match=r"batch size 4,096, width 64: about .* allows 1.0 GB per run"):
            act()
    assert runner.state == RunState.PAUSED and slots.in_use == 0 and runner.snapshot().step == 0
    runner.set_knobs(Knobs(batch_size=16))
    runner.step()
    assert runner.wait_idle(60) and runner.snapshot().step == 1


def test_a_fresh_run_over_its_budget_is_not_drawn_in_the_server_and_says_why(made, monkeypatch):
    """A process run's step-0 preview is drawn by a thread in the server: one over the budget
    would cost the server what the budget is there to stop (a crafted link: 570 MB, 6 s)."""
    import ganlab.training.runner as runner_module

    built: list = []
    real = runner_module.Runner
    monkeypatch.setattr(runner_module, "Runner", lambda *a, **k: built.append(1) or real(*a, **k))
    runner = _process(made, None, ImageExperiment(IMAGES, _images()), Knobs(batch_size=4096), memory_budget=2**30)
    snap = runner.snapshot(want_view=True, wait_for_view=30)
    assert (snap.state, snap.step, snap.view, built) == (RunState.PAUSED, 0, None, [])
    assert snap.message is not None and "would need too much memory" in snap.message
    runner.set_knobs(Knobs(batch_size=16))  # fits now: its step 0 is drawn as usual
    snap = runner.snapshot(want_view=True, wait_for_view=30)
    assert built == [1] and snap.view is not None and snap.message is None
    assert runner.pid is None  # still no trainer process: nothing trained


def test_a_worker_over_its_memory_limit_ends_its_run_with_a_message_and_the_server_goes_on(made, monkeypatch):
    bystander = _process(made, None)
    bystander.play()
    monkeypatch.setattr("ganlab.training.run_guard.check_memory", lambda *a: None)  # as if the estimate were wrong
    runner = _process(made, TrainingSlots(2), ImageExperiment(IMAGES, _images()), Knobs(batch_size=16),
                      memory_budget=64 * 2**20)
    assert runner.wait_idle(60)
    runner.set_knobs(Knobs(batch_size=4096))  # ~1.9 GB of activations; the worker may use 64 MB (+ slack)
    runner.step()
    wait_until(lambda: runner.snapshot().state == RunState.ERROR, timeout=60)
    snap = runner.snapshot()
    assert "needed more memory than this server allows a run" in snap.message
    assert "Traceback" not in snap.message and "/" not in snap.message.split("(")[1]
    assert not snap.worker_lost  # the worker lives on: Reset trains again, with a smaller batch
    runner.set_knobs(Knobs(batch_size=16))
    runner.reset()
    runner.step()
    assert runner.wait_idle(60) and runner.snapshot().step == 1 and runner.state == RunState.PAUSED
    assert bystander.state == RunState.RUNNING and os.getpid()  # the server (this process) and the other run go on
    start = bystander.snapshot(with_history=False).step
    wait_until(lambda: bystander.snapshot(with_history=False).step > start, timeout=30)


@pytest.mark.parametrize("make", [_thread, _process], ids=["thread", "process"])
def test_a_larger_batch_while_playing_pauses_the_run_with_the_reason(made, make):
    slots = TrainingSlots(2)
    runner = make(made, slots, ImageExperiment(IMAGES, _images()), Knobs(batch_size=16), memory_budget=2**30)
    runner.play()
    wait_until(lambda: runner.snapshot(with_history=False).step >= 2, timeout=60)
    runner.set_knobs(Knobs(batch_size=32))  # fits: nothing happens
    with pytest.raises(OverBudgetError, match="batch size 4,096"):
        runner.set_knobs(Knobs(batch_size=4096))
    assert runner.wait_idle(60)
    snap = runner.snapshot()
    assert snap.state == RunState.PAUSED and snap.knobs.batch_size == 4096  # the widgets and the run agree
    wait_until(lambda: slots.in_use == 0, timeout=10)
    with pytest.raises(OverBudgetError):
        runner.play()


@pytest.mark.parametrize("make", [_thread, _process], ids=["thread", "process"])
def test_a_slow_motion_step_takes_a_slot_too(made, make):
    slots = TrainingSlots(1)
    runner = make(made, slots)
    assert runner.wait_idle(30)
    slots.acquire("someone else's run")
    with pytest.raises(CapacityError, match="already training 1 run"):
        runner.step_traced()
    assert runner.snapshot().step == 0
    slots.release("someone else's run")
    trace = runner.step_traced()
    assert trace is not None and runner.snapshot().step == 1 and slots.in_use == 0
