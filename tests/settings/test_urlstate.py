"""Shareable settings: URL parameters round-trip, and bad ones are reported, never fatal."""

from __future__ import annotations

from ganlab.settings.config import Knobs, MLPShape, OptimizerKnobs, ToyStructure
from ganlab.settings.urlstate import FIELDS, decode, encode, flatten, unflatten


def test_round_trip_of_non_default_settings():
    structure = ToyStructure(data="grid", noise_dim=5, noise="uniform", generator=MLPShape(4, 64, "tanh"),
                             discriminator=MLPShape(2, 256, "leaky_relu"), seed=42)
    knobs = Knobs(loss="wasserstein-gp", gp_weight=10.0, d_steps=5, batch_size=512, r1_weight=0.5,
                  g_opt=OptimizerKnobs("rmsprop", 2e-4, 0.1, 0.99), d_opt=OptimizerKnobs("sgd", 0.05, 0.9, 0.999))
    params = encode(structure, knobs)
    assert set(params) == set(FIELDS)
    assert all(isinstance(v, str) for v in params.values())
    assert params["glr"] == "0.0002" and params["loss"] == "wasserstein-gp"
    assert decode(params) == (structure, knobs, [])
    assert unflatten(flatten(structure, knobs)) == (structure, knobs)


def test_partial_link_keeps_defaults_for_the_rest():
    structure, knobs, problems = decode({"data": "moons", "dlr": "0.0003", "run": "token"}, ignore={"run"})
    assert problems == []
    assert structure == ToyStructure(data="moons")
    assert knobs == Knobs(d_opt=OptimizerKnobs(lr=0.0003))


def test_bad_values_are_skipped_one_by_one_with_messages():
    structure, knobs, problems = decode({"gw": "abc", "dw": "100000", "glr": "0.002", "noise": "cauchy", "bs": "nan"})
    assert structure.generator.width == 128 and structure.discriminator.width == 128
    assert structure.noise == "gaussian"
    assert knobs.g_opt.lr == 0.002  # the good value in the same link is kept
    assert knobs.batch_size == 256
    text = "\n".join(problems)
    assert len(problems) == 4
    assert "gw=abc is not a whole number" in text
    assert "width must be between 4 and 512, got 100000" in text
    assert "noise must be one of gaussian, uniform" in text


def test_wasserstein_gp_link_needs_its_penalty_in_any_order():
    # "loss" is applied last, so a link listing it before "gp" still works.
    _, knobs, problems = decode({"loss": "wasserstein-gp", "gp": "10"})
    assert problems == [] and knobs.loss == "wasserstein-gp" and knobs.gp_weight == 10.0
    _, knobs, problems = decode({"loss": "wasserstein-gp"})
    assert knobs.loss == "non-saturating"
    assert len(problems) == 1 and "gradient penalty weight above 0" in problems[0]


def _leaf_paths(tree, prefix=()):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaf_paths(value, prefix + (key,))
        else:
            yield prefix + (key,)


def test_every_setting_has_a_url_key():
    """A knob missing here would be dropped by the page's widgets and the shared link."""
    tree = {"structure": ToyStructure().to_dict(), "knobs": Knobs().to_dict()}
    assert set(_leaf_paths(tree)) == {path for path, _ in FIELDS.values()}


def test_view_layers_round_trip_and_the_default_stays_out_of_the_link():
    from ganlab.settings.urlstate import decode_view, encode_view
    from ganlab.viz.plots import LAYERS

    assert encode_view({"layers": LAYERS}) == {}  # all layers: the default, no parameter
    assert decode_view({}) == ({"layers": LAYERS}, [])  # a single-choice field (dm) only when the link has it
    assert encode_view({"dm": "strokes"}) == {} and encode_view({"dm": "points"}) == {"dm": "points"}
    assert decode_view({"dm": "points"}) == ({"draw_mode": "points", "layers": LAYERS}, [])
    # written in the table's order whatever the order chosen
    assert encode_view({"layers": ["fake", "real"]}) == {"layers": "real,fake"}
    assert decode_view({"layers": "real,fake"}) == ({"layers": ("real", "fake")}, [])
    assert encode_view({"layers": []}) == {"layers": "none"}
    assert decode_view({"layers": "none"}) == ({"layers": ()}, [])


def test_bad_view_layers_are_reported_and_the_good_ones_kept():
    from ganlab.settings.urlstate import decode_view
    from ganlab.viz.plots import LAYERS

    values, problems = decode_view({"layers": "real, sky ,fake"})
    assert values == {"layers": ("real", "fake")}
    assert len(problems) == 1 and "sky not understood" in problems[0] and "surface, real" in problems[0]
    values, problems = decode_view({"layers": "<script>" * 20})  # nothing usable: the default, a short message
    assert values == {"layers": LAYERS} and len(problems) == 1 and len(problems[0]) <= 300


def test_the_settings_decoder_reports_a_view_key_unless_told_to_ignore_it():
    from ganlab.settings.urlstate import VIEW_KEYS

    assert VIEW_KEYS == ("dm", "layers")
    assert decode({"layers": "real", "dm": "points"}, ignore=VIEW_KEYS)[2] == []
