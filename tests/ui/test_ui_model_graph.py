"""The model overview graph on both training pages (AppTest): its nodes show the run's current
numbers (step, update counts, losses and D's mean scores equal to the run's last history row),
the highlight follows the last step, and a slow-motion stage lights its own edge."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from ganlab.ui.model_graph import TITLE
from ganlab.ui.slow_motion import SLOWMO_STAGE_KEY
from tests.apptest_pages import open_with, runner_of
from tests.conftest import wait_until

SMALL_TOY = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}
SMALL_IMAGE = {"w": "8", "nd": "8", "bs": "8"}


def graph_html(at: AppTest) -> str:
    return next(m.value for m in at.markdown if 'class="ganlab-model-graph"' in m.value)


def stepped(at: AppTest, key: str, steps: int) -> tuple[AppTest, object]:
    runner = runner_of(at)
    at.button(key=key).click().run()
    wait_until(lambda: runner.snapshot().step == steps and runner.snapshot(want_view=True).settled, timeout=30)
    return at.run(), runner.snapshot()


def test_the_graph_shows_the_runs_last_numbers_and_lights_the_last_step(playground):
    at = open_with(playground, SMALL_TOY)
    assert [e.label for e in at.expander if e.label == TITLE] == [TITLE]
    assert "Step 0 · nothing trained yet" in graph_html(at)
    at, snap = stepped(at, "pg_step", 1)
    html = graph_html(at)
    last = {k: float(v[-1]) for k, v in snap.history.items() if k != "step"}
    assert f">{last['d_loss']:.3f}<" in html and f">{last['g_loss']:.3f}<" in html
    assert f">real: {last['d_real']:.2f}<" in html and f">fake: {last['d_fake']:.2f}<" in html
    assert "Step 1 · last step: a D update, then a G update" in html
    assert 'class="edge gradient lit-d" data-id="d_loss-discriminator"' in html
    assert 'class="edge gradient lit-g" data-id="g_loss-generator"' in html
    assert html.count("<image ") == 5  # noise, G's manifold, real, generated, D's surface
    at, snap = stepped(at, "pg_step_d", 2)  # a lone D step: G's path goes dark, its loss greys
    html = graph_html(at)
    assert "Step 2 · last step: a D update only" in html
    assert 'class="edge gradient idle" data-id="g_loss-generator"' in html
    assert f">{snap.latest['d_loss']:.3f}<" in html and ">1 update<" in html and ">2 updates<" in html
    assert f"earlier step: the last step did not compute it</title>{last['g_loss']:.3f}<" in html


def test_each_slow_motion_sub_step_shows_the_graph_lit_for_it(playground):
    at = open_with(playground, SMALL_TOY)
    at.button(key="slowmo_start").click().run()
    seen = []
    while at.session_state[SLOWMO_STAGE_KEY] != "g_grad" and len(seen) < 30:
        seen.append(at.session_state[SLOWMO_STAGE_KEY])
        at.button(key="slowmo_next").click().run()
    graphs = [m.value for m in at.markdown if 'class="ganlab-model-graph"' in m.value]
    assert len(graphs) == 2 and seen[:3] == ["d_sample", "d_fake", "d_score"]
    above, walked = graphs
    assert "slow motion: G step: the gradient of G's loss flows back through D to G" in walked
    assert 'class="edge gradient lit-g" data-id="g_loss-generator"' in walked and "lit-d" not in walked
    assert "slow motion" not in above  # the graph above the view shows the last training step


def test_a_closed_graph_is_not_drawn(playground):
    at = open_with(playground, SMALL_TOY)
    at.session_state["pg_graph_open"] = False
    at.run()
    assert not any('class="ganlab-model-graph"' in m.value for m in at.markdown)


def test_the_image_pages_compact_graph_shows_its_runs_numbers(images):
    at = open_with(images, SMALL_IMAGE)
    at, snap = stepped(at, "im_step", 1)
    html = graph_html(at)
    assert f">{float(snap.history['d_loss'][-1]):.3f}<" in html and f">{float(snap.history['g_loss'][-1]):.3f}<" in html
    assert ">Gaussian · 8-D<" in html and "Step 1 · last step" in html
    assert html.count("<image ") == 3  # the noise, real and generated images
