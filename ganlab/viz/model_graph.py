"""The model overview graph (as in GAN Lab): noise -> G -> generated samples; real and generated
samples -> D -> predictions -> D loss and G loss; and the two gradient paths back, from D's loss
to D and from G's loss (through D) to G. This module is the graph's model: its nodes and edges,
what each node says about the run (step numbers, D's mean scores, the losses), and which edges
light up. No Streamlit, no drawing (see ganlab.viz.model_graph_svg).

What lights up, in this order of precedence:
- a slow-motion walk's sub-step (`active`, one of STAGES): the edges and nodes of that sub-step;
- otherwise the last training step: the D-update path, the G-update path or both (a "Step" with
  D steps per G step > 1 runs that many D updates, then one G update).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ganlab.formatting import format_number
from ganlab.kinds import kind_of
from ganlab.settings.config import ImageStructure, Knobs, ToyStructure

# ---------------------------------------------------------------- the graph's shape
NODE_TITLES = {
    "noise": "Random noise z",
    "generator": "Generator G",
    "fake": "Generated samples",
    "real": "Real samples",
    "discriminator": "Discriminator D",
    "predictions": "Predictions",
    "d_loss": "D loss",
    "g_loss": "G loss",
}
# (id, source, target, kind): forward edges carry data, gradient edges carry a loss's gradient back
EDGES = (
    ("noise-generator", "noise", "generator", "forward"),
    ("generator-fake", "generator", "fake", "forward"),
    ("real-discriminator", "real", "discriminator", "forward"),
    ("fake-discriminator", "fake", "discriminator", "forward"),
    ("discriminator-predictions", "discriminator", "predictions", "forward"),
    ("predictions-d_loss", "predictions", "d_loss", "forward"),
    ("predictions-g_loss", "predictions", "g_loss", "forward"),
    ("d_loss-discriminator", "d_loss", "discriminator", "gradient"),  # update D
    ("g_loss-generator", "g_loss", "generator", "gradient"),  # update G, back through D and the samples
)
EDGE_LABELS = {"d_loss-discriminator": "∇ update D", "g_loss-generator": "∇ update G (through D)"}

# The slow-motion sub-steps (the `active` input): what each one computes, and what it lights up.
STAGES = {
    "d_sample": ("D step: draw a real batch and a noise batch", ("real", "noise")),
    "d_fake": ("D step: G turns the noise into generated samples", ("noise-generator", "generator-fake")),
    "d_score": ("D step: D scores the real and the generated samples",
                ("real-discriminator", "fake-discriminator", "discriminator-predictions")),
    "d_penalty": ("D step: the penalty's points (gradient penalty or R1) go through D",
                  ("real-discriminator", "fake-discriminator", "discriminator")),
    "d_loss": ("D step: D's loss from its predictions", ("predictions-d_loss", "d_loss")),
    "d_grad": ("D step: the gradient of D's loss flows back to D", ("d_loss-discriminator",)),
    "d_update": ("D step: the optimizer moves D's weights", ("discriminator",)),
    "g_sample": ("G step: fresh noise, and G turns it into new generated samples",
                 ("noise", "noise-generator", "generator-fake")),
    "g_fake": ("G step: G turns the noise into generated samples", ("noise-generator", "generator-fake")),
    "g_score": ("G step: D scores the generated samples", ("fake-discriminator", "discriminator-predictions")),
    "g_loss": ("G step: G's loss from D's predictions on them", ("predictions-g_loss", "g_loss")),
    "g_grad": ("G step: the gradient of G's loss flows back through D to G", ("g_loss-generator",)),
    "g_update": ("G step: the optimizer moves G's weights (D stays as it is)", ("generator",)),
}
# What one whole update lights up (a training step's highlight).
D_PATH = ("real-discriminator", "fake-discriminator", "discriminator-predictions", "predictions-d_loss",
          "d_loss-discriminator", "discriminator", "d_loss")
G_PATH = ("noise-generator", "generator-fake", "fake-discriminator", "discriminator-predictions",
          "predictions-g_loss", "g_loss-generator", "generator", "g_loss")
ROLES = ("d", "g", "dg")  # what lit an element: the D update, the G update, or both (shared edges)


@dataclass(frozen=True)
class Line:
    """One line of a node's text; `stale`: a value the last step did not compute (kept from an
    earlier one, e.g. D's loss after a lone G step), drawn greyed."""

    text: str
    stale: bool = False


