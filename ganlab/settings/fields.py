"""The one table of settings fields, in the spirit of TensorFlow Playground's `state.ts` PROPS.

Each `Field` names one leaf of a run's {"structure": ..., "knobs": ...} tree and says how
it is written everywhere: its URL key (also the widget key after the page's prefix), its
CLI flag (also its name in a --config file), its label and help (widgets, --help, change
notices), its type and its range or choices (taken from ganlab.settings.config's constants, which
the dataclasses validate against). A path under "knobs" is live: it changes between two
training steps; one under "structure" restarts the run.

There are two tables: TOY_FIELDS (the 2D playground) and IMAGE_FIELDS (the image page);
both end with the same KNOB_FIELDS. Adding a knob means one line here (plus the dataclass
field it fills and the training step that reads it): the URL, the CLI, config files and a
widget follow from the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from ganlab.limits import (
    ACTIVATIONS,
    BATCH_RANGE,
    BETA_RANGE,
    CLIP_RANGE,
    CYCLE_WEIGHT_RANGE,
    D_STEPS_RANGE,
    EMA_DECAY_RANGE,
    HALF_LIFE_RANGE,
    HIDDEN_LAYERS_RANGE,
    IMAGE_CHANNELS,
    IMAGE_D_WIDTH_RANGE,
    IMAGE_NOISE_DIM_RANGE,
    IMAGE_SIZES,
    IMAGE_WIDTH_RANGE,
    INFO_CATEGORIES_RANGE,
    INFO_CONTINUOUS_RANGE,
    INFO_WEIGHT_RANGE,
    LR_RANGE,
    MODELS,
    NOISE_DIM_RANGE,
    NOISE_KINDS,
    OPTIMIZERS,
    PACK_RANGE,
    PENALTY_RANGE,
    SEED_RANGE,
    UNROLL_RANGE,
    WIDTH_RANGE,
)

Choices = Sequence[Any] | Callable[[], Sequence[Any]]


@dataclass(frozen=True)
class Field:
    """One setting. `label` is its full name in plain words ("Generator learning rate");
    `short` is what its widget says under a heading that already names the net."""

    key: str  # URL key; the widget key is page prefix + key. Never rename one: shared links use them
    path: tuple[str, ...]  # into {"structure": ..., "knobs": ...}
    flag: str  # `ganlab train --FLAG`, and the setting's name in a --config file
    label: str
    help: str
    value_type: type  # bool, int, float or str
    bounds: tuple[float, float] | None = None  # numbers: the inclusive range
    choices: Choices | None = None  # the allowed values (a callable when listing them imports torch)
    short: str = ""
    step: float | None = None  # the widget's step
    format: str | None = None  # the widget's printf format
    many: bool = False  # a view field holding a set of its choices (comma-separated in the link)

    @property
    def live(self) -> bool:
        """True for a knob (applied between two steps), False for structure (restarts the run)."""
        return self.path[0] == "knobs"

    @property
    def dest(self) -> str:
        """The flag's argparse destination (and the --config name with underscores)."""
        return self.flag.replace("-", "_")

    @property
    def noun(self) -> str:
        """The label inside a sentence ("batch size must be ..."): "Batch size" lower-cased, "R1 weight" kept."""
        return self.label[0].lower() + self.label[1:] if self.label[1:2].islower() else self.label

    @property
    def widget_label(self) -> str:
        return self.short or self.label

    def options(self) -> tuple[Any, ...] | None:
        if self.choices is None:
            return None
        return tuple(self.choices() if callable(self.choices) else self.choices)


@dataclass(frozen=True)
class Shorthand:
    """A CLI flag that sets several fields at once (`--beta1` for both nets); the fields'
    own flags, when also given, win."""

    flag: str
    keys: tuple[str, ...]
    help: str

    @property
    def dest(self) -> str:
        return self.flag.replace("-", "_")


def _loss_names() -> tuple[str, ...]:
    from ganlab.gan.losses import LOSSES  # imports torch: only when the choices are asked for

    return tuple(LOSSES)


def _toy_names() -> tuple[str, ...]:
    from ganlab.data.toy import TOY_DISTRIBUTIONS

    return tuple(TOY_DISTRIBUTIONS)


def _toy_data() -> tuple[str, ...]:
    from ganlab.data.drawn import DRAWN_DATA
    from ganlab.data.points_csv import USER_DATA
    from ganlab.data.toy import TOY_DISTRIBUTIONS

    return (*TOY_DISTRIBUTIONS, USER_DATA, DRAWN_DATA)


_NETS = (("g", "generator", "Generator", "G"), ("d", "discriminator", "Discriminator", "D"))


