"""The model graph of a packed D (PacGAN) and of an unrolled G loss (Unrolled GAN)."""

from __future__ import annotations

from ganlab.settings.config import ImageStructure, Knobs, MLPShape, ToyStructure
from ganlab.viz.model_graph import build_graph, graph_inputs

BOTH = {"d_loss": 1.2, "g_loss": 0.7, "d_real": 0.7, "d_fake": 0.3}


def texts(graph, node_id: str) -> list[str]:
    return [line.text for line in graph.node(node_id).lines]


def test_a_packed_d_says_it_judges_packs_and_its_predictions_are_per_pack():
    toy = ToyStructure(generator=MLPShape(1, 16), discriminator=MLPShape(2, 32), pack=2)
    graph = build_graph(graph_inputs(3, 3, 3, Knobs(), toy, BOTH, BOTH))
    assert texts(graph, "discriminator") == ["3 updates", "2 × 32 relu", "judges packs of 2"]
    assert texts(graph, "predictions")[0] == "mean P(real) (per pack)"
    image = build_graph(graph_inputs(3, 3, 3, Knobs(), ImageStructure(pack=4), BOTH, BOTH))
    assert texts(image, "discriminator")[-1] == "judges packs of 4"
    plain = build_graph(graph_inputs(3, 3, 3, Knobs(), ToyStructure(), BOTH, BOTH))
    assert len(texts(plain, "discriminator")) == 2 and texts(plain, "predictions")[0] == "mean P(real)"


def test_an_unrolled_g_loss_labels_gs_gradient_path():
    graph = build_graph(graph_inputs(3, 3, 3, Knobs(unroll=5), ToyStructure(), BOTH, BOTH))
    assert graph.edge("g_loss-generator").label == "∇ update G (through D unrolled ×5)"
    plain = build_graph(graph_inputs(3, 3, 3, Knobs(), ToyStructure(), BOTH, BOTH))
    assert plain.edge("g_loss-generator").label == "∇ update G (through D)"
