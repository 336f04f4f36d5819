"""The runs page through Streamlit's AppTest: list, open, replay, compare, rename, delete,
resume training, and saving this session's live training."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ganlab.data.image_sources import load_image_source
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.runs import RunWriter, load_run, read_config
from ganlab.settings.config import ImageStructure, Knobs, MLPShape, ToyStructure
from ganlab.training.runner import Runner, RunState
from ganlab.ui.session import get_registry
from tests.apptest_pages import ENTRY
from tests.apptest_pages import run_ok as run
from tests.conftest import wait_until

PAGE = "pages/3_Runs.py"
TINY = MLPShape(hidden_layers=1, width=8)


def _save(run_dir: Path, experiment, knobs: Knobs, chunks: list[int], status: str = "completed") -> None:
    runner = Runner(experiment, knobs, eval_every=2)
    try:
        writer = RunWriter(run_dir, experiment, status="paused")
        for steps in chunks:
            runner.step("both", steps)
            assert runner.wait_idle(60)
            writer.save(runner.export_state())
        writer.save(runner.export_state(), status=status)
    finally:
        runner.release()


@pytest.fixture(scope="module")
def saved_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for name, data, loss in (("ring-a", "ring", "non-saturating"), ("ring-b", "ring", "hinge")):
        exp = ToyExperiment(ToyStructure(data=data, generator=TINY, discriminator=TINY))
        _save(root / name, exp, Knobs(batch_size=16, loss=loss), [2, 2, 2])
    exp = ImageExperiment(ImageStructure(dataset="digits", noise_dim=8, width=8), load_image_source("digits", max_images=32))
    _save(root / "digits-x", exp, Knobs(batch_size=8), [1, 1])
    return root


@pytest.fixture
def runs_dir(saved_runs, tmp_path, monkeypatch):
    root = Path(shutil.copytree(saved_runs, tmp_path / "runs"))
    monkeypatch.setenv("GANLAB_RUNS_DIR", str(root))
    return root


@pytest.fixture
def app(runs_dir):
    st.cache_resource.clear()
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.switch_page(PAGE)
    yield at
    st.cache_resource.clear()  # releases every runner this test made


def select(at: AppTest, *names: str) -> AppTest:
    at.multiselect(key="rn_selected").set_value(list(names))
    return run(at)


def test_lists_the_runs_with_their_numbers(app):
    at = run(app)
    assert at.title[0].value == "Runs"
    table = at.dataframe[0].value
    assert sorted(table["Name"]) == ["digits-x", "ring-a", "ring-b"]
    row = table.set_index("Name").loc["ring-b"]
    assert (row["Run"], row["Steps"], row["Status"]) == ("2D · ring · hinge", 6, "completed")
    assert row["Best"].startswith("modes ")
    assert all(str(t).startswith("data:image/png;base64,") for t in table["Thumbnail"])


def test_open_a_run_and_replay_its_snapshots(app):
    at = select(run(app), "ring-a")
    assert at.subheader[0].value == "ring-a"
    status = next(m.value for m in at.markdown if m.value.startswith("**2D** run"))
    assert "step 6" in status and "completed" in status
    assert [m.label for m in at.metric] == ["Step", "D loss", "G loss", "Modes covered", "High-quality share",
                                            "Mode KL", "KL (histogram)", "JS (histogram)"]
    slider = at.select_slider(key="rn_replay_ring-a")
    assert list(slider.options) == ["0", "2", "4", "6"] and slider.value == 6  # from step 0
    slider.set_value(2)
    at = run(at)
    assert at.select_slider(key="rn_replay_ring-a").value == 2
    at.button(key="rn_make_gif_ring-a").click()
    at = run(at)
    assert any("GIF up to step 6" in c.value for c in at.caption)


def test_compare_two_runs(app):
    at = select(run(app), "ring-a", "ring-b", "digits-x")
    assert at.subheader[0].value.startswith("Compare ring-a, ring-b, digits-x")
    assert at.selectbox(key="rn_cmp_metric").options[:2] == ["modes covered", "high-quality share"]
    table = at.dataframe[1].value
    assert list(table["Run"]) == ["ring-a", "ring-b", "digits-x"] and list(table["Steps"]) == [6, 6, 2]
    # Readable cells: kinds and losses by name, "—" where a metric does not apply (was None, toy, hinge)
    assert list(table["Kind"]) == ["2D", "2D", "image"] and list(table["Loss"])[1] == "Hinge"
    assert table["best modes covered"].iloc[2] == "—" and "None" not in table.to_string()
    assert [m.value.split("**")[1] for m in at.markdown if "[■]" in m.value] == ["ring-a", "ring-b", "digits-x"]
    assert len(at.get("image")) == 3  # the final samples of each run


def test_rename_and_delete_with_confirmation(app, runs_dir):
    at = select(run(app), "ring-b")
    at.text_input(key="rn_new_name").input("ring-bad name")
    at = run(at)
    at.button(key="rn_rename").click()
    at = run(at)
    assert "not allowed" in at.error[0].value and (runs_dir / "ring-b").exists()

    at.text_input(key="rn_new_name").input("ring-c")
    at = run(at)
    at.button(key="rn_rename").click()
    at = run(at)
    assert not (runs_dir / "ring-b").exists() and (runs_dir / "ring-c").is_dir()
    assert at.multiselect(key="rn_selected").value == ["ring-c"] and at.subheader[0].value == "ring-c"

    at.button(key="rn_delete").click()
    at = run(at)
    assert "for good" in at.warning[0].value and (runs_dir / "ring-c").exists()
    at.button(key="rn_delete_no").click()
    at = run(at)
    assert (runs_dir / "ring-c").exists()
    at.button(key="rn_delete").click()
    at = run(at)
    at.button(key="rn_delete_yes").click()
    at = run(at)
    assert not (runs_dir / "ring-c").exists()
    assert "ring-c" not in list(at.dataframe[0].value["Name"])


def test_resume_training_continues_and_autosaves(app, runs_dir):
    at = select(run(app), "ring-a")
    at.button(key="rn_resume").click()
    at = run(at)
    assert at.success[0].value.startswith("Loaded ring-a")
    token = at.session_state["runner_token:runs"]
    runner = get_registry().get(token)
    wait_until(lambda: runner.snapshot().step == 6 and runner.wait_idle(0.1), timeout=30)
    at = run(at)
    at.button(key="rn_play").click()
    at = run(at)
    wait_until(lambda: runner.snapshot().step >= 12, timeout=30)
    at.button(key="rn_pause").click()
    at = run(at)
    assert runner.state == RunState.PAUSED
    wait_until(lambda: read_config(runs_dir / "ring-a")["step"] == runner.snapshot().step, timeout=30)
    config = read_config(runs_dir / "ring-a")
    assert config["status"] == "paused" and config["created"]
    _, state, _ = load_run(runs_dir / "ring-a")
    assert state.step == runner.snapshot().step > 6


def test_a_corrupt_run_is_listed_as_unreadable(app, runs_dir):
    (runs_dir / "ring-a" / "config.json").write_text('{"format": "ganlab-run", "format_version": 9}')
    at = run(app)
    row = at.dataframe[0].value.set_index("Name").loc["ring-a"]
    assert row["Status"] == "unreadable" and "upgrade ganlab" in row["Best"]
    assert "ring-a" not in at.multiselect(key="rn_selected").options


def test_save_this_sessions_playground_training(app, runs_dir):
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.switch_page("pages/1_Playground.py")
    at.query_params.update({"gw": "8", "dw": "8", "gl": "1", "dl": "1"})
    at = run(at)
    at.button(key="pg_step").click()
    at = run(at)
    at.switch_page(PAGE)
    at = run(at)
    at.text_input(key="rn_save_name").input("from-playground")
    at.button[[b.label for b in at.button].index("Save run")].click()
    at = run(at)
    assert at.success[0].value.startswith("Saved run from-playground")
    config = json.loads((runs_dir / "from-playground" / "config.json").read_text())
    assert config["saved_from"] == "2D playground" and config["status"] == "paused"
    assert config["step"] >= 0 and (runs_dir / "from-playground" / "weights.safetensors").exists()
    from ganlab.runs.store import snapshot_steps

    steps = [s for s, _ in snapshot_steps(runs_dir / "from-playground")]
    assert steps[0] == 0 and steps[-1] == config["step"] and len(steps) >= 2  # the replay starts at step 0


def test_enter_saves_once_and_a_second_press_does_not_meet_the_saved_name(app, runs_dir):
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.switch_page("pages/1_Playground.py")
    at.query_params.update({"gw": "8", "dw": "8", "gl": "1", "dl": "1"})
    at = run(at)
    at.switch_page(PAGE)
    at = run(at)
    at.text_input(key="rn_save_name").input("once")
    save = at.button[[b.label for b in at.button].index("Save run")]
    save.click()  # what Enter in the name box does: the form submits
    at = run(at)
    assert at.success[0].value.startswith("Saved run once")
    assert at.text_input(key="rn_save_name").value == ""  # the saved name left the box
    at.button[[b.label for b in at.button].index("Save run")].click()  # the user presses Save run too
    at = run(at)
    assert not at.error, [e.value for e in at.error]  # not "a run named once exists"
    assert any("Saved run once" in i.value and "new name" in i.value for i in at.info)


def test_export_generated_images_as_a_zip(app):
    import io
    import zipfile

    at = select(run(app), "digits-x")
    at.number_input(key="rn_export_n").set_value(10)
    assert at.selectbox(key="rn_export_fmt").options == ["PNG images in a zip", "NumPy .npz"]
    at.button(key="rn_export").click()
    at = run(at)
    name, file_name, data, _ = at.session_state["rn_export_data"]
    assert (name, file_name) == ("digits-x", "digits-x-samples.zip")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sorted(z.namelist()) == [f"{i:02d}.png" for i in range(10)]
    assert any(c.value.startswith("10 PNG images") for c in at.caption)

    at = select(at, "ring-a")
    assert at.selectbox(key="rn_export_fmt").options == ["NumPy .npz"]  # 2D runs export points


def test_the_page_names_no_server_folder_and_an_empty_name_is_asked_for(app, runs_dir):
    """Participants are shown no server path; an empty run name asks for one, without a repr."""
    at = run(app)
    text = " ".join(c.value for c in at.caption) + " ".join(i.value for i in at.info)
    assert str(runs_dir) not in text and "runs folder" in text
    from ganlab.storage.paths import RunNameError, check_name

    with pytest.raises(RunNameError, match="^Give the run a name"):
        check_name("")
    with pytest.raises(RunNameError, match="^The run name “a/b” is not allowed"):
        check_name("a/b")


def test_a_disk_error_on_the_runs_page_names_no_server_path(app, runs_dir, monkeypatch):
    """Rename, delete, save and export showed the OSError as it was: '[Errno 13] Permission
    denied: /the/server/path' (messages never show server paths)."""
    import errno

    from ganlab.ui import runs as runs_ui

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(runs_dir / "ring-b"))

    monkeypatch.setattr(runs_ui, "rename_run", refuse)
    at = select(run(app), "ring-b")
    at.text_input(key="rn_new_name").input("ring-c")
    at = run(at)
    at.button(key="rn_rename").click()
    at = run(at)
    shown = " ".join(e.value for e in at.error)
    assert "Cannot rename: permission denied" in shown and str(runs_dir) not in shown and "Errno" not in shown
