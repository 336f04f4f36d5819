"""The Dynamics page's figures: arrows of one length along the field, a click grid on top, and
log ticks that do not pile up."""

from __future__ import annotations

import numpy as np
import pytest

from ganlab.viz.plots_dynamics import CLICK_CELLS, CLICK_TRACE, arrow_segments, curves_figure, field_figure, log_ticks


def test_arrows_have_one_length_and_point_along_the_field():
    seg = arrow_segments(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 0.0]),
                         np.array([3.0, 0.0, 0.0]), np.array([4.0, -2.0, 0.0]), length=0.5)
    assert seg[0].ravel() == pytest.approx([-0.15, -0.2, 0.15, 0.2])  # centred on (0, 0), along (3, 4)
    assert seg[1].ravel() == pytest.approx([1.0, 1.25, 1.0, 0.75])
    assert seg[2].tolist() == [[2.0, 0.0], [2.0, 0.0]]  # no field: no arrow


def test_the_field_figure_ends_with_the_click_grid_over_the_view():
    path = np.array([[1.0, 1.0], [0.5, 0.2], [np.nan, np.nan]])
    theta, psi = np.array([0.0]), np.array([1.0])
    fig = field_figure(theta, psi, np.array([1.0]), np.array([0.0]), [path, path], view=3.0)
    grid = fig.data[-1]
    assert grid.name == CLICK_TRACE and len(grid.x) == CLICK_CELLS ** 2
    assert (min(grid.x), max(grid.x), min(grid.y), max(grid.y)) == (-3.0, 3.0, -3.0, 3.0)
    assert list(fig.layout.xaxis.range) == [-3.0, 3.0] and fig.layout.yaxis.scaleanchor == "x"
    ends = [t for t in fig.data if t.text is not None]
    assert len(ends) == 2 and list(ends[0].x) == [1.0, 0.5]  # start and last finite point


def test_the_curves_have_three_panels_per_start():
    path = np.array([[1.0, 1.0], [0.5, 0.5]])
    fig = curves_figure([path], [np.array([1.0, 2.0])], [np.array([3.0, 4.0])])
    assert len(fig.data) == 3 and fig.layout.yaxis3.type == "log"
    assert list(fig.data[2].y) == pytest.approx([np.sqrt(2), np.sqrt(0.5)])


def test_log_ticks():
    assert log_ticks([np.array([0.14, 1.4])]) == pytest.approx([0.1, 0.2, 0.5, 1.0, 2.0])
    assert log_ticks([np.array([1e-10, 1.4])]) == pytest.approx([1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1.0])
    assert log_ticks([np.array([0.0, np.nan])]) == []
