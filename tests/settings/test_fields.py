"""The one table of settings fields: every field round-trips through the URL, the CLI flag and
a --config file, shorthands set both nets, and each page draws a widget for every field."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from ganlab.cli import build_parser
from ganlab.cli.common import UsageError
from ganlab.cli.settings import check_run_args, merge_settings, resolve_config, resolve_image_config
from ganlab.settings import fields as F
from ganlab.settings.config import ConfigError, ImageStructure, Knobs, ToyStructure
from ganlab.settings.urlstate import decode, decode_image, encode, encode_image

KINDS = {
    "toy": (F.TOY_FIELDS, ToyStructure, encode, decode, "grid"),
    "image": (F.IMAGE_FIELDS, ImageStructure, encode_image, decode_image, "digits"),
}
CASES = [(kind, f) for kind, (table, *_rest) in KINDS.items() for f in table]
DRAWING = "AQEBAYAEgAQ"  # the drawing field's value: one click (ganlab.data.drawn), valid with data=drawn
NEEDS = {"datab": {"model": "cyclegan"}}  # settings a field is only kept with (CycleGAN's domain B)


def _base_data(kind: str, field: F.Field) -> str:
    """The data a case runs on: the drawing is only kept for drawn data."""
    return "drawn" if field.key == "draw" else KINDS[kind][4]


def _tree(kind: str, field: F.Field | None = None) -> dict:
    structure_cls = KINDS[kind][1]
    tree = {"structure": structure_cls().to_dict(), "knobs": Knobs().to_dict()}
    if field is not None and field.key == "draw":
        tree["structure"]["data"] = "drawn"
    if field is not None:
        tree["structure"].update(NEEDS.get(field.key, {}))
    return tree


def _build(kind: str, tree: dict):
    return KINDS[kind][1].from_dict(tree["structure"]), Knobs.from_dict(tree["knobs"])


def _candidates(field: F.Field, default):
    if field.value_type is bool:
        return [not default]
    if field.key == "data" and field.options() is None:
        return ["mnist"]
    if field.key == "draw":
        return [DRAWING]
    options = field.options()
    if options is not None:
        return [o for o in options if o != default]
    if field.value_type is int:  # the range's top too: D width takes 0 or 8 and more, so neither 1 nor -1
        return [default + 1, default - 1, *([int(field.bounds[1])] if field.bounds else [])]
    return [0.25, 0.5, 0.125, 2.0, 0.01, 0.9]  # exact in six significant digits, as links write them


def other_value(kind: str, field: F.Field):
    """A value for `field` that is not its default and that the run's settings accept."""
    tree = _tree(kind, field)
    default = F.get(tree, field.path)
    for value in _candidates(field, default):
        F.put(tree, field.path, value)
        try:
            _build(kind, tree)
        except ConfigError:
            continue
        return value
    raise AssertionError(f"no other valid value for {field.key}")


@pytest.mark.parametrize("kind, field", CASES, ids=[f"{k}-{f.key}" for k, f in CASES])
def test_every_field_round_trips_through_the_url(kind, field):
    value = other_value(kind, field)
    tree = _tree(kind, field)
    F.put(tree, field.path, value)
    structure, knobs = _build(kind, tree)
    _, _, encode_fn, decode_fn, _ = KINDS[kind]
    params = encode_fn(structure, knobs)
    assert field.key in params
    given = {field.key: params[field.key]} | ({"data": "drawn"} if field.key == "draw" else {}) | NEEDS.get(field.key, {})
    assert decode_fn(given) == (structure, knobs, [])


def _resolve(kind: str, argv: list[str]):
    args = build_parser().parse_args(["train", "--steps", "1", *argv])
    structure_table, knobs_table = merge_settings(args)
    check_run_args(args)
    if kind == "toy":
        return resolve_config(args, structure_table, knobs_table)
    dataset = SimpleNamespace(name=args.data, image_size=args.image_size or 28, channels=args.channels or 1,
                              num_classes=10)
    return resolve_image_config(args, dataset, structure_table, knobs_table)


def _flag_args(field: F.Field, value) -> list[str]:
    if field.value_type is bool:
        return [f"--{field.flag}" if value else f"--no-{field.flag}"]
    return [f"--{field.flag}", str(value)]


def _data_args(kind: str, field: F.Field, value) -> list[str]:
    needs = [arg for key, needed in NEEDS.get(field.key, {}).items() for arg in (f"--{key}", needed)]
    return needs + ([] if field.key == "data" else ["--data", _base_data(kind, field)])


@pytest.mark.parametrize("kind, field", CASES, ids=[f"{k}-{f.key}" for k, f in CASES])
def test_every_field_is_a_cli_flag(kind, field):
    value = other_value(kind, field)
    structure, knobs = _resolve(kind, [*_data_args(kind, field, value), *_flag_args(field, value)])
    assert F.get({"structure": structure.to_dict(), "knobs": knobs.to_dict()}, field.path) == value


