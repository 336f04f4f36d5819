"""`ganlab train --model NAME` (and `--data-b` for CycleGAN) and `ganlab eval` for every model and data type, in real processes;
`--minutes` as a training-time budget; models refused where they cannot train, in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganlab.cli import main

REPO = Path(__file__).resolve().parents[2]
TINY_TOY = ["--data", "ring", "--width", "16", "--hidden-layers", "1", "--batch-size", "32", "--device", "cpu", "-q"]
TINY_IMAGE = ["--data", "digits", "--max-images", "64", "--width", "8", "--noise-dim", "8", "--batch-size", "8",
              "--device", "cpu", "-q"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "ganlab", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize(("model", "tiny", "eval_line"), [
    ("gan", TINY_TOY, "modes covered"),
    ("infogan", TINY_TOY, "code purity"),
    ("gan", TINY_IMAGE, "classes covered"),
    ("infogan", TINY_IMAGE, "code purity"),
    ("stylegan", TINY_IMAGE, "classes covered"),
    ("cyclegan", [*TINY_TOY, "--data-b", "square"], "cycle error"),
])
def test_every_model_trains_on_its_data_and_eval_reads_it_back(tmp_path, model, tiny, eval_line):
    out = tmp_path / model
    proc = run_cli("train", "--model", model, *tiny, "--steps", "6", "--eval-every", "3", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    config = json.loads((out / "config.json").read_text())
    assert config["structure"]["model"] == model and config["steps"] == 6
    assert ("code_purity" in config["final_metrics"]) == (model == "infogan")
    assert ("cycle_error" in config["final_metrics"]) == (model == "cyclegan")
    shown = run_cli("eval", str(out))
    assert shown.returncode == 0, shown.stderr
    assert eval_line in shown.stdout and "Traceback" not in shown.stderr


def test_eval_prints_code_purity_beside_a_code_blind_generators(tmp_path):
    out = tmp_path / "info"
    assert run_cli("train", "--model", "infogan", *TINY_TOY, "--steps", "4", "--out", str(out)).returncode == 0
    line = next(line for line in run_cli("eval", str(out)).stdout.splitlines() if "code purity" in line)
    assert line.split()[-3:] == ["G:", "12.5", "%)"]  # 8 modes: a G that ignores its code matches 1 in 8


@pytest.mark.parametrize(("argv", "message"), [
    (["--data", "ring", "--model", "stylegan"], "style-based generator draws images"),
    (["--data", "digits", "--model", "infogan", "--conditional"], "turn conditional off"),
    (["--data", "ring", "--model", "infogan", "--pack", "2"], "one sample at a time"),
    (["--data", "ring", "--model", "cyclops"], "invalid choice"),
    (["--data", "ring", "--minutes", "0"], "--minutes must be above 0"),
])
def test_a_model_that_cannot_train_here_is_refused_in_one_line(tmp_path, capsys, argv, message):
    try:
        code = main(["train", *argv, "--steps", "3", "--out", str(tmp_path / "x")])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_minutes_stops_a_long_run_and_saves_what_it_trained(tmp_path):
    out = tmp_path / "budget"
    proc = run_cli("train", *TINY_TOY, "--steps", "1000000", "--minutes", "0.05", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    config = json.loads((out / "config.json").read_text())
    assert 0 < config["steps"] < 1_000_000 and config["steps_requested"] == 1_000_000
    assert config["seconds"] < 30  # 3 s of training and one last evaluation, not a million steps
