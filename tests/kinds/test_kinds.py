"""ganlab.kinds: one object per kind of GAN answers what used to be `kind ==` switches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from ganlab.data.image_sources import load_image_source
from ganlab.data.images import ImageDataset
from ganlab.data.points_csv import empirical_distribution
from ganlab.data.toy import get_toy
from ganlab.explore.latent import seeded_latents
from ganlab.kinds import KINDS, UnknownKind, draw_noise, get_kind, kind_of
from ganlab.kinds.image import IMAGE, IMAGES_FILE
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.kinds.toy import POINTS_FILE, SAMPLES_FILE, SNAPSHOT_POINTS, TOY
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import ImageStructure, Knobs, MLPShape, ToyStructure
from ganlab.storage.arrays import load_npy

SMALL_TOY = ToyStructure(generator=MLPShape(1, 16), discriminator=MLPShape(1, 16))
SMALL_IMAGE = ImageStructure(dataset="digits", noise_dim=8, width=8, num_classes=10, conditional=True)


def _digits(n: int = 40) -> ImageDataset:
    digits = load_image_source("digits", 28, 1)
    return ImageDataset(digits.images[:n], digits.labels[:n], name="my-zip", class_names=digits.class_names)


def test_every_kind_is_registered_under_its_name_with_its_own_structure():
    assert set(KINDS) == {"toy", "image"}
    assert {k.structure_class for k in KINDS.values()} == {ToyStructure, ImageStructure}
    for name, kind in KINDS.items():
        assert kind.name == name and get_kind(name) is kind
        assert kind.page_key and kind.label and kind.latent_views.startswith("ganlab.ui.")


def test_kind_of_answers_for_names_configs_structures_and_experiments():
    toy_experiment = ToyExperiment(SMALL_TOY)
    assert kind_of("toy") is TOY and kind_of({"kind": "image"}) is IMAGE
    assert kind_of(SMALL_TOY) is TOY and kind_of(SMALL_IMAGE) is IMAGE
    assert kind_of(toy_experiment) is TOY
    assert kind_of(ImageExperiment(SMALL_IMAGE, _digits())) is IMAGE
    with pytest.raises(UnknownKind, match=r"unknown run kind 'audio' \(expected toy or image\)"):
        kind_of({"kind": "audio"})
    with pytest.raises(UnknownKind):
        kind_of(3.5)


def test_nets_are_built_in_one_place_the_same_as_the_experiment_builds_them():
    """The Explorer, the run store and the experiments all build nets through the kind: the
    seed alone decides the initial weights, and the caller's global RNG is left alone."""
    for kind, structure, experiment in ((TOY, SMALL_TOY, ToyExperiment(SMALL_TOY)),
                                        (IMAGE, SMALL_IMAGE, ImageExperiment(SMALL_IMAGE, _digits()))):
        torch.manual_seed(99)
        before = torch.rand(1)
        torch.manual_seed(99)
        G, D = kind.build_nets(structure)
        assert torch.equal(torch.rand(1), before)  # the global RNG did not move
        parts = experiment.build(Knobs())
        for mine, theirs in ((G, parts.generator), (D, parts.discriminator)):
            for (name, a), (_, b) in zip(mine.state_dict().items(), theirs.state_dict().items(), strict=False):
                assert_close(a, b, rtol=0, atol=0, msg=name)


def test_noise_is_uniform_or_gaussian_and_one_seed_names_one_latent():
    g = torch.Generator().manual_seed(0)
    uniform = draw_noise("uniform", 4000, 3, g)
    assert uniform.min() >= -1 and uniform.max() <= 1 and abs(float(uniform.mean())) < 0.05
    assert float(uniform.std()) == pytest.approx(1 / np.sqrt(3), abs=0.02)  # sd of U(-1, 1)
    gaussian = draw_noise("gaussian", 4000, 3, torch.Generator().manual_seed(0))
    assert float(gaussian.std()) == pytest.approx(1.0, abs=0.03) and gaussian.abs().max() > 1
    uniform_toy = ToyStructure(noise="uniform", noise_dim=3)
    assert torch.equal(TOY.noise(uniform_toy, 5, torch.Generator().manual_seed(7)),
                       draw_noise("uniform", 5, 3, torch.Generator().manual_seed(7)))
    assert torch.equal(seeded_latents(11, 3, "uniform"), draw_noise("uniform", 1, 3, torch.Generator().manual_seed(11))[0])
    assert torch.equal(IMAGE.noise(SMALL_IMAGE, 5, torch.Generator().manual_seed(7)),  # images: Gaussian noise
                       draw_noise("gaussian", 5, SMALL_IMAGE.noise_dim, torch.Generator().manual_seed(7)))


def test_sample_shapes_and_classes():
    assert TOY.output_shape(SMALL_TOY) == (2,)
    assert IMAGE.output_shape(SMALL_IMAGE) == (1, 28, 28)
    assert TOY.num_classes(SMALL_TOY) == 0
    assert IMAGE.num_classes(SMALL_IMAGE) == 10
    assert IMAGE.num_classes(ImageStructure(dataset="digits", num_classes=10, conditional=False)) == 0


