"""SessionRuns: the one place that decides which runner a browser session owns per page key.
Plain dicts stand in for the session state and the URL; the runners are stand-ins (no training)."""

from __future__ import annotations

from ganlab.training.registry import RunnerRegistry
from ganlab.training.slots import TrainingSlots
from ganlab.ui.session import IMAGES, PLAYGROUND, RUNS, URL_TOKENS, SessionRuns


class StubRunner:
    def __init__(self) -> None:
        self.alive = True

    def release(self) -> None:
        self.alive = False


def world(alive: set[str]) -> RunnerRegistry:
    return RunnerRegistry(TrainingSlots(2), is_owner_alive=alive.__contains__)


def test_none_then_created_then_claimed_after_a_refresh_then_released():
    alive = {"tab-1"}
    registry = world(alive)
    first = SessionRuns(registry, "tab-1", {}, {})
    assert first.get(PLAYGROUND) is None and first.claim(PLAYGROUND) is None  # none yet
    runner = first.create(PLAYGROUND, lambda slots: StubRunner())
    token = first.token(PLAYGROUND)
    assert first.get(PLAYGROUND) is runner and first.params["run"] == token
    assert first.get(IMAGES) is None  # one runner per page key

    # Another open tab with the link takes nothing over; the refreshed tab (its old session gone) does.
    assert SessionRuns(registry, "tab-2", {}, {"run": token}).claim(PLAYGROUND) is None
    alive.discard("tab-1")
    refreshed = SessionRuns(registry, "tab-3", {}, {"run": token})
    assert refreshed.claim(PLAYGROUND) is runner and refreshed.token(PLAYGROUND) == token

    refreshed.release(PLAYGROUND)
    assert not runner.alive and refreshed.get(PLAYGROUND) is None and len(registry) == 0


def test_a_run_kept_under_another_page_key_is_claimed_from_its_own_url_name():
    registry = world({"tab-1"})
    runs = SessionRuns(registry, "tab-1", {}, {})
    runner = runs.create(IMAGES, lambda slots: StubRunner())
    elsewhere = SessionRuns(registry, "tab-1", {}, {URL_TOKENS[IMAGES]: runs.token(IMAGES)})
    assert elsewhere.live(IMAGES) is runner and elsewhere.live(PLAYGROUND) is None
    runner.release()  # its trainer is gone: the URL stops naming it
    assert elsewhere.live(IMAGES) is None and URL_TOKENS[IMAGES] not in elsewhere.params


def test_a_runner_made_without_a_url_name_and_replaced_under_the_same_key():
    registry = world({"tab-1"})
    runs = SessionRuns(registry, "tab-1", {}, {})
    old = runs.create(RUNS, lambda slots: StubRunner(), url_key=None)
    assert runs.params == {} and runs.get(RUNS) is old
    new = runs.create(RUNS, lambda slots: StubRunner(), url_key=None)
    assert runs.get(RUNS) is new and len(registry) == 2  # the old one is the reaper's once its owner goes
