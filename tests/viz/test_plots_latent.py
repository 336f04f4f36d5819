"""The latent page's figures speak the playground's visual language: real, generated and
D's map take their colours from ganlab.viz.plots (PALETTE, SURFACE_COLORSCALE), whatever those are."""

from __future__ import annotations

import numpy as np
import pytest

from ganlab.viz.plots import PALETTE, SURFACE_COLORSCALE
from ganlab.viz.plots_latent import (
    WALK_COLOURS,
    directions_figure,
    interpolation_figure,
    score_histogram,
    score_map_figure,
)

BOUNDS = (-1.5, 1.5, -1.5, 1.5)
REAL = np.array([[0.0, 1.0], [1.0, 0.0]])


def marker_colour(fig, name: str) -> str:
    trace = next(t for t in fig.data if t.name == name)
    return trace.marker.color


def test_interpolation_figure_colours_real_and_generated_like_the_playground():
    path = np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]])
    fig = interpolation_figure(REAL, path, path[[0, 2]], path[1], BOUNDS)
    assert marker_colour(fig, "real data") == PALETTE["real"]
    assert next(t for t in fig.data if t.name == "G(path)").line.color == PALETTE["fake"]
    assert marker_colour(fig, "frames") == PALETTE["fake"]
    assert marker_colour(fig, "G(z(t))") == PALETTE["fake"]


def test_direction_walks_use_neither_the_real_nor_the_generated_colour():
    walks = [np.array([[0.0, 0.0], [float(j), 1.0]]) for j in range(len(WALK_COLOURS))]
    fig = directions_figure(REAL, np.array([0.2, 0.3]), walks, [f"PC {j}" for j in range(len(walks))], BOUNDS)
    assert marker_colour(fig, "real data") == PALETTE["real"] and marker_colour(fig, "G(z)") == PALETTE["fake"]
    lines = {t.line.color for t in fig.data if t.name.startswith("PC")}
    assert len(lines) == len(WALK_COLOURS) and not lines & {PALETTE["real"], PALETTE["fake"]}


@pytest.mark.parametrize("loss, surface, expected", [
    ("non-saturating", np.array([[0.2, 0.4], [0.6, 0.7]]), ("P(real)", 0.0, 1.0)),  # a probability: all of [0, 1]
    ("least-squares", np.array([[-19.0, 0.4], [0.6, 19.0]]), ("D(x)", -0.5, 1.5)),  # LSGAN: around its targets 0, 1
    ("hinge", np.array([[-3.0, 1.0], [np.nan, 2.0]]), ("critic value", -2.9, 2.9)),  # symmetric about 0, 95th pct
])
def test_score_map_uses_the_playgrounds_surface_colours_and_range(loss, surface, expected):
    """The Latent page's D map follows the playground's one per-loss rule (ganlab.viz.display), so
    an LSGAN is not labelled a critic with a +-19 range there either (issue 11.10)."""
    label, zmin, zmax = expected
    xs = ys = np.array([-1.0, 1.0])
    fig = score_map_figure(REAL, xs, ys, surface, label, np.array([0.0, 0.0]), BOUNDS, loss=loss)
    heat = fig.data[0]
    assert [list(stop) for stop in heat.colorscale] == [list(stop) for stop in SURFACE_COLORSCALE]
    assert heat.colorbar.title.text == label
    assert (heat.zmin, heat.zmax) == pytest.approx((zmin, zmax))
    assert marker_colour(fig, "real data") == PALETTE["real"]


def test_score_histogram_colours_real_and_generated_scores():
    fig = score_histogram(np.array([0.8, 0.9]), np.array([0.1, 0.2]), 0.5, "D(x)")
    assert [(t.name, t.marker.color) for t in fig.data] == [("real", PALETTE["real"]), ("generated", PALETTE["fake"])]
