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


# ------------------------------------------------------------------ PacGAN's Stacked MNIST rows (images)
STACKED_ROWS = {  # name: (pack, G width, D width as set, batch)
    "dcgan-stacked": (1, 32, 0, 32), "pacdcgan2-stacked": (2, 32, 0, 64),
    "dcgan-stacked-small-d": (1, 32, 8, 32), "pacdcgan4-stacked-small-d": (4, 32, 8, 128),
}


def resolve_image(*argv: str, channels: int | None = None):
    """`ganlab train`'s image settings for `argv`, on a stand-in for the data the flags name."""
    from types import SimpleNamespace

    from ganlab.cli.settings import resolve_image_config

    args = build_parser().parse_args(["train", "--steps", "1", *argv])
    structure_table, knobs_table = merge_settings(args)
    check_run_args(args)
    stacked = args.data == "stacked-mnist"
    dataset = SimpleNamespace(name=args.data, image_size=28, channels=channels or (3 if stacked else 1),
                              num_classes=1000 if stacked else 10)
    return resolve_image_config(args, dataset, structure_table, knobs_table)


def test_d_width_is_a_structure_field_whose_0_means_gs_width():
    field = F.by_key(F.IMAGE_FIELDS)["dw"]
    assert (field.path, field.flag, field.bounds, field.live) == (("structure", "d_width"), "d-width", (0, 256), False)
    assert ImageStructure().d_width == 0 and ImageStructure(width=24).discriminator_width == 24
    assert ImageStructure(width=32, d_width=8).discriminator_width == 8
    structure = ImageStructure(d_width=16)
    assert decode_image(encode_image(structure, Knobs()))[:2] == (structure, Knobs())
    assert encode_image(ImageStructure(), Knobs())["dw"] == "0"
    old_link = decode_image({"w": "24"})[0]  # a link from before the field: D as wide as G, as it was
    assert (old_link.d_width, old_link.discriminator_width) == (0, 24)


@pytest.mark.parametrize("d_width, message", [
    (5, "discriminator width must be 0 (as wide as G) or between 8 and 256, got 5"),
    (300, "discriminator width must be between 0 and 256, got 300"),
    (-1, "discriminator width must be between 0 and 256, got -1"),
])
def test_d_width_out_of_range_is_refused_with_its_range(d_width, message):
    with pytest.raises(ConfigError, match=f"^{message}$".replace("(", r"\(").replace(")", r"\)")):
        ImageStructure(d_width=d_width)
    assert decode_image({"dw": str(d_width)})[2] == [f"link setting dw={d_width} ignored: {message}"]


def test_a_config_saved_before_d_width_loads_with_d_as_wide_as_g():
    saved = ImageStructure(width=24).to_dict()
    del saved["d_width"]
    structure = ImageStructure.from_dict(saved)
    assert structure.d_width == 0 and structure.discriminator_width == 24


def test_d_width_through_the_flag_and_the_2d_d_width_flag_keeps_its_meaning():
    structure, _ = resolve_image("--data", "digits", "--width", "32", "--d-width", "8")
    assert (structure.width, structure.d_width) == (32, 8)
    toy, _ = resolve("--data", "ring", "--d-width", "64")
    assert (toy.discriminator.width, toy.generator.width) == (64, 128)


@pytest.mark.parametrize("name", list(STACKED_ROWS))
def test_a_stacked_mnist_row_applies_its_data_and_settings(name):
    from ganlab.settings.image_presets import IMAGE_PRESETS

    pack, width, d_width, batch = STACKED_ROWS[name]
    preset = IMAGE_PRESETS[name]
    mine = ImageStructure(dataset="cifar10", image_size=32, channels=3, num_classes=10, seed=7, width=200)
    structure, knobs = preset.apply(mine)
    assert (preset.data, structure.dataset, structure.image_size, structure.channels) == (
        "stacked-mnist", "stacked-mnist", 28, 3)
    assert (structure.seed, structure.conditional, structure.pack, structure.width, structure.d_width) == (
        7, False, pack, width, d_width)
    assert (knobs.batch_size, knobs.g_opt, knobs.d_opt) == (batch, IMAGE_PRESETS["dcgan"].knobs.g_opt,
                                                            IMAGE_PRESETS["dcgan"].knobs.d_opt)
    assert structure.discriminator_width == (8 if d_width else 32) and structure.discriminator_width >= 8


def test_the_stacked_rows_are_labelled_as_the_tables_name_them():
    from ganlab.settings.image_presets import IMAGE_PRESETS

    assert [IMAGE_PRESETS[name].label for name in STACKED_ROWS] == [
        "DCGAN on Stacked MNIST (PacGAN Table 2)", "PacDCGAN2 on Stacked MNIST",
        "DCGAN on Stacked MNIST, small D (PacGAN Table 3)", "PacDCGAN4 on Stacked MNIST, small D"]


def test_an_image_papers_row_brings_its_data_to_the_command_and_a_data_flag_still_wins():
    structure, knobs = resolve_image("--preset", "pacdcgan4-stacked-small-d", "--seed", "2")
    assert (structure.dataset, structure.channels, structure.num_classes) == ("stacked-mnist", 3, 1000)
    assert (structure.pack, structure.d_width, structure.seed, knobs.batch_size) == (4, 8, 2, 128)
    structure, _ = resolve_image("--preset", "pacdcgan2-stacked", "--data", "digits")
    assert (structure.dataset, structure.channels, structure.num_classes, structure.pack) == ("digits", 1, 10, 2)
    structure, _ = resolve_image("--preset", "dcgan-stacked", "--d-width", "16")
    assert (structure.dataset, structure.d_width) == ("stacked-mnist", 16)
