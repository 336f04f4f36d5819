"""The model overview graph's model: what each node says, and what lights up after each kind of
training step and at each slow-motion stage (all hand-worked)."""

from __future__ import annotations

import pytest

from ganlab.settings.config import ImageStructure, Knobs, MLPShape, ToyStructure
from ganlab.viz.model_graph import (
    D_PATH,
    EDGES,
    G_PATH,
    NODE_TITLES,
    STAGES,
    GraphInputs,
    build_graph,
    graph_inputs,
    highlight,
    last_update,
    structure_texts,
)

BOTH = {"d_loss": 1.2346, "g_loss": 0.6931, "d_real": 0.714, "d_fake": 0.296}


def inputs(latest: dict, known: dict | None = None, **kw) -> GraphInputs:
    fields = dict(step=12, d_updates=24, g_updates=12, d_steps=2, latest=latest,
                  known=dict(latest) if known is None else known, score_label="P(real)")
    return GraphInputs(**{**fields, **kw})


def texts(graph, node_id: str) -> list[str]:
    return [line.text for line in graph.node(node_id).lines]


def test_last_update_reads_which_nets_the_step_updated_from_its_record():
    assert last_update(BOTH) == "both"
    assert last_update({"d_loss": 1.0, "d_real": 0.5}) == "d"
    assert last_update({"g_loss": 0.7}) == "g"
    assert last_update({}) is None


def test_a_full_step_lights_both_paths_and_their_shared_edges_dark():
    lit = highlight(None, "both")
    assert lit["real-discriminator"] == lit["d_loss-discriminator"] == lit["discriminator"] == lit["d_loss"] == "d"
    assert lit["noise-generator"] == lit["g_loss-generator"] == lit["generator"] == lit["g_loss"] == "g"
    # G's loss is D's verdict on the fakes: both updates pass through these two edges
    assert lit["fake-discriminator"] == lit["discriminator-predictions"] == "dg"
    assert set(lit) == set(D_PATH) | set(G_PATH)
    assert {"noise", "real", "fake", "predictions"}.isdisjoint(lit)  # data nodes stay unlit


def test_a_lone_d_or_g_step_lights_its_own_path_only():
    assert highlight(None, "d") == {element: "d" for element in D_PATH}
    assert highlight(None, "g") == {element: "g" for element in G_PATH}
    assert highlight(None, None) == {}


def test_a_slow_motion_stage_lights_its_sub_step_whatever_the_last_step_was():
    assert highlight("d_grad", "both") == {"d_loss-discriminator": "d"}
    assert highlight("g_grad", "d") == {"g_loss-generator": "g"}
    assert highlight("d_score", None) == {"real-discriminator": "d", "fake-discriminator": "d",
                                          "discriminator-predictions": "d"}
    assert highlight("g_score", None) == {"fake-discriminator": "g", "discriminator-predictions": "g"}
    assert highlight("g_update", None) == {"generator": "g"}
    ids = set(NODE_TITLES) | {e[0] for e in EDGES}
    for stage, (_, elements) in STAGES.items():  # every stage names real elements, in its net's colour
        assert set(elements) <= ids, stage
        assert set(highlight(stage, None).values()) == {stage[0]}
    with pytest.raises(ValueError, match="unknown stage 'd_dance'"):
        highlight("d_dance", None)


def test_nodes_show_the_runs_numbers_and_the_caption_the_step():
    graph = build_graph(inputs(BOTH))
    assert texts(graph, "d_loss") == ["1.235"]
    assert texts(graph, "g_loss") == ["0.693"]
    assert texts(graph, "predictions") == ["mean P(real)", "real: 0.71", "fake: 0.30"]
    assert texts(graph, "generator")[0] == "12 updates"
    assert texts(graph, "discriminator")[0] == "24 updates"
    assert graph.caption.startswith("Step 12 · last step: 2 D updates, then a G update")
    assert graph.edge("d_loss-discriminator").label == "∇ update D ×2"  # D steps per G step
    assert build_graph(inputs({"d_loss": 1.0})).edge("d_loss-discriminator").label == "∇ update D"
    assert graph.edge("d_loss-discriminator").kind == graph.edge("g_loss-generator").kind == "gradient"
    assert graph.edge("noise-generator").kind == "forward"
    assert not any(line.stale for node in graph.nodes for line in node.lines)