@dataclass(frozen=True)
class Node:
    id: str
    title: str
    lines: tuple[Line, ...]
    role: str | None = None  # lit by ("d", "g", "dg") or None


@dataclass(frozen=True)
class Edge:
    id: str
    source: str
    target: str
    kind: str  # "forward" or "gradient"
    label: str = ""
    role: str | None = None


@dataclass(frozen=True)
class ModelGraph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    caption: str  # the step and what the highlight shows, in words

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def edge(self, edge_id: str) -> Edge:
        return next(e for e in self.edges if e.id == edge_id)

    def lit(self) -> dict[str, str]:
        """{element id: role} of every lit node and edge."""
        return {e.id: e.role for e in (*self.nodes, *self.edges) if e.role is not None}


@dataclass(frozen=True)
class GraphInputs:
    """What the graph says, taken from a Snapshot (see `inputs_from`), so tests can hand-work it.
    `latest`: the last step's record (only what it computed); `known`: the newest value of each
    number, the last step's or an earlier one's (a lone G step computes no D numbers)."""

    step: int
    d_updates: int
    g_updates: int
    d_steps: int
    latest: Mapping[str, float]
    known: Mapping[str, float]
    score_label: str = "D(x)"  # "P(real)", "D(x)" or "critic value" (ganlab.gan.losses.score_label)
    noise_text: str = ""  # e.g. "Gaussian · 2-D"
    generator_text: str = ""  # e.g. "3 × 128 ReLU"
    discriminator_text: str = ""
    real_text: str = ""  # e.g. "Ring of 8 modes"
    fake_text: str = ""  # e.g. "500 from fixed noise"
    probability: bool = True  # D's mean scores lie in [0, 1] (the predictions' bars are drawn)
    generator_note: tuple[str, ...] = ()  # more lines for G (e.g. why its manifold is not drawn)
    pack: int = 1  # samples D judges at once (PacGAN): one prediction per pack
    unroll: int = 0  # G's loss against D unrolled this many D steps ahead (Metz et al.); 0: off


def last_update(latest: Mapping[str, float]) -> str | None:
    """Which nets the last step updated, read from its record: "d", "g", "both" or None (no step
    yet). A D update records d_loss, a G update g_loss."""
    d, g = "d_loss" in latest, "g_loss" in latest
    return "both" if d and g else "d" if d else "g" if g else None


def highlight(active: str | None, last: str | None) -> dict[str, str]:
    """{element id: role}: a slow-motion stage's elements (role "d" or "g", by its name), or else
    the path(s) of the last training step (`last` from `last_update`); edges both paths share
    get "dg" when both ran."""
    if active is not None:
        if active not in STAGES:
            raise ValueError(f"unknown stage {active!r}; stages are {', '.join(STAGES)}")
        return {element: active[0] for element in STAGES[active][1]}
    lit: dict[str, str] = {}
    if last in ("d", "both"):
        lit.update({element: "d" for element in D_PATH})
    if last in ("g", "both"):
        for element in G_PATH:
            lit[element] = "dg" if element in lit else "g"
    return lit


def _value(inputs: GraphInputs, key: str, label: str, spec: str | None = None) -> Line:
    """`label value`; without a `spec`, 3 decimals below 10 and 4 significant digits above (a
    loss box is narrow: "1.381", "-123.5")."""
    value = inputs.known.get(key)
    if spec is None and value is not None:
        spec = ".3f" if abs(value) < 10 else ".4g"
    shown = format_number(value, spec or ".3f")
    return Line(f"{label} {shown}".strip(), stale=value is not None and key not in inputs.latest)


def _caption(inputs: GraphInputs, active: str | None, last: str | None) -> str:
    head = f"Step {inputs.step:,}"
    if active is not None:
        return f"{head} · slow motion: {STAGES[active][0]}"
    if last is None:
        return f"{head} · nothing trained yet: press Play or Step"
    if last == "both":
        ups = f"{inputs.d_steps} D updates" if inputs.d_steps > 1 else "a D update"
        return f"{head} · last step: {ups}, then a G update (blue: D's path, orange: G's, dark: both)"
    return f"{head} · last step: {'a D update only (blue)' if last == 'd' else 'a G update only (orange)'}"


