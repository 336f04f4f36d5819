"""Issue 11.4: a saved run keeps what the app showed: the Quality panel's numbers (in
evals.csv and the runs table's Best), the timeline of snapshots from step 0 (app and CLI),
and `ganlab eval` prints the labelled metrics the app shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ganlab.cli import main
from ganlab.runs.store import snapshot_steps
from ganlab.storage.tables import read_table
from tests.apptest_pages import ENTRY, runner_of, serve_runs_from
from tests.apptest_pages import run_ok as run
from tests.conftest import wait_until

REPO = Path(__file__).resolve().parents[2]
QUALITY = ["classes_covered", "num_classes", "class_kl", "class_kl_baseline", "frechet", "frechet_baseline",
           "inception_score", "inception_score_baseline"]
TINY_TOY = ["--width", "16", "--hidden-layers", "1", "--batch-size", "32", "--device", "cpu", "-q"]
TINY_IMAGE = ["--data", "digits", "--max-images", "64", "--width", "8", "--noise-dim", "8", "--batch-size", "8",
              "--device", "cpu", "-q"]


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    root.mkdir()
    yield from serve_runs_from(root, monkeypatch)


def test_a_live_image_run_saved_from_the_runs_page_keeps_quality_and_timeline(runs_dir):
    from ganlab.ui.quality import get_monitors

    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.switch_page("pages/2_Images.py")
    at.query_params.update({"w": "8", "nd": "8", "bs": "8"})
    at = run(at)
    runner = runner_of(at)
    runner.step("both", 200)  # evaluations (and timeline grids) at 0, 100, 200
    assert runner.wait_idle(120)
    monitor = get_monitors().by_runner[runner.id]  # the page's Quality panel started it
    wait_until(lambda: (monitor.request() or True) and (monitor.latest() or None) is not None
               and monitor.latest().step == 200, timeout=120)
    shown = monitor.latest()

    at.switch_page("pages/3_Runs.py")
    at = run(at)
    at.selectbox(key="rn_save_from").set_value("images")
    at.text_input(key="rn_save_name").input("digits-live")
    at.button[[b.label for b in at.button].index("Save run")].click()
    at = run(at)
    assert at.success[0].value.startswith("Saved run digits-live at step 200")

    run_dir = runs_dir / "digits-live"
    evals = read_table(run_dir / "evals.csv")
    assert set(QUALITY) <= set(evals)
    row = list(evals["step"]).index(200)
    assert evals["classes_covered"][row] == shown.classes_covered
    assert evals["frechet"][row] == pytest.approx(shown.frechet)
    assert evals["frechet_baseline"][row] == pytest.approx(shown.frechet_baseline)
    steps = [s for s, _ in snapshot_steps(run_dir)]
    assert steps[0] == 0 and steps[-1] == 200 and len(steps) >= 3

    table = at.dataframe[0].value.set_index("Name")
    best = table.loc["digits-live", "Best"]
    assert f"classes {shown.classes_covered}" in best and "Fréchet" in best, best

    at.multiselect(key="rn_selected").set_value(["digits-live"])
    at = run(at)
    assert "Classes covered" in [m.label for m in at.metric]
    assert at.select_slider(key="rn_replay_digits-live").options[0] == "0"


def test_a_cli_run_replays_from_step_0(tmp_path):
    runs = tmp_path / "runs"
    assert main(["train", "--data", "ring", "--steps", "20", "--eval-every", "5", "--name", "r",
                 "--runs-dir", str(runs), *TINY_TOY]) == 0
    assert [s for s, _ in snapshot_steps(runs / "r")] == [0, 5, 10, 15, 20]


def run_cli(*args: str, runs: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GANLAB_RUNS_DIR": str(runs)}
    return subprocess.run([sys.executable, "-m", "ganlab", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def test_ganlab_eval_prints_the_labelled_metrics_the_app_shows(tmp_path):
    runs = tmp_path / "runs"
    assert main(["train", *TINY_IMAGE, "--steps", "3", "--eval-every", "2", "--name", "d", "--runs-dir", str(runs)]) == 0
    assert main(["train", "--data", "ring", "--steps", "3", "--name", "r", "--runs-dir", str(runs), *TINY_TOY]) == 0

    evals = read_table(runs / "d" / "evals.csv")  # the CLI measured the Quality numbers too, up to the last step
    assert set(QUALITY) <= set(evals) and evals["classes_covered"][list(evals["step"]).index(3)] >= 0

    proc = run_cli("eval", "d", runs=runs)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.splitlines()[0] == "d: image run on digits, step 3 (completed)"
    lines = {line.split("  ")[1]: line for line in out.splitlines()[1:]}
    assert set(lines) >= {"classes covered", "class KL", "Frechet distance", "Inception-style score"}
    assert lines["classes covered"].rstrip().endswith("/ 10")
    for label in ("class KL", "Frechet distance"):
        assert "(real vs real: " in lines[label]
    assert "(real digits: " in lines["Inception-style score"]
    assert "pixel_mean" not in out and "ImageStructure" not in out

    proc = run_cli("eval", "r", runs=runs)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.splitlines()[0] == "r: 2D run on ring, step 3 (completed)"
    labels = [line.split("  ")[1] for line in out.splitlines()[1:]]
    assert labels == ["modes covered", "high-quality share", "mode KL", "KL (histogram)", "JS (histogram)"]
    assert "/ 8" in out.splitlines()[1] and "kl_hist" not in out and "ToyStructure" not in out
