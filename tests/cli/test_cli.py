"""The headless `ganlab train` command: end to end in a subprocess, error paths in-process."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ganlab import __version__
from ganlab.cli import main
from ganlab.cli.progress import Progress
from ganlab.data.toy import grid
from ganlab.gan.step import RECORD_KEYS
from ganlab.metrics.modes import mode_stats
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.settings.presets import get_preset

REPO = Path(__file__).resolve().parents[2]
TINY = ["--width", "16", "--hidden-layers", "2", "--batch-size", "64", "--device", "cpu"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # few shared cores: no intra-op oversubscription
    return subprocess.run([sys.executable, "-m", "ganlab", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def test_train_writes_a_complete_run_directory(tmp_path):
    out = tmp_path / "run"
    proc = run_cli("train", "--data", "grid", "--preset", "all-modes", "--steps", "30", "--seed", "3",
                   "--eval-every", "10", "--out", str(out), *TINY)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "30/30 steps" in proc.stderr  # progress (plain lines: stderr is a pipe)
    assert "trained 30 steps" in proc.stdout and "modes covered" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json", "evals.csv", "history.csv", "samples.npy", "snapshots", "weights.safetensors"]

    config = json.loads((out / "config.json").read_text())
    preset_structure, preset_knobs = get_preset("all-modes").apply("grid", seed=3)
    tiny = MLPShape(hidden_layers=2, width=16, activation=preset_structure.generator.activation)
    assert ToyStructure.from_dict(config["structure"]) == ToyStructure(
        data="grid", noise_dim=preset_structure.noise_dim, generator=tiny, discriminator=tiny, seed=3)
    assert Knobs.from_dict(config["knobs"]) == preset_knobs.replace(batch_size=64)
    assert config["ganlab_version"] == __version__
    assert (config["preset"], config["status"], config["steps"], config["steps_requested"]) == ("all-modes", "completed", 30, 30)
    assert config["final_metrics"]["step"] == 30 and config["final_metrics"]["modes_total"] == 25

    header, rows = read_csv(out / "history.csv")
    assert header == ["step", *RECORD_KEYS]
    assert [int(r[0]) for r in rows] == list(range(1, 31))
    assert all(r[header.index("d_loss")] != "" for r in rows)
    assert all(r[header.index("wasserstein")] == "" for r in rows)  # not logged for this loss

    header, rows = read_csv(out / "evals.csv")
    assert header == ["step", "kl_hist", "js_hist", "modes_covered", "high_quality", "mode_kl"]
    assert [int(r[0]) for r in rows] == [0, 10, 20, 30]

    samples = np.load(out / "samples.npy")
    assert samples.shape == (2500, 2) and samples.dtype == np.float32
    assert np.isfinite(samples).all()
    # They are the points the final metrics were measured on (the fixed eval noise).
    toy = grid()
    stats = mode_stats(samples, toy.centres, toy.sd)
    assert stats.modes_covered == config["final_metrics"]["modes_covered"]
    assert stats.high_quality == pytest.approx(config["final_metrics"]["high_quality"])


def test_bad_value_exits_2_with_one_line(tmp_path):
    out = tmp_path / "run"
    proc = run_cli("train", "--steps", "5", "--width", "2", "--out", str(out))
    assert proc.returncode == 2
    assert proc.stderr.strip() == "ganlab train: error: width must be between 4 and 512, got 2"
    assert not out.exists()


def test_refuses_a_non_empty_out_dir_unless_forced(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["train", "--steps", "3", "--out", str(out), *TINY]) == 2
    err = capsys.readouterr().err
    assert "is not empty" in err and "--force" in err and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]

    assert main(["train", "--steps", "3", "--out", str(out), "--force", "-q", *TINY]) == 0
    assert (out / "notes.txt").read_text() == "keep me"
    assert len(read_csv(out / "history.csv")[1]) == 3


@pytest.mark.parametrize("argv, message", [
    (["--loss", "wasserstein-gp"], "needs a gradient penalty weight"),
    (["--g-lr", "nan"], "learning rate must be a finite number"),
    (["--steps", "0"], "steps must be between 1"),
    (["--csv", "no-such-file.csv"], "cannot read --csv"),
])
def test_invalid_settings_exit_2(tmp_path, capsys, argv, message):
    args = ["train", "--steps", "3", "--out", str(tmp_path / "run"), *argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganlab train: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_argparse_errors_are_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--steps", "3", "--out", "x", "--data", "ring", "--csv", "p.csv"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not allowed with argument" in err


def test_divergence_writes_the_run_so_far_and_exits_non_zero(tmp_path, capsys, monkeypatch):
    import ganlab.training.runner as runner_module

    real_step = runner_module.train_step
    calls = {"n": 0}

    def exploding_step(parts, knobs, which="both", observer=None):
        record = real_step(parts, knobs, which, observer)
        calls["n"] += 1
        return {**record, "d_loss": math.nan} if calls["n"] == 7 else record

    monkeypatch.setattr(runner_module, "train_step", exploding_step)
    out = tmp_path / "run"
    assert main(["train", "--steps", "50", "--eval-every", "5", "--out", str(out), *TINY]) == 3
    captured = capsys.readouterr()
    assert "diverged at step 7: d_loss became nan" in captured.err
    config = json.loads((out / "config.json").read_text())
    assert (config["status"], config["steps"], config["steps_requested"]) == ("diverged", 7, 50)
    assert "diverged at step 7" in config["message"]
    header, rows = read_csv(out / "history.csv")
    assert len(rows) == 7 and rows[-1][header.index("d_loss")] == ""  # NaN: empty cell
    assert [int(r[0]) for r in read_csv(out / "evals.csv")[1]] == [0, 5, 7]
    assert np.load(out / "samples.npy").shape == (2500, 2)


def test_trains_on_csv_points(tmp_path, capsys):
    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal((-1, 0), 0.1, (50, 2)), rng.normal((1, 1), 0.1, (50, 2))])
    path = tmp_path / "points.csv"
    path.write_text("x,y\n" + "\n".join(f"{x},{y}" for x, y in points))
    out = tmp_path / "run"
    assert main(["train", "--csv", str(path), "--steps", "4", "--out", str(out), "-q", *TINY]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["data"] == "csv" and config["structure"]["data"] == "csv"
    assert config["csv"] == str(path.resolve())
    assert read_csv(out / "evals.csv")[0] == ["step", "kl_hist", "js_hist"]  # no modes to count
    assert "JS" in capsys.readouterr().out


def test_trains_on_a_drawing_from_a_link(tmp_path, capsys):
    """`--data drawn --drawing CODE`: the draw= value of a playground link trains as it does there."""
    from ganlab.data.drawn import Drawing, Stroke, drawn_distribution, encode

    code = encode(Drawing((Stroke(np.array([[1.0, 1.0]]), 0.05), Stroke(np.array([[-1.0, -1.0]]), 0.05))))
    out = tmp_path / "run"
    assert main(["train", "--data", "drawn", "--drawing", code, "--steps", "4", "--out", str(out), "-q", *TINY]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["structure"]["data"] == "drawn" and config["structure"]["drawing"] == code
    np.testing.assert_array_equal(np.load(out / config["data_source"]["file"]), drawn_distribution(code).sampler.data.numpy())
    assert "modes_covered" in read_csv(out / "evals.csv")[0]  # two clicks: two modes
    assert main(["train", "--data", "drawn", "--steps", "4", "--out", str(tmp_path / "none"), *TINY]) == 2
    assert "--data drawn needs --drawing CODE" in capsys.readouterr().err
    assert main(["train", "--data", "drawn", "--drawing", "AQ!!", "--steps", "4", "--out", str(tmp_path / "bad"), *TINY]) == 2
    assert "the drawing in the link is damaged" in capsys.readouterr().err


def test_help_lists_presets_data_and_outputs(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for word in ("--preset", "all-modes", "--eval-every", "grid", "history.csv", "evals.csv", "samples.npy", "--force"):
        assert word in text
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "train" in capsys.readouterr().out


def test_progress_redraws_one_line_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    bar = Progress(100, stream, modes_total=25)
    bar.update(50, 200.0, {"d_loss": 1.25, "g_loss": 0.75}, {"modes_covered": 12.0}, elapsed=0.25)
    bar.update(100, 200.0, {"d_loss": 1.0, "g_loss": 0.5}, {"modes_covered": 25.0}, elapsed=0.5, final=True)
    text = stream.getvalue()
    assert text.startswith("\r[##########..........]") and text.endswith("\n") and text.count("\n") == 1
    assert " 50/100 steps" in text and "200 steps/s" in text and "D 1.250" in text and "modes 12/25" in text
    assert "modes 25/25" in text


def test_an_error_while_training_exits_1_and_keeps_the_steps_done(tmp_path, capsys, monkeypatch):
    import ganlab.training.runner as runner_module

    real_step = runner_module.train_step
    calls = {"n": 0}

    def failing_step(parts, knobs, which="both", observer=None):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("boom")
        return real_step(parts, knobs, which)

    monkeypatch.setattr(runner_module, "train_step", failing_step)
    out = tmp_path / "run"
    assert main(["train", "--steps", "20", "--out", str(out), "-q", *TINY]) == 1
    err = capsys.readouterr().err
    assert "Training stopped: a training step failed (an unexpected error). Run again with GANLAB_DEBUG=1" in err
    assert "RuntimeError" not in err and "Press Reset" not in err  # no class name, no page advice
    config = json.loads((out / "config.json").read_text())
    assert (config["status"], config["steps"]) == ("error", 3)
    assert len(read_csv(out / "history.csv")[1]) == 3
    assert not (out / "samples.npy").exists()
