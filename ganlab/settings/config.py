"""What a run is (structure, frozen) and how it is trained right now (live knobs).

Structure changes mean rebuilding the nets; knobs change between two training
steps without touching optimizer state. Both validate strictly on construction
and round-trip through plain dicts (JSON, URL query parameters).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from ganlab.limits import (  # noqa: F401  (re-exported: the ranges were first defined here)
    ACTIVATIONS,
    BATCH_RANGE,
    BETA_RANGE,
    CLIP_RANGE,
    CONDITIONAL_CLASSES_MAX,
    D_STEPS_RANGE,
    EMA_DECAY_RANGE,
    HALF_LIFE_RANGE,
    HIDDEN_LAYERS_RANGE,
    IMAGE_CHANNELS,
    IMAGE_NOISE_DIM_RANGE,
    IMAGE_SIZES,
    IMAGE_WIDTH_RANGE,
    LR_RANGE,
    MODEL_DATA,
    NOISE_DIM_RANGE,
    NOISE_KINDS,
    NUM_CLASSES_RANGE,
    OPTIMIZERS,
    PACK_RANGE,
    PENALTY_RANGE,
    SEED_RANGE,
    TRAIN_WHICH,
    UNROLL_RANGE,
    WIDTH_RANGE,
)


def __getattr__(name: str) -> Any:
    """USER_DATA and DRAWN_DATA, read here by code written before the data sources owned their names."""
    if name == "USER_DATA":
        from ganlab.data.points_csv import USER_DATA

        return USER_DATA
    if name == "DRAWN_DATA":
        from ganlab.data.drawn import DRAWN_DATA

        return DRAWN_DATA
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ConfigError(ValueError):
    """A setting is missing, of the wrong type or out of range; the message says which."""


def _check_int(name: str, value: Any, bounds: tuple[int, int]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ConfigError(f"{name} must be a whole number, got {value!r}")
    lo, hi = bounds
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _check_float(name: str, value: Any, bounds: tuple[float, float]) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value}")
    lo, hi = bounds
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo:g} and {hi:g}, got {value:g}")
    return value


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _check_int_choice(name: str, value: Any, choices: tuple[int, ...]) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")
    return int(value)


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    return value


def _check_by_table(obj: Any, table: str, section: tuple[str, ...] = ("structure",)) -> None:
    """Check (and normalise) each attribute of `obj` that the settings table (ganlab.settings.fields)
    lists under `section`: its type and its range or choices are the table's, so a setting's
    bounds are written once. The data's name is checked by its class (its message says "data")."""
    from ganlab.settings import fields  # here, not at the top: the table takes its ranges from this module

    for f in getattr(fields, table):
        if f.path[:-1] != section or f.key in ("data", "draw", "datab"):
            continue
        name, value, options = f.noun, getattr(obj, f.path[-1]), f.options()
        if f.value_type is bool:
            value = _check_bool(name, value)
        elif options is not None:
            value = _check_int_choice(name, value, options) if f.value_type is int else _check_choice(name, value, options)
        elif f.value_type is int:
            value = _check_int(name, value, f.bounds)
        else:
            value = _check_float(name, value, f.bounds)
        object.__setattr__(obj, f.path[-1], value)


_SETTINGS_OF = {"MLPShape": "network shape", "ToyStructure": "2D run", "ImageStructure": "image run",
                "OptimizerKnobs": "optimizer", "Knobs": "training knob"}  # messages say these, not class names


def _from_mapping(cls: type, data: Mapping[str, Any], nested: Mapping[str, type] = {}) -> Any:
    what = _SETTINGS_OF.get(cls.__name__, "run")
    if not isinstance(data, Mapping):
        raise ConfigError(f"the {what} settings must be a table of names and values, not a single value or a list")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"unknown {what} setting(s): {', '.join(map(str, unknown))}")
    kwargs = {}
    for key, value in data.items():
        kwargs[key] = _from_mapping(nested[key], value) if key in nested else value
    return cls(**kwargs)


