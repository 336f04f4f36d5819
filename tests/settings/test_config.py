import dataclasses
import json
import math

import pytest

from ganlab.data.points_csv import USER_DATA
from ganlab.gan.losses import LOSSES
from ganlab.settings.config import ConfigError, Knobs, MLPShape, OptimizerKnobs, ToyStructure


# ------------------------------------------------------------------ defaults
def test_defaults_are_valid_and_documented_values():
    s = ToyStructure()
    assert (s.data, s.noise_dim, s.noise, s.seed) == ("ring", 2, "gaussian", 0)
    assert s.generator == MLPShape(3, 128, "relu")
    k = Knobs()
    assert k.loss == "non-saturating"
    assert k.g_opt == OptimizerKnobs("adam", 1e-3, 0.5, 0.999)
    assert (k.d_steps, k.batch_size, k.gp_weight, k.r1_weight, k.clip_value) == (1, 256, 0.0, 0.0, 0.01)


# ------------------------------------------------------------ MLPShape
@pytest.mark.parametrize(
    "kwargs, field_name",
    [
        ({"width": 3}, "width"),
        ({"width": 513}, "width"),
        ({"width": "16"}, "width"),
        ({"width": 16.5}, "width"),
        ({"width": True}, "width"),
        ({"hidden_layers": -1}, "hidden layers"),
        ({"hidden_layers": 6}, "hidden layers"),
        ({"activation": "gelu"}, "activation"),
    ],
)
def test_mlp_shape_rejects_bad_values_naming_the_field(kwargs, field_name):
    with pytest.raises(ConfigError, match=field_name):
        MLPShape(**kwargs)


def test_mlp_shape_accepts_whole_floats_as_ints():
    shape = MLPShape(hidden_layers=2.0, width=16.0)
    assert shape.width == 16 and type(shape.width) is int
    assert shape.hidden_layers == 2 and type(shape.hidden_layers) is int


def test_mlp_shape_bounds_are_inclusive():
    assert MLPShape(hidden_layers=0, width=4).width == 4
    assert MLPShape(hidden_layers=5, width=512).hidden_layers == 5


# -------------------------------------------------------- ToyStructure
@pytest.mark.parametrize(
    "kwargs, field_name",
    [
        ({"noise_dim": 0}, "noise dimension"),
        ({"noise_dim": 65}, "noise dimension"),
        ({"noise_dim": "two"}, "noise dimension"),
        ({"noise": "poisson"}, "noise"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**31}, "seed"),
        ({"data": ""}, "data"),
        ({"data": 3}, "data"),
        ({"data": "swissroll"}, "data must be one of"),
        ({"generator": {"width": 16}}, "generator"),
        ({"discriminator": None}, "discriminator"),
    ],
)
def test_structure_rejects_bad_values_naming_the_field(kwargs, field_name):
    with pytest.raises(ConfigError, match=field_name):
        ToyStructure(**kwargs)


def test_structure_accepts_every_toy_dataset_and_user_points():
    from ganlab.data.toy import TOY_DISTRIBUTIONS

    for name in TOY_DISTRIBUTIONS:
        assert ToyStructure(data=name).data == name
    assert ToyStructure(data=USER_DATA).data == "csv"


def test_structure_is_frozen():
    s = ToyStructure()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.noise_dim = 3


def test_structure_round_trips_through_dict_and_json():
    s = ToyStructure(data="grid", noise_dim=5, noise="uniform",
                     generator=MLPShape(2, 16, "tanh"), discriminator=MLPShape(1, 32, "leaky_relu"), seed=7)
    d = s.to_dict()
    assert d["generator"] == {"hidden_layers": 2, "width": 16, "activation": "tanh"}
    assert ToyStructure.from_dict(d) == s
    assert ToyStructure.from_dict(json.loads(json.dumps(d))) == s


def test_structure_from_dict_rejects_unknown_keys_by_name():
    with pytest.raises(ConfigError, match="colour"):
        ToyStructure.from_dict({"data": "ring", "colour": "red"})
    with pytest.raises(ConfigError, match="depth"):
        ToyStructure.from_dict({"generator": {"width": 16, "depth": 3}})


def test_structure_from_dict_rejects_non_mapping():
    with pytest.raises(ConfigError, match="table of names and values"):
        ToyStructure.from_dict(["ring"])
    with pytest.raises(ConfigError, match="table of names and values"):
        ToyStructure.from_dict({"generator": 16})


def test_structure_from_dict_validates_values():
    with pytest.raises(ConfigError, match="width"):
        ToyStructure.from_dict({"discriminator": {"width": 1000}})


