"""The style-based model on image runs: its nets, a training step, a preview grid that does not
flicker with the noise inputs, and where it is refused."""

from __future__ import annotations

import pytest
import torch

from ganlab.data.images import ImageDataset
from ganlab.gan.step import train_step
from ganlab.kinds import kind_of
from ganlab.kinds.models import model_of
from ganlab.nets.dcgan import DCGANDiscriminator
from ganlab.nets.style import StyleGenerator
from ganlab.settings.config import ConfigError, ImageStructure, Knobs, ToyStructure

STYLE = ImageStructure(model="stylegan", width=8, noise_dim=8)


def _digits() -> ImageDataset:
    g = torch.Generator().manual_seed(0)
    return ImageDataset(torch.randint(0, 256, (32, 1, 28, 28), dtype=torch.uint8, generator=g), torch.arange(32) % 10,
                        name="digits", class_names=[str(i) for i in range(10)])


def test_a_style_run_has_a_style_generator_and_the_image_kinds_discriminator():
    G, D = kind_of(STYLE).build_nets(STYLE)
    assert isinstance(G, StyleGenerator) and isinstance(D, DCGANDiscriminator)
    assert model_of(STYLE).has_styles and not model_of(ImageStructure()).has_styles
    again, _ = kind_of(STYLE).build_nets(STYLE)
    assert all(torch.equal(a, b) for a, b in zip(G.state_dict().values(), again.state_dict().values(), strict=True))


def test_a_style_run_trains_and_its_grid_is_the_same_picture_twice():
    experiment = kind_of(STYLE).experiment(STYLE, _digits())
    knobs = Knobs(batch_size=8)
    parts = experiment.build(knobs)
    before = [p.detach().clone() for p in parts.generator.parameters()]
    for _ in range(2):
        record = train_step(parts, knobs)
    assert all(torch.isfinite(torch.tensor(v)) for v in record.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, parts.generator.parameters(), strict=True))
    with torch.no_grad():
        for name, p in parts.generator.named_parameters():
            if "noise_strength" in name:
                p.fill_(0.5)  # the noise inputs matter now: a grid drawn in train mode would change
    assert parts.generator.training
    assert (experiment.grid(parts.generator) == experiment.grid(parts.generator)).all()
    assert parts.generator.training  # the grid put it back as it was


@pytest.mark.parametrize(("structure", "message"), [
    (lambda: ToyStructure(model="stylegan"), "draws images"),
    (lambda: ImageStructure(model="stylegan", conditional=True), "unconditional"),
])
def test_the_style_model_is_refused_where_it_cannot_train(structure, message):
    with pytest.raises(ConfigError, match=message):
        structure()
