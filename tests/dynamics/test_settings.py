"""The Dynamics page's link: every setting round-trips, a bad value keeps its default with a
message that names it, starts parse one by one, and other pages' keys are left alone."""

from __future__ import annotations

import pytest

from ganlab.dynamics.cases import CASES
from ganlab.dynamics.dirac import trajectories
from ganlab.dynamics.settings import (
    FIELDS,
    MAX_PARTS_READ,
    MAX_STARTS,
    SCENARIOS,
    DiracSettings,
    decode,
    encode,
    parse_starts,
)
from ganlab.dynamics.verdict import CIRCLES, CONVERGES, CYCLE, SPIRALS_OUT, STALLS, verdict


def test_every_setting_round_trips_through_the_link():
    settings = DiracSettings(loss="hinge", regularizer="clip", r1_gamma=0.25, gp_lambda=3.0, clip=0.125,
                             noise=0.35, consensus=2.5, update="alternating", order="g-first", lr=0.05, d_steps=5,
                             iterations=1200, view=3.5, starts=((1.0, -0.5), (0.25, 2.0)))
    params = encode(settings)
    assert params["dy_start"] == "1,-0.5;0.25,2" and params["dy_ds"] == "5" and params["dy_upd"] == "alternating"
    assert (params["dy_noise"], params["dy_cons"], params["dy_order"]) == ("0.35", "2.5", "g-first")
    assert decode(params) == (settings, [])
    assert set(params) == {f.key for f in FIELDS} | {"dy_start"}
    assert all(key.startswith("dy_") for key in params)


def test_an_empty_link_gives_the_defaults_and_app_keys_are_not_ours():
    assert decode({}) == (DiracSettings(), [])
    assert decode({"pgrun": "abc", "imrun": "x"}) == (DiracSettings(), [])


@pytest.mark.parametrize("key, raw, words", [
    ("dy_lr", "fast", "dy_lr=fast ignored: it is not a finite number; kept the default"),
    ("dy_lr", "inf", "it is not a finite number"),
    ("dy_lr", "0", "learning rate h must be between 0.0001 and 2"),
    ("dy_ds", "2.5", "dy_ds=2.5 ignored: it is not a whole number"),
    ("dy_it", "999999", "iterations must be between 1 and 5000"),
    ("dy_loss", "wgan", "loss must be one of non-saturating, minimax, least-squares, wasserstein, hinge"),
    ("dy_reg", "dropout", "regularizer must be one of none, r1, r2, gp, clip, noise, consensus; kept the default"),
    ("dy_order", "both", "who steps first must be one of d-first, g-first; kept the default"),
    ("dy_noise", "-0.5", "instance noise σ must be between 0 and 3; kept the default"),
    ("dy_cons", "11", "consensus weight γ must be between 0 and 10; kept the default"),
])
def test_a_bad_value_keeps_its_default_and_says_why(key, raw, words):
    settings, problems = decode({key: raw, "dy_view": "4"})
    assert settings == DiracSettings(view=4.0)
    assert len(problems) == 1 and words in problems[0], problems


def test_an_unknown_key_of_ours_is_named():
    settings, problems = decode({"dy_speed": "3"})
    assert settings == DiracSettings()
    assert problems == ["link setting dy_speed not understood (no such setting), ignored"]


def test_starts_parse_one_by_one():
    assert parse_starts("1,1; 0.5,-2") == ([(1.0, 1.0), (0.5, -2.0)], [])
    starts, problems = parse_starts("1,1;x,2;3;1e9,0;nan,1;0,0")
    assert starts == [(1.0, 1.0), (0.0, 0.0)]
    assert problems == [("link starts x,2, 3, 1e9,0 and more (4) are not θ,ψ (two numbers between −1000 and "
                         "1000); dropped them")]
    assert parse_starts("1,1;x,2")[1] == ["link start x,2 is not θ,ψ (two numbers between −1000 and 1000); dropped it"]
    starts, problems = parse_starts(";".join(f"{i},0" for i in range(MAX_STARTS + 2)))
    assert starts == [(float(i), 0.0) for i in range(2, MAX_STARTS + 2)]
    assert problems == [f"the link has {MAX_STARTS + 2} starts; kept the last {MAX_STARTS}"]


def test_a_link_of_45000_bad_starts_gives_two_messages_and_reads_only_the_last_parts():
    """A crafted link (issue 23.8): one warning per bad part was 45,000 warnings redrawn at every rerun."""
    raw = ";".join(["oops"] * 45_000 + ["0.5,0.25", "1,-1"])
    starts, problems = parse_starts(raw)
    assert starts == [(0.5, 0.25), (1.0, -1.0)]
    assert problems == [
        (f"link starts oops, oops, oops and more ({MAX_PARTS_READ - 2}) are not θ,ψ (two numbers between −1000 "
         "and 1000); dropped them"),
        f"the link has {45_002:,} starts; read only the last {MAX_PARTS_READ}"]
    settings, problems = decode({"dy_start": raw})
    assert settings.starts == ((0.5, 0.25), (1.0, -1.0)) and len(problems) == 2


def test_a_link_with_no_usable_start_keeps_the_default_start():
    settings, problems = decode({"dy_start": "junk"})
    assert settings.starts == DiracSettings().starts and len(problems) == 1


def test_the_recipe_follows_the_chosen_regularizer():
    settings = DiracSettings(regularizer="gp", r1_gamma=2.0, gp_lambda=5.0, clip=0.3)
    assert settings.dynamics().weight == 5.0
    assert DiracSettings(regularizer="r2", r1_gamma=2.0).dynamics().weight == 2.0
    assert DiracSettings(regularizer="none", r1_gamma=2.0).dynamics().weight == 0.0
    assert DiracSettings(regularizer="noise", noise=0.4, consensus=3.0).dynamics().weight == 0.4
    assert DiracSettings(regularizer="consensus", noise=0.4, consensus=3.0).dynamics().weight == 3.0
    assert DiracSettings(update="alternating", order="g-first").dynamics().order == "g-first"


def test_every_notebook_case_round_trips_through_the_link():
    for settings in CASES.values():
        assert decode(encode(settings)) == (settings, [])


@pytest.mark.parametrize("name, kind", [
    ("Simultaneous spirals out", SPIRALS_OUT), ("Alternating circles", CIRCLES), ("R1 converges", CONVERGES),
    ("Clipped WGAN falls onto a cycle", CYCLE), ("WGAN-GP stops away", STALLS), ("LSGAN gets stuck", STALLS),
])
def test_each_scenario_shows_what_its_button_says(name, kind):
    scenario = SCENARIOS[name]
    dyn = scenario.dynamics()
    paths = trajectories(dyn, scenario.starts, scenario.iterations)
    assert [verdict(p, dyn.lr).outcome for p in paths] == [kind] * len(scenario.starts)
    assert decode(encode(scenario)) == (scenario, [])
    assert all(max(abs(t), abs(p)) <= scenario.view for t, p in scenario.starts)  # the starts are in view
