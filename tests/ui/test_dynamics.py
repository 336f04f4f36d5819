"""The Dynamics page through AppTest: it opens on the link's settings, says what each start did,
keeps its settings in the URL, and edits the starts with its buttons and boxes."""

from __future__ import annotations

import pytest

from ganlab.dynamics.cases import MODELS, RUNS, case
from ganlab.dynamics.settings import DiracSettings, encode
from ganlab.ui.dynamics_cases import button_key
from tests.apptest_pages import fresh_app, open_with

PAGE = "pages/5_Dynamics.py"


@pytest.fixture
def at():
    yield from fresh_app(PAGE)


def _verdicts(at) -> list[str]:
    """One line per start (the page writes them as one markdown block, a paragraph each)."""
    return [line for m in at.markdown for line in m.value.split("\n\n") if "**start " in line]


def _param(at, key: str) -> str:
    value = at.query_params[key]
    return value[-1] if isinstance(value, list) else value


def test_the_default_page_spirals_out_and_explains_why(at):
    open_with(at, {}, dy_start="0.1,0.1")
    assert at.title[0].value == "Dynamics"
    (line,) = _verdicts(at)
    assert "**start 1** (0.1, 0.1)" in line and "spirals out" in line
    (info,) = [i.value for i in at.info]
    assert "purely imaginary" in info and "spiral outwards" in info
    assert {key: _param(at, key) for key in encode(DiracSettings())} == {
        **encode(DiracSettings()), "dy_start": "0.1,0.1"}


def test_a_link_sets_the_widgets_and_r1_converges(at):
    open_with(at, {}, dy_reg="r1", dy_r1="0.5", dy_upd="alternating", dy_ds="2", dy_it="1500",
              dy_start="1,1;-0.5,0.25")
    assert at.selectbox(key="dy_reg").value == "r1" and at.number_input(key="dy_r1").value == 0.5
    assert at.radio(key="dy_upd").value == "alternating" and at.number_input(key="dy_ds").value == 2
    lines = _verdicts(at)
    assert len(lines) == 2 and all("converges" in line for line in lines), lines
    assert "left half-plane" in at.info[0].value


def test_bad_link_values_are_named_and_the_rest_is_kept(at):
    open_with(at, {}, dy_lr="fast", dy_it="-3", dy_loss="hinge", dy_start="1,1;oops")
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("Link setting dy_lr=fast ignored") for w in warnings), warnings
    assert any("iterations must be between 1 and 5000" in w for w in warnings)
    assert any(w.startswith("Link start oops is not θ,ψ") for w in warnings)
    assert at.number_input(key="dy_lr").value == DiracSettings().lr
    assert at.selectbox(key="dy_loss").value == "hinge"
    assert _param(at, "dy_lr") == "0.1" and _param(at, "dy_start") == "1,1"
    at.button(key="dy_dismiss").click().run()
    assert not at.warning


def test_changing_a_setting_updates_the_link_and_the_verdict(at):
    open_with(at, {}, dy_start="0.2,0")
    at.selectbox(key="dy_loss").set_value("wasserstein").run()
    at.selectbox(key="dy_reg").set_value("clip").run()
    assert _param(at, "dy_loss") == "wasserstein" and _param(at, "dy_reg") == "clip"
    at.number_input(key="dy_clip").set_value(0.25).run()
    assert _param(at, "dy_clip") == "0.25"
    (line,) = _verdicts(at)
    assert "converges" not in line
    assert "clipping only acts once |ψ| reaches c" in at.info[0].value
    # the hidden weights keep their values: back to R1, its gamma is still the default
    at.selectbox(key="dy_reg").set_value("r1").run()
    assert at.number_input(key="dy_r1").value == DiracSettings().r1_gamma and _param(at, "dy_clip") == "0.25"


def test_the_start_boxes_and_buttons_edit_the_starts(at):
    open_with(at, {}, dy_start="1,1")
    at.number_input(key="dy_theta0").set_value(0.4).run()
    assert _param(at, "dy_start") == "0.4,1"
    at.button(key="dy_add").click().run()
    assert _param(at, "dy_start") == "0.4,1;0.2,0.5" and len(_verdicts(at)) == 2
    assert (at.number_input(key="dy_theta0").value, at.number_input(key="dy_psi0").value) == (0.2, 0.5)
    at.number_input(key="dy_psi0").set_value(-1.0).run()
    assert _param(at, "dy_start") == "0.4,1;0.2,-1"
    at.button(key="dy_remove").click().run()
    assert _param(at, "dy_start") == "0.4,1" and at.number_input(key="dy_theta0").value == 0.4
    assert at.button(key="dy_remove").disabled


def test_simultaneous_updates_disable_d_steps(at):
    open_with(at, {})
    assert at.number_input(key="dy_ds").disabled
    at.radio(key="dy_upd").set_value("alternating").run()
    assert not at.number_input(key="dy_ds").disabled


def test_settings_survive_a_visit_to_another_page(at):
    open_with(at, {}, dy_loss="minimax", dy_start="0.3,0.3;1,0")
    at.switch_page("app.py").run()
    at.switch_page(PAGE).run()
    assert at.selectbox(key="dy_loss").value == "minimax" and len(_verdicts(at)) == 2


def test_choosing_a_case_sets_every_setting_and_the_starts(at):
    open_with(at, {})
    at.selectbox(key="dy_case").set_value("R1 converges").run()
    assert at.selectbox(key="dy_case").value is None  # the choice clears: the settings say what is shown
    assert at.selectbox(key="dy_reg").value == "r1" and at.number_input(key="dy_r1").value == 0.3
    assert _param(at, "dy_start") == "1,1;-1.5,0.5" and _param(at, "dy_it") == "1000"
    assert [("converges" in line) for line in _verdicts(at)] == [True, True]
    assert (at.number_input(key="dy_theta0").value, at.number_input(key="dy_psi0").value) == (-1.5, 0.5)


