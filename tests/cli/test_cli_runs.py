"""`ganlab` commands on saved runs, end to end: image training, --config, --resume, sample,
eval, runs, export, and bad or malicious run files refused with exit status 2."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganlab.cli import main
from ganlab.runs.store import read_weights

REPO = Path(__file__).resolve().parents[2]
TINY_TOY = ["--width", "16", "--hidden-layers", "1", "--batch-size", "32", "--device", "cpu", "-q"]
TINY_IMAGE = ["--data", "digits", "--max-images", "64", "--width", "8", "--noise-dim", "8", "--batch-size", "8",
              "--device", "cpu", "-q"]


def run_cli(*args: str, runs: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GANLAB_RUNS_DIR": str(runs)}
    return subprocess.run([sys.executable, "-m", "ganlab", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    """A tiny conditional digits run, trained by a real `ganlab train` process."""
    runs = tmp_path_factory.mktemp("runs")
    proc = run_cli("train", *TINY_IMAGE, "--conditional", "--ema-decay", "0.9", "--no-extra-conv", "--ms-weight", "0.5",
                   "--steps", "4", "--eval-every", "2", "--name", "digits-c", runs=runs)
    assert proc.returncode == 0, proc.stderr
    assert "trained 4 steps" in proc.stdout and "pixel_mean" in proc.stdout
    return runs


def test_image_train_writes_weights_snapshots_and_labels(image_run):
    run = image_run / "digits-c"
    config = json.loads((run / "config.json").read_text())
    assert (config["kind"], config["data"], config["step"], config["status"]) == ("image", "digits", 4, "completed")
    assert config["structure"]["conditional"] and config["structure"]["ema_decay"] == 0.9
    assert config["structure"]["extra_conv"] is False  # the preset's True, turned off by the flag
    assert config["knobs"]["ms_weight"] == 0.5
    assert config["class_names"] == [str(d) for d in range(10)]
    tensors, _ = read_weights(run)
    assert any(k.startswith("ema.") for k in tensors) and any(k.startswith("g_opt.state.") for k in tensors)
    assert sorted(p.name for p in (run / "snapshots").iterdir())[-1] == "step-000000004.png"


def test_a_papers_image_row_trains_on_its_own_data_from_the_preset_alone(tmp_path, capsys):
    runs = tmp_path / "runs"
    assert main(["train", "--preset", "pacdcgan4-stacked-small-d", "--steps", "2", "--max-images", "64",
                 "--noise-dim", "8", "--batch-size", "16", "--eval-every", "1000", "--device", "cpu", "-q",
                 "--runs-dir", str(runs)]) == 0, capsys.readouterr().err
    (run,) = runs.iterdir()
    config = json.loads((run / "config.json").read_text())
    assert run.name.startswith("stacked-mnist-") and (config["data"], config["preset"], config["step"]) == (
        "stacked-mnist", "pacdcgan4-stacked-small-d", 2)
    structure = config["structure"]
    assert (structure["channels"], structure["pack"], structure["width"], structure["d_width"]) == (3, 4, 32, 8)


def test_sample_eval_runs_and_export(image_run, tmp_path):
    proc = run_cli("sample", "digits-c", "-n", "20", "-o", str(tmp_path / "grid.png"), runs=image_run)
    assert proc.returncode == 0, proc.stderr
    with Image.open(tmp_path / "grid.png") as img:  # 20 images, 8 per row: 3 rows of 28 px + 2 px lines
        assert img.size == (8 * 30 + 2, 3 * 30 + 2)

    proc = run_cli("sample", "digits-c", "-n", "5", "--class", "3", "-o", str(tmp_path / "s.npy"), runs=image_run)
    assert proc.returncode == 0, proc.stderr
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (5, 1, 28, 28) and samples.dtype == np.float32
    assert -1 <= samples.min() and samples.max() <= 1

    proc = run_cli("eval", "digits-c", "--json", runs=image_run)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["step"] == 4 and {"pixel_mean", "pixel_std"} <= set(result["metrics"])
    config = json.loads((image_run / "digits-c" / "config.json").read_text())
    assert result["metrics"]["pixel_mean"] == pytest.approx(config["final_metrics"]["pixel_mean"], abs=1e-6)

    proc = run_cli("runs", runs=image_run)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].split()[:5] == ["NAME", "KIND", "DATA", "LOSS", "STEPS"]
    assert "digits-c" in proc.stdout and "completed" in proc.stdout

    proc = run_cli("export", "digits-c", "-n", "12", "-o", str(tmp_path / "fakes.zip"), runs=image_run)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp_path / "fakes.zip") as z:
        names = z.namelist()
        labels = z.read("labels.csv").decode().splitlines()
    assert len([n for n in names if n.endswith(".png")]) == 12
    assert "0/00.png" in names and "1/01.png" in names and "0/10.png" in names  # classes in turn
    assert labels[0] == "file,label,class" and labels[2] == "1/01.png,1,1"

    assert main(["export", "digits-c", "--runs-dir", str(image_run), "-n", "7", "-o", str(tmp_path / "f.npz")]) == 0
    with np.load(tmp_path / "f.npz", allow_pickle=False) as z:
        assert z["images"].shape == (7, 28, 28, 1) and z["images"].dtype == np.uint8
        assert z["labels"].tolist() == [0, 1, 2, 3, 4, 5, 6]
        assert z["class_names"].tolist() == [str(d) for d in range(10)]


def test_2d_sample_png_and_npy(tmp_path, capsys):
    runs = tmp_path / "runs"
    assert main(["train", "--data", "ring", "--steps", "3", "--name", "r", "--runs-dir", str(runs), *TINY_TOY]) == 0
    assert main(["sample", "r", "--runs-dir", str(runs), "-n", "100", "-o", str(tmp_path / "p.npy")]) == 0
    assert np.load(tmp_path / "p.npy").shape == (100, 2)
    assert main(["sample", "r", "--runs-dir", str(runs), "-n", "100", "-o", str(tmp_path / "p.png")]) == 0
    with Image.open(tmp_path / "p.png") as img:
        assert img.size == (480, 480)
    assert main(["export", "r", "--runs-dir", str(runs), "-n", "10", "-o", str(tmp_path / "p.zip")]) == 2
    assert "exports its points as .npz" in capsys.readouterr().err


def test_resume_continues_bit_identically(tmp_path):
    runs = tmp_path / "runs"
    common = ["--data", "grid", "--seed", "5", "--eval-every", "2", "--runs-dir", str(runs), *TINY_TOY]
    assert main(["train", *common, "--steps", "6", "--name", "straight"]) == 0
    assert main(["train", *common, "--steps", "3", "--name", "halves"]) == 0
    assert main(["train", "--resume", "halves", "--runs-dir", str(runs), "--steps", "3", "-q", "--device", "cpu"]) == 0
    a, _ = read_weights(runs / "straight")
    b, _ = read_weights(runs / "halves")
    assert sorted(a) == sorted(b)
    for key in a:
        assert torch.equal(a[key], b[key]), key
    config = json.loads((runs / "halves" / "config.json").read_text())
    assert (config["step"], config["steps_trained"], config["status"]) == (6, 3, "completed")
    history = (runs / "halves" / "history.csv").read_text().splitlines()
    assert [int(line.split(",")[0]) for line in history[1:]] == [1, 2, 3, 4, 5, 6]
    assert np.array_equal(np.load(runs / "straight" / "samples.npy"), np.load(runs / "halves" / "samples.npy"))


def test_settings_from_toml_and_json_with_flags_winning(tmp_path):
    toml = tmp_path / "recipe.toml"
    toml.write_text('data = "grid"\nsteps = 2\npreset = "wgan-gp"\nwidth = 16\nhidden-layers = 1\n'
                    'device = "cpu"\nquiet = true\n[knobs]\nbatch_size = 16\n[knobs.g_opt]\nlr = 0.0003\n')
    assert main(["train", "--config", str(toml), "--out", str(tmp_path / "a"), "--d-lr", "0.0002"]) == 0
    config = json.loads((tmp_path / "a" / "config.json").read_text())
    assert (config["data"], config["preset"], config["step"]) == ("grid", "wgan-gp", 2)
    assert config["knobs"]["loss"] == "wasserstein-gp" and config["knobs"]["batch_size"] == 16
    assert config["knobs"]["g_opt"]["lr"] == 0.0003 and config["knobs"]["d_opt"]["lr"] == 0.0002
    assert config["structure"]["generator"] == {"hidden_layers": 1, "width": 16, "activation": "relu"}

    js = tmp_path / "recipe.json"
    js.write_text(json.dumps({"data": "ring", "steps": 2, "batch_size": 16, "width": 8, "quiet": True,
                              "device": "cpu"}))
    assert main(["train", "--config", str(js), "--steps", "3", "--out", str(tmp_path / "b")]) == 0
    assert json.loads((tmp_path / "b" / "config.json").read_text())["step"] == 3


@pytest.mark.parametrize("text, suffix, message", [
    ('steps = 2\nbogus = 1\n', ".toml", "unknown setting 'bogus'"),
    ('steps = [', ".toml", "not valid TOML"),
    ('{"steps": 2', ".json", "not valid JSON"),
    ('steps: 2', ".yaml", "use a .json or .toml file"),
    ('{"data": "grid"}', ".json", "give the number of training steps"),
])
def test_bad_config_files_exit_2(tmp_path, capsys, text, suffix, message):
    path = tmp_path / f"c{suffix}"
    path.write_text(text)
    assert main(["train", "--config", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganlab train: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------ refused input
@pytest.fixture
def toy_runs(tmp_path):
    runs = tmp_path / "runs"
    assert main(["train", "--data", "ring", "--steps", "2", "--name", "ok", "--runs-dir", str(runs), *TINY_TOY]) == 0
    return runs


class Boom:
    def __reduce__(self):
        return (os.system, ("touch /tmp/ganlab-cli-pwned",))


def test_malicious_and_broken_files_exit_2_with_a_clear_message(toy_runs, tmp_path):
    weights = toy_runs / "ok" / "weights.safetensors"
    good = weights.read_bytes()

    weights.write_bytes(pickle.dumps(Boom()))
    proc = run_cli("sample", "ok", "-n", "4", "-o", str(tmp_path / "x.png"), runs=toy_runs)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("ganlab sample: error: weights.safetensors is not a safetensors file")
    assert not Path("/tmp/ganlab-cli-pwned").exists() and not (tmp_path / "x.png").exists()

    weights.write_bytes(good[: len(good) - 100])
    proc = run_cli("eval", "ok", runs=toy_runs)
    assert proc.returncode == 2 and "weights.safetensors is corrupt or truncated" in proc.stderr

    weights.write_bytes(good)
    (toy_runs / "ok" / "config.json").write_text('{"format": "ganlab-run", "format_version": 7}')
    proc = run_cli("train", "--resume", "ok", "--steps", "1", runs=toy_runs)
    assert proc.returncode == 2 and "upgrade ganlab" in proc.stderr


@pytest.mark.parametrize("argv, message", [
    (["sample", "..", "-o", "x.png"], 'The run name “..” is not allowed'),
    (["eval", "no-such-run"], "no run named 'no-such-run'"),
    (["train", "--data", "ring", "--steps", "1", "--name", "../escape"], 'The run name “../escape” is not allowed'),
    (["train", "--data", "ring", "--steps", "1", "--name", ".hidden"], "is not allowed"),
    (["sample", "ok", "-o", "x.gif"], "-o must end in .png or .npy"),
    (["sample", "ok", "-o", "x.png", "--class", "1"], "--class needs a conditional run"),
    (["train", "--data", "ring", "--steps", "1", "--conditional"], "--conditional applies to image runs only"),
    (["train", "--data", "digits", "--steps", "1", "--hidden-layers", "2"], "--hidden-layers applies to 2D runs"),
    (["train", "--resume", "ok", "--steps", "1", "--width", "32"], "structure settings cannot change"),
])
def test_bad_requests_exit_2(toy_runs, tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.setenv("GANLAB_RUNS_DIR", str(toy_runs))
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert sorted(p.name for p in toy_runs.iterdir()) == ["ok"]


def test_resume_trains_with_the_new_learning_rates(toy_runs):
    assert main(["train", "--resume", "ok", "--steps", "2", "--g-lr", "0.0005", "--d-lr", "0.0002",
                 "--runs-dir", str(toy_runs), "-q"]) == 0
    _, state = read_weights(toy_runs / "ok")
    assert state["knobs"]["g_opt"]["lr"] == 0.0005
    # the optimizers themselves (the restore used to put the saved rates back after the new knobs)
    assert [g["lr"] for g in state["meta"]["g_opt"]["param_groups"]] == [0.0005]
    assert [g["lr"] for g in state["meta"]["d_opt"]["param_groups"]] == [0.0002]


def test_runs_lists_best_metrics_by_their_labels(tmp_path, capsys):
    """`ganlab runs` names the best metrics as the Runs page does, not by their keys (issue 11.11)."""
    runs = tmp_path / "runs"
    assert main(["train", "--data", "ring", "--steps", "4", "--eval-every", "2", "--name", "r",
                 "--runs-dir", str(runs), *TINY_TOY]) == 0
    capsys.readouterr()
    assert main(["runs", "--runs-dir", str(runs)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("r "))
    assert "modes " in row and "HQ " in row
    assert "modes_covered" not in row and "high_quality" not in row and "js_hist" not in row
    assert row.split()[1] == "2D" and "%" in row  # as the Runs page says it: kind "2D", HQ in percent