def _optimizer_fields() -> list[Field]:
    out = []
    for n, net, Net, _ in _NETS:
        opt = ("knobs", f"{n}_opt")
        out += [
            Field(f"{n}opt", (*opt, "name"), f"{n}-optimizer", f"{Net} optimizer", f"the {net}'s optimizer",
                  str, choices=OPTIMIZERS, short="Optimizer"),
            Field(f"{n}lr", (*opt, "lr"), f"{n}-lr", f"{Net} learning rate", f"the {net}'s learning rate",
                  float, LR_RANGE, short="Learning rate", step=1e-4, format="%.6f"),
            Field(f"{n}b1", (*opt, "beta1"), f"{n}-beta1", f"{Net} β1 / momentum",
                  f"the {net}'s Adam beta1 (the momentum for SGD and RMSprop)",
                  float, BETA_RANGE, short="β1 / momentum", step=0.05, format="%.4f"),
            Field(f"{n}b2", (*opt, "beta2"), f"{n}-beta2", f"{Net} β2 / α",
                  f"the {net}'s Adam beta2 (the smoothing constant alpha for RMSprop)",
                  float, BETA_RANGE, short="β2 / α", step=0.001, format="%.4f"),
        ]
    return out


KNOB_FIELDS: tuple[Field, ...] = (
    Field("loss", ("knobs", "loss"), "loss", "Loss", "the adversarial loss", str, choices=_loss_names),
    Field("ds", ("knobs", "d_steps"), "d-steps", "D steps per G step", "discriminator updates per generator update",
          int, D_STEPS_RANGE),
    Field("unroll", ("knobs", "unroll"), "unroll", "Unrolled D steps",
          "Unrolled GAN (Metz et al. 2017): G's loss is taken against D as it would be after this many more "
          "D steps, taken on a copy (D's weights and optimizer are not touched), and G's gradient flows back "
          "through those steps, so G sees how D would answer its move. 0 = off. Costly: at 5, a step of a "
          "2D run took 7 to 10 times as long as without", int, UNROLL_RANGE, short="Unroll D (G's loss)"),
    Field("bs", ("knobs", "batch_size"), "batch-size", "Batch size", "samples per batch, real and fake each",
          int, BATCH_RANGE, step=32),
    *_optimizer_fields(),
    Field("lrs", ("knobs", "lr_decay_start"), "lr-decay-start", "Learning-rate decay start",
          "Both learning rates stay as set for this many steps, then decay", int, HALF_LIFE_RANGE,
          short="LR decay after (steps)", step=500),
    Field("lrh", ("knobs", "lr_half_life"), "lr-half-life", "Learning-rate half-life",
          "After the start, both learning rates halve every this many steps; 0 = no decay",
          int, HALF_LIFE_RANGE, short="LR half-life (steps)", step=100),
    Field("gp", ("knobs", "gp_weight"), "gp-weight", "Gradient penalty weight",
          "WGAN-GP weight λ on E[(‖∇D(x̂)‖−1)²]; the Wasserstein-GP loss needs it above 0",
          float, PENALTY_RANGE, short="Grad. penalty", step=1.0),
    Field("r1", ("knobs", "r1_weight"), "r1-weight", "R1 weight", "R1 weight γ on ½E[‖∇D(x)‖²] at real data",
          float, PENALTY_RANGE, short="R1 γ", step=0.1),
    Field("clip", ("knobs", "clip_value"), "clip-value", "Weight clip",
          "Used by the Wasserstein weight-clipping loss", float, CLIP_RANGE, step=0.005, format="%.4f"),
    Field("ms", ("knobs", "ms_weight"), "ms-weight", "Mode-seeking weight",
          "Generator regularizer (MSGAN, Mao et al. 2019): weight λ on 1 / (image distance / noise "
          "distance) between two half-batches with the same labels. Spreads G's samples out when "
          "different noise gives the same image, e.g. one style per class in a conditional GAN. "
          "The G loss chart shows the adversarial part only.",
          float, PENALTY_RANGE, short="Mode seeking (G)", step=0.1),
    Field("info", ("knobs", "info_weight"), "info-weight", "Mutual-information weight",
          "the weight λ of InfoGAN's code term: how much G and D's Q head are pushed to make the codes "
          "recoverable from the sample "
          "(the categorical code's cross-entropy plus a tenth of the continuous codes' squared error). "
          "Used by the InfoGAN model only", float, INFO_WEIGHT_RANGE, short="Info weight λ", step=0.1),
    Field("cyc", ("knobs", "cycle_weight"), "cycle-weight", "Cycle-consistency weight",
          "CycleGAN's λ: how much both generators are pushed to bring a sample back where it started (A -> B -> A "
          "and B -> A -> B, mean absolute distance). Used by the CycleGAN model only", float, CYCLE_WEIGHT_RANGE,
          short="Cycle weight λ", step=1.0),
    Field("idw", ("knobs", "identity_weight"), "identity-weight", "Identity weight",
          "CycleGAN's identity term: how much each generator is pushed to leave a sample of its own target domain "
          "where it is (G_AB(b) = b); 0 = off. Used by the CycleGAN model only", float, CYCLE_WEIGHT_RANGE,
          short="Identity weight", step=0.5),
    Field("ls", ("knobs", "label_smoothing"), "label-smoothing", "Label smoothing", "One-sided label smoothing "
          "(Salimans et al. 2016) for the cross-entropy losses: D's target on real samples is 1 − ε, not 1",
          float, (0.0, 0.5), short="Label smoothing ε", step=0.05),
)


