"""The papers' rows as runs: a packed D (PacGAN) and an unrolled G loss (Unrolled GAN) train through the
trainer interface, their presets load their settings, and runs saved before either existed still load."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ganlab.data.images import ImageDataset
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.runs.store import load_run
from ganlab.settings.config import ImageStructure, Knobs, MLPShape, ToyStructure
from ganlab.settings.presets import PRESETS, get_preset
from ganlab.training import make_runner
from tests.conftest import save_trained_run

pytestmark = pytest.mark.usefixtures("release_runners")
SMALL = ToyStructure(data="ring", generator=MLPShape(1, 16), discriminator=MLPShape(1, 16))


@pytest.fixture(autouse=True)
def thread_trainers(monkeypatch):
    monkeypatch.setenv("GANLAB_TRAINERS", "thread")  # the Trainer interface, in this process


def trained(experiment, knobs: Knobs, steps: int = 3):
    runner = make_runner(experiment, knobs)
    assert runner.wait_idle(30)
    runner.step("both", steps)
    assert runner.wait_idle(60)
    snap = runner.snapshot(want_view=experiment.kind == "toy", wait_for_view=10)
    assert snap.message is None and snap.step == steps, snap.message
    assert all(np.isfinite(snap.history[key]).all() for key in ("d_loss", "g_loss"))
    return runner, snap


def test_pacgan2_on_the_ring_trains_draws_its_surface_and_steps_in_slow_motion():
    runner, snap = trained(ToyExperiment(ToyStructure(**{**SMALL.__dict__, "pack": 2})), Knobs(batch_size=33))
    assert snap.structure.pack == 2
    assert snap.view.surface.shape == (60, 60) and np.isfinite(snap.view.surface).all()
    trace = runner.step_traced()
    assert trace.pack == 2 and len(trace.d_phases[0].real) == 32  # 33 rounded down to whole packs
    assert len(trace.d_phases[0].real_score) == 32 and trace.d_phases[0].real_score[0] == trace.d_phases[0].real_score[1]


def test_an_unrolled_run_trains_and_leaves_the_knob_live():
    runner, snap = trained(ToyExperiment(SMALL), Knobs(batch_size=32, unroll=2))
    assert snap.knobs.unroll == 2
    runner.set_knobs(snap.knobs.replace(unroll=0))
    runner.step("both", 1)
    assert runner.wait_idle(30) and runner.snapshot().step == 4 and runner.snapshot().knobs.unroll == 0


def test_a_packed_image_d_trains_and_scores_each_image_it_is_asked_about():
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(32, 1, 28, 28, generator=g) * 255).to(torch.uint8)
    structure = ImageStructure(dataset="noise", noise_dim=8, width=8, num_classes=0, pack=4)
    runner, snap = trained(ImageExperiment(structure, ImageDataset(images, None, name="noise")),
                           Knobs(batch_size=8, unroll=1), steps=2)
    step, scores = runner.score_images(np.zeros((3, 1, 28, 28), dtype=np.float32))
    assert step == 2 and len(scores) == 3 and scores[0] == pytest.approx(scores[1])


@pytest.mark.parametrize("name, data, pack, unroll", [("pacgan2-ring", "ring", 2, 0), ("pacgan4-grid", "grid", 4, 0),
                                                      ("unrolled-ring", "ring", 1, 5)])
def test_a_papers_row_is_a_preset_on_its_own_data(name, data, pack, unroll):
    structure, knobs = get_preset(name).apply("moons", seed=7)
    assert (structure.data, structure.seed, structure.pack, knobs.unroll) == (data, 7, pack, unroll)
    assert PRESETS[name].label in ("PacGAN2 on the ring", "PacGAN4 on the grid", "Unrolled GAN on the ring")
    trained(ToyExperiment(structure), knobs, steps=1)


def test_a_run_saved_before_packing_and_unrolling_loads_with_both_off(tmp_path):
    run_dir = tmp_path / "old"
    save_trained_run(run_dir, ToyExperiment(SMALL))
    config = json.loads((run_dir / "config.json").read_text())
    del config["structure"]["pack"], config["knobs"]["unroll"]
    (run_dir / "config.json").write_text(json.dumps(config))
    weights = run_dir / "weights.safetensors"  # its training state names the settings too
    with safe_open(weights, "pt") as f:
        tensors, metadata = {k: f.get_tensor(k) for k in f.keys()}, f.metadata()
    state = json.loads(metadata["state"])
    del state["structure"]["pack"], state["knobs"]["unroll"]
    save_file(tensors, weights, metadata={**metadata, "state": json.dumps(state)})
    experiment, state, _ = load_run(run_dir)
    assert experiment.structure.pack == 1 and state.structure.pack == 1 and state.knobs.unroll == 0


def test_an_image_run_saved_before_d_width_loads_with_d_as_wide_as_g(tmp_path):
    from ganlab.data.image_sources import load_image_source

    run_dir = tmp_path / "old-image"
    structure = ImageStructure(dataset="digits", noise_dim=8, width=8, d_width=0, conditional=False)
    save_trained_run(run_dir, ImageExperiment(structure, load_image_source("digits", max_images=64)))
    config = json.loads((run_dir / "config.json").read_text())
    del config["structure"]["d_width"]
    (run_dir / "config.json").write_text(json.dumps(config))
    weights = run_dir / "weights.safetensors"  # its training state names the structure too
    with safe_open(weights, "pt") as f:
        tensors, metadata = {k: f.get_tensor(k) for k in f.keys()}, f.metadata()
    state = json.loads(metadata["state"])
    del state["structure"]["d_width"]
    save_file(tensors, weights, metadata={**metadata, "state": json.dumps(state)})
    experiment, state, _ = load_run(run_dir)  # it also checks the saved weights fit the nets it builds
    assert experiment.structure.d_width == 0 and state.structure == experiment.structure == structure
    assert experiment.structure.discriminator_width == 8


def test_a_small_d_stacked_row_trains_through_the_trainer():
    from ganlab.data.image_sources import load_image_source
    from ganlab.settings.image_presets import IMAGE_PRESETS

    structure, knobs = IMAGE_PRESETS["pacdcgan4-stacked-small-d"].apply(ImageStructure())
    dataset = load_image_source(structure.dataset, structure.image_size, structure.channels, max_images=64)
    structure = ImageStructure(**{**structure.__dict__, "num_classes": dataset.num_classes, "noise_dim": 8})
    runner, snap = trained(ImageExperiment(structure, dataset), knobs.replace(batch_size=16), steps=2)
    assert snap.structure.d_width == 8 and snap.structure.pack == 4 and snap.structure.channels == 3
