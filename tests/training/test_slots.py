import os
import threading

import pytest

from ganlab.training.slots import ENV_MAX_TRAINING, CapacityError, TrainingSlots, max_training_from_env, usable_cores

CORES = len(os.sched_getaffinity(0))


def test_limit_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        TrainingSlots(0)


def test_acquire_release_and_in_use():
    slots = TrainingSlots(2)
    assert slots.in_use == 0
    slots.acquire("a")
    slots.acquire("a")  # idempotent: the same holder takes one slot
    assert slots.in_use == 1
    slots.acquire("b")
    assert slots.in_use == 2
    with pytest.raises(CapacityError, match=r"already training 2 run\(s\).*" + ENV_MAX_TRAINING):
        slots.acquire("c")
    assert slots.in_use == 2
    slots.acquire("b")  # a holder re-acquiring at capacity is fine
    slots.release("a")
    assert slots.in_use == 1
    slots.acquire("c")
    assert slots.in_use == 2
    slots.release("zzz")  # releasing a non-holder is a no-op
    slots.release("c")
    slots.release("c")
    assert slots.in_use == 1


def test_capacity_error_is_a_runtime_error():
    assert issubclass(CapacityError, RuntimeError)


def test_concurrent_acquire_never_exceeds_limit():
    slots = TrainingSlots(3)
    barrier = threading.Barrier(16)
    won, lost = [], []

    def grab(i):
        barrier.wait()
        try:
            slots.acquire(f"h{i}")
            won.append(i)
        except CapacityError:
            lost.append(i)

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert (len(won), len(lost), slots.in_use) == (3, 13, 3)


@pytest.mark.parametrize("raw, expected", [("7", 7), ("1", 1), ("0", CORES), ("-3", CORES), ("many", CORES), ("", CORES)])
def test_max_training_from_env_defaults_to_the_usable_cores(monkeypatch, raw, expected):
    monkeypatch.setenv(ENV_MAX_TRAINING, raw)
    assert max_training_from_env() == expected


def test_max_training_from_env_unset_uses_given_default(monkeypatch):
    monkeypatch.delenv(ENV_MAX_TRAINING, raising=False)
    assert max_training_from_env() == usable_cores() == CORES
    assert max_training_from_env(default=9) == 9


def test_usable_cores_follow_the_affinity_mask():
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(before)})
        assert usable_cores() == 1
    finally:
        os.sched_setaffinity(0, before)
    assert usable_cores() == len(before)


def test_the_queue_grants_slots_in_order_as_they_free():
    slots = TrainingSlots(1)
    started = []
    assert slots.request("a", lambda: started.append("a"))
    assert not slots.request("b", lambda: started.append("b"))
    assert not slots.request("c", lambda: started.append("c"))
    assert not slots.request("b", lambda: started.append("b-again"))  # asking again keeps the place
    assert (slots.position("b"), slots.position("c"), slots.position("a")) == (1, 2, None)
    with pytest.raises(CapacityError):  # no jumping the line
        slots.acquire("d")
    slots.release("a")
    assert started == ["b"] and slots.holds("b") and slots.position("c") == 1
    slots.release("c")  # c leaves the line: nothing is granted
    assert started == ["b"] and slots.waiting == 0
    slots.release("b")
    assert started == ["b"] and slots.in_use == 0


def test_a_failing_grant_callback_does_not_block_the_next():
    slots = TrainingSlots(2)
    slots.acquire("x")
    slots.acquire("y")
    got = []

    def broken():
        raise RuntimeError("the queued run's trainer is gone")

    slots.request("b", broken)
    slots.request("c", lambda: got.append("c"))
    slots.release("x")
    slots.release("y")
    assert got == ["c"] and slots.holds("b") and slots.holds("c")
