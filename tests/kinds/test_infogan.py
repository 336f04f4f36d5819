"""InfoGAN (ganlab.kinds.infogan, ganlab.nets.info): the codes in G's input, D's Q head, the step's
extra term, code purity against hand-made generators, and the structure's rules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganlab.data.toy import get_toy
from ganlab.gan.step import train_step
from ganlab.kinds import kind_of
from ganlab.kinds.infogan import (
    CONTINUOUS_WEIGHT,
    CodeLayout,
    code_purity_of,
    info_loss,
    nearest_mode,
    resolved_categories,
)
from ganlab.kinds.models import MODELS, model_of
from ganlab.limits import MODELS as MODEL_NAMES
from ganlab.nets.info import InfoDiscriminator
from ganlab.nets.mlp import MLPDiscriminator
from ganlab.settings.config import ConfigError, ImageStructure, Knobs, MLPShape, ToyStructure

SMALL = MLPShape(1, 16)
INFO_TOY = ToyStructure(model="infogan", generator=SMALL, discriminator=SMALL)


def test_the_models_table_and_the_registry_name_the_same_models():
    from ganlab.limits import MODEL_DATA

    assert tuple(MODELS) == MODEL_NAMES == tuple(MODEL_DATA)
    assert model_of(ToyStructure()).name == "gan" and model_of(INFO_TOY).name == "infogan"


def test_a_layout_puts_noise_one_hot_and_continuous_codes_in_that_order_and_splits_them_back():
    layout = CodeLayout(noise_dim=2, categories=3, continuous=2)
    z = torch.tensor([[0.5, -1.0], [2.0, 0.0]])
    latents = layout.compose(z, torch.tensor([2, 0]), torch.tensor([[0.1, -0.2], [0.9, 0.3]]))
    assert torch.equal(latents, torch.tensor([[0.5, -1.0, 0, 0, 1, 0.1, -0.2], [2.0, 0.0, 1, 0, 0, 0.9, 0.3]]))
    back_z, category, cont = layout.split(latents)
    assert torch.equal(back_z, z) and category.tolist() == [2, 0]
    assert torch.equal(cont, torch.tensor([[0.1, -0.2], [0.9, 0.3]]))
    drawn = layout.draw(4000, torch.Generator().manual_seed(0))
    one_hot = drawn[:, 2:5]
    assert layout.total == 7 and torch.equal(one_hot.sum(1), torch.ones(4000))
    assert np.bincount(one_hot.argmax(1).numpy()).tolist() == pytest.approx([4000 / 3] * 3, rel=0.08)
    assert drawn[:, 5:].min() >= -1 and drawn[:, 5:].max() <= 1


@pytest.mark.parametrize(("structure", "expected"), [
    (ToyStructure(model="infogan", data="ring"), 8),
    (ToyStructure(model="infogan", data="grid"), 25),
    (ToyStructure(model="infogan", data="grid", info_categories=5), 5),
    (ToyStructure(model="infogan", data="ring", info_categories=1, info_continuous=1), 0),  # continuous only
    (ImageStructure(model="infogan"), 10),  # the digits' classes
    (ImageStructure(model="infogan", num_classes=0), 10),  # unlabelled images: the default
])
def test_the_categorical_code_has_as_many_values_as_the_data_has_modes_or_classes(structure, expected):
    assert resolved_categories(structure) == expected


def test_info_gans_d_scores_as_the_plain_d_with_the_same_layers_and_its_q_head_reads_every_code():
    torch.manual_seed(0)
    plain = MLPDiscriminator(SMALL)
    info = InfoDiscriminator(plain, categories=8, continuous=2)
    x = torch.randn(5, 2)
    torch.testing.assert_close(info(x), plain(x))
    logits, estimate = info.codes(x)
    assert logits.shape == (5, 8) and estimate.shape == (5, 2)
    with pytest.raises(ValueError, match="one sample at a time"):
        InfoDiscriminator(MLPDiscriminator(SMALL, pack=2), 8, 0)


def test_the_info_loss_is_the_codes_cross_entropy_plus_a_tenth_of_their_squared_error():
    layout = CodeLayout(noise_dim=1, categories=2, continuous=1)
    D = InfoDiscriminator(MLPDiscriminator(SMALL), 2, 1)
    fake = torch.randn(3, 2)
    latents = layout.compose(torch.zeros(3, 1), torch.tensor([0, 1, 1]), torch.tensor([[0.5], [-0.5], [0.0]]))
    logits, estimate = D.codes(fake)
    by_hand = F.cross_entropy(logits, torch.tensor([0, 1, 1])) + CONTINUOUS_WEIGHT * (
        ((estimate[:, 0] - torch.tensor([0.5, -0.5, 0.0])) ** 2).mean())
    torch.testing.assert_close(info_loss(D, layout, latents, fake), by_hand)


def _q_weights(parts) -> list[torch.Tensor]:
    return [p.detach().clone() for p in parts.discriminator.q.parameters()]


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_the_step_trains_q_only_through_the_info_term(weight):
    experiment = kind_of(INFO_TOY).experiment(INFO_TOY)
    knobs = Knobs(batch_size=32, info_weight=weight)
    parts = experiment.build(knobs)
    before = _q_weights(parts)
    record = train_step(parts, knobs)
    moved = any(not torch.equal(a, b) for a, b in zip(before, _q_weights(parts), strict=True))
    assert moved == (weight > 0)
    assert record["info_loss"] == pytest.approx(np.log(8), rel=0.1)  # 8 codes, a Q that knows nothing yet


def test_training_teaches_q_to_read_the_code():
    experiment = kind_of(INFO_TOY).experiment(INFO_TOY)
    knobs = Knobs(batch_size=64)
    parts = experiment.build(knobs)
    first = train_step(parts, knobs)["info_loss"]
    for _ in range(150):
        last = train_step(parts, knobs)["info_loss"]
    assert last < 0.5 * first


class _CodeToCentre(nn.Module):
    """A hand-made 2D generator: each code value to one ring centre (`mapping[c]`), or, code-blind,
    to the centre the noise's first coordinate picks."""

    def __init__(self, layout: CodeLayout, centres: np.ndarray, mapping: list[int] | None) -> None:
        super().__init__()
        self.layout, self.centres, self.mapping = layout, torch.as_tensor(centres, dtype=torch.float32), mapping

    def forward(self, latents: torch.Tensor, labels=None) -> torch.Tensor:
        z, category, _ = self.layout.split(latents)
        if self.mapping is None:  # Φ(z0) spread evenly over the modes, whatever the code
            index = (torch.special.ndtr(z[:, 0]) * len(self.centres)).long().clamp(max=len(self.centres) - 1)
        else:
            index = torch.tensor(self.mapping)[category]
        return self.centres[index]


