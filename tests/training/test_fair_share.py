"""A fair share of the server: every run that asks trains (the cores are shared), up to the
memory the server has for training; beyond it runs wait in line in their order, and a run that
could never fit is refused with a message that says what to lower."""

from __future__ import annotations

import time

import pytest

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.training import memory_budget
from ganlab.training.registry import RunnerRegistry
from ganlab.training.remote_runner import RemoteRunner
from ganlab.training.run_guard import check_memory, server_slots
from ganlab.training.runner import Runner, RunState
from ganlab.training.slots import ENV_MAX_TRAINING, CapacityError, TrainingSlots, usable_cores
from tests.conftest import wait_until

pytestmark = pytest.mark.usefixtures("release_runners")

STRUCTURE = ToyStructure(data="ring", noise_dim=2, generator=MLPShape(2, 16), discriminator=MLPShape(2, 16), seed=0)
KNOBS = Knobs(batch_size=32)
BUDGET = 2**30
MIB = 2**20


def need() -> int:
    """What one of these runs takes from the server's memory for training."""
    return check_memory(ToyExperiment(STRUCTURE), KNOBS, BUDGET)


def thread_runner(slots: TrainingSlots) -> Runner:
    runner = Runner(ToyExperiment(STRUCTURE), KNOBS, slots=slots, memory_budget=BUDGET)
    assert runner.wait_idle()
    return runner


def test_a_run_takes_its_estimate_and_its_process_from_the_memory_for_training():
    estimate = memory_budget.estimate(STRUCTURE, KNOBS).total
    assert need() == estimate + memory_budget.RUN_OVERHEAD
    assert check_memory(ToyExperiment(STRUCTURE), KNOBS, None) == 0  # no budget (the command line): not counted


def test_five_runs_on_two_cores_all_train_when_the_memory_fits_them():
    slots = TrainingSlots(None, memory=5 * need(), cores=2)
    runners = [thread_runner(slots) for _ in range(5)]
    for runner in runners:
        runner.play()
    assert [r.state for r in runners] == [RunState.RUNNING] * 5
    assert (slots.in_use, slots.waiting, slots.memory_in_use) == (5, 0, 5 * need())
    for runner in runners:
        wait_until(lambda runner=runner: runner.snapshot().step >= 1, timeout=30)


def test_beyond_the_memory_runs_wait_in_line_in_their_order_and_none_overtakes():
    slots = TrainingSlots(None, memory=100, cores=2)
    granted = []
    assert slots.request("a", lambda: granted.append("a"), 40)
    assert slots.request("b", lambda: granted.append("b"), 40)
    assert not slots.request("big", lambda: granted.append("big"), 60)  # 80 + 60 > 100: in line
    assert not slots.request("small", lambda: granted.append("small"), 10)  # would fit, but "big" is first
    with pytest.raises(CapacityError, match="memory for training is taken by the 2 runs"):
        slots.acquire("a step", 5)  # no jumping the line either
    assert (slots.position("big"), slots.position("small")) == (1, 2)
    slots.release("a")  # 40 + 60 fits; then 100 + 10 does not
    assert granted == ["big"] and slots.position("small") == 1
    slots.release("b")
    assert granted == ["big", "small"] and (slots.in_use, slots.memory_in_use, slots.waiting) == (2, 70, 0)


def test_the_hosts_cap_still_queues_beyond_it():
    slots = TrainingSlots(2, memory=10**12, cores=2)
    started = []
    results = [slots.request(f"r{i}", lambda i=i: started.append(i), 1) for i in range(5)]
    assert results == [True, True, False, False, False]
    assert "trains 2 runs at once" in slots.waiting_reason()
    for holder in ("r0", "r1", "r2", "r3"):  # each pause lets exactly the next one in
        slots.release(holder)
    assert started == [2, 3, 4] and slots.in_use == 1


def test_a_run_over_the_servers_memory_is_refused_with_what_to_lower_and_never_queued():
    slots = TrainingSlots(None, memory=need() - 1, cores=2)
    runner = thread_runner(slots)
    with pytest.raises(CapacityError, match=r"would need about \d+ MB of memory to train.*lower the batch size"):
        runner.play()
    assert runner.state == RunState.PAUSED and (slots.in_use, slots.waiting) == (0, 0)
    with pytest.raises(CapacityError, match="lower the batch size"):
        runner.step()


