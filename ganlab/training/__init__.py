"""Where a run trains: the background runner (a thread), trainer processes and Ray actors, all
behind one `Trainer` Protocol. Pages import from here (this face) only, never a transport's module."""

from ganlab.training.memory_budget import OverBudgetError
from ganlab.training.quality_monitor import MonitorState, QualityMonitor, QualityResult, runner_sample_source
from ganlab.training.registry import DEFAULT_GRACE_S, RunEntry, RunnerRegistry
from ganlab.training.remote_trainer_life import TrainerStartError
from ganlab.training.resume import RunSaver, autosave_into, save_runner_as, saver_for, timeline_frames
from ganlab.training.runner_state import RunnerClosedError, RunState, Snapshot, TrainerUnavailable
from ganlab.training.slots import CapacityError, TrainingSlots, max_training_from_env, refresh_interval
from ganlab.training.trainer import Trainer
from ganlab.training.trainers import make_runner, server_training_slots, trainer_kind, warm_up_trainers

__all__ = [
    "DEFAULT_GRACE_S", "CapacityError", "MonitorState", "OverBudgetError", "QualityMonitor", "QualityResult", "RunState",
    "RunEntry", "RunSaver", "RunnerClosedError", "RunnerRegistry", "Snapshot", "Trainer", "TrainerStartError",
    "TrainerUnavailable",
    "TrainingSlots", "autosave_into", "make_runner", "max_training_from_env", "refresh_interval", "runner_sample_source",
    "save_runner_as", "saver_for", "server_training_slots",
    "timeline_frames", "trainer_kind",
    "warm_up_trainers",
]
