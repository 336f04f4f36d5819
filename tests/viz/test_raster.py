"""The live 2D view drawn as a PNG: checked pixel by pixel on constructed views."""

import io

import numpy as np
import pytest
from PIL import Image

from ganlab.kinds.toy_experiment import ToyView
from ganlab.viz.plots import LAYERS, PALETTE
from ganlab.viz.raster import (
    COLORBAR_WIDTH,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_TOP,
    jpeg_bytes,
    nice_ticks,
    png_bytes,
    render_plot_square,
    render_toy_view,
    surface_colours,
)


def rgb(hex_colour):
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def view(surface_value=1.0, real=((0.0, 0.0),), fake=((1.0, 1.0),), label="D(x)"):
    xs = np.linspace(-2, 2, 10)
    return ToyView(
        real=np.array(real, float), fake=np.array(fake, float), surface_x=xs, surface_y=xs,
        surface=np.full((10, 10), surface_value), surface_label=label,
        arrow_from=np.zeros((0, 2)), arrow_dir=np.zeros((0, 2)), manifold=None, bounds=(-2.0, 2.0, -2.0, 2.0),
    )


def close(pixel, colour, tol=6):
    return all(abs(int(a) - b) <= tol for a, b in zip(pixel, colour, strict=False))


def test_nice_ticks_are_round_and_inside():
    np.testing.assert_allclose(nice_ticks(-1.5, 1.5), [-1, 0, 1])  # raw step 0.6 -> 1
    np.testing.assert_allclose(nice_ticks(-6, 6), [-5, 0, 5])  # raw 2.4 -> 5
    np.testing.assert_allclose(nice_ticks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1.0])  # raw 0.2 -> 0.2
    assert nice_ticks(1, 1).size == 0 and nice_ticks(0, float("nan")).size == 0


def test_surface_colours_follow_the_scale_and_nan_is_white():
    colours = surface_colours(np.array([[0.0, 0.5, 1.0, np.nan]]), 0.0, 1.0)[0]
    assert [tuple(c) for c in colours] == [rgb("#c2a5cf"), rgb("#f7f7f7"), rgb("#a6dba0"), (255, 255, 255)]
    critic = surface_colours(np.array([[-3.0, 0.0, 3.0]]), -3.0, 3.0)[0]  # symmetric range for a critic
    assert tuple(critic[1]) == rgb("#f7f7f7")


@pytest.mark.parametrize("supersample", [1, 2])
def test_points_land_where_their_coordinates_say(supersample):
    square = np.asarray(render_plot_square(view(), ["surface", "real", "fake"], None, size=100, supersample=supersample))
    assert square.shape == (100, 100, 3)
    assert close(square[2, 2], rgb("#a6dba0"))  # D says "real" everywhere: green background
    # real point (0, 0) at the centre; fake (1, 1) three quarters across, a quarter down
    real_mix = 0.75 * np.array(rgb(PALETTE["real"])) + 0.25 * np.array(rgb("#a6dba0"))
    assert close(square[50, 50], real_mix, tol=12)
    fake_mix = 0.75 * np.array(rgb(PALETTE["fake"])) + 0.25 * np.array(rgb("#a6dba0"))
    assert close(square[25, 75], fake_mix, tol=12)


def test_layers_switch_off():
    without = np.asarray(render_plot_square(view(), ["fake"], None, size=100))
    assert close(without[2, 2], (255, 255, 255))  # no surface: white
    assert close(without[50, 50], (255, 255, 255))  # no real layer: nothing at (0, 0)


def test_modes_are_marked():
    plain = np.asarray(render_plot_square(view(real=()), [], None, size=100))
    marked = np.asarray(render_plot_square(view(real=()), ["modes"], np.array([[0.0, 0.0]]), size=100))
    assert (plain[40:60, 40:60] == 255).all() and (marked[40:60, 40:60] < 200).any()


def test_non_finite_points_are_skipped():
    square = np.asarray(render_plot_square(view(real=((np.nan, 0.0), (np.inf, 1.0))), ["real"], None, size=50))
    assert (square == 255).all()


@pytest.mark.parametrize("layers, extra", [(LAYERS, COLORBAR_WIDTH), (("real",), 12)])
def test_the_whole_picture_and_its_png(layers, extra):
    image = render_toy_view(view(), layers, np.array([[0.0, 0.0]]), plot_size=200)
    assert image.size == (MARGIN_LEFT + 200 + extra, MARGIN_TOP + 200 + MARGIN_BOTTOM)
    decoded = Image.open(io.BytesIO(png_bytes(image)))
    assert decoded.format == "PNG" and np.array_equal(np.asarray(decoded.convert("RGB")), np.asarray(image))