def test_a_named_toy_is_described_by_name_and_writes_no_data(tmp_path):
    experiment = ToyExperiment(ToyStructure(data="ring"))
    assert TOY.describe_data(experiment, tmp_path) == {"source": "toy", "name": "ring"}
    assert list(tmp_path.iterdir()) == []
    assert TOY.load_dataset(tmp_path, {"source": "toy", "name": "ring"}, experiment.structure).name == "ring"
    assert TOY.data_label(experiment) == "ring"


def test_the_users_points_travel_with_the_run_exactly(tmp_path):
    """The points are the distribution's own (`ToyDistribution.points`), not recovered from its
    sampler's insides: the saved file holds exactly the points given."""
    points = np.array([[0.0, 1.0], [2.5, -1.0], [3.0, 3.0], [-1.0, 0.25]], dtype=np.float32)
    dataset = empirical_distribution(points, label="mine")
    assert np.array_equal(dataset.points, points)
    experiment = ToyExperiment(ToyStructure(data="csv"), dataset)
    described = TOY.describe_data(experiment, tmp_path)
    assert described == {"source": "points", "file": POINTS_FILE, "label": "mine", "count": 4}
    assert np.array_equal(load_npy(tmp_path / POINTS_FILE), points)
    back = TOY.load_dataset(tmp_path, described, experiment.structure)
    assert np.array_equal(back.points, points) and back.label == "mine"
    drawn = back.sample(200, torch.Generator().manual_seed(0)).numpy()
    assert {tuple(p) for p in drawn} <= {tuple(p) for p in points}


def test_user_images_are_embedded_and_read_back(tmp_path):
    dataset = _digits(12)
    experiment = ImageExperiment(SMALL_IMAGE, dataset)
    described = IMAGE.describe_data(experiment, tmp_path)
    assert described["source"] == "embedded" and described["count"] == 12 and (tmp_path / IMAGES_FILE).is_file()
    back = IMAGE.load_dataset(tmp_path, described, SMALL_IMAGE)
    assert torch.equal(back.images, dataset.images) and torch.equal(back.labels, dataset.labels)
    assert list(back.class_names) == list(dataset.class_names)


def test_snapshots_are_points_for_a_toy_and_a_grid_for_images():
    experiment = ToyExperiment(SMALL_TOY)
    G = experiment.build(Knobs()).generator
    with torch.no_grad():
        frame, suffix, files = TOY.snapshot_files(G, experiment)
        expected = G(experiment.eval_noise).numpy()
    assert suffix == ".npy" and set(files) == {SAMPLES_FILE}
    import io

    assert np.array_equal(np.load(io.BytesIO(files[SAMPLES_FILE])), expected)
    assert np.array_equal(np.load(io.BytesIO(frame)), expected[:SNAPSHOT_POINTS])
    image_experiment = ImageExperiment(SMALL_IMAGE, _digits())
    with torch.no_grad():
        frame, suffix, files = IMAGE.snapshot_files(image_experiment.build(Knobs()).generator, image_experiment)
    assert suffix == ".png" and files == {} and frame[:8] == b"\x89PNG\r\n\x1a\n"


def test_modes_come_from_the_data_or_the_saved_config():
    assert TOY.modes_total(ToyExperiment(ToyStructure(data="ring"))) == len(get_toy("ring").centres)
    assert TOY.saved_modes_total({"data_source": {"source": "toy", "name": "grid"}}) == 25
    assert TOY.saved_modes_total({"final_metrics": {"modes_total": 3}}) == 3
    assert IMAGE.saved_modes_total({"kind": "image"}) is None


def test_only_images_use_the_accelerator_the_image_metrics_and_nearest_images():
    assert (TOY.uses_accelerator, TOY.scores_image_quality, TOY.samples_are_images) == (False, False, False)
    assert (IMAGE.uses_accelerator, IMAGE.scores_image_quality, IMAGE.samples_are_images) == (True, True, True)
    assert TOY.export_formats == ("npz",) and IMAGE.export_formats == ("zip", "npz")


def test_a_drawn_run_reloads_as_its_drawing_with_its_view_range_and_modes(tmp_path):
    """A drawn data set is saved as points (like CSV data) and comes back as the drawing itself
    when the saved points are the drawing's: the playground's range, and for clicks, their modes."""
    from ganlab.data.drawn import BOUNDS, Drawing, Stroke, encode

    clicks = Drawing(tuple(Stroke(np.array([[x, y]]), 0.05) for x, y in ((-1.0, 0.0), (1.0, 0.0), (0.0, 1.5))))
    structure = ToyStructure(data="drawn", drawing=encode(clicks))
    experiment = ToyExperiment(structure)
    described = TOY.describe_data(experiment, tmp_path)
    assert described["source"] == "points" and described["count"] == len(experiment.dataset.points)
    back = TOY.load_dataset(tmp_path, described, structure)
    assert back.bounds == BOUNDS and back.has_modes and len(back.centres) == 3
    assert np.array_equal(back.points, experiment.dataset.points)
    other = ToyStructure(data="drawn", drawing=encode(Drawing(clicks.strokes[:2])))  # the points are not its
    assert not TOY.load_dataset(tmp_path, described, other).has_modes
