"""Trainers as Ray actors, for a workshop that outgrows one machine (`GANLAB_RAY_ADDRESS`: e.g.
`auto` on a node of the cluster, or `ray://head:10001`). Each run is one actor holding one CPU
(image runs also a GPU where the cluster has one); the app server stays the driver, so saved
runs land in its runs folder. Ray itself is imported only when the variable is set: without it
nothing about Ray is loaded. Ray is the optional `cluster` extra (`pip install -e ".[cluster]"`).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from ganlab.kinds import kind_of
from ganlab.training.channel import NoAnswerError, WorkerLostError

log = logging.getLogger(__name__)

ENV_RAY_ADDRESS = "GANLAB_RAY_ADDRESS"  # where the cluster is; set, runs train as Ray actors

ACTOR_CONCURRENCY = 16  # a long poll for events and a snapshot waiting for a view run side by side
_lock = threading.Lock()
_actor_class = None


def connect() -> None:
    """Join the cluster named by GANLAB_RAY_ADDRESS (once per server; a test may have started
    a local Ray already, which is then used)."""
    try:
        import ray
    except ImportError as exc:
        raise RuntimeError("GANLAB_RAY_ADDRESS is set but Ray is not installed: "
                           "pip install -e \".[cluster]\"") from exc
    with _lock:
        if not ray.is_initialized():
            ray.init(address=os.environ.get(ENV_RAY_ADDRESS) or "auto", namespace="ganlab",
                     log_to_driver=False, ignore_reinit_error=True)


def _trainer_actor() -> Any:
    global _actor_class
    import ray

    with _lock:
        if _actor_class is None:
            _actor_class = ray.remote(max_concurrency=ACTOR_CONCURRENCY)(RayTrainerHost)
        return _actor_class


class RayTrainerHost:
    """The TrainerHost inside a Ray actor (it sets up the process the way a worker process does)."""

    def __init__(self, experiment: Any, knobs: Any, seq: int, options: dict) -> None:
        import torch

        from ganlab.training.trainer_host import TrainerHost

        torch.set_flush_denormal(True)
        torch.set_num_threads(1)
        options = {k: v for k, v in options.items() if k != "memory_limit"}  # a Ray actor's memory is Ray's to limit
        self.host = TrainerHost(experiment, knobs, seq, **options)

    def device(self) -> str:
        return str(getattr(self.host.runner.experiment, "device", "cpu"))

    def pid(self) -> int:
        return os.getpid()

    def invoke(self, name: str, *args: Any) -> Any:
        from ganlab.training.trainer_host import CALLS

        if name not in CALLS:
            raise KeyError(name)
        return getattr(self.host, name)(*args)


class RayTransport:
    """One trainer actor; the same calls as a worker process's transport."""

    def __init__(self, name: str = "trainer") -> None:
        connect()
        self.name = name
        self.actor = None
        self.pid = None
        self._lost = False

    @property
    def lost(self) -> bool:
        return self._lost

    def call(self, name: str, *args: Any, timeout: float = 30.0) -> Any:
        if name == "open":
            return self._open(*args, timeout=timeout)
        if self.actor is None or self._lost:
            raise WorkerLostError("the trainer actor is gone")
        ref = self.actor.invoke.remote(name, *args)
        return self._get(ref, name, timeout)

    def _open(self, experiment: Any, knobs: Any, seq: int, options: dict, timeout: float) -> str:
        import ray

        gpus = 1 if kind_of(experiment).uses_accelerator and ray.cluster_resources().get("GPU", 0) >= 1 else 0
        self.actor = _trainer_actor().options(num_cpus=1, num_gpus=gpus, name=None).remote(
            experiment, knobs, seq, options)
        self.pid = self._get(self.actor.pid.remote(), "open", timeout)
        return self._get(self.actor.device.remote(), "open", timeout)

    def _get(self, ref: Any, name: str, timeout: float) -> Any:
        import ray
        from ray import exceptions as rex

        try:
            return ray.get(ref, timeout=timeout)
        except rex.GetTimeoutError:
            raise NoAnswerError(f"the trainer did not answer {name!r} within {timeout:g} s") from None
        except (rex.RayActorError, rex.ActorUnavailableError) as exc:
            self._lost = True
            raise WorkerLostError("the trainer actor is gone") from exc
        except rex.RayTaskError as exc:  # the trainer's own exception, raised here as itself
            cause = getattr(exc, "cause", None)
            if isinstance(cause, BaseException):
                raise cause from None
            raise

    def close(self, timeout: float = 5.0) -> None:
        import ray

        if self.actor is None:
            return
        if not self._lost:
            try:
                ray.get(self.actor.invoke.remote("release"), timeout=min(timeout, 2.0))
            except Exception:  # gone already: killing it below is all that is left
                pass
        self._lost = True
        try:
            ray.kill(self.actor)
        except Exception:
            log.exception("stopping a trainer actor failed")
        self.actor = None