@dataclass(frozen=True)
class MLPShape:
    """An MLP's hidden part: `hidden_layers` layers of `width` units."""

    hidden_layers: int = 3
    width: int = 128
    activation: str = "relu"

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden_layers", _check_int("hidden layers", self.hidden_layers, HIDDEN_LAYERS_RANGE))
        object.__setattr__(self, "width", _check_int("width", self.width, WIDTH_RANGE))
        _check_choice("activation", self.activation, ACTIVATIONS)


def _check_drawing(structure: Any) -> None:
    """A drawing code must be readable; other data carries none (it is dropped, so switching
    the data away from a drawing leaves no stale code in the link or the saved config)."""
    from ganlab.data.drawn import DRAWN_DATA, DrawingCodeError, decode

    if structure.data != DRAWN_DATA:
        object.__setattr__(structure, "drawing", "")
        return
    if not isinstance(structure.drawing, str):
        raise ConfigError(f"drawing must be a drawing code (text), got {structure.drawing!r}"[:200])
    if structure.drawing:
        try:
            decode(structure.drawing)
        except DrawingCodeError as err:
            raise ConfigError(str(err)) from None


def _check_model(structure: Any) -> None:
    """What a model asks of the rest of the structure: InfoGAN's Q head reads one sample at a time."""
    if structure.model == "infogan" and structure.pack > 1:
        raise ConfigError("InfoGAN's Q head reads the codes back from one sample at a time: set packing to 1, "
                          "or choose the plain GAN model")
    if hasattr(structure, "data_b"):
        _check_domain_b(structure)
    data = "image" if hasattr(structure, "image_size") else "2D"
    if data not in MODEL_DATA.get(structure.model, (data,)):  # an unknown name is the table check's to report
        other = " or ".join(name for name, kinds in MODEL_DATA.items() if data in kinds)
        what = {"stylegan": "the style-based generator draws images", "cyclegan": "CycleGAN here maps 2D points"}
        raise ConfigError(f"{what.get(structure.model, structure.model)}: for {data} data choose {other}")
    if structure.model == "stylegan" and getattr(structure, "conditional", False):
        raise ConfigError("the style-based generator is unconditional: turn conditional off, or choose the plain "
                          "GAN model")
    if structure.model == "infogan" and structure.info_categories == 1 and structure.info_continuous == 0:
        raise ConfigError("InfoGAN needs a code: give it a categorical code (0 = as many values as the data has "
                          "modes or classes) or at least one continuous code")


def default_domain_b(data: str) -> str:
    """CycleGAN's domain B when none is named: the square of 8 (as many modes as the ring), or the ring
    when the data is the square."""
    return "ring" if data == "square" else "square"


def _check_domain_b(structure: Any) -> None:
    """CycleGAN's domains: A (the data) a named toy or a drawing, B a named toy ("": the square, or the
    ring for the square). Other models carry no B (dropped, so links and saved configs stay clean)."""
    from ganlab.data.points_csv import USER_DATA
    from ganlab.data.toy import TOY_DISTRIBUTIONS

    if structure.model != "cyclegan":
        object.__setattr__(structure, "data_b", "")
        return
    if structure.data == USER_DATA:
        raise ConfigError("CycleGAN maps a named distribution or a drawing (domain A) onto another: choose one "
                          "for the data, or the plain GAN model for your CSV points")
    if structure.data_b == "":
        object.__setattr__(structure, "data_b", default_domain_b(structure.data))
    _check_choice("domain B", structure.data_b, tuple(TOY_DISTRIBUTIONS))
    if structure.pack > 1:
        raise ConfigError("CycleGAN's discriminators judge one sample at a time: set packing to 1")


