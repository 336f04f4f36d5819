"""CycleGAN between two 2D distributions (ganlab.kinds.cyclegan): both maps and both critics, the
step's extra term worked by hand, the cycle error of hand-made maps, and the structure's rules."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from ganlab.gan.losses import get_loss
from ganlab.gan.step import train_step
from ganlab.kinds import kind_of
from ganlab.kinds.cyclegan import CycleCritics, CyclePair, cycle_error, extra_loss_for, mapping_lines, spread
from ganlab.nets.mlp import MLPDiscriminator
from ganlab.settings.config import ConfigError, Knobs, MLPShape, ToyStructure

SMALL = MLPShape(1, 16)
CYCLE = ToyStructure(model="cyclegan", data="ring", data_b="square", generator=SMALL, discriminator=SMALL)


class Shift(nn.Module):
    def __init__(self, by: tuple[float, float]) -> None:
        super().__init__()
        self.by = torch.tensor(by)

    def forward(self, x: torch.Tensor, labels=None) -> torch.Tensor:
        return x + self.by


def test_the_pair_maps_a_to_b_and_the_critics_pair_scores_with_d_b():
    G, D = kind_of(CYCLE).build_nets(CYCLE)
    assert isinstance(G, CyclePair) and isinstance(D, CycleCritics)
    x = torch.randn(4, 2)
    torch.testing.assert_close(G(x), G.ab(x))
    torch.testing.assert_close(D(x), D.b(x))
    assert {k.split(".")[0] for k in G.state_dict()} == {"ab", "ba"}
    assert {k.split(".")[0] for k in D.state_dict()} == {"b", "a"}


def test_the_cycle_error_of_hand_made_maps():
    a = torch.tensor([[0.0, 0.0], [2.0, 0.0]])  # spread: both points 1 from their mean
    assert spread(a.numpy()) == pytest.approx(1.0)
    there_and_back = CyclePair(Shift((1.0, 0.0)), Shift((-1.0, 0.0)))
    assert cycle_error(there_and_back, a, 1.0) == 0.0
    off_by = CyclePair(Shift((3.0, 4.0)), Shift((0.0, 0.0)))  # back lands 5 away from every start
    assert cycle_error(off_by, a, spread(a.numpy())) == pytest.approx(5.0)
    lines = mapping_lines(off_by, a)
    assert lines.shape == (2, 3, 2) and np.allclose(lines[1], [[2, 0], [5, 4], [5, 4]])


def test_the_extra_term_is_the_way_back_and_the_cycle_worked_by_hand():
    torch.manual_seed(0)
    pair = CyclePair(Shift((1.0, 0.0)), Shift((0.0, 2.0)))
    critics = CycleCritics(MLPDiscriminator(SMALL), MLPDiscriminator(SMALL))
    b = torch.tensor([[1.0, 1.0], [0.0, -1.0]])
    extra = extra_loss_for(pair, critics, lambda n: b[:n])
    a = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    fake_b = pair(a)
    loss = get_loss("non-saturating")
    knobs = Knobs(cycle_weight=10.0, identity_weight=0.5)
    d_term, d_record = extra(a, fake_b, knobs, "d")
    torch.testing.assert_close(d_term, loss.d_loss(critics.a(a), critics.a(b + torch.tensor([0.0, 2.0]))))
    g_term, g_record = extra(a, fake_b, knobs, "g")
    # |F(G(a)) - a| = |(1, 2)| = 3 per point (L1); |G(F(b)) - b| = 3 too; identity: |G(b) - b| = 1, |F(a) - a| = 2
    assert g_record["cycle_loss"].item() == pytest.approx(6.0)
    adversarial = loss.g_loss(critics.a(b + torch.tensor([0.0, 2.0])))
    torch.testing.assert_close(g_term, adversarial + 10.0 * 6.0 + 0.5 * 3.0)
    assert set(d_record) == {"reverse_d_loss"} and set(g_record) == {"reverse_g_loss", "cycle_loss"}


def test_a_cycle_run_trains_both_maps_and_measures_against_domain_b():
    experiment = kind_of(CYCLE).experiment(CYCLE)
    knobs = Knobs(batch_size=32)
    parts = experiment.build(knobs)
    back_before = [p.detach().clone() for p in parts.generator.ba.parameters()]
    critic_a_before = [p.detach().clone() for p in parts.discriminator.a.parameters()]
    record = train_step(parts, knobs)
    assert {"cycle_loss", "reverse_d_loss", "reverse_g_loss"} <= set(record)
    assert any(not torch.equal(x, y) for x, y in zip(back_before, parts.generator.ba.parameters(), strict=True))
    assert any(not torch.equal(x, y) for x, y in zip(critic_a_before, parts.discriminator.a.parameters(), strict=True))
    measured = experiment.evaluate(parts)
    assert measured["cycle_error"] > 0 and 0 <= measured["modes_covered"] <= 8
    assert experiment.target.name == "square" and kind_of(CYCLE).modes_total(experiment) == 8
    view = experiment.view(parts, knobs)
    assert view.manifold.shape == (60, 3, 2) and np.allclose(view.real, experiment.real_eval[:500])
    assert np.allclose(view.source, experiment.eval_noise[:500].numpy())  # domain A, where the lines start
    assert np.allclose(view.manifold[:, 0], view.source[:60])


@pytest.mark.parametrize(("settings", "expected_b"), [
    ({"data": "ring"}, "square"),
    ({"data": "square"}, "ring"),
    ({"data": "grid", "data_b": "ring"}, "ring"),
])
def test_domain_b_defaults_to_a_set_of_as_many_modes(settings, expected_b):
    assert ToyStructure(model="cyclegan", **settings).data_b == expected_b
    assert ToyStructure(data_b="ring").data_b == ""  # the other models carry no domain B


@pytest.mark.parametrize(("settings", "message"), [
    ({"data": "csv"}, "CSV points"),
    ({"pack": 2}, "packing to 1"),
    ({"data_b": "nowhere"}, "domain B must be one of"),
])
def test_the_structure_says_what_cyclegan_cannot_do(settings, message):
    with pytest.raises(ConfigError, match=message):
        ToyStructure(**{"model": "cyclegan", **settings})


def test_cyclegan_on_images_is_refused_with_the_models_that_train_images():
    from ganlab.settings.config import ImageStructure

    with pytest.raises(ConfigError, match="maps 2D points: for image data choose gan or infogan or stylegan"):
        ImageStructure(model="cyclegan")


def test_the_views_draw_domain_a_in_its_own_colour_with_the_mapping_layer():
    from ganlab.viz.plots import PALETTE, toy_view_figure
    from ganlab.viz.raster import render_plot_square

    experiment = kind_of(CYCLE).experiment(CYCLE)
    view = experiment.view(experiment.build(Knobs(batch_size=16)), Knobs())
    names = [trace.name for trace in toy_view_figure(view, ["manifold", "real"]).data]
    assert names == ["A → G(A) → F(G(A))", "Domain A", "Real samples"]
    assert "Domain A" not in [trace.name for trace in toy_view_figure(view, ["real"]).data]
    with_a = np.asarray(render_plot_square(view, ["manifold"], None, 120, supersample=1), dtype=float)
    lines_only = np.asarray(render_plot_square(dataclasses.replace(view, source=None), ["manifold"], None, 120,
                                               supersample=1), dtype=float)
    changed = np.abs(with_a - lines_only).sum(axis=-1) > 0
    teal = np.array([int(PALETTE["source"][i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    towards_teal = np.linalg.norm(with_a[changed] - teal, axis=1) < np.linalg.norm(lines_only[changed] - teal, axis=1)
    assert changed.sum() > 100 and towards_teal.all()  # the domain-A discs, blended toward its colour