@pytest.mark.parametrize("kind, field", CASES, ids=[f"{k}-{f.key}" for k, f in CASES])
def test_every_field_round_trips_through_a_config_file(kind, field, tmp_path):
    value = other_value(kind, field)
    by_flag = tmp_path / "flat.json"
    by_flag.write_text(json.dumps({field.flag: value} | ({} if field.key == "data" else {"data": _base_data(kind, field)})
                                  | NEEDS.get(field.key, {})))
    nested: dict = {}
    table = nested
    for part in field.path[:-1]:
        table = table.setdefault(part, {})
    table[field.path[-1]] = value
    by_path = tmp_path / "nested.json"
    if field.key in NEEDS:
        nested.setdefault("structure", {}).update(NEEDS[field.key])
    by_path.write_text(json.dumps({"data": value if field.key == "data" else _base_data(kind, field), **nested}))
    for path in (by_flag, by_path):
        structure, knobs = _resolve(kind, ["--config", str(path)])
        assert F.get({"structure": structure.to_dict(), "knobs": knobs.to_dict()}, field.path) == value, path.name


def test_shorthands_set_both_nets_and_a_nets_own_flag_wins():
    _, knobs = _resolve("toy", ["--beta1", "0.25", "--d-beta1", "0.125", "--optimizer", "sgd"])
    assert (knobs.g_opt.beta1, knobs.d_opt.beta1) == (0.25, 0.125)
    assert knobs.g_opt.name == knobs.d_opt.name == "sgd"
    structure, _ = _resolve("toy", ["--width", "32", "--g-width", "16", "--hidden-layers", "1"])
    assert (structure.generator.width, structure.discriminator.width) == (16, 32)
    assert structure.generator.hidden_layers == structure.discriminator.hidden_layers == 1
    structure, _ = _resolve("image", ["--data", "digits", "--width", "24"])
    assert structure.width == 24


def test_new_flags_reach_the_settings():
    """Before the table, the CLI had no flag for these (argparse refused them)."""
    _, knobs = _resolve("toy", ["--lr-decay-start", "300", "--lr-half-life", "50"])
    assert (knobs.lr_decay_start, knobs.lr_half_life) == (300, 50)
    structure, _ = _resolve("image", ["--data", "digits", "--no-g-batch-norm", "--d-batch-norm",
                                      "--no-d-spectral-norm"])
    assert (structure.g_batch_norm, structure.d_batch_norm, structure.d_spectral_norm) == (False, True, False)


@pytest.mark.parametrize("argv, message", [
    (["--data", "digits", "--g-width", "16"], "--g-width applies to 2D runs only"),
    (["--data", "grid", "--d-batch-norm"], "--d-batch-norm applies to image runs only"),
    (["--data", "grid", "--max-images", "5"], "--max-images applies to image runs only"),
])
def test_a_flag_of_the_other_kind_is_refused(argv, message):
    with pytest.raises(UsageError, match=message):
        _resolve("toy", argv)


def test_labels_name_the_changed_settings():
    old = {"structure": ImageStructure().to_dict(), "knobs": Knobs().to_dict()}
    new = {"structure": ImageStructure(width=32, d_batch_norm=True).to_dict(), "knobs": Knobs().to_dict()}
    assert F.changed_labels(F.IMAGE_FIELDS, old, new) == ["Width", "Discriminator batch norm"]


def test_ranges_are_configs_and_every_leaf_has_a_field():
    from ganlab.settings import config

    assert F.by_key(F.TOY_FIELDS)["gw"].bounds == config.WIDTH_RANGE
    assert F.by_key(F.IMAGE_FIELDS)["w"].bounds == config.IMAGE_WIDTH_RANGE
    for table, *_rest in KINDS.values():
        assert all(not f.live for f in table if f.path[0] == "structure")
        assert [f for f in table if f.live] == list(F.KNOB_FIELDS)


def test_resume_refuses_structure_flags_but_not_knobs():
    from ganlab.cli.fields import structure_flags_given

    parse = build_parser().parse_args
    assert structure_flags_given(parse(["train", "--resume", "r", "--steps", "1", "--d-spectral-norm"])) == [
        "--d-spectral-norm"]
    assert structure_flags_given(parse(["train", "--resume", "r", "--steps", "1", "--width", "8"])) == ["--width"]
    assert structure_flags_given(parse(["train", "--resume", "r", "--steps", "1", "--lr-half-life", "5",
                                        "--seed", "3"])) == []


def test_help_lists_every_flag_with_its_range(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    text = capsys.readouterr().out
    for table in (F.TOY_FIELDS, F.IMAGE_FIELDS):
        for field in table:
            assert f"--{field.flag}" in text
    assert "--g-beta1" in text and "--beta1" in text and "(0 to 0.9999)" in text


def test_change_notices_name_settings_by_the_table():
    from ganlab.settings.config import MLPShape
    from ganlab.ui.restart import changed_settings

    old, new = ToyStructure(), ToyStructure(generator=MLPShape(width=64), seed=3)
    assert changed_settings(F.TOY_FIELDS, old, new, "data set") == "seed, generator width"
    assert changed_settings(F.TOY_FIELDS, old, old, "data set") == "data set"
    new = ImageStructure(d_spectral_norm=False, extra_conv=True)
    assert changed_settings(F.IMAGE_FIELDS, ImageStructure(), new, "uploaded images") == (
        "discriminator spectral norm, extra convolution")
