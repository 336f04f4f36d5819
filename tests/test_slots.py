import threading

import pytest

from ganlab.training.slots import DEFAULT_MAX_TRAINING, ENV_MAX_TRAINING, CapacityError, TrainingSlots, max_training_from_env


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


@pytest.mark.parametrize("raw, expected", [("7", 7), ("1", 1), ("0", DEFAULT_MAX_TRAINING), ("-3", DEFAULT_MAX_TRAINING),
                                           ("many", DEFAULT_MAX_TRAINING), ("", DEFAULT_MAX_TRAINING)])
def test_max_training_from_env(monkeypatch, raw, expected):
    monkeypatch.setenv(ENV_MAX_TRAINING, raw)
    assert max_training_from_env() == expected


def test_max_training_from_env_unset_uses_given_default(monkeypatch):
    monkeypatch.delenv(ENV_MAX_TRAINING, raising=False)
    assert max_training_from_env() == DEFAULT_MAX_TRAINING
    assert max_training_from_env(default=9) == 9
