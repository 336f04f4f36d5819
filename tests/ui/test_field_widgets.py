"""Every settings field has a widget on its page, keyed page prefix + URL key, labelled by the table."""

from __future__ import annotations

import pytest

from ganlab.settings import fields as F
from tests.apptest_pages import fresh_app, open_with

PAGES = {
    "playground": ("pages/1_Playground.py", "pg_", F.TOY_FIELDS, {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}),
    "images": ("pages/2_Images.py", "im_", F.IMAGE_FIELDS, {}),
}
WIDGETS = ("number_input", "slider", "selectbox", "checkbox", "radio")
# fields drawn by a custom component, not a Streamlit widget (the drawing: the canvas of ui/draw_data.py)
CUSTOM = {"draw"}
# a model's own fields, drawn only while it is the chosen model (ganlab.ui.model_controls)
BY_MODEL = {"icat": "infogan", "icont": "infogan", "info": "infogan", "datab": "cyclegan", "cyc": "cyclegan",
            "idw": "cyclegan"}


@pytest.mark.parametrize(("which", "model"), [("playground", "gan"), ("playground", "infogan"),
                                              ("playground", "cyclegan"), ("images", "gan"), ("images", "infogan")])
def test_every_field_has_a_widget_with_its_label(which, model):
    path, prefix, table, params = PAGES[which]
    table = [f for f in table if f.key not in CUSTOM and BY_MODEL.get(f.key, model) == model]
    for at in fresh_app(path):
        _check_widgets(at, prefix, table, {**params, "model": model})


def _check_widgets(at, prefix, table, params):
    open_with(at, params)
    labels = {w.key: w.label for kind in WIDGETS for w in getattr(at, kind) if w.key}
    missing = [f.key for f in table if prefix + f.key not in labels]
    assert not missing, f"no widget for {missing}"
    assert {f.key: labels[prefix + f.key] for f in table} == {f.key: f.widget_label for f in table}
