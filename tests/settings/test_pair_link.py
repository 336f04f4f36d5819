"""The side-by-side link: common keys for both runs, `a.` / `b.` keys for one, presets, bad keys named."""

from __future__ import annotations

import pytest

from ganlab.settings.config import Knobs, ToyStructure
from ganlab.settings.pair_link import DEFAULT_LINK, decode_pair, differences, encode_pair, recipe_of
from ganlab.settings.presets import PRESETS


def test_common_keys_apply_to_both_runs_and_prefixed_keys_to_one():
    pair = decode_pair({"data": "grid", "seed": "3", "b.loss": "hinge", "a.glr": "0.0005"})
    (sa, ka), (sb, kb) = pair.a, pair.b
    assert (sa.data, sa.seed, sb.data, sb.seed) == ("grid", 3, "grid", 3)
    assert (ka.loss, kb.loss) == (Knobs().loss, "hinge")
    assert (ka.g_opt.lr, kb.g_opt.lr) == (pytest.approx(5e-4), Knobs().g_opt.lr)
    assert pair.problems == ()
    assert differences(pair.a, pair.b) == [("Loss", Knobs().loss, "hinge"), ("Generator learning rate", "0.0005", "0.001")]


def test_a_run_key_wins_over_the_common_one():
    pair = decode_pair({"seed": "3", "b.seed": "7"})
    assert (pair.a[0].seed, pair.b[0].seed) == (3, 7)


def test_presets_start_each_run_from_its_recipe_on_the_links_data_and_seed():
    pair = decode_pair({"data": "ring", "seed": "5", "a.preset": "mode-collapse", "b.preset": "all-modes", "b.gw": "64"})
    assert pair.a == PRESETS["mode-collapse"].apply("ring", 5)
    structure, knobs = PRESETS["all-modes"].apply("ring", 5)
    assert pair.b == (ToyStructure.from_dict({**structure.to_dict(), "generator": {**structure.to_dict()["generator"],
                                                                                    "width": 64}}), knobs)
    assert recipe_of(pair.a) is PRESETS["mode-collapse"] and recipe_of(pair.b) is None  # B is the recipe plus a change
    both = decode_pair({"preset": "wgan-gp", "b.ds": "1"})
    assert both.a == PRESETS["wgan-gp"].apply("ring") and both.b[1].d_steps == 1


def test_a_link_without_settings_opens_collapse_vs_cure_on_the_grid():
    pair = decode_pair({"run": "tok", "pgrun": "x"}, ignore={"run", "pgrun"})
    assert pair == decode_pair(DEFAULT_LINK)
    assert pair.a == PRESETS["mode-collapse"].apply("grid") and pair.b == PRESETS["all-modes"].apply("grid")


def test_bad_and_unknown_keys_are_named_with_their_prefix_and_defaults_kept():
    pair = decode_pair({"c.loss": "hinge", "a.nope": "1", "b.glr": "fast", "a.preset": "zz", "dw": "100000",
                        "run": "tok"}, ignore={"run"})
    assert pair.problems == (
        "link setting a.preset=zz not understood (choose from default, mode-collapse, all-modes, wgan-gp, "
        "infogan-2d, cyclegan-ring-square, pacgan2-ring, pacgan4-grid, unrolled-ring), ignored",
        "link setting dw=100000 ignored: width must be between 4 and 512, got 100000",
        "link setting c.loss=hinge not understood (no such setting), ignored; did you mean loss?",
        "link setting a.nope=1 not understood (no such setting), ignored; did you mean a.noise?",
        "link setting b.glr=fast is not a finite number; kept the default",
    )
    assert pair.a == pair.b == (ToyStructure(), Knobs())  # every bad key left its default


def test_the_link_of_a_pair_names_shared_settings_once_and_reads_back_the_same():
    pair = decode_pair(DEFAULT_LINK)
    link = encode_pair(pair.a, pair.b)
    assert link["data"] == "grid" and "a.data" not in link
    assert (link["a.gw"], link["b.gw"]) == ("16", "128") and "gw" not in link
    again = decode_pair(link)
    assert (again.a, again.b, again.problems) == (pair.a, pair.b, ())
