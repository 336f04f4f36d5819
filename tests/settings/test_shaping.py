"""Lesson links: hide= and lock= read against a page's fields and panels (ganlab.settings.shaping)."""

from __future__ import annotations

from ganlab.settings.fields import IMAGE_FIELDS, TOY_FIELDS, VIEW_FIELDS
from ganlab.settings.shaping import (
    IMAGES_PANELS,
    MAX_CHARS,
    MAX_NAMES,
    PLAYGROUND_PANELS,
    PageShape,
    parse_shape,
)

TOY = TOY_FIELDS + VIEW_FIELDS


def _toy(**params):
    return parse_shape(params, TOY, PLAYGROUND_PANELS)


def test_keys_and_panels_are_read_in_the_links_order():
    shape, problems = _toy(hide="glr,dlr,presets", lock="loss")
    assert problems == []
    assert shape.hidden == ("glr", "dlr", "presets") and shape.locked == ("loss",)
    assert shape.hides("glr") and shape.hides("dlr") and not shape.hides("loss")
    assert shape.locks("loss") and not shape.locks("glr")
    assert not shape.shows_panel("presets") and shape.shows_panel("structure")
    assert shape.params() == {"hide": "glr,dlr,presets", "lock": "loss"}


def test_a_panel_covers_its_settings():
    shape, problems = _toy(hide="structure,view_layers", lock="training")
    assert problems == []
    for key in ("gl", "gw", "ga", "dl", "dw", "da", "nd", "noise", "seed", "layers"):
        assert shape.hides(key), key
    assert not shape.hides("data")  # the data has its own panel
    for key in ("loss", "glr", "dlr", "bs", "ds", "gp", "r1", "clip", "ms", "ls"):
        assert shape.locks(key), key
    assert not shape.locks("seed")  # hidden, not locked
    assert set(shape.held(f.key for f in TOY)) == {f.key for f in TOY} - {"data", "draw", "dm"}


def test_hidden_wins_over_locked_and_both_are_held():
    shape, _ = _toy(hide="glr", lock="glr,dlr")
    assert shape.hides("glr") and not shape.locks("glr") and shape.locks("dlr")
    assert shape.held(["glr", "dlr", "bs"]) == ("glr", "dlr")


def test_unknown_names_are_named_with_the_keys_they_resemble():
    shape, problems = _toy(hide="glrr,structre", lock="batch_size")
    assert shape.hidden == () and shape.locked == ()
    assert [p.split("; did you mean ")[0] for p in problems] == [
        "link setting hide=glrr not understood (no such setting or panel on this page), ignored",
        "link setting hide=structre not understood (no such setting or panel on this page), ignored",
        "link setting lock=batch_size not understood (no such setting or panel on this page), ignored",
    ]
    assert [p.split("; did you mean ")[1].split(" or ")[0].rstrip("?") for p in problems] == ["glr", "structure", "bs"]


def test_a_name_of_another_page_is_unknown_here():
    shape, problems = parse_shape({"hide": "view_layers,gbn"}, IMAGE_FIELDS, IMAGES_PANELS)
    assert shape.hidden == ("gbn",)
    assert len(problems) == 1 and problems[0].startswith("link setting hide=view_layers not understood")


def test_duplicates_and_empty_names_are_slips_not_errors():
    shape, problems = _toy(hide=",glr,, glr ,dlr,", lock="")
    assert problems == []
    assert shape.hidden == ("glr", "dlr") and shape.locked == ()
    assert shape.params() == {"hide": "glr,dlr"}


def test_a_repeated_key_counts_by_its_last_value():
    shape, _ = _toy(hide=["glr", "dlr"])
    assert shape.hidden == ("dlr",)


def test_huge_values_are_cut_before_they_are_split():
    shape, problems = _toy(hide="glr," + "x" * 10 * MAX_CHARS)
    assert shape.hidden == ("glr",)
    assert problems[0] == f"link setting hide= is {10 * MAX_CHARS + 4:,} characters long; read only the first {MAX_CHARS:,}"
    assert len(problems) == 2 and len(problems[1]) <= 300  # the junk word, shown cut
    shape, problems = _toy(lock=",".join(["glr"] * (5 * MAX_NAMES)))
    assert shape.locked == ("glr",)
    assert problems == [f"link setting lock= names more than {MAX_NAMES}; read only the first {MAX_NAMES}"]


def test_junk_is_shown_printable_and_short():
    _, problems = _toy(hide="\x00" * 60)
    assert len(problems) == 1 and "\x00" not in problems[0] and "…" in problems[0]


def test_no_shape_is_the_empty_shape():
    shape, problems = _toy(data="grid")
    assert problems == [] and shape == PageShape(panels=PLAYGROUND_PANELS) and shape.params() == {}


def test_every_panel_setting_is_a_key_of_its_page():
    for panels, table in ((PLAYGROUND_PANELS, TOY), (IMAGES_PANELS, IMAGE_FIELDS)):
        keys = {f.key for f in table}
        names = [p.name for p in panels]
        assert len(names) == len(set(names)) and not keys & set(names)
        for panel in panels:
            assert set(panel.keys) <= keys, panel.name
