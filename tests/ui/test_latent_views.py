"""Each latent view opened FIRST, on a fresh session, for each source: no view may need a
setting that only another view puts into the session (issue 11.1: "Nearest training images"
on a fresh tab crashed with a KeyError on the interpolation view's seed).

Two levels: the whole page (AppTest runs every script in full), and each view's panel run
on its own, as Streamlit re-runs a fragment when its button is pressed in a browser: only
the panel's code runs then, so it must default whatever it reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import ImageStructure, Knobs
from tests.apptest_pages import fresh_app
from tests.conftest import save_trained_run
from tests.ui.test_latent_page import PAGE, SMALL_TOY, captions, give_session, image_captions, run, tiny_images

VIEWS = ("interpolate", "directions", "ask", "nearest")
SOURCES = ("playground", "images", "saved-2d", "saved-image")
KIND = {"playground": "toy", "images": "image", "saved-2d": "toy", "saved-image": "image"}


@pytest.fixture(scope="module")
def saved_runs(tmp_path_factory) -> dict[str, Path]:
    """One runs folder per saved source, each holding one run, built once for the module."""
    from ganlab.data.image_sources import load_image_source
    from ganlab.kinds.image_experiment import ImageExperiment

    toy_dir, image_dir = tmp_path_factory.mktemp("runs-2d"), tmp_path_factory.mktemp("runs-image")
    save_trained_run(toy_dir / "ring-run", ToyExperiment(SMALL_TOY))
    structure = ImageStructure(dataset="digits", noise_dim=8, width=8)
    save_trained_run(image_dir / "digits-run", ImageExperiment(structure, load_image_source("digits", 28, 1)))
    return {"saved-2d": toy_dir, "saved-image": image_dir}


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def press_main(at: AppTest, view: str, kind: str) -> AppTest:
    """The view's main action: the button it is opened for (or, without one, its input)."""
    if view == "interpolate":
        at.button(key="lt_rand_a").click()
    elif view == "directions":
        at.button(key="lt_dir_centre").click()
    elif view == "ask" and kind == "toy":
        at.number_input(key="lt_ask_x").set_value(0.5)
    elif view == "ask":
        at.radio(key="lt_ask_what").set_value("frame")  # the interpolation image, read by another view
    elif kind == "image":
        at.button(key="lt_nn_go").click()
    return run(at)


def assert_output(at: AppTest, view: str, kind: str) -> None:
    """The element each view exists to show."""
    assert not at.error, [e.value for e in at.error]
    if view == "interpolate" and kind == "toy":
        assert any(c.value.startswith("G(z(t)) at t = 0.50") for c in at.caption)
        assert at.session_state["lt_seed_a"] != 1, "Random A drew another seed"
    elif view == "interpolate":
        assert "t = 0.50" in image_captions(at)
        assert any("frames from A (left) to B (right)" in c for c in image_captions(at))
    elif view == "directions" and kind == "toy":
        assert "Each curve is where its slider moves" in captions(at)
        assert [s.label.split(" · ")[0] for s in at.slider] == ["PC 1", "PC 2"]
    elif view == "directions":
        assert "G(z) at the sliders' values" in image_captions(at)
    elif view == "ask":
        assert any(m.label == "P(real)" for m in at.metric) and any(m.label == "Above real samples" for m in at.metric)
        if kind == "image":
            assert "What D sees" in image_captions(at)
    elif kind == "toy":
        assert any("memorization check is for image GANs" in i.value for i in at.info)
    else:
        found = [c for c in image_captions(at) if " · d " in c]
        assert len(found) == 5, image_captions(at)  # the default 5 neighbours of the interpolation image
        assert "median" in captions(at)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("source", SOURCES)
def test_each_view_opened_first_works_for_each_source(app, source, view, saved_runs, monkeypatch, tmp_path):
    monkeypatch.setenv("GANLAB_RUNS_DIR", str(saved_runs.get(source, tmp_path)))
    if source == "playground":
        give_session(app, "playground", ToyExperiment(SMALL_TOY))
    elif source == "images":
        give_session(app, "images", tiny_images())
    app.session_state["lt_view"] = view  # a fresh session whose first view is this one
    at = run(app)
    expected = {"playground": "this session's 2D playground", "images": "this session's image GAN",
                "saved-2d": "saved run 'ring-run'", "saved-image": "saved run 'digits-run'"}[source]
    assert f"Showing {expected}: the generator at step 2" in captions(at)
    assert at.radio(key="lt_view").value == view
    assert_output(press_main(at, view, KIND[source]), view, KIND[source])


# ---------------------------------------------------------------- one view alone
_EXPLORERS: dict = {}


def lone_explorer(kind: str):
    """A small untrained explorer of each kind, built once (the panels only render with it)."""
    if kind not in _EXPLORERS:
        from ganlab.explore.explorer import build_nets, explorer_from_nets

        experiment = ToyExperiment(SMALL_TOY) if kind == "toy" else tiny_images()
        _EXPLORERS[kind] = explorer_from_nets(experiment, Knobs(), *build_nets(experiment.structure), 0, "test")
    return _EXPLORERS[kind]


def _one_view(view: str, kind: str) -> None:
    """An app script that draws one view's panel and nothing else (what a fragment re-run runs)."""
    from ganlab.ui.latent import PANELS
    from tests.ui.test_latent_views import lone_explorer

    PANELS[view](lone_explorer(kind), None)


@pytest.mark.parametrize("kind", ("toy", "image"))
@pytest.mark.parametrize("view", VIEWS)
def test_each_view_panel_runs_alone_on_a_fresh_session(view, kind):
    at = run(AppTest.from_function(_one_view, args=(view, kind), default_timeout=60))
    assert_output(press_main(at, view, kind), view, kind)


def test_the_interpolation_image_other_views_use_is_the_one_the_user_set(app):
    """The ask and nearest views offer "the interpolation image (at t)": the user's t and seeds,
    kept while the interpolation view is hidden, not the defaults."""
    give_session(app, "images", tiny_images())
    at = run(app)
    at.number_input(key="lt_seed_b").set_value(7)
    at.slider(key="lt_t").set_value(0.9)
    run(at)
    frame = next(i.value for i in at.get("image") if "t = 0.90" in i.captions)
    at.radio(key="lt_view").set_value("ask")
    run(at)
    at.radio(key="lt_ask_what").set_value("frame")
    run(at)
    assert next(i.value for i in at.get("image") if "What D sees" in i.captions) == frame
    at.radio(key="lt_view").set_value("interpolate")
    run(at)
    assert at.slider(key="lt_t").value == 0.9 and at.number_input(key="lt_seed_b").value == 7