def test_code_purity_is_one_for_a_generator_that_puts_each_code_on_its_own_mode_in_any_order():
    ring = get_toy("ring")
    layout = CodeLayout(2, 8, 0)
    for mapping in (list(range(8)), [3, 1, 7, 0, 2, 6, 5, 4]):
        got = code_purity_of(_CodeToCentre(layout, ring.centres, mapping), layout, nearest_mode(ring.centres), 8, seed=0)
        assert got == {"code_purity": 1.0, "code_purity_chance": pytest.approx(0.125)}


def test_code_purity_is_chance_for_a_generator_that_ignores_its_code():
    ring = get_toy("ring")
    layout = CodeLayout(2, 8, 0)
    got = code_purity_of(_CodeToCentre(layout, ring.centres, None), layout, nearest_mode(ring.centres), 8, seed=0)
    assert got["code_purity_chance"] == pytest.approx(0.125, abs=0.01)
    assert got["code_purity"] == pytest.approx(0.125, abs=0.05)  # the matching picks up a little sampling noise
    two_codes_one_mode = _CodeToCentre(layout, ring.centres, [0, 0, 1, 2, 3, 4, 5, 6])
    assert code_purity_of(two_codes_one_mode, layout, nearest_mode(ring.centres), 8, seed=0)["code_purity"] == 7 / 8


def test_info_gan_runs_measure_code_purity_live_and_plain_runs_do_not():
    experiment = kind_of(INFO_TOY).experiment(INFO_TOY)
    parts = experiment.build(Knobs(batch_size=16))
    measured = experiment.evaluate(parts)
    assert 0 <= measured["code_purity"] <= 1 and measured["code_purity_chance"] == pytest.approx(1 / 8, abs=0.02)
    plain = ToyStructure(generator=SMALL, discriminator=SMALL)
    plain_experiment = kind_of(plain).experiment(plain)
    assert "code_purity" not in plain_experiment.evaluate(plain_experiment.build(Knobs(batch_size=16)))


def test_the_plain_gans_fixed_noise_is_unchanged_by_the_models():
    from ganlab.kinds.base import draw_noise

    plain = ToyStructure(generator=SMALL, discriminator=SMALL, seed=4)
    experiment = kind_of(plain).experiment(plain)
    fixed = torch.Generator().manual_seed(5)
    experiment.dataset.sample(len(experiment.real_eval), fixed)  # drawn first, from the same generator
    expected = draw_noise("gaussian", len(experiment.eval_noise), 2, fixed)
    assert torch.equal(experiment.eval_noise, expected)


def test_the_image_grid_has_a_row_per_code_value_with_the_same_noise_down_each_column():
    from ganlab.data.images import ImageDataset

    structure = ImageStructure(model="infogan", width=8, noise_dim=4, info_continuous=1)
    images = torch.zeros(20, 1, 28, 28, dtype=torch.uint8)
    ds = ImageDataset(images, torch.arange(20) % 10, name="digits", class_names=[str(i) for i in range(10)])
    experiment = kind_of(structure).experiment(structure, ds)
    layout = experiment.model.code_layout(structure)
    z, category, cont = layout.split(experiment.grid_noise)
    assert experiment.grid_noise.shape == (80, 4 + 10 + 1)
    assert category.tolist() == [row for row in range(10) for _ in range(8)]
    assert torch.equal(z.reshape(10, 8, 4), z[:8].expand(10, 8, 4))
    assert torch.equal(cont.reshape(10, 8, 1), cont[:8].expand(10, 8, 1))


@pytest.mark.parametrize(("settings", "message"), [
    ({"pack": 2}, "one sample at a time"),
    ({"info_categories": 1, "info_continuous": 0}, "needs a code"),
    ({"model": "stylish"}, "model must be one of"),
])
def test_the_structure_says_what_infogan_cannot_do(settings, message):
    with pytest.raises(ConfigError, match=message):
        ToyStructure(**{"model": "infogan", **settings})


def test_a_conditional_infogan_is_refused_in_plain_words():
    with pytest.raises(ConfigError, match="turn conditional off"):
        ImageStructure(model="infogan", conditional=True)
