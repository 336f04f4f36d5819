"""ganlab.ui.training_page: the scaffold both training pages share (transport, queue, stop
messages), driven through each page with AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.training.runner import RunState
from ganlab.ui.session import get_registry
from tests.apptest_pages import fresh_app, open_with, runner_of, status_line
from tests.conftest import wait_until
from tests.trainer_probes import break_training, g_optimizer_facts

# page file, widget prefix, settings that make its nets tiny (a step takes milliseconds)
PAGES = {
    "playground": ("pages/1_Playground.py", "pg_", {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}),
    "images": ("pages/2_Images.py", "im_", {"w": "8", "nd": "8", "bs": "8"}),
}


# a structure setting per page: (its widget key, a new value, how the runner shows it, its name in the notice)
# and what the page shows after the restart
STRUCTURE_CHANGES = {
    "pg_": ("gw", 32, lambda s: s.generator.width == 32, "generator", lambda at: True),
    "im_": ("ema", 0.0, lambda s: s.ema_decay == 0.0, "EMA decay",  # EMA off: one grid
            lambda at: not any("EMA generator" in c for el in at.get("image") for c in el.captions)),
}


@pytest.fixture(params=list(PAGES))
def page(request):
    path, prefix, small = PAGES[request.param]
    for at in fresh_app(path):
        yield open_with(at, small), prefix


def settle(at: AppTest, runner) -> AppTest:
    wait_until(lambda: runner.snapshot(want_view=True).settled, timeout=30)
    return at.run()


def test_a_step_then_reset_starts_over_from_fresh_weights(page):
    at, p = page
    runner = runner_of(at)
    at.button(key=p + "step").click().run()
    wait_until(lambda: runner.snapshot().step == 1, timeout=30)
    at.button(key=p + "reset").click().run()
    wait_until(lambda: runner.snapshot().step == 0, timeout=30)
    at = settle(at, runner)
    assert status_line(at).startswith("**Step 0**")


def test_play_then_pause(page):
    at, p = page
    runner = runner_of(at)
    at.button(key=p + "play").click().run()
    assert runner.state == RunState.RUNNING and at.button(key=p + "pause").label == "Pause"
    wait_until(lambda: runner.snapshot().step >= 3, timeout=30)
    at.button(key=p + "pause").click().run()
    assert runner.state == RunState.PAUSED and at.button(key=p + "play").label == "Play"


def _fill_the_servers_memory(registry) -> None:
    """Other runs hold all the memory the server has for training (no count cap by default:
    memory is what a run waits for)."""
    registry.slots.acquire("someone-else-0", registry.slots.memory - registry.slots.memory_in_use)


def test_a_full_server_queues_the_run_and_starts_it_when_a_slot_frees(page):
    at, p = page
    registry = get_registry()
    assert registry.slots.limit is None and registry.slots.memory > 0  # every run trains, up to the memory
    _fill_the_servers_memory(registry)
    at.button(key=p + "play").click().run()
    runner = runner_of(at)
    assert runner.state == RunState.QUEUED and runner.snapshot().step == 0
    assert any("number 1 in line" in i.value and "starts by itself" in i.value and "memory" in i.value
               for i in at.info)
    assert "waiting in line" in status_line(at)
    assert at.button(key=p + "pause").label == "Pause"  # leaves the line
    registry.slots.release("someone-else-0")  # someone pauses: the queued run gets the room
    wait_until(lambda: runner.state == RunState.RUNNING and runner.snapshot().step > 0, timeout=30)
    assert registry.slots.holds(runner.id)
    at.run()
    assert any("full speed" in c.value for c in at.caption)  # alone on the server: a core of its own
    runner.pause()
    assert not registry.slots.holds(runner.id) and registry.slots.in_use == 0


def test_the_page_says_the_share_of_the_server_its_run_gets(page):
    at, p = page
    slots = get_registry().slots
    slots.cores = 2  # as on this project's 2-core server, whatever runs the test
    for i in range(29):
        slots.acquire(f"someone-else-{i}")  # 29 other participants train
    at.button(key=p + "play").click().run()
    runner = runner_of(at)
    assert runner.state == RunState.RUNNING  # no line: the 30th trains too
    assert any(c.value == "This run gets about 1/15 of a core: 30 runs share the server's 2 cores." for c in at.caption)
    for i in range(28):
        slots.release(f"someone-else-{i}")  # they pause or leave: the share comes back
    at.run()
    assert any("full speed: one of the server's 2 cores (2 runs training)" in c.value for c in at.caption)
    at.button(key=p + "pause").click().run()
    assert slots.in_use == 1 and not any("of a core" in c.value or "full speed" in c.value for c in at.caption)


def test_pause_leaves_the_queue(page):
    at, p = page
    registry = get_registry()
    _fill_the_servers_memory(registry)
    at.button(key=p + "play").click().run()
    runner = runner_of(at)
    assert registry.slots.waiting == 1
    at.button(key=p + "pause").click().run()
    assert registry.slots.waiting == 0 and runner.state == RunState.PAUSED
    registry.slots.release("someone-else-0")
    assert runner.state == RunState.PAUSED and not registry.slots.holds(runner.id)


# how a run is broken in its trainer process, the button that runs it, and where it stops
STOPS = {"divergence": ("nan-d", "play", RunState.DIVERGED), "error": ("raise-g", "step", RunState.ERROR)}


@pytest.mark.parametrize("stop", list(STOPS))
def test_a_run_that_stops_says_why_in_words(page, stop):
    at, p = page
    fault, button, state = STOPS[stop]
    runner = runner_of(at)
    break_training(runner, fault)
    at.button(key=p + button).click().run()
    wait_until(lambda: runner.state == state, timeout=30)
    at = settle(at, runner)
    text = " ".join(e.value for e in at.error)
    assert "RuntimeError" not in text and "boom" not in text  # no internals in the message
    if stop == "divergence":
        assert "d_loss became nan" in text and "lower them" in text
        assert at.button(key=p + "play").label == "Play"
    else:
        assert "Training stopped: a training step failed" in text and "Press Reset" in text
        assert at.button(key=p + "play").disabled and at.button(key=p + "step").disabled  # only Reset helps
        assert any("Traceback" in c.value for c in at.code)


def test_a_learning_rate_changes_live_and_keeps_the_optimizer(page):
    at, p = page
    runner = runner_of(at)
    at.button(key=p + "step").click().run()
    wait_until(lambda: runner.snapshot().step == 1, timeout=30)
    before = runner.call_on_thread(g_optimizer_facts)
    assert before["updates"] == 1 and before["lr"] != 0.0005
    at.number_input(key=p + "glr").set_value(0.0005).run()
    wait_until(lambda: runner.snapshot().knobs.g_opt.lr == 0.0005)
    runner.wait_idle()
    assert runner.snapshot().step == 1  # no reset
    after = runner.call_on_thread(g_optimizer_facts)
    assert after == {**before, "lr": 0.0005}  # the same Adam, its state (1 update) kept
    assert at.query_params["glr"] in ("0.0005", ["0.0005"])


def test_a_structure_change_asks_first_then_restarts_with_a_notice(page):
    at, p = page
    key, value, applied, label, shown = STRUCTURE_CHANGES[p]
    runner = runner_of(at)
    at.button(key=p + "step").click().run()
    wait_until(lambda: runner.snapshot().step == 1, timeout=30)
    at.number_input(key=p + key).set_value(value).run()
    assert runner.snapshot().step == 1  # asked first
    at.button(key=p + "confirm_restart_button").click().run()
    wait_until(lambda: applied(runner.snapshot().structure), timeout=30)
    at = settle(at, runner)
    assert runner.snapshot().step == 0
    assert any(f"Structure changed ({label})" in i.value for i in at.info) and shown(at)