def _updates(count: int) -> str:
    return f"{count:,} update{'' if count == 1 else 's'}"


def node_lines(inputs: GraphInputs) -> dict[str, tuple[Line, ...]]:
    """The text each node shows beside its picture."""
    score = inputs.score_label
    spec = ".2f" if inputs.probability else None  # a critic's values are not on a 0..1 scale
    predictions = [_value(inputs, "d_real", "real:", spec), _value(inputs, "d_fake", "fake:", spec)]
    if "wasserstein" in inputs.known:
        predictions.append(_value(inputs, "wasserstein", "W est.", ".3f"))
    return {
        "noise": (Line(inputs.noise_text),),
        "generator": (Line(_updates(inputs.g_updates)), Line(inputs.generator_text),
                      *(Line(text, stale=True) for text in inputs.generator_note)),
        "fake": (Line(inputs.fake_text),),
        "real": (Line(inputs.real_text),),
        "discriminator": (Line(_updates(inputs.d_updates)), Line(inputs.discriminator_text),
                          *((Line(f"judges packs of {inputs.pack}"),) if inputs.pack > 1 else ())),
        "predictions": (Line(f"mean {score}" + (" (per pack)" if inputs.pack > 1 else "")), *predictions),
        "d_loss": (_value(inputs, "d_loss", ""),),
        "g_loss": (_value(inputs, "g_loss", ""),),
    }


def build_graph(inputs: GraphInputs, active: str | None = None) -> ModelGraph:
    """The graph of `inputs`, lit for the slow-motion stage `active` (None: the last step)."""
    last = last_update(inputs.latest)
    lit = highlight(active, last)
    lines = node_lines(inputs)
    nodes = tuple(Node(nid, title, tuple(line for line in lines[nid] if line.text.strip()), lit.get(nid))
                  for nid, title in NODE_TITLES.items())
    labels = dict(EDGE_LABELS)
    if active is None and last == "both" and inputs.d_steps > 1:  # D steps per G step: D's path ran that often
        labels["d_loss-discriminator"] += f" ×{inputs.d_steps}"
    if inputs.unroll > 0:  # G's loss is a copy of D's after that many more D steps (ganlab.gan.unroll)
        labels["g_loss-generator"] = f"∇ update G (through D unrolled ×{inputs.unroll})"
    edges = tuple(Edge(eid, src, dst, kind, labels.get(eid, ""), lit.get(eid)) for eid, src, dst, kind in EDGES)
    return ModelGraph(nodes, edges, _caption(inputs, active, last))


# ---------------------------------------------------------------- from a run's snapshot
def structure_texts(structure: ToyStructure | ImageStructure) -> dict[str, str]:
    """The nets' and the noise's one-line descriptions for the nodes (noise_text, generator_text,
    discriminator_text: the kind of GAN words them)."""
    return kind_of(structure).net_texts(structure)


def _manifold_note(structure: ToyStructure | ImageStructure) -> tuple[str, ...]:
    """Why G's node shows no manifold, when the kind draws one but cannot for this structure."""
    return kind_of(structure).manifold_note(structure)


def graph_inputs(step: int, d_updates: int, g_updates: int, knobs: Knobs, structure: ToyStructure | ImageStructure,
                 latest: Mapping[str, float], known: Mapping[str, float], *, real_text: str = "",
                 fake_text: str = "") -> GraphInputs:
    """GraphInputs of a snapshot's fields (the page passes `snap.step`, ... and, as `known`, the
    latest numbers with those the last step lacked filled in from the history)."""
    from ganlab.gan.losses import (
        get_loss,
        score_label,  # local import: losses imports torch
    )

    return GraphInputs(step=step, d_updates=d_updates, g_updates=g_updates, d_steps=knobs.d_steps,
                       latest=dict(latest), known=dict(known), score_label=score_label(knobs.loss),
                       real_text=real_text, fake_text=fake_text, generator_note=_manifold_note(structure),
                       probability=get_loss(knobs.loss).display == "probability", pack=structure.pack,
                       unroll=knobs.unroll, **structure_texts(structure))
