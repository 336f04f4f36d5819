"""Issue 23.1 / 23.11: two sessions continuing one saved run. The first holds the run (its
lease); the second is told who does and continues a copy instead; the run's history on disk
never shrinks; another session cannot delete a run that one continues (paused)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.runs import RunWriter, load_run, read_config
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.storage.tables import read_table
from ganlab.training.runner import Runner
from ganlab.ui.session import get_registry
from tests.apptest_pages import ENTRY, serve_runs_from
from tests.apptest_pages import run_ok as run
from tests.conftest import wait_until

TINY = MLPShape(hidden_layers=1, width=8)
STRUCTURE = ToyStructure(data="ring", generator=TINY, discriminator=TINY, seed=5)


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    exp = ToyExperiment(STRUCTURE)
    runner = Runner(exp, Knobs(batch_size=16), eval_every=5)
    try:
        runner.step("both", 10)
        assert runner.wait_idle(60)
        RunWriter(root / "shared1", exp, status="completed").save(runner.export_state())
    finally:
        runner.release()
    yield from serve_runs_from(root, monkeypatch)


def open_saved(at: AppTest, name: str) -> AppTest:
    at.switch_page("pages/3_Runs.py")
    at = run(at)
    at.multiselect(key="rn_selected").set_value([name])
    return run(at)


def history_rows(path) -> int:
    return len(read_table(path / "history.csv")["step"])


def playground_runner(at: AppTest):
    return get_registry().get(at.session_state["runner_token:playground"])


def test_the_second_session_is_refused_and_continues_a_copy(runs_dir):
    run_dir = runs_dir / "shared1"
    first = open_saved(AppTest.from_file(ENTRY, default_timeout=60), "shared1")
    first.button(key="rn_continue").click()
    first = run(first)
    assert first.title[0].value == "2D GAN playground"
    mine = playground_runner(first)
    assert mine.wait_idle(30)

    second = open_saved(AppTest.from_file(ENTRY, default_timeout=60), "shared1")
    button = second.button(key="rn_continue")
    assert button.disabled and "a browser session on the 2D playground page" in button.help
    assert second.button(key="rn_resume").disabled
    said = " ".join(i.value for i in second.info)
    assert "Run shared1 is being written by a browser session on the 2D playground page" in said
    assert "continue it as a copy" in said

    # another session cannot delete (or rename) it while it is continued, even paused
    second.button(key="rn_delete").click()
    second = run(second)
    second.button(key="rn_delete_yes").click()
    second = run(second)
    assert run_dir.is_dir()
    assert any("cannot delete it now" in e.value for e in second.error), [e.value for e in second.error]

    # the first session trains and saves; the disk's history only grows
    rows = [history_rows(run_dir)]
    mine.step("both", 5)
    mine.save_now()
    wait_until(lambda: read_config(run_dir)["step"] == 15, timeout=30)
    rows.append(history_rows(run_dir))

    second = open_saved(second, "shared1")
    assert second.text_input(key="rn_copy_name").value == "shared1-copy"
    second.button(key="rn_copy").click()
    second = run(second)
    assert second.title[0].value == "2D GAN playground"
    theirs = playground_runner(second)
    assert theirs is not mine and theirs.wait_idle(30)
    assert theirs.snapshot().step == 15  # the copy goes on from the history so far
    theirs.step("both", 2)
    theirs.save_now()
    copy = runs_dir / "shared1-copy"
    wait_until(lambda: read_config(copy)["step"] == 17, timeout=30)
    assert read_config(copy)["copied_from"] == "shared1"

    mine.step("both", 3)
    mine.save_now()
    wait_until(lambda: read_config(run_dir)["step"] == 18, timeout=30)
    rows.append(history_rows(run_dir))
    assert rows == sorted(rows) and rows[-1] > rows[0]
    assert load_run(run_dir)[1].step == 18 and load_run(copy)[1].step == 17

    mine.play()  # while the holder trains (the run is "live"), the copy is still offered
    wait_until(lambda: read_config(run_dir)["status"] == "training", timeout=60)
    second = open_saved(second, "shared1")
    assert second.button(key="rn_copy").label == "Continue as a copy"
    assert second.text_input(key="rn_copy_name").value == "shared1-copy-2"
    mine.pause()


def test_two_sessions_pressing_continue_one_after_the_other_get_one_writer(runs_dir):
    """The library call each page makes: the second is refused even when its page was drawn
    before the first took the run (no disabled button saved it)."""
    first = open_saved(AppTest.from_file(ENTRY, default_timeout=60), "shared1")
    second = open_saved(AppTest.from_file(ENTRY, default_timeout=60), "shared1")
    assert not second.button(key="rn_continue").disabled
    first.button(key="rn_continue").click()
    first = run(first)
    second.button(key="rn_continue").click()
    second = run(second)
    assert second.title[0].value == "Runs"
    said = [e.value for e in second.error] + [i.value for i in second.info]
    assert any("is being written by a browser session on the 2D playground page" in t for t in said), said
    assert second.button(key="rn_copy").label == "Continue as a copy"
    assert playground_runner(first).saver.lease.held
    assert "runner_token:playground" not in second.session_state  # no trainer was made for the refused one