def test_jpeg_for_the_live_view_decodes_close_to_the_picture():
    image = render_toy_view(view(), LAYERS, None, plot_size=120)
    decoded = Image.open(io.BytesIO(jpeg_bytes(image)))
    assert decoded.format == "JPEG" and decoded.size == image.size
    difference = np.abs(np.asarray(decoded, dtype=int) - np.asarray(image, dtype=int))
    assert difference.mean() < 3  # lossy, but no visible change on average


def test_drawing_without_supersampling_gives_nearly_the_same_picture():
    smooth = np.asarray(render_toy_view(view(), LAYERS, np.array([[0.0, 0.0]]), plot_size=120, supersample=2), dtype=int)
    quick = np.asarray(render_toy_view(view(), LAYERS, np.array([[0.0, 0.0]]), plot_size=120, supersample=1), dtype=int)
    assert quick.shape == smooth.shape
    assert np.abs(quick - smooth).mean() < 4  # edges differ by a pixel; the picture does not


# ------------------------------------------------------------------ every point visible (issue 11.3)
def test_points_beyond_the_view_are_drawn_on_its_border():
    # bounds +-2 on 100 px: (5, 0) clamps to (2, 0), the middle of the right edge (row 50, column 99);
    # its triangle points right, tip at the edge, base 1.7 * 4.5 px further in
    inside_only = np.asarray(render_plot_square(view(fake=((0.0, 0.0),)), ["fake"], None, size=100))
    square = np.asarray(render_plot_square(view(fake=((0.0, 0.0), (5.0, 0.0))), ["fake"], None, size=100))
    assert close(inside_only[50, 95], (255, 255, 255))
    assert not close(square[50, 95], (255, 255, 255), tol=60)  # the marker's body
    assert close(square[50, 60], (255, 255, 255)) and close(square[40, 95], (255, 255, 255))  # only there
    # (0, 3) clamps to the top edge's middle (row 0, column 50): a triangle pointing up
    up = np.asarray(render_plot_square(view(fake=((0.0, 3.0),)), ["fake"], None, size=100))
    assert not close(up[4, 50], (255, 255, 255), tol=60) and close(up[4, 60], (255, 255, 255))


def _note_region(image):
    """The strip along the plot's bottom edge where the count of outside points is written."""
    return np.asarray(image)[MARGIN_TOP + 200 - 16:MARGIN_TOP + 200 - 2, MARGIN_LEFT + 30:MARGIN_LEFT + 150]


def test_the_picture_counts_points_outside_the_view():
    fake = ((0.0, 0.0), (5.0, 0.0), (0.0, -7.0), (3.0, 3.0))
    counted = render_toy_view(view(fake=fake), ["real", "fake"], None, plot_size=200)
    plain = render_toy_view(view(fake=((0.0, 0.0),)), ["real", "fake"], None, plot_size=200)
    assert (_note_region(plain) == 255).all()
    text = _note_region(counted)
    assert (np.abs(text.astype(int) - rgb(PALETTE["outside"])).sum(-1) < 60).sum() > 30  # written in its colour
    without_fake = render_toy_view(view(fake=fake), ["real"], None, plot_size=200)
    assert (_note_region(without_fake) == 255).all()  # generated points hidden: no count


# ------------------------------------------------------------------ one visual language (issue 11.10)
def test_mode_rings_lie_under_the_real_points():
    # a real point at a mode's centre keeps its colour: the ring goes round it, under it
    square = np.asarray(render_plot_square(view(fake=()), ["real", "modes"], np.array([[0.0, 0.0]]), size=100))
    real_on_white = 0.75 * np.array(rgb(PALETTE["real"])) + 0.25 * 255
    assert close(square[50, 50], real_on_white, tol=12)
    ring = np.asarray(render_plot_square(view(real=(), fake=()), ["modes"], np.array([[0.0, 0.0]]), size=100))
    assert (ring[40:60, 40:60] < 230).any() and close(ring[50, 50], (255, 255, 255))


def test_an_lsgan_surface_is_coloured_over_its_targets():
    # least squares: range -0.5..1.5, so D = 0 (the fake target) sits at 0.25 of the scale, halfway
    # between #c2a5cf and #f7f7f7, and D = 19 is clipped to the green end
    zero = np.asarray(render_plot_square(view(surface_value=0.0), ["surface"], None, size=20, loss="least-squares"))
    assert close(zero[10, 10], (220, 206, 227), tol=2)
    far = np.asarray(render_plot_square(view(surface_value=19.0), ["surface"], None, size=20, loss="least-squares"))
    assert close(far[10, 10], rgb("#a6dba0"), tol=2)
