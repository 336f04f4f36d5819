"""ganlab.explore.styles: the truncation centre, truncation, style mixing and the truncation curve,
on tiny generators (a style-based one, a DCGAN, an InfoGAN) and with fake classifiers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from ganlab.data.images import ImageDataset
from ganlab.explore import styles
from ganlab.explore.explorer import build_nets, explorer_from_nets
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.nets.style import mix_styles
from ganlab.settings.config import ImageStructure, Knobs


def _dataset(name: str = "tiny") -> ImageDataset:
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(40, 1, 28, 28, generator=g) * 255).to(torch.uint8)
    return ImageDataset(images, torch.arange(40) % 2, name=name, class_names=["zero", "one"])


def explorer(model: str = "stylegan", **fields):
    torch.manual_seed(0)  # the style G's fixed noise buffers, every net's weights
    structure = ImageStructure(dataset="tiny", noise_dim=8, width=8, model=model, **fields)
    G, D = build_nets(structure)
    return explorer_from_nets(ImageExperiment(structure, _dataset()), Knobs(), G, D, 0, "test")


@pytest.fixture(scope="module")
def style_ex():
    torch.set_num_threads(1)
    return explorer("stylegan")


@pytest.fixture(scope="module")
def plain_ex():
    return explorer("gan")


def test_the_centre_is_the_mean_w_for_a_style_g_and_the_mean_noise_otherwise(style_ex, plain_ex):
    assert styles.has_styles(style_ex) and not styles.has_styles(plain_ex)
    centre = styles.mean_style(style_ex)
    expected = style_ex.generator.mapping(style_ex.latents(styles.MEAN_SAMPLES, styles.MEAN_SEED)).mean(dim=0)
    assert centre.shape == (style_ex.generator.w_dim,) and torch.allclose(centre, expected)
    assert styles.mean_style(style_ex) is centre, "cached on the explorer"
    assert torch.equal(styles.mean_style(plain_ex), torch.zeros(8))


def test_truncated_by_hand():
    ex = SimpleNamespace(structure=ImageStructure(dataset="tiny", noise_dim=2, model="gan"), noise_dim=2,
                         _cache={"mean_style": torch.zeros(2)})
    z = torch.tensor([[2.0, -4.0], [1.0, 3.0]])
    assert torch.equal(styles.truncated(ex, z, 0.5), torch.tensor([[1.0, -2.0], [0.5, 1.5]]))
    assert torch.equal(styles.truncated(ex, z, 1.0), z)
    assert torch.equal(styles.truncated(ex, z, 0.0), torch.zeros(2, 2))
    style = SimpleNamespace(structure=ImageStructure(dataset="tiny", model="stylegan"),
                            _cache={"mean_style": torch.tensor([0.0, 2.0])})
    w = torch.tensor([[2.0, 4.0]])
    assert torch.equal(styles.truncated(style, w, 0.5), torch.tensor([[1.0, 3.0]]))
    assert torch.equal(styles.truncated(style, w, 0.0), torch.tensor([[0.0, 2.0]]))
    with pytest.raises(ValueError, match="psi"):
        styles.truncated(ex, z, float("nan"))


def test_infogan_truncation_pulls_the_noise_and_keeps_the_codes():
    ex = explorer("infogan", info_categories=3, info_continuous=1)
    assert styles.mean_style(ex).shape == (8,)  # G's input: 8 noise values, 3 one-hot values, 1 continuous code
    z = ex.latents(4, 5)
    out = styles.truncated(ex, z, 0.25)
    assert torch.allclose(out[:, :8], 0.25 * z[:, :8]) and torch.equal(out[:, 8:], z[:, 8:])


@pytest.mark.parametrize("name", ["style_ex", "plain_ex"])
def test_psi_1_leaves_the_samples_and_psi_0_makes_them_one_image(name, request):
    ex = request.getfixturevalue(name)
    seeds = [3, 4, 5]
    as_drawn = ex.render(torch.stack([ex.seed_latent(s) for s in seeds]))
    assert torch.equal(styles.render_truncated(ex, seeds, 1.0), as_drawn)
    centre = styles.render_truncated(ex, seeds, 0.0)
    assert torch.equal(centre[0], centre[1]) and torch.equal(centre[0], centre[2])
    half = styles.render_truncated(ex, seeds, 0.5)
    assert not torch.equal(half, as_drawn) and not torch.equal(half[0], half[1])


def test_mixing_takes_the_coarse_styles_from_a_and_the_fine_from_b(style_ex):
    G = style_ex.generator
    count = G.num_styles
    assert count == 6 and styles.style_sides(style_ex) == [7, 14, 14, 28, 28, 28]
    a, b = styles.render_truncated(style_ex, [1], 1.0), styles.render_truncated(style_ex, [2], 1.0)
    mix = styles.render_mixed(style_ex, 1, 2, 3)
    assert torch.allclose(mix.a, a, atol=1e-5) and torch.allclose(mix.b, b, atol=1e-5)
    w = G.mapping(torch.stack([style_ex.seed_latent(1), style_ex.seed_latent(2)]))
    expected = G.synthesize(mix_styles(w[:1], w[1:], count, 3))
    assert torch.allclose(mix.mixed[0, 0], expected[0], atol=1e-5)
    assert not torch.allclose(mix.mixed[0, 0], a[0]) and not torch.allclose(mix.mixed[0, 0], b[0])
    assert torch.allclose(styles.render_mixed(style_ex, 1, 2, 0).mixed[0, 0], b[0], atol=1e-5)
    assert torch.allclose(styles.render_mixed(style_ex, 1, 2, count).mixed[0, 0], a[0], atol=1e-5)
    strip = styles.render_crossovers(style_ex, 1, 2)
    assert strip.shape[0] == count + 1
    assert torch.allclose(strip[0], b[0], atol=1e-5) and torch.allclose(strip[-1], a[0], atol=1e-5)
    assert torch.allclose(strip[3], mix.mixed[0, 0], atol=1e-5)


def test_the_mixing_figure_pairs_every_a_with_every_b(style_ex):
    mix = styles.render_mixed(style_ex, [1, 2], [3, 4, 5], 2)
    assert mix.a.shape == (2, 1, 28, 28) and mix.b.shape == (3, 1, 28, 28)
    assert mix.mixed.shape == (2, 3, 1, 28, 28)
    one = styles.render_mixed(style_ex, 2, 5, 2).mixed[0, 0]
    assert torch.allclose(mix.mixed[1, 2], one, atol=1e-5)
    with pytest.raises(ValueError, match="crossover"):
        styles.render_mixed(style_ex, 1, 2, 7)


def test_mixing_needs_styles(plain_ex):
    with pytest.raises(ValueError, match="style-based"):
        styles.render_mixed(plain_ex, 1, 2, 1)


def distinct_images(images: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """A fake classifier: one class per distinct image, confidence 0.25 for every image."""
    flat = images.reshape(len(images), -1)
    classes = [next(i for i in range(len(flat)) if torch.equal(flat[i], row)) for row in flat]
    return np.array(classes), np.full(len(images), 0.25)


@pytest.mark.parametrize("name", ["style_ex", "plain_ex"])
def test_the_truncation_curve_with_a_fake_classifier(name, request):
    ex = request.getfixturevalue(name)
    curve = styles.truncation_curve(ex, [0.0, 0.5, 1.0], 6, distinct_images)
    assert curve.psis == (0.0, 0.5, 1.0) and curve.samples == 6
    assert curve.covered == (1, 6, 6), "psi 0: every sample is G(centre); otherwise 6 different images"
    assert curve.confidence == (0.25, 0.25, 0.25)


def test_the_curve_reads_the_same_samples_at_each_psi_in_chunks(style_ex):
    seen: list[torch.Tensor] = []

    def by_brightness(images: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        seen.append(images)
        mean = images.mean(dim=(1, 2, 3))
        return (mean > mean.median()).long().numpy(), (mean + 1).numpy() / 2

    curve = styles.truncation_curve(style_ex, [1.0], 5, by_brightness, seed=10, chunk=2)
    assert [len(x) for x in seen] == [2, 2, 1]
    drawn = styles.render_truncated(style_ex, range(10, 15), 1.0)
    assert torch.allclose(torch.cat(seen), drawn, atol=1e-5), "the seeds seed .. seed + n - 1, as drawn"
    assert curve.confidence[0] == pytest.approx(float((drawn.mean(dim=(1, 2, 3)) + 1).mean() / 2), abs=1e-6)


def test_the_shipped_classifier_reads_digits_and_stacked_digits(style_ex):
    assert styles.classifier_reason(style_ex).startswith("No classes-covered plot for 'tiny'")
    digits = SimpleNamespace(structure=ImageStructure(dataset="digits"))
    assert styles.classifier_reason(digits) is None and styles.class_count(digits) == 10
    images = torch.rand(4, 1, 28, 28) * 2 - 1
    classes, confidence = styles.digit_classify(digits)(images)
    assert classes.shape == (4,) and set(classes) <= set(range(10))
    assert ((confidence >= 0.1) & (confidence <= 1)).all()

    from ganlab.metrics.classifier import load_metric_classifier
    from ganlab.metrics.stacked_modes import channel_features_and_probs

    stacked = SimpleNamespace(structure=ImageStructure(dataset="stacked-mnist", channels=3))
    assert styles.class_count(stacked) == 1000
    colour = torch.rand(3, 3, 28, 28) * 2 - 1
    modes, confidence = styles.digit_classify(stacked)(colour)
    _, probs = channel_features_and_probs(load_metric_classifier(), colour.numpy())
    digits_of = probs.argmax(axis=2)
    assert list(modes) == [int(d[0]) * 100 + int(d[1]) * 10 + int(d[2]) for d in digits_of]
    assert np.allclose(confidence, probs.max(axis=2).prod(axis=1))
