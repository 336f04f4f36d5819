"""Projector mode through Streamlit's AppTest: `present=1` (or the toggle) draws the training
pages' projector layout, folds the sidebar and puts the step buttons on keys; the toggle and
the link agree, and a bad value is named."""

from __future__ import annotations

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from ganlab.ui import projector
from tests.apptest_pages import PLAYGROUND, open_with, run_ok

SMALL_TOY = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}
SMALL_IMAGES = {"w": "8", "nd": "8", "bs": "8"}
GRAPH = 'class="ganlab-model-graph"'


@pytest.fixture
def sidebar_states(monkeypatch):
    """The initial_sidebar_state of every st.set_page_config call the page makes."""
    calls: list[str | None] = []
    real = streamlit.set_page_config

    def recording(*args, **kwargs):
        calls.append(kwargs.get("initial_sidebar_state"))
        return real(*args, **kwargs)

    monkeypatch.setattr(streamlit, "set_page_config", recording)
    return calls


def graphs_in_main(at: AppTest) -> int:
    return sum(GRAPH in m.value for m in at.main.markdown)


def link_value(at: AppTest) -> str | None:
    value = at.query_params.get(projector.URL_KEY)
    return value[-1] if isinstance(value, list) else value


def test_present_1_draws_the_projector_layout(playground, sidebar_states):
    at = open_with(playground, SMALL_TOY, present="1")
    assert not at.warning, [w.value for w in at.warning]  # present is the app's key, not an unknown setting
    assert not at.title  # the title gives its room to the live view
    assert "collapsed" in sidebar_states
    assert not [e for e in at.expander if e.label == "Model overview graph"]
    assert graphs_in_main(at) == 1  # beside the view, not in its expander
    numbers = next(m.value for m in at.main.markdown if "ganlab-projector-numbers" in m.value)
    assert "Modes covered" in numbers and "0 / 8" in numbers  # the ring's 8 modes
    toggle = at.toggle(key=projector.TOGGLE_KEY)
    assert toggle.value is True
    assert not [t for t in at.sidebar.toggle if t.key == projector.TOGGLE_KEY]  # in the transport row
    assert link_value(at) == "1"


def test_present_mode_puts_the_step_buttons_on_keys(playground):
    at = open_with(playground, SMALL_TOY, present="1")
    play = at.button(key="pg_play")
    assert play.proto.shortcut == "space" and "Space" in play.help  # Streamlit keeps it in lower case
    assert at.button(key="pg_step").proto.shortcut == "s"
    assert at.button(key="pg_step_d").proto.shortcut == "d"
    assert at.button(key="pg_step_g").proto.shortcut == "g"
    assert at.button(key="slowmo_start").proto.shortcut == "m"


def test_the_normal_layout_has_no_keys_and_the_graph_in_its_expander(playground, sidebar_states):
    at = open_with(playground, SMALL_TOY)
    assert at.title and "collapsed" not in sidebar_states
    assert at.button(key="pg_play").proto.shortcut == ""
    assert [e for e in at.expander if e.label == "Model overview graph"]
    assert at.sidebar.toggle(key=projector.TOGGLE_KEY).value is False
    assert link_value(at) is None


def test_the_toggle_writes_and_removes_present_1(playground):
    at = open_with(playground, SMALL_TOY)
    at.sidebar.toggle(key=projector.TOGGLE_KEY).set_value(True)
    run_ok(at)
    assert link_value(at) == "1"
    assert not at.title and not [e for e in at.expander if e.label == "Model overview graph"]
    assert graphs_in_main(at) == 1  # beside the view
    assert at.button(key="pg_play").proto.shortcut == "space"
    at.toggle(key=projector.TOGGLE_KEY).set_value(False)
    run_ok(at)
    assert link_value(at) is None
    assert at.title and at.button(key="pg_play").proto.shortcut == ""
    assert at.sidebar.toggle(key=projector.TOGGLE_KEY).value is False


@pytest.mark.parametrize("raw", ["yes", "2"])
def test_a_bad_present_value_is_named_and_leaves_the_mode_off(playground, raw):
    at = open_with(playground, SMALL_TOY, present=raw)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and f"present={raw}" in warnings[0], warnings
    assert "no such setting" not in warnings[0]  # not reported a second time by the settings' decoder
    assert at.title and link_value(at) is None


def test_present_1_on_the_image_page(images, sidebar_states):
    at = open_with(images, SMALL_IMAGES, present="1")
    assert not at.warning, [w.value for w in at.warning]
    assert not at.title and "collapsed" in sidebar_states
    assert graphs_in_main(at) == 1
    assert not [e for e in at.expander if e.label == "Model overview graph"]
    assert at.button(key="im_step").proto.shortcut == "s"


def test_the_mode_follows_the_session_to_the_training_pages_only(playground):
    """Page links drop the query: back on the playground the mode is on again (and in the link);
    the side-by-side page, which does not lay itself out for a projector, gets no keys (its two
    transport bars would share them)."""
    at = open_with(playground, SMALL_TOY, present="1")
    at.switch_page("pages/7_Side_by_side.py")
    at.query_params.clear()
    run_ok(at)
    assert len(at.button) > 2 and all(b.proto.shortcut == "" for b in at.button)
    assert link_value(at) is None
    at.switch_page(PLAYGROUND)
    at.query_params.clear()
    run_ok(at)
    assert link_value(at) == "1" and not at.title
    assert at.button(key="pg_step").proto.shortcut == "s"


def test_a_lesson_link_made_on_the_projector_does_not_carry_present():
    """The teacher makes the participants' link on the projector's page: their pages open normally."""
    from ganlab.settings.shaping import PageShape
    from ganlab.ui.lesson_link import lesson_params

    params = {"data": "grid", "present": "1", "run": "abc", "loss": "hinge"}
    assert lesson_params(params, PageShape(locked=("loss",)), {}, short=False) == {
        "data": "grid", "loss": "hinge", "lock": "loss"}
