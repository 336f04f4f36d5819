"""The model overview graph's SVG: well-formed, every node and edge drawn, the lit path in its
net's colour, gradients dashed, older numbers greyed, D's mean probabilities as bars."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ganlab.viz.model_graph import EDGES, NODE_TITLES, GraphInputs, build_graph
from ganlab.viz.model_graph_svg import COMPACT, FULL, IDLE_EDGE, NODE_W, ROLE_COLOURS, STALE, WIDTH, graph_svg

SVG = "{http://www.w3.org/2000/svg}"


def graph(latest, known=None, **kw):
    fields = dict(step=3, d_updates=2, g_updates=1, d_steps=1, latest=latest,
                  known=dict(latest) if known is None else known)
    return build_graph(GraphInputs(**{**fields, **kw}))


def groups(html: str) -> dict[str, ET.Element]:
    root = ET.fromstring(html)  # the whole snippet parses as XML: no unclosed tag, no raw "<" or "&"
    return {g.get("data-id"): g for g in root.iter(f"{SVG}g")}


def test_every_node_and_edge_is_drawn_inside_the_view_box():
    html = graph_svg(graph({"g_loss": 0.5}, {"g_loss": 0.5, "d_loss": 1.0}))
    drawn = groups(html)
    assert set(drawn) == set(NODE_TITLES) | {e[0] for e in EDGES}
    for lay in (FULL, COMPACT):
        for box in lay.boxes.values():
            assert 0 <= box.x and box.right <= WIDTH and 0 <= box.y and box.bottom <= lay.height - 20
        names = list(lay.boxes)
        for i, a in enumerate(names):  # no two boxes overlap
            for b in names[i + 1:]:
                p, q = lay.boxes[a], lay.boxes[b]
                assert p.right <= q.x or q.right <= p.x or p.bottom <= q.y or q.bottom <= p.y, (a, b)
    assert 'viewBox="0 0 584 ' in html and "Model overview graph" in html


def test_a_lone_g_step_lights_gs_path_orange_and_greys_ds_older_loss():
    drawn = groups(graph_svg(graph({"g_loss": 0.5}, {"g_loss": 0.5, "d_loss": 1.0})))
    edge = drawn["g_loss-generator"]
    path = edge.find(f"{SVG}path")
    assert "lit-g" in edge.get("class") and "gradient" in edge.get("class")
    assert path.get("stroke") == ROLE_COLOURS["g"] and path.get("stroke-dasharray") == "5 4"
    assert drawn["noise-generator"].find(f"{SVG}path").get("stroke-dasharray") is None  # forward: solid
    idle = drawn["real-discriminator"]
    assert idle.get("class") == "edge forward idle" and idle.find(f"{SVG}path").get("stroke") == IDLE_EDGE
    assert drawn["generator"].find(f"{SVG}rect").get("stroke") == ROLE_COLOURS["g"]
    d_loss = [t for t in drawn["d_loss"].iter(f"{SVG}text") if t.find(f"{SVG}title") is not None]
    assert [(t.find(f"{SVG}title").tail, t.get("fill")) for t in d_loss] == [("1.000", STALE)]


def test_pictures_are_embedded_and_bars_show_ds_mean_probabilities():
    uri = "data:image/png;base64,AAAA"
    html = graph_svg(graph({"d_real": 0.5, "d_fake": 0.25}), {"noise": uri}, bars={"d_real": 0.5, "d_fake": 0.25})
    drawn = groups(html)
    assert [i.get("href") for g in drawn.values() for i in g.iter(f"{SVG}image")] == [uri]
    assert [i.get("href") for i in drawn["noise"].iter(f"{SVG}image")] == [uri]
    inner = NODE_W - 20
    widths = [r.get("width") for r in drawn["predictions"].iter(f"{SVG}rect")]
    assert f"{inner * 0.5:.1f}" in widths and f"{inner * 0.25:.1f}" in widths
    no_bars = groups(graph_svg(graph({"d_real": 0.5, "d_fake": 0.25})))
    assert len(list(no_bars["predictions"].iter(f"{SVG}rect"))) == 1  # the box only: a critic gets no bars


def test_text_is_escaped():
    html = graph_svg(graph({}, {}, step=0, real_text="a<b & c"))
    assert "a&lt;b &amp; c" in html
    assert groups(html)["real"] is not None
