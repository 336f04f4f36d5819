"""The Dynamics page's settings: one small table of fields in the style of ganlab.settings.fields, and
their URL form (keys prefixed "dy_", so they never meet another page's keys).

Decoding never fails: a bad value (not a number, out of range, not a choice) keeps its default
and yields a message; so does a bad start point, which is dropped. Keys without the prefix
belong to the app (run tokens, other pages) and are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Any, Mapping

from ganlab.dynamics.dirac import LOSSES, ORDERS, REGULARIZERS, UPDATES, Dynamics
from ganlab.settings.fields import Field
from ganlab.settings.urlstate import KIND_NAMES, format_value, parse_value, shown_value

PREFIX = "dy_"
MAX_STARTS = 6
MAX_PARTS_READ = 4 * MAX_STARTS  # ";"-separated parts of a link's starts looked at; the rest are counted only
START_BOUND = 1000.0  # |theta|, |psi| of a start


@dataclass(frozen=True)
class DiracSettings:
    loss: str = "non-saturating"
    regularizer: str = "none"
    r1_gamma: float = 1.0  # R1 and R2
    gp_lambda: float = 1.0
    clip: float = 0.5
    noise: float = 0.7  # instance noise's sigma
    consensus: float = 1.0  # consensus optimization's gamma
    update: str = "simultaneous"
    order: str = "d-first"
    lr: float = 0.1
    d_steps: int = 1
    iterations: int = 500
    view: float = 2.0  # the plot shows [-view, view] on both axes
    starts: tuple[tuple[float, float], ...] = ((1.0, 1.0),)

    def dynamics(self) -> Dynamics:
        weight = {"r1": self.r1_gamma, "r2": self.r1_gamma, "gp": self.gp_lambda, "clip": self.clip,
                  "noise": self.noise, "consensus": self.consensus}
        return Dynamics(self.loss, self.regularizer, weight.get(self.regularizer, 0.0), self.update, self.lr,
                        self.d_steps, self.order)


# One click each on the page: the paper's cases, with starts that show them in a few seconds.
SCENARIOS: dict[str, DiracSettings] = {
    "Simultaneous spirals out": DiracSettings(iterations=1000, view=0.5, starts=((0.05, 0.05), (0.1, -0.1))),
    # minimax: l_G' + l_D' = 0, so alternating steps keep the distance at every turn (the
    # non-saturating loss's curvature would make them creep in)
    "Alternating circles": DiracSettings(loss="minimax", update="alternating", iterations=1000, view=0.3,
                                         starts=((0.15, 0.0), (0.0, 0.1))),
    "R1 converges": DiracSettings(regularizer="r1", r1_gamma=0.3, iterations=1000, starts=((1.0, 1.0), (-1.5, 0.5))),
    "Clipped WGAN falls onto a cycle": DiracSettings(loss="wasserstein", regularizer="clip", clip=0.5,
                                                     iterations=1000, starts=((1.0, 0.5),)),
    "WGAN-GP stops away": DiracSettings(loss="wasserstein", regularizer="gp", gp_lambda=1.0, update="alternating",
                                        d_steps=5, starts=((0.5, 0.5),)),
    "LSGAN gets stuck": DiracSettings(loss="least-squares", iterations=1000, starts=((0.5, 0.5), (1.0, -1.0))),
}


def _field(name: str, key: str, label: str, help: str, kind: type, bounds: tuple[float, float] | None = None,
           choices: tuple[Any, ...] | None = None, **kw: Any) -> Field:
    return Field(PREFIX + key, ("dynamics", name), "dy-" + key, label, help, kind, bounds, choices, **kw)


FIELDS: tuple[Field, ...] = (
    _field("loss", "loss", "Loss", "the adversarial loss, as on the playground, on the logits D(0) = 0 and D(θ) = ψθ",
           str, choices=tuple(LOSSES)),
    _field("regularizer", "reg", "Regularizer", "what keeps D in check", str, choices=REGULARIZERS),
    _field("r1_gamma", "r1", "R1 / R2 weight γ", "D's penalty γ/2·ψ²: its input gradient is ψ at the real point "
           "(R1) and at the fake one (R2)", float, (0.0, 100.0), step=0.1, format="%.3f", short="γ (R1 / R2 weight)"),
    _field("gp_lambda", "gp", "Gradient penalty weight λ", "D's penalty λ(|ψ| − 1)²: its input gradient is ψ at "
           "every interpolate", float, (0.0, 100.0), step=0.1, format="%.3f", short="λ (penalty weight)"),
    _field("clip", "clip", "Weight clip c", "after every D step ψ is clipped to [−c, c]", float, (0.01, 10.0),
           step=0.05, format="%.3f", short="c (clip value)"),
    _field("noise", "noise", "Instance noise σ", "Gaussian noise of this standard deviation on the real and the fake "
           "sample, in expectation", float, (0.0, 3.0), step=0.05, format="%.3f", short="σ (instance noise)"),
    _field("consensus", "cons", "Consensus weight γ", "both players also descend γ/2·|v|², the squared length of "
           "the field", float, (0.0, 10.0), step=0.1, format="%.3f", short="γ (consensus weight)"),
    _field("update", "upd", "Updates", "simultaneous: both step from the same point; alternating: one player "
           "steps, then the other against its new value", str, choices=UPDATES),
    _field("order", "order", "Who steps first", "alternating updates only: D first (as the playground trains), "
           "or G first (as the paper's notebook does)", str, choices=ORDERS),
    _field("lr", "lr", "Learning rate h", "the step size of both players", float, (1e-4, 2.0), step=0.01,
           format="%.4f", short="Learning rate h"),
    _field("d_steps", "ds", "D steps per G step", "alternating updates only", int, (1, 20)),
    _field("iterations", "it", "Iterations", "G updates per trajectory", int, (1, 5000), step=100),
    _field("view", "view", "View ±", "the plot shows θ and ψ from −this to +this", float, (0.1, 50.0), step=0.5,
           format="%.2f"),
)
STARTS_KEY = PREFIX + "start"  # "theta,psi;theta,psi"
BY_NAME = {f.path[-1]: f for f in FIELDS}
KEYS = {f.key for f in FIELDS} | {STARTS_KEY}


def _single(raw: Any) -> str:
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else ""
    return raw if isinstance(raw, str) else str(raw)


def check(field: Field, value: Any) -> Any:
    """`value` if `field` allows it; ValueError with a sentence otherwise."""
    options = field.options()
    if options is not None and value not in options:
        raise ValueError(f"{field.noun} must be one of {', '.join(map(str, options))}")
    if field.bounds is not None:
        lo, hi = field.bounds
        if not lo <= value <= hi:
            raise ValueError(f"{field.noun} must be between {format_value(float(lo))} and {format_value(float(hi))}")
    return value


def parse_starts(raw: str) -> tuple[list[tuple[float, float]], list[str]]:
    """"1,1;0.5,-2" -> [(1, 1), (0.5, -2)], and at most three messages: one for all the pairs that
    are not two finite numbers within +-START_BOUND (dropped), one for pairs beyond MAX_STARTS,
    one for parts beyond MAX_PARTS_READ (not even split: a link of thousands costs no more than
    a short one)."""
    pieces = raw.rsplit(";", MAX_PARTS_READ)  # from the end: the last starts are the ones kept
    unread = pieces.pop(0).count(";") + 1 if len(pieces) > MAX_PARTS_READ else 0
    starts, bad = [], []
    for part in [p for p in pieces if p.strip()]:
        pair = part.split(",")
        try:
            if len(pair) != 2:
                raise ValueError
            point = (parse_value(float, pair[0]), parse_value(float, pair[1]))
            if max(abs(point[0]), abs(point[1])) > START_BOUND:
                raise ValueError
        except (TypeError, ValueError, ArithmeticError):
            bad.append(part)
            continue
        starts.append(point)
    problems = []
    if bad:
        which = f"start {shown_value(bad[0])} is" if len(bad) == 1 else \
            f"starts {', '.join(shown_value(b) for b in bad[:3])}{' and more' * (len(bad) > 3)} ({len(bad)}) are"
        problems.append(f"link {which} not θ,ψ (two numbers between −{START_BOUND:g} and {START_BOUND:g}); "
                        f"dropped {'it' if len(bad) == 1 else 'them'}")
    if unread:
        problems.append(f"the link has {unread + MAX_PARTS_READ:,} starts; read only the last {MAX_PARTS_READ}")
    if len(starts) > MAX_STARTS:
        problems.append(f"the link has {len(starts)} starts; kept the last {MAX_STARTS}")
        starts = starts[-MAX_STARTS:]
    return starts, problems


def decode(params: Mapping[str, Any]) -> tuple[DiracSettings, list[str]]:
    """Settings from the page's query parameters, and a message for each bad or unknown "dy_" one."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for field in FIELDS:
        if field.key not in params:
            continue
        raw = _single(params[field.key])
        try:
            values[field.path[-1]] = check(field, parse_value(field.value_type, raw))
        except (TypeError, ValueError, ArithmeticError) as err:
            reason = str(err) if " must " in str(err) else f"it is not {KIND_NAMES[field.value_type]}"
            problems.append(f"link setting {field.key}={shown_value(raw)} ignored: {reason}; kept the default")
    if STARTS_KEY in params:
        starts, bad = parse_starts(_single(params[STARTS_KEY]))
        problems += bad
        if starts:
            values["starts"] = tuple(starts)
    for key in params:
        if str(key).startswith(PREFIX) and key not in KEYS:
            problems.append(f"link setting {shown_value(key)} not understood (no such setting), ignored")
    settings = DiracSettings(**values)
    try:
        settings.dynamics()
    except ValueError as err:  # every field is in range, so this is a combination, e.g. clip 0
        problems.append(f"link settings ignored: {err}")
        settings = DiracSettings()
    return settings, problems


def format_starts(starts: tuple[tuple[float, float], ...]) -> str:
    return ";".join(f"{format_value(float(t))},{format_value(float(p))}" for t, p in starts)


def encode(settings: DiracSettings) -> dict[str, str]:
    """Every setting as a query parameter (a shared link keeps them even if the defaults change)."""
    out = {f.key: format_value(getattr(settings, f.path[-1])) for f in FIELDS}
    out[STARTS_KEY] = format_starts(settings.starts)
    return out


assert {f.name for f in dataclass_fields(DiracSettings)} == set(BY_NAME) | {"starts"}, "one field per setting"
