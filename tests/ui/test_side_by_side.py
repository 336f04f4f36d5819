"""The side-by-side page through AppTest: a pair link makes two runs, Play both moves both, one table."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.settings.presets import PRESETS
from ganlab.training.runner import RunState
from ganlab.ui.session import get_registry
from ganlab.ui.side_by_side import number_table, shared_range
from tests.apptest_pages import fresh_app, open_with, run_ok
from tests.conftest import wait_until

PAGE = "pages/7_Side_by_side.py"
SMALL = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def runners_of(at: AppTest):
    def one(name: str):
        token = at.query_params[name]
        runner = get_registry().get(token[0] if isinstance(token, list) else token)
        assert runner is not None
        return runner

    return one("arun"), one("brun")


def table(at: AppTest) -> dict[str, tuple[str, str]]:
    text = next(m.value for m in at.markdown if m.value.startswith("| | A | B |"))
    rows = [line.strip("|").split("|") for line in text.splitlines()[2:]]
    return {label.strip(): (a.strip(), b.strip()) for label, a, b in rows}


def test_a_pair_link_makes_two_runs_with_its_settings_and_names_bad_keys(app):
    at = open_with(app, SMALL, data="grid", seed="3", **{"b.loss": "hinge", "c.loss": "hinge", "a.glr": "fast"})
    a, b = runners_of(at)
    assert a is not b
    sa, sb = a.snapshot(), b.snapshot()
    assert (sa.structure.data, sa.structure.seed, sb.structure.data, sb.structure.seed) == ("grid", 3, "grid", 3)
    assert (sa.knobs.loss, sb.knobs.loss) == ("non-saturating", "hinge")
    assert sa.structure.generator.width == sb.structure.generator.width == 16
    warnings = [w.value for w in at.warning]
    assert warnings == ["Link setting c.loss=hinge not understood (no such setting), ignored; did you mean loss?",
                        "Link setting a.glr=fast is not a finite number; kept the default"]
    assert "A and B differ in (A / B): Loss non-saturating / hinge" in [c.value for c in at.caption]
    # the link now names what trains: shared settings once, the difference per run
    assert (at.query_params["a.loss"], at.query_params["b.loss"]) in ((["non-saturating"], ["hinge"]),
                                                                      ("non-saturating", "hinge"))
    assert "loss" not in at.query_params
    assert set(table(at)) >= {"Step", "Steps/s", "Modes covered", "High-quality samples", "Mode KL"}


def test_play_both_moves_both_runs_and_the_table_shows_both_then_pause_both(app):
    at = open_with(app, SMALL, data="ring")
    a, b = runners_of(at)
    at.button(key="pair_play_both").click().run()
    wait_until(lambda: a.snapshot().step >= 3 and b.snapshot().step >= 3, timeout=60)
    run_ok(at)
    assert at.button(key="pa_pause").label == "Pause" and at.button(key="pb_pause").label == "Pause"
    at.button(key="pair_pause_both").click().run()
    assert a.state == RunState.PAUSED and b.state == RunState.PAUSED
    wait_until(lambda: a.snapshot().settled and b.snapshot().settled, timeout=30)
    at = run_ok(at)
    steps = table(at)["Step"]
    assert steps == (f"{a.snapshot().step:,}", f"{b.snapshot().step:,}") and min(map(int, steps)) >= 3
    assert re.fullmatch(r"\d+ / 8", table(at)["Modes covered"][1])
    assert len(at.get("image")) == 2  # both views


def test_one_runs_transport_moves_only_that_run(app):
    at = open_with(app, SMALL)
    a, b = runners_of(at)
    at.button(key="pb_step").click().run()
    wait_until(lambda: b.snapshot().step == 1)
    assert a.snapshot().step == 0


def test_a_rerun_keeps_both_runs_and_a_new_link_replaces_them(app):
    at = open_with(app, SMALL, **{"b.loss": "hinge"})
    a, b = runners_of(at)
    assert runners_of(run_ok(at)) == (a, b)
    # the link changes (a lesson's next step, an edited address): fresh runs for what it asks
    at.query_params.clear()
    at = open_with(at, SMALL, seed="9")
    new_a, new_b = runners_of(at)
    assert new_a is not a and new_b is not b and not a.alive
    assert new_a.snapshot().structure.seed == new_b.snapshot().structure.seed == 9
    assert new_b.snapshot().knobs.loss == "non-saturating"


def test_collapse_vs_cure_fills_a_and_b_from_the_presets_on_as_data_and_seed(app):
    at = open_with(app, {}, data="ring", seed="4")
    at.button(key="pair_shortcut_Collapse vs cure").click()
    at = run_ok(at)
    a, b = runners_of(at)
    assert (a.snapshot().structure, a.snapshot().knobs) == PRESETS["mode-collapse"].apply("ring", 4)
    assert (b.snapshot().structure, b.snapshot().knobs) == PRESETS["all-modes"].apply("ring", 4)
    labels = [m.value for m in at.markdown]
    assert "**A** · Mode collapse" in labels and "**B** · All modes" in labels
    assert "a.preset" not in at.query_params and at.query_params["a.gw"] in ("16", ["16"])


def test_the_pair_stays_in_the_url_on_other_pages(app):
    at = open_with(app, SMALL)
    a, b = runners_of(at)
    at.switch_page("app.py")
    at = run_ok(at)
    assert runners_of(at) == (a, b)


def test_the_table_puts_each_label_once_with_a_dash_where_a_run_lacks_it():
    text = number_table({"A": [("Step", "10"), ("Modes covered", "3 / 8")], "B": [("Step", "12"), ("JS", "0.1")]})
    assert text.splitlines() == ["| | A | B |", "|---|---:|---:|", "| Step | 10 | 12 |",
                                 "| Modes covered | 3 / 8 | — |", "| JS | — | 0.1 |"]


def test_one_scale_is_the_frame_holding_both_datas():
    def run(bounds):
        return SimpleNamespace(experiment=SimpleNamespace(dataset=SimpleNamespace(bounds=bounds)))

    assert shared_range({"a": run((-1, 1, -2, 2)), "b": run((-1, 1, -2, 2))}) is None
    assert shared_range({"a": run((-1, 1, -2, 2)), "b": run((-3, 0.5, -1, 4))}) == (-3, 1, -2, 4)


def test_data_a_link_cannot_carry_trains_on_the_default_data_and_says_so(app):
    at = open_with(app, SMALL, **{"b.data": "csv"})
    a, b = runners_of(at)
    assert a.snapshot().structure.data == b.snapshot().structure.data == "ring"
    assert [w.value for w in at.warning] == [
        "Run B: data=csv cannot be opened from a link here (no uploaded points or drawing); it trains on ring instead"]
