"""The playground's slow-motion step through AppTest: one real iteration, walked sub-step by sub-step."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.training.runner import RunState
from ganlab.ui.slow_motion import SLOWMO_PHASE_KEY, SLOWMO_STAGE_KEY, STAGES, UNAVAILABLE_RUNNING
from tests.apptest_pages import fresh_app, open_with, runner_of
from tests.conftest import wait_until

PAGE = "pages/1_Playground.py"
SMALL = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def progress_text(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def settled(runner):
    wait_until(lambda: runner.snapshot().settled, timeout=30)
    return runner.snapshot()


def test_walk_one_iteration_with_two_d_updates_and_a_penalty(app):
    at = open_with(app, SMALL, ds="2", loss="wasserstein-gp", gp="10")
    runner = runner_of(at)
    before = settled(runner)
    assert at.session_state[SLOWMO_STAGE_KEY] is None
    at.button(key="slowmo_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    after = settled(runner)
    # exactly one iteration's worth: one step, D steps per G step D updates, one G update
    assert (after.step, after.d_updates, after.g_updates) == (before.step + 1, before.d_updates + 2,
                                                             before.g_updates + 1)
    assert progress_text(at) == "Sub-step 1 of 19: draw a real batch and noise"
    assert at.session_state[SLOWMO_STAGE_KEY] == "d_sample" and at.session_state[SLOWMO_PHASE_KEY] == 0
    assert at.button(key="slowmo_previous").disabled
    seen = [(at.session_state[SLOWMO_STAGE_KEY], at.session_state[SLOWMO_PHASE_KEY])]
    while not at.button(key="slowmo_next").disabled:
        at.button(key="slowmo_next").click().run()
        assert not at.exception, [e.value for e in at.exception]
        seen.append((at.session_state[SLOWMO_STAGE_KEY], at.session_state[SLOWMO_PHASE_KEY]))
    d = ["d_sample", "d_fake", "d_score", "d_penalty", "d_loss", "d_grad", "d_update"]
    g = ["g_sample", "g_score", "g_loss", "g_grad", "g_update"]
    assert seen == [(s, 0) for s in d] + [(s, 1) for s in d] + [(s, None) for s in g]
    assert all(stage in STAGES for stage, _ in seen)
    assert progress_text(at) == "Sub-step 19 of 19: G's update"
    assert any("moves G's weights one step" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) >= 2  # the live view, and this sub-step's picture
    # walking the replay trains nothing
    assert settled(runner).step == before.step + 1
    at.button(key="slowmo_previous").click().run()
    assert at.session_state[SLOWMO_STAGE_KEY] == "g_grad"


def test_d_update_shows_d_before_and_after(app):
    at = open_with(app, SMALL)
    at.button(key="slowmo_start").click().run()
    for _ in range(5):  # d_sample, d_fake, d_score, d_loss, d_grad -> d_update (no penalty here)
        at.button(key="slowmo_next").click().run()
    assert at.session_state[SLOWMO_STAGE_KEY] == "d_update"
    assert progress_text(at) == "Sub-step 6 of 11: D's update"
    titles = [c.proto.spec for c in at.get("plotly_chart")]
    assert sum("D before its update" in s for s in titles) == 1
    assert sum("D after its update" in s for s in titles) == 1


def test_another_slow_motion_step_starts_over_and_counts_again(app):
    at = open_with(app, SMALL)
    runner = runner_of(at)
    at.button(key="slowmo_start").click().run()
    at.button(key="slowmo_next").click().run()
    assert at.button(key="slowmo_start").label == "Another slow-motion step"
    at.button(key="slowmo_start").click().run()
    assert settled(runner).step == 2
    assert progress_text(at).startswith("Sub-step 1 of 11")
    assert any("from step 1 to 2" in c.value for c in at.caption)


def test_not_while_training_runs(app):
    at = open_with(app, SMALL)
    runner = runner_of(at)
    at.button(key="pg_play").click().run()
    wait_until(lambda: runner.state == RunState.RUNNING)
    at.run()
    assert at.button(key="slowmo_start").disabled
    assert any(UNAVAILABLE_RUNNING in i.value for i in at.info)
    at.button(key="pg_pause").click().run()
    wait_until(lambda: runner.state == RunState.PAUSED)
    at.run()
    assert not at.button(key="slowmo_start").disabled


def test_a_reset_drops_the_replay_of_the_old_weights(app):
    at = open_with(app, SMALL)
    runner = runner_of(at)
    at.button(key="slowmo_start").click().run()
    at.button(key="slowmo_next").click().run()
    assert at.session_state[SLOWMO_STAGE_KEY] == "d_fake"
    at.button(key="pg_reset").click().run()
    wait_until(lambda: runner.snapshot().step == 0 and runner.snapshot().settled, timeout=30)
    at.run()
    assert at.session_state[SLOWMO_STAGE_KEY] is None
    assert at.button(key="slowmo_start").label == "Take a slow-motion step"
    assert not at.get("progress")


def test_the_slow_motion_picture_follows_the_view_range(app):
    """Issue 22.7: the picture ignored View range (a speck of fakes in a -3..3 frame at step 0)."""
    import json

    at = open_with(app, SMALL)
    runner = runner_of(at)
    settled(runner)
    at.button(key="pg_range_in").click().run()  # Zoom in: half the width and height about the centre
    at.button(key="slowmo_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # the ring's frame is -1.5..1.5: zoomed in, -0.75..0.75; the live view and the sub-step's picture show it
    planes = [spec["layout"] for spec in (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
              if "range" in spec["layout"].get("xaxis", {})]
    assert len(planes) == 2
    assert all(p["xaxis"]["range"] == [-0.75, 0.75] and p["yaxis"]["range"] == [-0.75, 0.75] for p in planes), planes
