"""A crowded server keeps its pages: trainer processes step back (further the more crowded) while
more runs train than there are cores, and return to the server's priority when the room is small again."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.training.crowding import crowded_niceness, set_process_niceness
from ganlab.training.remote_runner import RemoteRunner
from ganlab.training.slots import TrainingSlots
from ganlab.training.worker_process import ProcessTransport, wait_gone
from tests.conftest import wait_until

SMALL = ToyStructure(generator=MLPShape(1, 8), discriminator=MLPShape(1, 8))
CAN_RAISE = os.geteuid() == 0  # only a privileged process may lower a niceness again
SERVER_NICE = os.getpriority(os.PRIO_PROCESS, 0)
TWO_ON_ONE_CORE = SERVER_NICE + 3  # log(2 runs / 1 core) / log(1.25) = 3.1

TWO_THREADS = "import threading, time; threading.Thread(target=time.sleep, args=(60,)).start(); time.sleep(60)"


def niceness_of_every_thread(pid: int) -> set[int]:
    found = set()
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            found.add(int(f.read().rsplit(")", 1)[1].split()[16]))  # field 19: nice
    return found


@pytest.fixture
def sleeper():
    procs: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", TWO_THREADS])
        procs.append(proc)
        wait_until(lambda: len(os.listdir(f"/proc/{proc.pid}/task")) >= 2, timeout=10)
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait(5)


def test_every_thread_of_a_process_is_niced_not_only_its_main_one(sleeper):
    proc = sleeper()
    assert set_process_niceness(proc.pid, SERVER_NICE + 5)
    assert niceness_of_every_thread(proc.pid) == {SERVER_NICE + 5}


@pytest.mark.parametrize("training, cores, nice", [
    (1, 2, 0), (2, 2, 0),  # a core per run: full priority
    (3, 2, 2),    # 1.5x crowded: log(1.5)/log(1.25) = 1.82
    (2, 1, 3),    # 2x: 3.11
    (30, 2, 12),  # 15x: 12.14; 30 trainers weigh 30 * 1024/1.25**12 = 2110, about 2 cores' 2048
    (16, 16, 0), (40, 16, 4),  # 2.5x: 4.11
    (10_000, 1, 19),  # the kernel's last niceness
])
def test_crowded_niceness_gives_the_room_the_weight_of_one_run_per_core(training, cores, nice):
    assert crowded_niceness(training, cores) == nice


def test_more_runs_than_cores_step_back_and_return_when_one_leaves(sleeper):
    class Run:
        def __init__(self) -> None:
            self.pid = sleeper().pid

    slots = TrainingSlots(cores=1)
    a, b = Run(), Run()
    slots.track_process("a", a)
    slots.track_process("b", b)
    slots.acquire("a")
    assert niceness_of_every_thread(a.pid) == {SERVER_NICE}  # one run per core: full priority
    slots.acquire("b")
    assert niceness_of_every_thread(a.pid) == niceness_of_every_thread(b.pid) == {TWO_ON_ONE_CORE}
    slots.release("a")
    assert niceness_of_every_thread(b.pid) == ({SERVER_NICE} if CAN_RAISE else {TWO_ON_ONE_CORE})
    slots.release("b")


def test_a_process_that_is_not_this_servers_is_left_alone(sleeper):
    class Run:
        def __init__(self, pid: int) -> None:
            self.pid = pid

    elsewhere = Run(1)  # a Ray actor's pid names a process on its own machine; here, init's
    ours = Run(sleeper().pid)  # held here: the slots keep only a weak reference to a run
    before = os.getpriority(os.PRIO_PROCESS, 1)
    slots = TrainingSlots(cores=1)
    slots.track_process("a", elsewhere)
    slots.track_process("b", ours)
    slots.acquire("a")
    slots.acquire("b")  # crowded: two runs on one core
    assert os.getpriority(os.PRIO_PROCESS, 1) == before
    assert niceness_of_every_thread(ours.pid) == {TWO_ON_ONE_CORE}


def test_real_trainers_step_back_while_crowded_and_a_queued_start_follows():
    slots = TrainingSlots(cores=1)
    runners = [RemoteRunner(ToyExperiment(SMALL), Knobs(), transport_factory=ProcessTransport, slots=slots)
               for _ in range(2)]
    try:
        first, second = runners
        first.play()
        wait_until(lambda: first.snapshot(with_history=False).step >= 1, timeout=30)
        assert niceness_of_every_thread(first.pid) == {SERVER_NICE}
        second.play()  # its process starts after the room became crowded: it steps back too
        wait_until(lambda: second.snapshot(with_history=False).step >= 1, timeout=30)
        assert niceness_of_every_thread(first.pid) == niceness_of_every_thread(second.pid) == {TWO_ON_ONE_CORE}
        first.pause()
        if CAN_RAISE:
            assert niceness_of_every_thread(second.pid) == {SERVER_NICE}
    finally:
        pids = [r.pid for r in runners if r.pid]
        for runner in runners:
            runner.release()
        assert wait_gone(pids) == []