def _mlp_fields() -> list[Field]:
    out = []
    for n, net, Net, _ in _NETS:
        shape = ("structure", net)
        out += [
            Field(f"{n}l", (*shape, "hidden_layers"), f"{n}-hidden-layers", f"{Net} hidden layers",
                  f"hidden layers of the {net}", int, HIDDEN_LAYERS_RANGE, short="Hidden layers"),
            Field(f"{n}w", (*shape, "width"), f"{n}-width", f"{Net} width", f"units per hidden layer of the {net}",
                  int, WIDTH_RANGE, short="Width", step=16),
            Field(f"{n}a", (*shape, "activation"), f"{n}-activation", f"{Net} activation",
                  f"activation of the {net}'s hidden layers", str, choices=ACTIVATIONS, short="Activation"),
        ]
    return out


_PACK = Field("pack", ("structure", "pack"), "pack", "Packing",
              "PacGAN (Lin et al. 2018): D judges this many samples at once, joined (2D: their coordinates; "
              "images: their channels), and gives one score per pack; a pack holds only real or only generated "
              "samples, so D can see too little variety in a pack. 1 = one at a time. The batch is rounded down "
              "to a multiple of it. Not for a conditional D", int, PACK_RANGE, short="Packing (D)")
_MODEL_FIELDS = (
    Field("model", ("structure", "model"), "model", "Model",
          "which GAN: gan, the plain GAN; infogan (Chen et al. 2016), whose G also gets a categorical code and "
          "continuous codes that D's Q head must read back from the sample, so each code value comes to mean "
          "one kind of sample (a mode, a digit) without labels", str, choices=MODELS),
    Field("icat", ("structure", "info_categories"), "info-categories", "InfoGAN categories",
          "how many values InfoGAN's categorical code takes; 0 = as many as the data has modes (8 on the ring, "
          "25 on the grid) or classes (10 digits), else 10", int, INFO_CATEGORIES_RANGE, short="Categorical code"),
    Field("icont", ("structure", "info_continuous"), "info-continuous", "InfoGAN continuous codes",
          "how many continuous codes (uniform on [-1, 1]) InfoGAN gives G beside the noise; on digits they come to "
          "mean width and slant", int, INFO_CONTINUOUS_RANGE, short="Continuous codes"),
)
_DATA_B = Field("datab", ("structure", "data_b"), "data-b", "Domain B",
                "CycleGAN's second distribution: it learns to map the data (domain A) onto this one and back "
                "(default: the square of 8, or the ring when A is the square)", str, choices=lambda: _toy_names())
_SEED = Field("seed", ("structure", "seed"), "seed", "Seed", "seed for the weights and the sampling",
              int, SEED_RANGE, step=1)

TOY_FIELDS: tuple[Field, ...] = (
    Field("data", ("structure", "data"), "data", "Distribution", "the 2D distribution to learn",
          str, choices=_toy_data),
    Field("draw", ("structure", "drawing"), "drawing", "Drawing",
          "the drawn data's strokes as a compact code (ganlab.data.drawn); with --data drawn", str),
    _SEED,
    *_MODEL_FIELDS,
    _DATA_B,
    Field("nd", ("structure", "noise_dim"), "noise-dim", "Noise dimension", "latent size", int, NOISE_DIM_RANGE),
    Field("noise", ("structure", "noise"), "noise", "Noise", "latent distribution", str, choices=NOISE_KINDS),
    *_mlp_fields(),
    _PACK,
    *KNOB_FIELDS,
)

