"""Packing and unrolling as settings: one line each in the fields table gives them a link key, a CLI
flag and a config name (the table-wide round trips are in test_fields.py); the papers' rows are
presets on their own data, which a --data flag still overrides."""

from __future__ import annotations

import json

import pytest

from ganlab.cli import build_parser
from ganlab.cli.settings import check_run_args, merge_settings, resolve_config
from ganlab.settings import fields as F
from ganlab.settings.config import ConfigError, ImageStructure, Knobs, ToyStructure
from ganlab.settings.urlstate import decode, decode_image, encode, encode_image


def resolve(*argv: str):
    args = build_parser().parse_args(["train", "--steps", "1", *argv])
    structure_table, knobs_table = merge_settings(args)
    check_run_args(args)
    return resolve_config(args, structure_table, knobs_table)


def test_pack_is_a_structure_field_of_both_kinds_and_unroll_a_live_knob():
    toy, image, knobs = F.by_key(F.TOY_FIELDS), F.by_key(F.IMAGE_FIELDS), F.by_key(F.KNOB_FIELDS)
    assert toy["pack"] == image["pack"] and toy["pack"].path == ("structure", "pack")
    assert (toy["pack"].flag, toy["pack"].bounds, toy["pack"].live) == ("pack", (1, 4), False)
    assert (knobs["unroll"].flag, knobs["unroll"].bounds, knobs["unroll"].live) == ("unroll", (0, 10), True)
    assert ToyStructure().pack == ImageStructure().pack == 1 and Knobs().unroll == 0


def test_pack_and_unroll_through_the_link_the_flags_and_a_config_file(tmp_path):
    structure, knobs = ToyStructure(data="grid", pack=3), Knobs(unroll=5)
    params = encode(structure, knobs)
    assert (params["pack"], params["unroll"]) == ("3", "5")
    assert decode({"data": "grid", "pack": "3", "unroll": "5"}) == (structure, knobs, [])
    image = ImageStructure(pack=4)
    assert decode_image(encode_image(image, knobs))[:2] == (image, knobs)
    got, got_knobs = resolve("--data", "grid", "--pack", "3", "--unroll", "5")
    assert (got.pack, got_knobs.unroll) == (3, 5)
    config = tmp_path / "run.json"
    config.write_text(json.dumps({"data": "grid", "pack": 2, "knobs": {"unroll": 4}}))
    got, got_knobs = resolve("--config", str(config))
    assert (got.pack, got_knobs.unroll) == (2, 4)


@pytest.mark.parametrize("params, message", [
    ({"pack": "5"}, "link setting pack=5 ignored: packing must be between 1 and 4, got 5"),
    ({"unroll": "11"}, "link setting unroll=11 ignored: unrolled D steps must be between 0 and 10, got 11"),
])
def test_out_of_range_values_are_named_and_skipped(params, message):
    structure, knobs, problems = decode(params)
    assert problems == [message] and structure.pack == 1 and knobs.unroll == 0


def test_a_conditional_d_cannot_pack():
    with pytest.raises(ConfigError, match="packing is for an unconditional discriminator"):
        ImageStructure(conditional=True, pack=2)


def test_a_papers_row_brings_its_data_and_a_data_flag_still_wins():
    structure, knobs = resolve("--preset", "pacgan4-grid", "--seed", "2")
    assert (structure.data, structure.pack, structure.seed, knobs.batch_size) == ("grid", 4, 2, 400)
    structure, knobs = resolve("--preset", "pacgan4-grid", "--data", "ring")
    assert (structure.data, structure.pack) == ("ring", 4)
    structure, knobs = resolve("--preset", "unrolled-ring", "--unroll", "10")
    assert (structure.data, knobs.unroll, knobs.batch_size) == ("ring", 10, 512)
