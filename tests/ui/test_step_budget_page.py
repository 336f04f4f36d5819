"""The image page's Step under a full training cap and with a run too big for the server's memory
budget (issue 23.6's crafted link): refused with a message, nothing trained, the page alive."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.training.memory_budget import ENV_RUN_MEMORY
from ganlab.ui.session import get_registry
from tests.apptest_pages import fresh_app, open_with, runner_of

PAGE = "pages/2_Images.py"
SMALL = {"w": "8", "nd": "8", "bs": "8"}
ATTACK = {"data": "digits", "size": "32", "ch": "3", "w": "256", "bs": "4096", "ds": "10", "nd": "256"}


@pytest.fixture
def app(monkeypatch):
    monkeypatch.setenv("GANLAB_MAX_TRAINING_RUNS", "1")
    monkeypatch.setenv(ENV_RUN_MEMORY, "3.5")
    yield from fresh_app(PAGE)


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_step_under_a_full_cap_says_what_play_says(app):
    at = open_with(app, SMALL)
    runner = runner_of(at)
    assert runner.wait_idle(60)
    slots = get_registry().slots
    slots.acquire("another session's run")
    for key in ("im_step", "im_step_d", "im_step_g"):
        at = at.button(key=key).click().run()
        assert any("already training 1 run(s) at once" in e and "press Play (or Step) again" in e for e in errors(at))
    assert runner.wait_idle(30) and runner.snapshot().step == 0 and slots.in_use == 1
    slots.release("another session's run")
    at = at.button(key="im_step").click().run()
    assert not errors(at) and runner.wait_idle(60) and runner.snapshot().step == 1


def test_the_crafted_huge_link_is_refused_with_the_settings_to_lower(app):
    at = open_with(app, ATTACK)
    runner = runner_of(at)
    at = at.button(key="im_step").click().run()
    assert not at.exception
    (text,) = errors(at)
    assert text.startswith("This run would need too much memory (batch size 4,096, width 256: about ")
    assert "this server allows 3.5 GB per run: lower batch size or width" in text
    assert runner.wait_idle(60) and runner.snapshot().step == 0 and get_registry().slots.in_use == 0
    at = at.button(key="im_play").click().run()
    assert any(e.startswith("This run would need too much memory") for e in errors(at))
