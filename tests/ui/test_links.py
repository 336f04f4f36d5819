"""Hostile links open working pages: each bad or unknown parameter is named in a warning,
never a traceback (issue 12.7, 11.11)."""

from __future__ import annotations

import pytest

from ganlab.settings.config import Knobs, ToyStructure
from ganlab.settings.image_presets import default_image_settings
from tests.apptest_pages import fresh_app, runner_of


def _open(page: str, **params: str):
    gen = fresh_app(page)
    at = next(gen)
    at.query_params.update(params)
    at.run()
    return gen, at


@pytest.mark.parametrize("page, key, raw", [
    ("pages/1_Playground.py", "ds", "inf"),
    ("pages/1_Playground.py", "seed", "1e400"),
    ("pages/1_Playground.py", "bs", "-inf"),
    ("pages/2_Images.py", "size", "inf"),
])
def test_overflowing_link_values_show_a_message_not_a_traceback(page, key, raw):
    gen, at = _open(page, **{key: raw})
    try:
        assert not at.exception, [e.value for e in at.exception]
        warnings = [w.value for w in at.warning]
        assert any(w.startswith(f"Link setting {key}={raw} is not a whole number; kept the default") for w in warnings), warnings
        snap = runner_of(at).snapshot()
        defaults = (ToyStructure(), Knobs()) if "Playground" in page else default_image_settings()
        assert snap.knobs == defaults[1]
        assert snap.structure.seed == defaults[0].seed
    finally:
        next(gen, None)


def test_unknown_link_key_is_named_with_the_key_it_resembles():
    gen, at = _open("pages/1_Playground.py", batch="-5", gw="16", dw="16")
    try:
        assert not at.exception
        warnings = [w.value for w in at.warning]
        assert "Link setting batch=-5 not understood (no such setting), ignored; did you mean bs?" in warnings
        assert len(warnings) == 1  # the run token and the good settings raise nothing
        assert runner_of(at).snapshot().structure.generator.width == 16
    finally:
        next(gen, None)