def test_a_remote_run_over_the_servers_memory_is_refused_before_any_trainer_starts():
    def no_trainer(name):
        raise AssertionError("a refused run must not start a trainer")

    slots = TrainingSlots(None, memory=need() - 1, cores=2)
    runner = RemoteRunner(ToyExperiment(STRUCTURE), KNOBS, transport_factory=no_trainer, slots=slots,
                          memory_budget=BUDGET)
    try:
        with pytest.raises(CapacityError, match="lower the batch size"):
            runner.play()
        assert runner.state == RunState.PAUSED and slots.waiting == 0 and not runner._wants_play
    finally:
        runner.release()


def test_step_while_others_train_takes_its_room_and_gives_it_back():
    slots = TrainingSlots(None, memory=4 * need(), cores=2)
    playing = [thread_runner(slots) for _ in range(3)]
    for runner in playing:
        runner.play()
    stepper = thread_runner(slots)
    stepper.step()
    assert stepper.wait_idle(30) and stepper.snapshot().step == 1 and stepper.state == RunState.PAUSED
    wait_until(lambda: slots.in_use == 3)  # the step's room went back once it was done
    assert all(r.state == RunState.RUNNING for r in playing)


def test_pause_and_release_give_the_share_back():
    slots = TrainingSlots(None, memory=10 * need(), cores=2)
    registry = RunnerRegistry(slots)
    runners = [registry.create(f"participant-{i}", thread_runner) for i in range(3)]
    for _, runner in runners:
        runner.play()
    assert slots.in_use == 3
    runners[0][1].pause()
    assert slots.in_use == 2 and slots.memory_in_use == 2 * need()
    registry.release(runners[1][0])  # a tab closed and its run was released
    assert slots.in_use == 1 and slots.holds(runners[2][1].id)
    registry.shutdown()
    assert (slots.in_use, slots.memory_in_use) == (0, 0)


def test_the_servers_slots_for_processes_and_threads_cap_by_memory_only(monkeypatch):
    monkeypatch.delenv(ENV_MAX_TRAINING, raising=False)
    monkeypatch.setattr(memory_budget, "available_memory", lambda: 8 * 2**30)
    for trainers in ("process", "thread"):
        slots = server_slots(trainers)
        assert (slots.limit, slots.memory, slots.cores) == (None, 6 * 2**30, usable_cores())
    monkeypatch.setenv(ENV_MAX_TRAINING, "12")
    assert server_slots("process").limit == 12  # the host's cap, beside the memory


def test_ray_keeps_a_count_cap_one_cpu_per_actor(monkeypatch):
    monkeypatch.delenv(ENV_MAX_TRAINING, raising=False)
    slots = server_slots("ray")
    assert (slots.limit, slots.cores, slots.memory) == (usable_cores(), usable_cores(), None)
    monkeypatch.setenv(ENV_MAX_TRAINING, "32")
    slots = server_slots("ray")
    assert (slots.limit, slots.cores) == (32, 32)  # every actor a CPU of its own: full speed each


class RecordsTimeouts:
    """A trainer's transport that answers every call at once and notes the patience it was given."""

    def __init__(self, name):
        self.timeouts, self.pid, self.lost = {}, None, False

    def call(self, name, *args, timeout=30.0):
        self.timeouts[name] = timeout
        if name == "next_events":  # the background poll: nothing happened (its wait, shortened)
            time.sleep(0.05)
            return []
        return {"open": "cpu", "wait_idle": True, "play": RunState.RUNNING}.get(name)

    def close(self, timeout=5.0):
        pass


def test_a_trainer_sharing_its_core_is_given_its_share_of_patience_before_it_counts_as_hung():
    from ganlab.training.remote_trainer_life import MAX_PATIENCE, QUICK_S

    slots = TrainingSlots(None, cores=2)
    runner = RemoteRunner(ToyExperiment(STRUCTURE), KNOBS, transport_factory=RecordsTimeouts, slots=slots)
    try:
        runner.play()  # alone: a core of its own, the usual patience
        transport = runner._transport
        runner.set_knobs(KNOBS)
        assert transport.timeouts["set_knobs"] == QUICK_S
        for i in range(9):
            slots.acquire(f"participant-{i}")  # 10 runs on 2 cores: 1/5 of a core each, 5 times slower
        runner.set_knobs(KNOBS)
        assert transport.timeouts["set_knobs"] == 5 * QUICK_S
        for i in range(9, 99):
            slots.acquire(f"participant-{i}")  # 100 runs: the patience stops growing at MAX_PATIENCE
        runner.set_knobs(KNOBS)
        assert transport.timeouts["set_knobs"] == MAX_PATIENCE * QUICK_S == 15 * QUICK_S
        assert not runner.hung
    finally:
        runner.release()
