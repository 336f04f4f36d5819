"""The trainer's events reach the server even when an answer is lost: a trainer that was
stopped for longer than the poll waits (SIGSTOP, a swapping machine) and then goes on sends
what that answer held again, so a run that stopped by itself gives its training slot back."""

from __future__ import annotations

import pytest

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import Knobs, ToyStructure
from ganlab.training.channel import NoAnswerError
from ganlab.training.remote_runner import RemoteRunner
from ganlab.training.runner_state import RunState
from ganlab.training.slots import TrainingSlots
from ganlab.training.trainer_host import TrainerHost
from ganlab.training.worker_process import ProcessTransport, wait_gone
from tests.conftest import wait_until
from tests.trainer_probes import break_training

SMALL = ToyStructure.from_dict({"generator": {"width": 16, "hidden_layers": 1},
                                "discriminator": {"width": 16, "hidden_layers": 1}})


def test_an_event_is_sent_until_a_later_poll_says_it_was_seen():
    host = TrainerHost(ToyExperiment(SMALL), Knobs())
    try:
        host._post(("stopped", 1))
        host._post(("stopped", 2))
        first = host.next_events(0.1)
        assert [event for _, event in first] == [("stopped", 1), ("stopped", 2)]
        assert host.next_events(0.1) == first  # that answer never arrived: the same again
        assert host.next_events(0.1, seen=first[0][0]) == first[1:]
        assert host.next_events(0.05, seen=first[1][0]) == []  # all seen: the poll waits and gets nothing
        host._post(("stopped", 3))
        assert host.next_events(0.1, seen=first[1][0]) == [(first[1][0] + 1, ("stopped", 3))]
    finally:
        host.runner.release()


class LosesOneStop(ProcessTransport):
    """A channel that loses the first answer carrying a "stopped" event, as a poll that timed out
    while its trainer was stopped does."""

    lost: list = []

    def call(self, name, *args, timeout=30.0, **kwargs):
        answer = super().call(name, *args, timeout=timeout, **kwargs)
        if name == "next_events" and not self.lost:
            events = [item[1] if isinstance(item[0], int) else item for item in answer]
            if any(event[0] == "stopped" for event in events):
                self.lost.append(answer)
                raise NoAnswerError("the trainer did not answer 'next_events' (the test lost it)")
        return answer


@pytest.fixture
def runner():
    LosesOneStop.lost = []
    made = RemoteRunner(ToyExperiment(SMALL), Knobs(), transport_factory=LosesOneStop, slots=TrainingSlots(1))
    yield made
    made.release()
    assert wait_gone([made.pid] if made.pid else []) == []


def test_a_diverged_run_gives_its_slot_back_though_the_answer_saying_so_was_lost(runner):
    slots = runner._slots
    break_training(runner, "nan-d")
    runner.play()
    wait_until(lambda: runner.state == RunState.DIVERGED, timeout=30)
    wait_until(lambda: bool(LosesOneStop.lost), timeout=30)
    wait_until(lambda: slots.in_use == 0, timeout=30)  # the next poll got the "stopped" again
    assert slots.request("someone else", lambda: None)  # the freed slot is usable: another Play starts at once
    slots.release("someone else")