@dataclass(frozen=True)
class ToyStructure:
    """A 2D GAN: the data, the noise and both nets. Changing any of it rebuilds the run."""

    data: str = "ring"
    noise_dim: int = 2
    noise: str = "gaussian"
    generator: MLPShape = field(default_factory=MLPShape)
    discriminator: MLPShape = field(default_factory=MLPShape)
    seed: int = 0
    drawing: str = ""  # the drawn data's code (ganlab.data.drawn) when data is DRAWN_DATA, else ""
    pack: int = 1  # D judges this many samples at once (PacGAN, ganlab.nets.packing); runs saved before: 1
    model: str = "gan"  # which GAN (ganlab.kinds.models); runs saved before the field: the plain GAN
    info_categories: int = 0  # InfoGAN's categorical code; 0: as many as the data's modes (ganlab.kinds.infogan)
    info_continuous: int = 0  # InfoGAN's continuous codes
    data_b: str = ""  # CycleGAN's second domain (a toy's name); "" for the other models

    def __post_init__(self) -> None:
        from ganlab.data.drawn import DRAWN_DATA
        from ganlab.data.points_csv import USER_DATA
        from ganlab.data.toy import TOY_DISTRIBUTIONS

        _check_choice("data", self.data, (*TOY_DISTRIBUTIONS, USER_DATA, DRAWN_DATA))
        _check_drawing(self)
        _check_by_table(self, "TOY_FIELDS")  # noise_dim, noise, seed, pack, model and its codes
        _check_model(self)
        for name in ("generator", "discriminator"):
            if not isinstance(getattr(self, name), MLPShape):
                raise ConfigError(f"{name} must be an MLPShape")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ToyStructure":
        return _from_mapping(cls, data, {"generator": MLPShape, "discriminator": MLPShape})


@dataclass(frozen=True)
class ImageStructure:
    """An image GAN: the data's name and shape, the noise and both DCGAN-style nets.
    `num_classes` is how many classes the data has (0: unlabelled); `conditional` says
    whether the nets use them. Width is the generator's channel count at half the image
    size (doubling at each further halving) and the discriminator's mirror of it, unless
    `d_width` gives D its own; any width in range works (no multiple needed). Changing any
    of it rebuilds the run."""

    dataset: str = "digits"  # built in: trains offline (ganlab.data.image_sources)
    image_size: int = 28
    channels: int = 1
    noise_dim: int = 100
    width: int = 64
    g_batch_norm: bool = True
    d_batch_norm: bool = False
    d_spectral_norm: bool = True
    conditional: bool = False
    num_classes: int = 10
    seed: int = 0
    ema_decay: float = 0.0  # EMA of G's weights (ganlab.gan.ema); 0: off
    # a 3x3 conv at the smallest map in both nets (ganlab.nets.dcgan). Off by default, as in
    # Radford et al.'s nets and in runs saved before the field existed; the fast presets turn it on
    extra_conv: bool = False
    pack: int = 1  # D judges this many images at once (PacGAN, ganlab.nets.packing); runs saved before: 1
    d_width: int = 0  # D's own width (PacGAN's small D); 0: as wide as G, as in runs saved before the field existed
    model: str = "gan"  # which GAN (ganlab.kinds.models); runs saved before the field: the plain GAN
    info_categories: int = 0  # InfoGAN's categorical code; 0: as many as the data's classes (ganlab.kinds.infogan)
    info_continuous: int = 2  # InfoGAN's continuous codes (the paper's MNIST run has 2)

    def __post_init__(self) -> None:
        if not isinstance(self.dataset, str) or not self.dataset.strip():
            raise ConfigError(f"dataset must be a non-empty name, got {self.dataset!r}")
        _check_by_table(self, "IMAGE_FIELDS")  # every field but the dataset's name and the class count
        if 0 < self.d_width < IMAGE_WIDTH_RANGE[0]:  # the table's range starts at 0, which means "G's width"
            lo, hi = IMAGE_WIDTH_RANGE
            raise ConfigError(f"discriminator width must be 0 (as wide as G) or between {lo} and {hi}, got {self.d_width}")
        object.__setattr__(self, "num_classes", _check_int("number of classes", self.num_classes, NUM_CLASSES_RANGE))
        if self.conditional and self.num_classes < 2:
            raise ConfigError(
                f"a conditional GAN needs labelled data with at least 2 classes; number of classes is {self.num_classes}"
            )
        if self.conditional and self.num_classes > CONDITIONAL_CLASSES_MAX:  # its grid draws a row per class
            raise ConfigError(f"a conditional GAN takes at most {CONDITIONAL_CLASSES_MAX} classes; this data has "
                              f"{self.num_classes}: turn conditional off")
        if self.conditional and self.pack > 1:  # a pack of m images would need m classes in one projection
            raise ConfigError("packing is for an unconditional discriminator: set packing to 1 or turn conditional off")
        if self.conditional and self.model == "infogan":
            raise ConfigError("InfoGAN learns its own codes from unlabelled data: turn conditional off, or choose the "
                              "plain GAN model")
        _check_model(self)

    @property
    def discriminator_width(self) -> int:
        """The width D is built with: `d_width`, or G's `width` when that is 0."""
        return self.d_width or self.width

    @property
    def net_classes(self) -> int:
        """The classes the nets condition on: `num_classes` when conditional, else 0."""
        return self.num_classes if self.conditional else 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ImageStructure":
        return _from_mapping(cls, data)


