"""Shared test helpers: polling instead of sleeping, and cleanup of runner threads."""

from __future__ import annotations

import time
from typing import Callable

import pytest
import torch

# The test machine has few cores shared with other jobs; one intra-op thread keeps
# tiny-net tests fast and stops the runner threads from oversubscribing the CPU.
torch.set_num_threads(1)


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.01) -> object:
    """Poll `predicate` until it returns something truthy (returned); fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout} s: {getattr(predicate, '__name__', predicate)}")
        time.sleep(interval)


@pytest.fixture(name="wait_until")
def wait_until_fixture() -> Callable[..., object]:
    """The `wait_until(predicate, timeout=10.0)` helper, as a fixture."""
    return wait_until


@pytest.fixture
def release_runners(monkeypatch):
    """Track every Runner created during the test (subclasses included) and release it at
    teardown, so no training thread outlives its test. Yields the list of runners."""
    from ganlab.training.runner import Runner

    created: list[Runner] = []
    original_init = Runner.__init__

    def tracking_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        created.append(self)

    monkeypatch.setattr(Runner, "__init__", tracking_init)
    yield created
    for runner in created:
        runner.release(timeout=10.0)
    stuck = [r.id for r in created if r.alive]
    assert not stuck, f"runner threads still alive after release: {stuck}"


def save_trained_run(run_dir, experiment, batch_size: int = 8, steps: int = 2) -> None:
    """Train `experiment` a few steps and save it as a run in `run_dir` (page and browser tests)."""
    from ganlab.runs import RunWriter
    from ganlab.settings.config import Knobs
    from ganlab.training.runner import Runner

    runner = Runner(experiment, Knobs(batch_size=batch_size))
    try:
        runner.step("both", steps)
        assert runner.wait_idle(60)
        RunWriter(run_dir, experiment).save(runner.export_state())
    finally:
        runner.release()
