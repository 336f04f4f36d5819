"""What a run must pass before it computes, on the app server's side: its memory estimate under
the server's per-run budget (ganlab.training.memory_budget), and room in the server's training
slots for a Step as for Play (one Step of a huge run costs as much as minutes of Play, so it
counts against the server's memory for training too). Shared by the thread `Runner` and the
`RemoteRunner`; `server_slots` makes the server's slots."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any, Iterator

from ganlab.settings.config import Knobs
from ganlab.training import memory_budget
from ganlab.training.slots import TrainingSlots, host_cap_from_env, max_training_from_env, usable_cores

log = logging.getLogger(__name__)

IDLE_POLL_S = 30.0  # a remote Step's slot: how long each wait for the trainer to finish lasts


def server_slots(trainers: str) -> TrainingSlots:
    """The training slots of an app server whose runs train as `trainers` (trainers.trainer_kind()).
    Processes and threads: every run trains (the cores are shared), up to the memory this machine
    has for training, and the host's GANLAB_MAX_TRAINING_RUNS if set. Ray: each actor holds one
    CPU of the cluster, so the cap is GANLAB_MAX_TRAINING_RUNS (default: this server's cores), each
    run at full speed; the cluster's memory is Ray's to manage."""
    if trainers == "ray":
        cap = max_training_from_env()
        return TrainingSlots(cap, cores=cap)
    return TrainingSlots(host_cap_from_env(), memory=memory_budget.training_memory(), cores=usable_cores())


def budget_for(slots: TrainingSlots | None) -> int | None:
    """The per-run memory budget of a server with these training slots (None without slots:
    the command line trains on the user's own machine)."""
    return None if slots is None else memory_budget.run_budget(slots.cores)


def check_memory(experiment: Any, knobs: Knobs, budget: int | None) -> int:
    """Raise OverBudgetError (a message for the user) when `experiment` trained with `knobs` needs
    more memory than `budget`; nothing is allocated to find out. Returns what the run takes from
    the server's memory for training (its estimate and its process), 0 without a budget."""
    if budget is None:
        return 0
    data = memory_budget.dataset_bytes(getattr(experiment, "dataset", None))
    need = memory_budget.check(experiment.structure, knobs, data, budget)
    return need.total + memory_budget.RUN_OVERHEAD


def over_budget(experiment: Any, knobs: Knobs, budget: int | None) -> str | None:
    """The refusal message of `check_memory`, or None when the run fits."""
    try:
        check_memory(experiment, knobs, budget)
    except memory_budget.OverBudgetError as err:
        return str(err)
    return None


def pause_if_over_budget(runner: Any, knobs: Knobs, playing: bool) -> None:
    """New knobs for a playing run that make it too big for its budget (a larger batch): the run
    pauses before its next step and OverBudgetError tells the user why (the knobs are kept, so
    the widgets and the run agree; Play is refused until they fit)."""
    message = over_budget(runner.experiment, knobs, runner.memory_budget) if playing else None
    if message is not None:
        runner.pause()
        raise memory_budget.OverBudgetError(message)


def warm_up() -> None:
    """Estimate two small runs once: the first estimate in a process imports PyTorch's meta-device
    kernels (seconds), which the server does at start rather than on someone's first Play."""
    from ganlab.settings.config import ImageStructure, ToyStructure

    for structure in (ToyStructure(), ImageStructure(width=8)):
        memory_budget.estimate(structure, Knobs(batch_size=8))


def take_step_slot(slots: TrainingSlots | None, runner_id: str, need: int = 0) -> str | None:
    """Room for one Step of a run that is not playing (`need`: its memory, see check_memory): its
    holder name, or None without slots. Raises CapacityError, with Play's words, when the server
    is full."""
    if slots is None:
        return None
    holder = f"{runner_id}/step"
    slots.acquire(holder, need)
    return holder


@contextlib.contextmanager
def held_step_slot(slots: TrainingSlots | None, runner_id: str, need: int = 0) -> Iterator[None]:
    """A Step's slot held while the block runs (a slow-motion step, which the caller waits for)."""
    holder = take_step_slot(slots, runner_id, need)
    try:
        yield
    finally:
        if holder is not None and slots is not None:  # a holder comes only from slots
            slots.release(holder)


def release_when_idle(runner: Any, slots: TrainingSlots | None, holder: str | None) -> None:
    """Give a remote Step's slot back once the trainer has finished its queued work (or is gone),
    from a daemon thread: the page does not wait for the step. Nothing to do without a holder."""
    if holder is None:
        return

    def wait() -> None:
        try:
            while not any(getattr(runner, flag, False) for flag in ("_released", "_lost", "hung")):  # hung: no wait
                try:
                    if runner.wait_idle(IDLE_POLL_S):
                        break
                except TimeoutError:
                    time.sleep(1.0)
        except Exception:  # a trainer that failed: its run shows it; the slot must still go back
            log.exception("%s: waiting for a step to finish failed", runner.id)
        finally:
            if slots is not None:  # a holder comes only from slots
                slots.release(holder)

    threading.Thread(target=wait, name=f"{runner.id}-step-slot", daemon=True).start()