@dataclass(frozen=True)
class OptimizerKnobs:
    """One network's optimizer. For SGD `beta1` is the momentum; for RMSprop
    `beta1` is the momentum and `beta2` the smoothing constant alpha."""

    name: str = "adam"
    lr: float = 1e-3
    beta1: float = 0.5
    beta2: float = 0.999

    def __post_init__(self) -> None:
        _check_choice("optimizer", self.name, OPTIMIZERS)
        object.__setattr__(self, "lr", _check_float("learning rate", self.lr, LR_RANGE))
        object.__setattr__(self, "beta1", _check_float("beta1 / momentum", self.beta1, BETA_RANGE))
        object.__setattr__(self, "beta2", _check_float("beta2", self.beta2, BETA_RANGE))


@dataclass(frozen=True)
class Knobs:
    """Everything that may change while training runs, applied between two steps."""

    loss: str = "non-saturating"
    g_opt: OptimizerKnobs = field(default_factory=OptimizerKnobs)
    d_opt: OptimizerKnobs = field(default_factory=OptimizerKnobs)
    d_steps: int = 1
    batch_size: int = 256
    gp_weight: float = 0.0
    r1_weight: float = 0.0
    ms_weight: float = 0.0  # mode seeking, a generator regularizer (ganlab.gan.regularizers)
    label_smoothing: float = 0.0  # one-sided: D's target on real samples is 1 - this (cross-entropy losses)
    clip_value: float = 0.01
    lr_decay_start: int = 0  # steps at the full learning rates before the decay begins
    lr_half_life: int = 0  # then both rates halve every this many steps (exponential decay); 0: no decay
    unroll: int = 0  # G's loss against D after this many more D steps on a copy (ganlab.gan.unroll); 0: off
    info_weight: float = 1.0  # InfoGAN's mutual-information weight λ (ganlab.kinds.infogan); other models ignore it
    cycle_weight: float = 10.0  # CycleGAN's cycle-consistency weight λ (ganlab.kinds.cyclegan), as in Zhu et al.
    identity_weight: float = 0.0  # CycleGAN's identity weight; 0: off

    def __post_init__(self) -> None:
        from ganlab.gan.losses import LOSSES  # local import: losses imports torch

        _check_by_table(self, "KNOB_FIELDS", ("knobs",))  # loss, d_steps, unroll, batch_size, the weights, the LR decay
        for name in ("g_opt", "d_opt"):
            if not isinstance(getattr(self, name), OptimizerKnobs):
                raise ConfigError(f"{name} must be an OptimizerKnobs")
        if LOSSES[self.loss].needs_gradient_penalty and self.gp_weight <= 0:
            raise ConfigError(
                "the Wasserstein-GP loss needs a gradient penalty weight above 0 (10 is the usual choice)"
            )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Knobs":
        return _from_mapping(cls, data, {"g_opt": OptimizerKnobs, "d_opt": OptimizerKnobs})

    def replace(self, **changes: Any) -> "Knobs":
        return dataclasses.replace(self, **changes)
