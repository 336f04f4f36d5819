"""Imported once by the trainer forkserver, before it forks any worker: torch and the training
code are then shared by every trainer process (copy-on-write pages) instead of costing each
one ~500 MiB and a few seconds to import."""

import gc

import torch  # noqa: F401

import ganlab.kinds.image_experiment  # noqa: F401
import ganlab.kinds.toy_experiment  # noqa: F401
import ganlab.runs.state  # noqa: F401
import ganlab.training.trainer_host  # noqa: F401
import ganlab.training.worker_process  # noqa: F401

# Objects made so far live for the server's lifetime: keep the collector off their pages, so
# a worker does not copy them all the first time it collects.
gc.freeze()
