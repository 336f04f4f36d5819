"""Where a run trains: its own process on this machine (the default), a Ray actor on a cluster
(`GANLAB_RAY_ADDRESS`), or a thread of the calling process (`GANLAB_TRAINERS=thread`: the
headless command, and the contrast the benchmarks measure). Pages call `make_runner` and
never need to know which."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from ganlab.settings.config import Knobs
from ganlab.training.ray_trainers import ENV_RAY_ADDRESS
from ganlab.training.trainer import Trainer

log = logging.getLogger(__name__)

ENV_TRAINERS = "GANLAB_TRAINERS"
KINDS = ("process", "thread", "ray")


def trainer_kind() -> str:
    """"ray" when GANLAB_RAY_ADDRESS is set, else GANLAB_TRAINERS ("process" unless "thread")."""
    if os.environ.get(ENV_RAY_ADDRESS, "").strip():
        return "ray"
    return "thread" if os.environ.get(ENV_TRAINERS, "").strip().lower() == "thread" else "process"


def make_runner(experiment: Any, knobs: Knobs, *, slots: Any = None, **options: Any) -> Trainer:
    """A trainer for `experiment` (a `Runner` or a `RemoteRunner`), training where `trainer_kind()` says."""
    from ganlab.training.run_guard import budget_for

    options.setdefault("memory_budget", budget_for(slots))  # the server's per-run memory budget
    kind = trainer_kind()
    if kind == "thread":
        from ganlab.training.runner import Runner

        return Runner(experiment, knobs, slots=slots, **options)
    from ganlab.training.remote_runner import RemoteRunner

    if kind == "ray":
        from ganlab.training.ray_trainers import RayTransport as factory
    else:
        from ganlab.training.worker_process import ProcessTransport as factory
    return RemoteRunner(experiment, knobs, slots=slots, transport_factory=factory, **options)


def server_training_slots() -> Any:
    """The app server's TrainingSlots for where its runs train (run_guard.server_slots)."""
    from ganlab.training.run_guard import server_slots

    return server_slots(trainer_kind())


def warm_up_trainers() -> None:
    """Get the trainers' host ready in the background (the forkserver imports torch; Ray connects)."""
    from ganlab.training.run_guard import warm_up as warm_up_estimates

    threading.Thread(target=warm_up_estimates, name="ganlab-estimates-warm-up", daemon=True).start()
    kind = trainer_kind()
    if kind == "thread":
        return
    if kind == "ray":
        from ganlab.training.ray_trainers import connect as target
    else:
        from ganlab.training.worker_process import warm_up as target

    def run() -> None:
        try:
            target()
        except Exception:  # the first Play reports it to the user
            log.exception("getting the %s trainers ready failed", kind)

    threading.Thread(target=run, name="ganlab-trainers-warm-up", daemon=True).start()
