"""Runner ownership: re-attach after refresh, no hijacking by copied links, release after a grace period."""

from __future__ import annotations

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.training.registry import RunnerRegistry
from ganlab.training.runner import Runner, RunState
from ganlab.training.slots import TrainingSlots

TINY = ToyStructure(generator=MLPShape(1, 16), discriminator=MLPShape(1, 16))


class FakeWorld:
    """Controls which sessions are connected and what time it is."""

    def __init__(self) -> None:
        self.alive: set[str] = set()
        self.now = 0.0

    def registry(self, slots: int = 2, grace_s: float = 60.0) -> RunnerRegistry:
        return RunnerRegistry(TrainingSlots(slots), grace_s=grace_s, is_owner_alive=self.alive.__contains__,
                              clock=lambda: self.now)


def factory(slots: TrainingSlots) -> Runner:
    return Runner(ToyExperiment(TINY), Knobs(batch_size=16), slots=slots)


def test_refresh_reattaches_and_copied_link_does_not(release_runners):
    world = FakeWorld()
    registry = world.registry()
    world.alive.add("tab-1")
    token, runner = registry.create("tab-1", factory)
    # Another open tab with the same link gets nothing: it must not take over tab-1's run.
    world.alive.add("tab-2")
    assert registry.claim(token, "tab-2") is None
    # The owner itself always gets it back.
    assert registry.claim(token, "tab-1") is runner
    # Tab 1 refreshed: its old session is gone, the new one re-attaches.
    world.alive.discard("tab-1")
    world.alive.add("tab-1-reloaded")
    assert registry.claim(token, "tab-1-reloaded") is runner
    assert registry.claim("no-such-token", "tab-1-reloaded") is None
    registry.shutdown()


def test_orphaned_runner_released_after_grace_period(release_runners):
    world = FakeWorld()
    registry = world.registry(grace_s=60)
    world.alive.add("tab")
    token, runner = registry.create("tab", factory)
    runner.play()
    assert registry.slots.in_use == 1
    assert registry.sweep() == []
    world.alive.discard("tab")  # tab closed
    assert registry.sweep() == []  # orphaned now; the clock starts
    world.now = 59.0
    assert registry.sweep() == []
    assert runner.state == RunState.RUNNING
    world.now = 60.0
    assert registry.sweep() == [token]
    assert runner.state == RunState.RELEASED
    assert registry.slots.in_use == 0
    assert registry.get(token) is None and len(registry) == 0
    runner._thread.join(5)
    assert not runner.alive


def test_owner_coming_back_within_grace_keeps_the_runner(release_runners):
    world = FakeWorld()
    registry = world.registry(grace_s=60)
    world.alive.add("tab")
    token, runner = registry.create("tab", factory)
    world.alive.discard("tab")
    registry.sweep()
    world.now = 30.0
    world.alive.add("tab-reloaded")
    assert registry.claim(token, "tab-reloaded") is runner
    world.now = 1000.0
    assert registry.sweep() == []
    assert registry.get(token) is runner
    registry.shutdown()
    assert runner.state == RunState.RELEASED


def test_entries_number_participants_in_order_of_arrival_and_carry_their_labels(release_runners):
    world = FakeWorld()
    world.alive |= {"anna", "ben"}
    registry = world.registry()
    world.now = 1.0
    t1, anna_2d = registry.create("anna", factory)
    world.now = 2.0
    t2, ben_run = registry.create("ben", factory)
    world.now = 3.0
    t3, anna_images = registry.create("anna", factory)
    registry.label_owner("ben", {"lesson": "mode-collapse", "step": "2"})

    rows = registry.entries()
    assert [(e.participant, e.runner) for e in rows] == [(1, anna_2d), (2, ben_run), (1, anna_images)]
    assert [dict(e.labels) for e in rows] == [{}, {"lesson": "mode-collapse", "step": "2"}, {}]
    assert [e.created for e in rows] == [1.0, 2.0, 3.0]
    # token-free: nothing in an entry is a registry token
    tokens = {t1, t2, t3}
    assert not any(str(v) in tokens for e in rows for v in vars(e).values())


def test_a_refreshed_session_gets_a_new_number_and_closed_sessions_lose_their_labels(release_runners):
    world = FakeWorld()
    world.alive |= {"anna"}
    registry = world.registry(grace_s=60.0)
    token, runner = registry.create("anna", factory)
    registry.label_owner("anna", {"lesson": "what-d-sees", "step": "1"})
    world.alive.clear()  # the tab reloaded: a new session claims the run
    world.alive.add("anna-after-refresh")
    assert registry.claim(token, "anna-after-refresh") is runner
    registry.sweep()  # anna is gone and owns nothing: her labels go
    assert [(e.participant, dict(e.labels)) for e in registry.entries()] == [(2, {})]
