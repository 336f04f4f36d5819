"""The playground's view layers in the link, the weight clip under losses that do not clip, and a
preset's description said once (issue 22, item 10), through AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.settings.image_presets import IMAGE_PRESETS
from ganlab.settings.presets import PRESETS
from ganlab.viz.plots import LAYERS
from tests.apptest_pages import ENTRY, fresh_app, open_with

PAGE = "pages/1_Playground.py"
SMALL = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


@pytest.fixture
def page_app(request):
    yield from fresh_app(request.param)


def layers_param(at: AppTest) -> str | None:
    value = at.query_params.get("layers")
    return value[-1] if isinstance(value, list) else value


def every_text(at: AppTest) -> str:
    """The text of every markdown, caption and message on the page, sidebar included."""
    blocks = [*at.markdown, *at.caption, *at.info, *at.success, *at.warning, *at.error]
    return "\n".join(str(b.value) for b in blocks)


def test_the_links_layers_are_shown_and_a_change_goes_into_the_link(app):
    at = open_with(app, SMALL, layers="real,fake")
    assert at.pills(key="pg_layers").value == ["real", "fake"]
    assert not at.warning, [w.value for w in at.warning]  # "layers" is understood, not an unknown setting
    at.pills(key="pg_layers").set_value(["surface", "real", "fake"]).run()
    assert layers_param(at) == "surface,real,fake"
    at.pills(key="pg_layers").set_value(["fake"]).run()
    assert layers_param(at) == "fake"
    at.pills(key="pg_layers").set_value([]).run()
    assert layers_param(at) == "none"  # nothing shown is kept as such, not read back as the default
    at.pills(key="pg_layers").set_value(list(LAYERS)).run()
    assert layers_param(at) is None  # all layers is the default: the link stays short


def test_a_link_without_layers_shows_them_all_and_a_bad_name_is_reported(app):
    at = open_with(app, SMALL)
    assert at.pills(key="pg_layers").value == list(LAYERS)
    assert layers_param(at) is None

    at = open_with(AppTest.from_file(ENTRY, default_timeout=60).switch_page(PAGE), SMALL, layers="real,clouds")
    assert at.pills(key="pg_layers").value == ["real"]
    assert any("clouds" in w.value and "not understood" in w.value for w in at.warning)


def test_the_link_with_no_layers_opens_with_none(app):
    at = open_with(app, SMALL, layers="none")
    assert at.pills(key="pg_layers").value == []


@pytest.mark.parametrize("loss, disabled", [("non-saturating", True), ("hinge", True), ("wasserstein-gp", True),
                                            ("wasserstein-clip", False)])
def test_weight_clip_is_greyed_out_for_losses_that_do_not_clip(app, loss, disabled):
    at = open_with(app, SMALL, loss=loss, gp="10")
    clip = at.number_input(key="pg_clip")
    assert clip.disabled is disabled
    if disabled:
        assert "Not used by" in clip.help and "Wasserstein, weight clipping" in clip.help


@pytest.mark.parametrize("page_app, prefix, presets, preset", [
    ("pages/1_Playground.py", "pg_", PRESETS, "wgan-gp"),
    ("pages/2_Images.py", "im_", IMAGE_PRESETS, None),
], indirect=["page_app"])
def test_an_applied_preset_says_its_description_once(page_app, prefix, presets, preset):
    at = page_app
    params = SMALL if prefix == "pg_" else {"w": "8", "nd": "8", "bs": "8"}
    at = open_with(at, params)
    name = preset or at.selectbox(key=prefix + "preset").value
    at.selectbox(key=prefix + "preset").set_value(name).run()
    at.button(key=prefix + "apply_preset").click().run()
    description = presets[name].description
    assert every_text(at).count(description) == 1, every_text(at).count(description)
    at.button(key=prefix + "apply_preset_keep").click().run()
    assert every_text(at).count(description) == 1, every_text(at).count(description)
