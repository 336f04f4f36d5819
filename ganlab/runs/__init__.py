"""Saved runs: the run directory format and reading it (store), writing it (writer), safe names
and atomic writes (paths), the training state as tensors + JSON (state), the runs catalogue (catalog) and pictures (render).

    from ganlab.runs import RunWriter, load_run, load_generator, list_runs, RunFormatError
"""

from ganlab.runs.catalog import RunSummary, delete_run, list_runs, rename_run, replay_gif
from ganlab.runs.state import TrainingState
from ganlab.runs.store import FORMAT_VERSION, build_experiment, load_generator, load_run, load_state, read_config
from ganlab.runs.writer import RunWriter
from ganlab.storage.paths import ENV_RUNS_DIR, RunFormatError, RunNameError, check_name, resolve_run, run_path, runs_root

__all__ = [
    "ENV_RUNS_DIR", "FORMAT_VERSION", "RunFormatError", "RunNameError", "RunSummary", "RunWriter", "TrainingState",
    "build_experiment", "check_name", "delete_run", "list_runs", "load_generator", "load_run", "load_state",
    "read_config", "rename_run", "replay_gif", "resolve_run", "run_path", "runs_root",
]