# The number of classes is not here: it follows the dataset.
IMAGE_FIELDS: tuple[Field, ...] = (
    Field("data", ("structure", "dataset"), "data", "Dataset", "the image dataset", str),
    _SEED,
    *_MODEL_FIELDS,
    Field("size", ("structure", "image_size"), "image-size", "Image size", "side in pixels (default: the data's)",
          int, choices=IMAGE_SIZES),
    Field("ch", ("structure", "channels"), "channels", "Channels", "1 grey, 3 colour (default: the data's)",
          int, choices=IMAGE_CHANNELS),
    Field("nd", ("structure", "noise_dim"), "noise-dim", "Noise dimension", "latent size",
          int, IMAGE_NOISE_DIM_RANGE, step=16),
    Field("w", ("structure", "width"), "width", "Width",
          "G's channels at half the image size, doubling at each halving below; D mirrors it unless D width is set",
          int, IMAGE_WIDTH_RANGE, step=16),
    Field("dw", ("structure", "d_width"), "d-width", "Discriminator width",
          "D's channels at half the image size, doubling at each halving below, when D should differ from G "
          f"(PacGAN's Table 3 gives D a quarter of G's width); 0 = the same as Width, else at least {IMAGE_WIDTH_RANGE[0]}",
          int, IMAGE_D_WIDTH_RANGE, short="D width", step=8),
    Field("gbn", ("structure", "g_batch_norm"), "g-batch-norm", "Generator batch norm", "batch norm in the generator", bool,
          short="G batch norm"),
    Field("dbn", ("structure", "d_batch_norm"), "d-batch-norm", "Discriminator batch norm",
          "Off for gradient penalties (they assume independent samples)", bool, short="D batch norm"),
    Field("dsn", ("structure", "d_spectral_norm"), "d-spectral-norm", "Discriminator spectral norm",
          "spectral norm on the discriminator's layers", bool, short="D spectral norm"),
    Field("cond", ("structure", "conditional"), "conditional", "Conditional",
          "G gets a class embedding, D a projection head; needs labelled data. One grid row per class.", bool),
    Field("xc", ("structure", "extra_conv"), "extra-conv", "Extra convolution",
          "One more 3×3 convolution at the smallest feature map of each net (in D it doubles the channels). "
          "Cheap, and at 28 px, where D otherwise has only two convolutions, it helps a lot: on MNIST "
          "the Fréchet distance after 4,000 steps fell from 132 to 52.", bool, short="Extra conv"),
    Field("ema", ("structure", "ema_decay"), "ema-decay", "EMA decay",
          "Exponential moving average of G's weights, shown beside the live grid; 0 = off. "
          "A structure setting: the average is over the run since step 0, so changing it restarts.",
          float, EMA_DECAY_RANGE, step=0.001, format="%.4f"),
    _PACK,
    *KNOB_FIELDS,
)

def _view_layers() -> tuple[str, ...]:
    from ganlab.limits import VIEW_LAYERS

    return VIEW_LAYERS


# How the playground shows its run, not what it trains: in the link like the settings above (the same
# key rules, ganlab.settings.urlstate.decode_view / encode_view), but no CLI flag and not saved with a
# run. A path under "view" names the page's choice; a field with `many` holds a set of its choices,
# written comma-separated in the link.
VIEW_FIELDS: tuple[Field, ...] = (
    Field("dm", ("view", "draw_mode"), "draw-mode", "Canvas mode",
          "Strokes: drag to draw lines the data follows. Points: click to drop a small blob.", str,
          choices=("strokes", "points")),
    Field("layers", ("view", "layers"), "layers", "Layers", "the 2D view's layers", str, choices=_view_layers,
          many=True),
)

# CLI flags that set both nets at once (kept from before per-net flags existed).
TOY_SHORTHANDS: tuple[Shorthand, ...] = (
    Shorthand("hidden-layers", ("gl", "dl"), "hidden layers of G and D"),
    Shorthand("width", ("gw", "dw"), "units per hidden layer of G and D"),
    Shorthand("activation", ("ga", "da"), "activation of G and D"),
)
KNOB_SHORTHANDS: tuple[Shorthand, ...] = (
    Shorthand("optimizer", ("gopt", "dopt"), "optimizer of G and D"),
    Shorthand("beta1", ("gb1", "db1"), "Adam beta1 (momentum for SGD/RMSprop), G and D"),
    Shorthand("beta2", ("gb2", "db2"), "Adam beta2 (RMSprop alpha), G and D"),
)


def by_key(fields: Iterable[Field]) -> dict[str, Field]:
    return {f.key: f for f in fields}


def get(tree: Mapping[str, Any], path: Sequence[str]) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def put(tree: dict[str, Any], path: Sequence[str], value: Any) -> None:
    for part in path[:-1]:
        tree = tree[part]
    tree[path[-1]] = value


def changed_labels(fields: Iterable[Field], old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The labels of the fields whose values differ between two settings trees, for change notices."""
    return [f.label for f in fields if get(old, f.path) != get(new, f.path)]


def _check_tables() -> None:
    """The table's own invariants, checked on import: a duplicate key or flag is a bug here."""
    for table in (TOY_FIELDS + VIEW_FIELDS, IMAGE_FIELDS):
        for attr in ("key", "flag", "path"):
            values = [getattr(f, attr) for f in table]
            dup = {v for v in values if values.count(v) > 1}
            assert not dup, f"duplicate field {attr}: {dup}"
        for f in table:
            assert f.value_type in (bool, int, float, str), f.key


_check_tables()