def test_after_a_lone_g_step_the_d_numbers_are_kept_but_marked_as_older():
    known = {"g_loss": 0.7, "d_loss": 1.3, "d_real": 0.6, "d_fake": 0.4}
    graph = build_graph(inputs({"g_loss": 0.7}, known, d_steps=1, g_updates=1, d_updates=1))
    assert [(line.text, line.stale) for line in graph.node("d_loss").lines] == [("1.300", True)]
    assert [(line.text, line.stale) for line in graph.node("g_loss").lines] == [("0.700", False)]
    assert [line.stale for line in graph.node("predictions").lines] == [False, True, True]
    assert texts(graph, "generator")[0] == "1 update"
    assert graph.caption == "Step 12 · last step: a G update only (orange)"
    assert graph.node("generator").role == "g" and graph.node("discriminator").role is None


def test_missing_numbers_show_a_dash_and_a_critic_adds_its_estimate():
    graph = build_graph(inputs({}, {}, step=0))
    assert texts(graph, "d_loss") == ["—"] and texts(graph, "predictions")[1:] == ["real: —", "fake: —"]
    assert graph.caption == "Step 0 · nothing trained yet: press Play or Step"
    critic = {"d_loss": -123.456, "g_loss": 45.678, "d_real": 3.2, "d_fake": -1.0, "wasserstein": 4.2}
    graph = build_graph(inputs(critic, score_label="critic value", probability=False))
    assert texts(graph, "d_loss") == ["-123.5"] and texts(graph, "g_loss") == ["45.68"]  # fits the narrow box
    assert texts(graph, "predictions") == ["mean critic value", "real: 3.200", "fake: -1.000", "W est. 4.200"]
    small = build_graph(inputs({"d_real": 0.003, "d_fake": -0.0012}, probability=False))
    assert texts(small, "predictions")[1:] == ["real: 0.003", "fake: -0.001"]  # not "0.00" / "-0.00"


def test_a_slow_motion_caption_says_what_the_sub_step_does():
    graph = build_graph(inputs(BOTH), active="g_grad")
    assert graph.caption == "Step 12 · slow motion: G step: the gradient of G's loss flows back through D to G"
    assert graph.lit() == {"g_loss-generator": "g"}


def test_structure_texts_and_inputs_of_a_snapshots_fields():
    toy = ToyStructure(noise="uniform", noise_dim=1, generator=MLPShape(2, 64, "leaky_relu"))
    assert structure_texts(toy) == {"noise_text": "uniform · 1-D", "generator_text": "2 × 64 leaky relu",
                                    "discriminator_text": "3 × 128 relu"}
    image = structure_texts(ImageStructure(image_size=32, channels=3, noise_dim=64))
    assert image == {"noise_text": "Gaussian · 64-D", "generator_text": "z → 32×32×3",
                     "discriminator_text": "32×32×3 → score"}
    got = graph_inputs(5, 5, 4, Knobs(loss="hinge", d_steps=3), toy, {"d_loss": 1.0}, {"d_loss": 1.0, "g_loss": 2.0},
                       real_text="Ring of 8")
    assert (got.step, got.d_updates, got.g_updates, got.d_steps) == (5, 5, 4, 3)
    assert got.score_label == "critic value" and not got.probability
    assert graph_inputs(0, 0, 0, Knobs(), toy, {}, {}).score_label == "P(real)"
    assert build_graph(got).node("real").lines[0].text == "Ring of 8"
    assert got.generator_note == ()
    wide = graph_inputs(0, 0, 0, Knobs(), ToyStructure(noise_dim=8), {}, {})
    assert texts(build_graph(wide), "generator") == ["0 updates", "3 × 128 relu", "no manifold:", "noise is > 2-D"]
    assert graph_inputs(0, 0, 0, Knobs(), ImageStructure(), {}, {}).generator_note == ()
