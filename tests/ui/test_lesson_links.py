"""Lesson links through the pages (AppTest): hide= and lock= hide widgets, lock them, keep their
link values in the run and in the link, hold them against presets, and the "Make a lesson link"
panel gives a link that opens the same page shape."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from ganlab.ui.page_shape import SHAPES_KEY
from tests.apptest_pages import fresh_app, run_ok, runner_of

PLAYGROUND, IMAGES, DYNAMICS = "pages/1_Playground.py", "pages/2_Images.py", "pages/5_Dynamics.py"


@pytest.fixture
def opened():
    gens = []

    def open_page(page: str, **params: str):
        gen = fresh_app(page)
        at = next(gen)
        gens.append(gen)
        at.query_params.update(params)
        return run_ok(at)

    yield open_page
    for gen in gens:
        next(gen, None)


def _widget_keys(at) -> set[str]:
    found = set()
    for kind in ("selectbox", "number_input", "slider", "radio", "checkbox", "multiselect", "button_group"):
        found |= {w.key for w in at.get(kind) if getattr(w, "key", None)}
    return found


def _param(at, key: str) -> str:
    value = at.query_params[key]
    return value[-1] if isinstance(value, list) else value


def _shape(at, prefix: str):
    return at.session_state[SHAPES_KEY][prefix].shape


def test_a_link_hides_and_locks_playground_controls_and_its_values_train(opened):
    at = opened(PLAYGROUND, data="grid", loss="hinge", glr="0.0005", gw="64",
                hide="glr,dlr,structure,presets,view_layers", lock="loss,bs")
    keys = _widget_keys(at)
    for hidden in ("pg_glr", "pg_dlr", "pg_gw", "pg_dw", "pg_gl", "pg_seed", "pg_nd", "pg_preset", "pg_layers"):
        assert hidden not in keys, hidden
    assert not [b for b in at.button if b.key == "pg_apply_preset"]
    loss, batch = at.selectbox(key="pg_loss"), at.number_input(key="pg_bs")
    assert loss.disabled and batch.disabled and ":material/lock:" in loss.label
    assert not at.selectbox(key="pg_gopt").disabled and not at.selectbox(key="pg_data").disabled
    snap = runner_of(at).snapshot()  # the hidden and locked values apply
    assert (snap.knobs.loss, snap.knobs.g_opt.lr, snap.structure.generator.width) == ("hinge", 0.0005, 64)
    run_ok(at)  # a second run: the hidden values stay (widgets not drawn lose their state otherwise)
    snap = runner_of(at).snapshot()
    assert (snap.knobs.loss, snap.knobs.g_opt.lr, snap.structure.generator.width) == ("hinge", 0.0005, 64)
    assert _param(at, "hide") == "glr,dlr,structure,presets,view_layers"  # kept in the link
    assert _param(at, "lock") == "loss,bs" and _param(at, "glr") == "0.0005"
    assert not at.warning


def test_a_bad_name_is_named_where_link_problems_appear(opened):
    at = opened(PLAYGROUND, hide="glrr", lock="loss")
    assert [w.value for w in at.warning] == [
        "Link setting hide=glrr not understood (no such setting or panel on this page), ignored; "
        "did you mean glr or dlr or gl?"]
    assert at.selectbox(key="pg_loss").disabled


def test_a_preset_does_not_move_a_locked_or_hidden_value(opened):
    at = opened(PLAYGROUND, data="grid", loss="hinge", dlr="0.0007", lock="loss", hide="dlr")
    at.selectbox(key="pg_preset").set_value("wgan-gp").run()
    at.button(key="pg_apply_preset").click().run()
    knobs = runner_of(at).snapshot().knobs
    assert knobs.loss == "hinge" and knobs.d_opt.lr == 0.0007  # the link wins
    assert knobs.d_steps == 5 and knobs.gp_weight == 10.0  # the preset's free settings apply
    assert at.selectbox(key="pg_loss").value == "hinge"
    assert any("Kept as this page's link sets them" in t.value for t in at.toast)


def _lesson_link(at, prefix: str, hide: list[str], lock: list[str]) -> str:
    path = {"pg_": "Playground", "im_": "Images", "": "Dynamics"}[prefix]
    at.multiselect(key=f"lesson_link_hide:{path}").set_value(hide)
    at.multiselect(key=f"lesson_link_lock:{path}").set_value(lock)
    run_ok(at)
    return next(c.value for c in at.code if "?" in c.value)


def test_the_panels_link_opens_the_same_shape_and_settings(opened):
    at = opened(PLAYGROUND, data="grid", loss="hinge", gw="64")
    link = _lesson_link(at, "pg_", ["structure", "glr"], ["loss"])
    assert link.startswith("/Playground?") and "run=" not in link and "pgrun" not in link
    params = dict(parse_qsl(urlsplit(link).query))
    assert params["hide"] == "structure,glr" and params["lock"] == "loss"
    assert params["data"] == "grid" and params["gw"] == "64" and "bs" not in params  # the defaults stay out
    assert "glr" in params and "dlr" not in params  # a hidden setting is in the link even at its default
    assert any("Scan to open" in c for el in at.get("image") for c in el.captions), "the QR code is drawn"
    first = runner_of(at).snapshot()
    again = opened(PLAYGROUND, **params)  # (a fresh app: the first one's runner is released)
    assert _shape(again, "pg_").params() == {"hide": "structure,glr", "lock": "loss"}
    second = runner_of(again).snapshot()
    assert (second.structure, second.knobs) == (first.structure, first.knobs)
    assert "pg_gw" not in _widget_keys(again) and again.selectbox(key="pg_loss").disabled


def test_images_page_hides_and_locks(opened):
    at = opened(IMAGES, dlr="0.0003", hide="structure,timeline", lock="dlr,ls")
    keys = _widget_keys(at)
    assert not {"im_w", "im_nd", "im_gbn", "im_seed", "im_timeline"} & keys
    assert at.number_input(key="im_dlr").disabled and at.number_input(key="im_ls").disabled
    assert runner_of(at).snapshot().knobs.d_opt.lr == 0.0003
    assert _param(at, "lock") == "dlr,ls"


def test_dynamics_page_hides_and_locks_and_a_case_keeps_the_locked_loss(opened):
    at = opened(DYNAMICS, dy_loss="minimax", dy_lr="0.05", hide="dy_lr,curves", lock="dy_loss")
    assert "dy_lr" not in _widget_keys(at) and "dy_curves" not in {c.key for c in at.get("plotly_chart")}
    assert at.selectbox(key="dy_loss").disabled
    at.selectbox(key="dy_case").set_value("R1 converges").run()
    assert at.session_state["dy_settings"].loss == "minimax" and at.session_state["dy_settings"].lr == 0.05
    assert at.session_state["dy_settings"].regularizer == "r1"  # the case's free settings apply
    assert _param(at, "hide") == "dy_lr,curves" and _param(at, "dy_loss") == "minimax"


def test_a_link_too_long_for_a_qr_code_says_so_and_the_page_still_works(opened):
    """A crafted link (an unknown key with 5,000 characters) made segno refuse the QR code and the page
    fail under its traceback; now the panel says why there is no QR code and gives the link anyway."""
    at = opened(PLAYGROUND, data="grid", junk="x" * 5000)
    assert not at.exception
    notes = " ".join(c.value for c in at.sidebar.caption)
    assert "too long for a QR code" in notes
    assert not any("Scan to open" in c for el in at.get("image") for c in el.captions)
    assert at.button(key="pg_play")  # the page drew its transport after the panel's refusal