def test_the_verdict_judges_the_whole_trajectory(at):
    """Issue 22.6: minimax, simultaneous, h = 0.2 from (1, -1) grows 1.41 -> 3.10 at every step and was
    labelled "circles" (only the last fifth was judged)."""
    open_with(at, {}, dy_loss="minimax", dy_lr="0.2", dy_start="1,-1")
    (line,) = _verdicts(at)
    assert "distance 1.41 → 3.1" in line and "**spirals out**" in line and "circles" not in line


def test_the_explanation_follows_the_verdict_of_the_start_shown(at):
    """Issue 22.6: from the default (1, 1) the verdict said "spirals in" and the text only "the
    iterates spiral outwards"; LSGAN's verdict said "stops away" and the text "the iterates circle"."""
    open_with(at, {}, dy_start="1,1")
    (line,) = _verdicts(at)
    assert "**spirals in**" in line
    assert "from start 1 the iterates spiral in" in at.info[0].value
    at.selectbox(key="dy_case").set_value("LSGAN gets stuck").run()
    lines = _verdicts(at)
    assert all("stops away" in line for line in lines) and "→ (1.11, 0): distance 0.707 → 1.11" in lines[0]
    info = at.info[0].value
    assert "the iterates circle" not in info and "come to rest away from the equilibrium (at θ = 1.11, ψ = 0)" in info


def test_the_clipped_wgan_case_is_not_called_circles(at):
    open_with(at, {}, dy_loss="wasserstein", dy_reg="clip", dy_clip="0.5", dy_it="1000", dy_start="1,0.5")
    (line,) = _verdicts(at)
    assert "distance 1.12 → 0.526" in line and "**settles on a cycle** at ≈ 0.53" in line


def test_a_link_with_45000_bad_starts_shows_one_message_for_them(at):
    """Issue 23.8: one warning per bad part (45,000), drawn again at every rerun."""
    open_with(at, {}, dy_start=";".join(["oops"] * 45_000 + ["1,1"]))
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 2 and warnings[0].startswith("Link starts oops, oops, oops and more"), warnings[:3]
    assert _param(at, "dy_start") == "1,1" and len(_verdicts(at)) == 1


def test_each_notebook_button_sets_every_setting_and_the_start(at):
    """Issue 27: the notebook's 27 runs, one click each, from the one table ganlab.dynamics.cases."""
    open_with(at, {}, dy_loss="hinge", dy_lr="0.05", dy_start="0.3,0.3;1,1")
    for model in MODELS:
        for run in RUNS:
            at.button(key=button_key(model, run)).click().run()
            assert not at.exception
            expected = case(model, run)
            assert at.session_state["dy_settings"] == expected, (model.name, run.name)
            assert {key: _param(at, key) for key in encode(expected)} == encode(expected)
            assert [at.button(key=button_key(m, r)).proto.type for m in MODELS for r in RUNS].count("primary") == 1
            assert at.button(key=button_key(model, run)).proto.type == "primary"  # the case shown stands out
    assert at.radio(key="dy_order").value == "g-first" and at.number_input(key="dy_ds").value == 5
    (line,) = _verdicts(at)
    assert "**start 1** (1, -1)" in line and "converges" in line  # NSGAN with R1 0.3, 5 D steps


def test_instance_noise_and_consensus_have_their_weights_and_eigenvalues(at):
    open_with(at, {}, dy_loss="minimax", dy_reg="noise", dy_lr="0.2", dy_start="1,-1")
    assert at.number_input(key="dy_noise").value == 0.7
    assert "eigenvalues -0.1225 ± 0.4848i: in the left half-plane" in at.info[0].value
    assert "converges" in _verdicts(at)[0]
    at.selectbox(key="dy_reg").set_value("consensus").run()
    assert at.number_input(key="dy_cons").value == 1.0 and _param(at, "dy_reg") == "consensus"
    assert "eigenvalues -0.25 ± 0.5i" in at.info[0].value
    at.number_input(key="dy_cons").set_value(0.5).run()
    assert _param(at, "dy_cons") == "0.5" and "eigenvalues -0.125 ± 0.5i" in at.info[0].value


def test_the_order_choice_changes_the_alternating_run(at):
    open_with(at, {}, dy_loss="minimax", dy_lr="0.2", dy_start="1,-1")
    assert at.radio(key="dy_order").disabled  # simultaneous: no order
    at.radio(key="dy_upd").set_value("alternating").run()
    assert not at.radio(key="dy_order").disabled and at.radio(key="dy_order").value == "d-first"
    d_first = _verdicts(at)[0]
    at.radio(key="dy_order").set_value("g-first").run()
    assert _param(at, "dy_order") == "g-first"
    g_first = _verdicts(at)[0]
    assert d_first != g_first and "circles" in d_first and "circles" in g_first  # another orbit, both circle
    assert "(a G step, then 1 D step)" in at.info[0].value


def test_a_notebook_button_keeps_what_the_link_locks_and_hiding_cases_hides_the_buttons(at):
    open_with(at, {}, dy_loss="hinge", lock="dy_loss")
    at.button(key=button_key(MODELS[4], RUNS[1])).click().run()  # instance noise, alternating, 1 D step
    shown = at.session_state["dy_settings"]
    assert shown.loss == "hinge" and (shown.regularizer, shown.noise, shown.order) == ("noise", 0.7, "g-first")
    assert _param(at, "dy_loss") == "hinge"
    at.query_params["hide"] = "cases"
    at.run()
    assert not [b for b in at.button if b.key and b.key.startswith("dy_nb_")]
