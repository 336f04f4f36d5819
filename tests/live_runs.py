"""Live runs with each net option, trained on a thread or in a real trainer process: what the
tests of every page that pulls nets out of a live run (Latent page, Ask the discriminator, the
quality panel) run against (issue 22.3: spectral-norm nets could not leave a trainer process)."""

from __future__ import annotations

import torch

from ganlab.data.images import ImageDataset
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.settings.config import ImageStructure, Knobs
from ganlab.training.remote_runner import RemoteRunner
from ganlab.training.runner import Runner
from ganlab.training.worker_process import ProcessTransport

TRAINERS = ("thread", "process")
# Each net option the image page offers, on tiny nets; "fast start" is the default preset's nets
# (spectral norm in D, batch norm in G, the extra conv and an EMA generator) at width 8.
NET_OPTIONS = {
    "spectral norm": {"d_spectral_norm": True},
    "batch norm": {"g_batch_norm": True, "d_batch_norm": True, "d_spectral_norm": False},
    "conditional": {"conditional": True, "d_spectral_norm": True},
    "EMA": {"ema_decay": 0.9, "d_spectral_norm": True},
    "fast start": {"g_batch_norm": True, "d_spectral_norm": True, "extra_conv": True, "ema_decay": 0.999},
}


def tiny_dataset() -> ImageDataset:
    """60 random 28x28 images of 3 classes."""
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(60, 1, 28, 28, generator=g) * 255).to(torch.uint8)
    return ImageDataset(images, torch.arange(60) % 3, name="tiny", class_names=["zero", "one", "two"])


def image_experiment(option: str) -> ImageExperiment:
    base = {"dataset": "tiny", "noise_dim": 8, "width": 8, "g_batch_norm": False, "d_batch_norm": False,
            "d_spectral_norm": False, "conditional": False, "num_classes": 3, "ema_decay": 0.0}
    return ImageExperiment(ImageStructure(**(base | NET_OPTIONS[option])), tiny_dataset())


def make_live_runner(trainer: str, experiment, slots=None) -> Runner | RemoteRunner:
    """A runner training `experiment` on a thread of this process, or in a worker process."""
    knobs = Knobs(batch_size=8)
    if trainer == "thread":
        return Runner(experiment, knobs, slots=slots)
    return RemoteRunner(experiment, knobs, slots=slots, transport_factory=ProcessTransport)