# ------------------------------------------------------ OptimizerKnobs
@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"lr": 0.0}, "learning rate"),
        ({"lr": 2.0}, "learning rate"),
        ({"lr": "fast"}, "learning rate must be a number"),
        ({"lr": math.nan}, "learning rate must be a finite"),
        ({"lr": math.inf}, "learning rate must be a finite"),
        ({"lr": None}, "learning rate"),
        ({"beta1": 1.0}, "beta1"),
        ({"beta1": -0.1}, "beta1"),
        ({"beta2": 1.5}, "beta2"),
        ({"beta2": True}, "beta2"),
        ({"name": "adagrad"}, "optimizer"),
    ],
)
def test_optimizer_knobs_reject_bad_values_naming_the_field(kwargs, pattern):
    with pytest.raises(ConfigError, match=pattern):
        OptimizerKnobs(**kwargs)


def test_optimizer_knobs_coerce_ints_to_float():
    o = OptimizerKnobs(lr=1, beta1=0)
    assert o.lr == 1.0 and type(o.lr) is float
    assert o.beta1 == 0.0 and type(o.beta1) is float


# ---------------------------------------------------------------- Knobs
@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"loss": "kl"}, "loss"),
        ({"d_steps": 0}, "D steps"),
        ({"d_steps": 11}, "D steps"),
        ({"d_steps": "2"}, "D steps"),
        ({"batch_size": 7}, "batch size"),
        ({"batch_size": 4097}, "batch size"),
        ({"gp_weight": -1.0}, "gradient penalty weight"),
        ({"gp_weight": 1001.0}, "gradient penalty weight"),
        ({"r1_weight": "lots"}, "R1 weight"),
        ({"ms_weight": -0.5}, "mode-seeking weight"),
        ({"clip_value": 0.0}, "weight clip"),
        ({"clip_value": 2.0}, "weight clip"),
        ({"g_opt": {"lr": 0.1}}, "g_opt"),
    ],
)
def test_knobs_reject_bad_values_naming_the_field(kwargs, pattern):
    with pytest.raises(ConfigError, match=pattern):
        Knobs(**kwargs)


def test_every_loss_name_is_accepted():
    for name, loss in LOSSES.items():
        gp = 10.0 if loss.needs_gradient_penalty else 0.0
        assert Knobs(loss=name, gp_weight=gp).loss == name


def test_wasserstein_gp_without_penalty_weight_is_refused():
    with pytest.raises(ConfigError, match="gradient penalty weight above 0"):
        Knobs(loss="wasserstein-gp")
    with pytest.raises(ConfigError, match="gradient penalty"):
        Knobs(loss="wasserstein-gp", gp_weight=0.0)
    assert Knobs(loss="wasserstein-gp", gp_weight=10.0).gp_weight == 10.0


def test_knobs_replace_revalidates():
    k = Knobs()
    assert k.replace(d_steps=3).d_steps == 3
    assert k.d_steps == 1  # the original is untouched
    with pytest.raises(ConfigError, match="D steps"):
        k.replace(d_steps=0)
    with pytest.raises(ConfigError, match="gradient penalty"):
        k.replace(loss="wasserstein-gp")


def test_knobs_round_trip_through_dict_and_json():
    k = Knobs(loss="hinge", g_opt=OptimizerKnobs("sgd", 0.01, 0.9, 0.5), d_opt=OptimizerKnobs("rmsprop", 5e-4, 0.0, 0.99),
              d_steps=5, batch_size=64, gp_weight=1.5, r1_weight=0.25, clip_value=0.05, ms_weight=2.0)
    d = k.to_dict()
    assert d["g_opt"] == {"name": "sgd", "lr": 0.01, "beta1": 0.9, "beta2": 0.5}
    assert Knobs.from_dict(d) == k
    assert Knobs.from_dict(json.loads(json.dumps(d))) == k


def test_knobs_from_dict_partial_uses_defaults():
    k = Knobs.from_dict({"batch_size": 32, "d_opt": {"lr": 2e-4}})
    assert k.batch_size == 32
    assert k.d_opt == OptimizerKnobs(lr=2e-4)
    assert k.g_opt == OptimizerKnobs()


def test_knobs_from_dict_rejects_unknown_keys_by_name():
    with pytest.raises(ConfigError, match="learning_rate"):
        Knobs.from_dict({"learning_rate": 0.1})
    with pytest.raises(ConfigError, match="momentum"):
        Knobs.from_dict({"g_opt": {"momentum": 0.9}})


def test_knobs_from_dict_rejects_non_numeric_strings_by_field():
    with pytest.raises(ConfigError, match="learning rate must be a number"):
        Knobs.from_dict({"d_opt": {"lr": "0.001"}})
    with pytest.raises(ConfigError, match="batch size must be a whole number"):
        Knobs.from_dict({"batch_size": "256"})
