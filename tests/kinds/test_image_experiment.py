"""The image experiment: its structure, its dataset, one real step on synthetic blobs,
and a runner training it. Nets at width 8, batches of 8, on CPU."""

import dataclasses
import json
import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from ganlab.data.images import ImageDataset
from ganlab.gan.losses import LOSSES
from ganlab.gan.step import GanParts, train_step
from ganlab.kinds.image_experiment import EVAL_SAMPLES, ImageExperiment, grid_shape
from ganlab.nets.dcgan import DCGANDiscriminator
from ganlab.settings.config import ConfigError, ImageStructure, Knobs, OptimizerKnobs
from ganlab.training.runner import Runner, RunState

BATCH = 8
KNOBS = Knobs(batch_size=BATCH)


def blobs(n=16, size=28, channels=1, classes=0, seed=0) -> ImageDataset:
    """n uint8 images of one bright Gaussian blob each; with classes, the blob's row band is its class."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % classes if classes else None
    centre_x = torch.randint(6, size - 6, (n,), generator=g).float()
    if classes:
        centre_y = (labels.float() + 0.5) * size / classes
    else:
        centre_y = torch.randint(6, size - 6, (n,), generator=g).float()
    coords = torch.arange(size).float()
    bump = torch.exp(-((coords[None, :, None] - centre_y[:, None, None]) ** 2
                       + (coords[None, None, :] - centre_x[:, None, None]) ** 2) / (2 * 3.0**2))
    colour = torch.rand(n, channels, 1, 1, generator=g) * 0.5 + 0.5
    images = (bump[:, None] * colour * 255).round().to(torch.uint8)
    return ImageDataset(images, labels, name="blobs",
                        class_names=[f"band {i}" for i in range(classes)] if classes else None)


def structure(**changes) -> ImageStructure:
    base = dict(dataset="blobs", image_size=28, channels=1, noise_dim=8, width=8, num_classes=0, seed=0)
    return ImageStructure(**(base | changes))


def params(module):
    return [p.detach().clone() for p in module.parameters()]


def changed(before, module) -> bool:
    return any(not torch.equal(b, p) for b, p in zip(before, module.parameters(), strict=False))


# ------------------------------------------------------------ ImageStructure
def test_structure_defaults():
    s = ImageStructure()
    assert (s.dataset, s.image_size, s.channels, s.noise_dim, s.width) == ("digits", 28, 1, 100, 64)
    assert (s.g_batch_norm, s.d_batch_norm, s.d_spectral_norm) == (True, False, True)
    assert (s.conditional, s.num_classes, s.seed, s.net_classes, s.ema_decay) == (False, 10, 0, 0, 0.0)
    assert s.extra_conv is False  # Radford et al.'s nets; the fast presets turn it on
    assert ImageStructure(conditional=True).net_classes == 10


def test_a_structure_saved_before_extra_conv_existed_builds_the_nets_it_was_saved_with():
    old = {k: v for k, v in structure().to_dict().items() if k != "extra_conv"}
    s = ImageStructure.from_dict(old)
    assert s.extra_conv is False
    parts = ImageExperiment(s, blobs()).build(Knobs())
    assert sorted(parts.discriminator.state_dict()) == sorted(
        DCGANDiscriminator(28, 1, 8, spectral_norm=True).state_dict())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dataset": ""}, "dataset must be a non-empty name, got ''"),
        ({"dataset": 3}, "dataset must be a non-empty name, got 3"),
        ({"image_size": 64}, "image size must be one of 28, 32; got 64"),
        ({"image_size": "32"}, "image size must be one of 28, 32; got '32'"),
        ({"image_size": True}, "image size must be one of 28, 32; got True"),
        ({"channels": 2}, "channels must be one of 1, 3; got 2"),
        ({"noise_dim": 0}, "noise dimension must be between 1 and 256, got 0"),
        ({"noise_dim": 257}, "noise dimension must be between 1 and 256, got 257"),
        ({"width": 7}, "width must be between 8 and 256, got 7"),
        ({"width": 16.5}, "width must be a whole number, got 16.5"),
        ({"g_batch_norm": 1}, "generator batch norm must be true or false, got 1"),
        ({"d_batch_norm": "false"}, "discriminator batch norm must be true or false, got 'false'"),
        ({"d_spectral_norm": None}, "discriminator spectral norm must be true or false, got None"),
        ({"conditional": "yes"}, "conditional must be true or false, got 'yes'"),
        ({"extra_conv": 0}, "extra convolution must be true or false, got 0"),
        ({"num_classes": 1001}, "number of classes must be between 0 and 1000, got 1001"),
        ({"conditional": True, "num_classes": 101},
         "a conditional GAN takes at most 100 classes; this data has 101: turn conditional off"),
        ({"seed": -1}, "seed must be between 0 and 2147483647, got -1"),
        ({"ema_decay": 1.0}, "EMA decay must be between 0 and 0.9999, got 1"),
        ({"ema_decay": "0.9"}, "EMA decay must be a number, got '0.9'"),
        ({"conditional": True, "num_classes": 1},
         "a conditional GAN needs labelled data with at least 2 classes; number of classes is 1"),
    ],
)
def test_structure_rejects_bad_values_with_a_message(kwargs, message):
    with pytest.raises(ConfigError) as info:
        ImageStructure(**kwargs)
    assert str(info.value) == message


def test_structure_coerces_whole_floats_and_has_inclusive_bounds():
    s = ImageStructure(image_size=32.0, channels=3.0, noise_dim=256, width=8.0, num_classes=100)
    assert (s.image_size, s.channels, s.width) == (32, 3, 8)
    assert all(type(v) is int for v in (s.image_size, s.channels, s.width))
    assert ImageStructure(noise_dim=1, width=256, num_classes=0).noise_dim == 1


def test_structure_round_trips_and_is_frozen():
    s = structure(image_size=32, channels=3, conditional=True, num_classes=4, d_batch_norm=True, seed=7,
                  extra_conv=True)
    assert ImageStructure.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.width = 16
    with pytest.raises(ConfigError, match="unknown image run setting"):
        ImageStructure.from_dict({"widht": 16})
    with pytest.raises(ConfigError, match="width must be between 8 and 256"):
        ImageStructure.from_dict({"width": 4})


# ------------------------------------------------------------ ImageDataset
def test_dataset_maps_uint8_to_minus_one_one_and_keeps_labels_with_their_images():
    n = 6
    values = torch.tensor([0, 51, 102, 153, 204, 255], dtype=torch.uint8)
    images = values[:, None, None, None].expand(n, 1, 28, 28).contiguous()
    data = ImageDataset(images, torch.tensor([0, 1, 2, 0, 1, 2]), name="steps", class_names=["a", "b", "c"])
    assert (len(data), data.channels, data.image_size, data.num_classes) == (6, 1, 28, 3)
    x, y = data.sample(50, torch.Generator().manual_seed(0))
    assert x.dtype == torch.float32 and x.shape == (50, 1, 28, 28)
    index = torch.round((x[:, 0, 0, 0] + 1) * 127.5 / 51).long()  # which image each sample is
    assert_close(x[:, 0, 0, 0], values[index].float() / 127.5 - 1)
    assert torch.equal(y, index % 3)
    assert set(index.tolist()) == set(range(6))  # 50 draws reach all 6 images
    assert_close(data.to_float(values), torch.tensor([-1.0, -0.6, -0.2, 0.2, 0.6, 1.0]))


def test_dataset_without_labels_and_float_images():
    images = torch.linspace(-1, 1, 4 * 3 * 32 * 32).reshape(4, 3, 32, 32)
    data = ImageDataset(images, name="ramp")
    x, y = data.sample(3, torch.Generator().manual_seed(1))
    assert y is None and data.num_classes == 0
    assert any(torch.equal(x[0], img) for img in images)
    assert ImageDataset(images[:1], torch.tensor([2])).class_names == ("0", "1", "2")


@pytest.mark.parametrize(
    "images, labels, class_names, message",
    [
        (torch.zeros(4, 28, 28, dtype=torch.uint8), None, None, r"shape \(N, C, H, W\)"),
        (torch.full((2, 1, 28, 28), 1.5), None, None, r"in \[-1, 1\]"),
        (torch.zeros(2, 1, 28, 28, dtype=torch.int32), None, None, "uint8"),
        (torch.zeros(2, 1, 28, 28, dtype=torch.uint8), torch.tensor([0]), None, r"shape \(2,\)"),
        (torch.zeros(2, 1, 28, 28, dtype=torch.uint8), torch.tensor([0.0, 1.0]), None, "integer"),
        (torch.zeros(2, 1, 28, 28, dtype=torch.uint8), torch.tensor([0, -1]), None, "from 0"),
        (torch.zeros(2, 1, 28, 28, dtype=torch.uint8), torch.tensor([0, 2]), ["a", "b"], "label 2 has no class name"),
        (torch.zeros(2, 1, 28, 28, dtype=torch.uint8), None, ["a"], "without labels"),
    ],
)
def test_dataset_rejects_bad_input(images, labels, class_names, message):
    with pytest.raises(ValueError, match=message):
        ImageDataset(images, labels, class_names=class_names)


# ------------------------------------------------------------ the experiment
@pytest.mark.parametrize(
    "s, data, message",
    [
        (structure(image_size=32), blobs(), r"images of shape \(1, 28, 28\); the structure wants \(1, 32, 32\)"),
        (structure(channels=3), blobs(), r"\(3, 28, 28\)"),
        (structure(conditional=True, num_classes=3), blobs(), "needs labels"),
        (structure(conditional=True, num_classes=4), blobs(classes=3), "has 3 classes; the structure says 4"),
    ],
)
def test_experiment_refuses_a_dataset_that_does_not_fit(s, data, message):
    with pytest.raises(ValueError, match=message):
        ImageExperiment(s, data)


def test_build_is_seeded_and_leaves_the_global_rng_alone():
    experiment = ImageExperiment(structure(d_spectral_norm=True, conditional=True, num_classes=2), blobs(classes=2))
    state = torch.get_rng_state()
    a, b = experiment.build(KNOBS), experiment.build(KNOBS)
    assert torch.equal(torch.get_rng_state(), state)
    for net in ("generator", "discriminator"):
        pa, pb = params(getattr(a, net)), params(getattr(b, net))
        assert all(torch.equal(x, y) for x, y in zip(pa, pb, strict=False))
    other = ImageExperiment(structure(seed=1, conditional=True, num_classes=2), blobs(classes=2)).build(KNOBS)
    assert not torch.equal(params(other.generator)[0], params(a.generator)[0])


def test_samplers_hand_out_labels_only_when_conditional():
    data = blobs(classes=2)
    plain = ImageExperiment(structure(num_classes=2), data).build(KNOBS)
    x, y = plain.sample_real(BATCH)
    assert x.shape == (BATCH, 1, 28, 28) and y is None
    assert plain.sample_noise(BATCH).shape == (BATCH, 8)
    conditional = ImageExperiment(structure(conditional=True, num_classes=2), data).build(KNOBS)
    x, y = conditional.sample_real(BATCH)
    assert y.dtype == torch.long and y.shape == (BATCH,) and set(y.tolist()) <= {0, 1}


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_one_real_step_per_loss_on_blobs(loss):
    knobs = KNOBS.replace(loss=loss, gp_weight=10.0 if LOSSES[loss].needs_gradient_penalty else 0.0)
    s = structure(conditional=True, num_classes=2, d_spectral_norm=True)
    parts = ImageExperiment(s, blobs(classes=2)).build(knobs)
    g0, d0 = params(parts.generator), params(parts.discriminator)
    record = train_step(parts, knobs)
    assert changed(g0, parts.generator) and changed(d0, parts.discriminator)
    expected = {"d_loss", "g_loss", "d_penalty", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"}
    assert set(record) == expected | ({"wasserstein"} if LOSSES[loss].wasserstein else set())
    assert all(type(v) is float and math.isfinite(v) for v in record.values())
    assert (record["d_penalty"] > 0) == LOSSES[loss].needs_gradient_penalty


def test_one_step_for_a_32px_colour_gan_with_batch_norm_in_both_nets_and_r1():
    knobs = KNOBS.replace(r1_weight=1.0)
    s = structure(image_size=32, channels=3, d_batch_norm=True, d_spectral_norm=False)
    parts = ImageExperiment(s, blobs(size=32, channels=3)).build(knobs)
    g0, d0 = params(parts.generator), params(parts.discriminator)
    record = train_step(parts, knobs)
    assert changed(g0, parts.generator) and changed(d0, parts.discriminator)
    assert all(math.isfinite(v) for v in record.values()) and record["d_penalty"] > 0


def test_the_step_conditions_g_on_the_labels_of_the_real_batch_it_drew():
    s = structure(conditional=True, num_classes=4)
    parts = ImageExperiment(s, blobs(classes=4)).build(KNOBS)
    drawn, given = [], []
    sample_real = parts.sample_real

    def recording_sample_real(n):
        x, y = sample_real(n)
        drawn.append(y.clone())
        return x, y

    def recording_sample_labels(n):
        y = sample_labels(n)
        drawn.append(y.clone())
        return y

    sample_labels = parts.sample_labels
    parts.sample_real, parts.sample_labels = recording_sample_real, recording_sample_labels
    parts.generator.register_forward_pre_hook(lambda module, args: given.append(args[1].clone()))
    train_step(parts, KNOBS.replace(d_steps=2))
    assert len(drawn) == len(given) == 3  # two D updates (a data batch each), one G update (labels only)
    for d, g in zip(drawn, given, strict=False):
        assert torch.equal(d, g)
    assert not all(torch.equal(drawn[0], d) for d in drawn[1:])  # fresh labels per draw


def test_with_mode_seeking_the_g_update_draws_two_halves_with_the_same_labels():
    s = structure(conditional=True, num_classes=4)
    parts = ImageExperiment(s, blobs(classes=4)).build(KNOBS)
    asked, given = [], []
    sample_labels = parts.sample_labels
    parts.sample_labels = lambda n: asked.append(n) or sample_labels(n)
    parts.generator.register_forward_pre_hook(lambda module, args: given.append((args[0].clone(), args[1].clone())))
    train_step(parts, KNOBS.replace(batch_size=9, ms_weight=1.0), which="g")
    assert asked == [4]  # 9 // 2 labels, each used twice: a G batch of 8
    noise, labels = given[0]
    assert noise.shape[0] == 8 and torch.equal(labels[:4], labels[4:])
    assert not torch.equal(noise[:4], noise[4:])


def test_mode_seeking_changes_the_g_update_and_only_the_g_update():
    def update(ms_weight):
        parts = ImageExperiment(structure(), blobs()).build(KNOBS)
        before_d = params(parts.discriminator)
        sgd = OptimizerKnobs(name="sgd", lr=0.1, beta1=0.0)  # Adam's first step is sign-like and could hide it
        train_step(parts, KNOBS.replace(ms_weight=ms_weight, g_opt=sgd), which="g")
        assert not changed(before_d, parts.discriminator)
        return params(parts.generator)

    with_penalty, without = update(5.0), update(0.0)
    assert any(not torch.equal(a, b) for a, b in zip(with_penalty, without, strict=False))


def test_evaluate_reports_pixel_statistics_of_the_fixed_eval_noise():
    experiment = ImageExperiment(structure(conditional=True, num_classes=2), blobs(classes=2))
    parts = experiment.build(KNOBS)
    values = experiment.evaluate(parts)
    assert set(values) == {"pixel_mean", "pixel_std"}
    with torch.no_grad():
        fake = parts.generator(experiment.eval_noise, experiment.eval_labels)
    assert fake.shape[0] == EVAL_SAMPLES
    assert values["pixel_mean"] == pytest.approx(fake.mean().item(), abs=1e-6)
    assert values["pixel_std"] == pytest.approx(fake.std().item(), abs=1e-6)
    assert torch.equal(experiment.eval_labels[:4], torch.tensor([0, 1, 0, 1]))  # balanced classes
    images = blobs(classes=2).images.float() / 127.5 - 1
    assert experiment.real_pixel_mean == pytest.approx(images.mean().item(), abs=1e-6)


class ConstantGenerator(torch.nn.Module):
    """Every image is `value` everywhere, whatever the noise."""

    def __init__(self, value, channels=1, size=28):
        super().__init__()
        self.value, self.channels, self.size = value, channels, size

    def forward(self, z, labels=None):
        return torch.full((z.shape[0], self.channels, self.size, self.size), self.value)


@pytest.mark.parametrize("value, pixel", [(-1.0, 0), (0.0, 128), (1.0, 255), (0.5, 191)])
def test_view_maps_minus_one_one_to_uint8_with_white_grid_lines(value, pixel):
    experiment = ImageExperiment(structure(), blobs())
    parts = GanParts(ConstantGenerator(value), None, None, None, None, None, None)
    view = experiment.view(parts, KNOBS)
    assert view.ema_grid is None  # EMA off
    grid = view.grid
    assert grid.dtype == np.uint8 and grid.shape == (242, 242, 1)  # 8 cells of 28 + 2 px lines, plus 2
    assert not grid.flags.writeable
    cells = np.zeros((242, 242), dtype=bool)
    for r in range(8):
        for c in range(8):
            cells[2 + 30 * r: 30 * (r + 1), 2 + 30 * c: 30 * (c + 1)] = True
    assert (grid[cells, 0] == pixel).all()  # (0.5 + 1) * 127.5 = 191.25
    assert (grid[~cells, 0] == 255).all()


def test_grid_shape_worked_by_hand():
    assert grid_shape(8, 8, 28, 1) == (242, 242, 1)
    assert grid_shape(3, 8, 32, 3) == (104, 274, 3)


# ------------------------------------------------------------ the runner
@pytest.mark.usefixtures("release_runners")
def test_runner_trains_an_image_gan_and_shows_its_grid():
    runner = Runner(ImageExperiment(structure(), blobs()), KNOBS)
    assert runner.wait_idle(timeout=60)
    runner.step("both", 3)
    assert runner.wait_idle(timeout=60)
    snap = runner.snapshot(want_view=True, wait_for_view=30)
    assert (snap.state, snap.step, snap.d_updates, snap.g_updates) == (RunState.PAUSED, 3, 3, 3)
    assert len(snap.history["d_loss"]) == 3 and np.isfinite(snap.history["g_loss"]).all()
    np.testing.assert_array_equal(snap.evals["step"], [0, 3])
    assert set(snap.latest_eval) == {"pixel_mean", "pixel_std"}
    assert snap.view_step == 3
    assert snap.view.grid.dtype == np.uint8 and snap.view.grid.shape == (242, 242, 1)  # 8 x 8 cells of 28 px
    assert snap.view.ema_grid is None


@pytest.mark.usefixtures("release_runners")
def test_conditional_grid_has_one_row_per_class_with_the_same_noise_down_each_column():
    classes = 3
    s = structure(image_size=32, channels=3, conditional=True, num_classes=classes)
    experiment = ImageExperiment(s, blobs(size=32, channels=3, classes=classes))
    runner = Runner(experiment, KNOBS)
    runner.step("both", 3)
    assert runner.wait_idle(timeout=60)
    grid = runner.snapshot(want_view=True, wait_for_view=30).view.grid
    assert grid.shape == (104, 274, 3)  # 3 rows and 8 columns of 32 px cells, 2 px lines
    # the runner is paused and idle: its nets can be read from here
    z = experiment.grid_noise[:8]
    assert torch.equal(experiment.grid_noise, z.repeat(classes, 1))
    for r in range(classes):
        with torch.no_grad():
            images = runner._parts.generator(experiment.grid_noise, experiment.grid_labels)[8 * r: 8 * (r + 1)]
        expected = ((images + 1) / 2).clamp(0, 1).mul(255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
        for c in range(8):
            cell = grid[2 + 34 * r: 34 * (r + 1), 2 + 34 * c: 34 * (c + 1)]
            np.testing.assert_array_equal(cell, expected[c])
    assert torch.equal(experiment.grid_labels[::8], torch.arange(classes))
    # metrics' samples come with their classes: the runner passes eval_labels to G
    samples = runner.generate_eval_samples(timeout=60)
    assert samples.shape == (EVAL_SAMPLES, 3, 32, 32)


# ------------------------------------------------------------ EMA and the timeline
def test_ema_generator_is_built_only_when_its_decay_is_set():
    assert getattr(ImageExperiment(structure(), blobs()).build(KNOBS), "ema", None) is None
    parts = ImageExperiment(structure(ema_decay=0.99), blobs()).build(KNOBS)
    assert parts.ema.decay == 0.99 and parts.ema.module is not parts.generator
    assert not parts.ema.module.training
    for mine, live in zip(parts.ema.module.parameters(), parts.generator.parameters(), strict=False):
        assert torch.equal(mine, live) and not mine.requires_grad


def test_view_draws_the_ema_grid_beside_the_live_one():
    experiment = ImageExperiment(structure(ema_decay=0.5), blobs())
    parts = experiment.build(KNOBS)
    parts.ema.module = ConstantGenerator(1.0)  # stands in for the averaged copy
    parts.generator = ConstantGenerator(-1.0)
    view = experiment.view(parts, KNOBS)
    assert view.grid.shape == view.ema_grid.shape == (242, 242, 1)
    assert view.grid[2, 2, 0] == 0 and view.ema_grid[2, 2, 0] == 255  # a cell's first pixel


@pytest.mark.usefixtures("release_runners")
def test_runner_records_a_timeline_frame_at_every_evaluation_without_any_page():
    experiment = ImageExperiment(structure(ema_decay=0.9), blobs())
    runner = Runner(experiment, KNOBS, eval_every=2)
    runner.step("both", 5, evaluate=False)  # evaluations at steps 2 and 4 (and 0 on build)
    assert runner.wait_idle(timeout=60)
    frames = experiment.timeline.frames()
    assert [f.step for f in frames] == [0, 2, 4]
    assert all(f.grid.shape == f.ema_grid.shape == (242, 242, 1) for f in frames)
    assert not np.array_equal(frames[0].grid, frames[-1].grid)  # training changed the samples
    runner.reset()
    assert runner.wait_idle(timeout=60)
    assert [f.step for f in experiment.timeline.frames()] == [0]  # a reset starts a new timeline


def test_an_unconditional_g_update_draws_no_data_batch():
    parts = ImageExperiment(structure(), blobs()).build(KNOBS)
    draws = []
    sample_real = parts.sample_real
    parts.sample_real = lambda n: (draws.append(n), sample_real(n))[1]
    train_step(parts, KNOBS, "g")
    assert parts.sample_labels is None and draws == []
    train_step(parts, KNOBS.replace(d_steps=3), "both")
    assert draws == [KNOBS.batch_size] * 3  # the D updates' real batches only
