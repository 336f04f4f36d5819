"""Packing and unrolling on the playground: widgets from the fields table, the link's values reach the
run, and the view says what a packed D's surface is."""

from __future__ import annotations

import pytest

from tests.apptest_pages import fresh_app, open_with, runner_of
from tests.conftest import wait_until

PAGE = "pages/1_Playground.py"
SMALL = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def test_a_link_with_packing_and_unrolling_trains_them_and_captions_the_packed_surface(app):
    at = open_with(app, SMALL, pack="2", unroll="3", bs="33")
    assert at.slider(key="pg_pack").value == 2 and at.number_input(key="pg_unroll").value == 3
    runner = runner_of(at)
    snap = runner.snapshot()
    assert snap.structure.pack == 2 and snap.knobs.unroll == 3
    at.button(key="pg_step").click().run()
    wait_until(lambda: runner.snapshot(want_view=True).step == 1 and runner.snapshot(want_view=True).view is not None,
               timeout=30)
    at.run()
    captions = [c.value for c in at.caption]
    assert "D judges packs of 2 samples: its surface is D's score of each point packed with 1 copy of itself." in captions
    assert not at.exception and not at.error
