"""Hostile run folders, full disks and diverging runs (issue 12): nothing lost, nothing crashes.

Every bomb is built small here (a header that declares a huge array, a link, a FIFO); no
large file is written."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save as st_save

from ganlab.cli import main
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.runs import RunFormatError, RunWriter, list_runs, load_run, read_config
from ganlab.runs.catalog import replay_frame, summarize
from ganlab.runs.store import read_weights, snapshot_steps
from ganlab.runs.writer import _thin_snapshots
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.storage import paths as run_paths
from ganlab.storage.guard import LineageError
from ganlab.training.runner import Runner, RunState

TINY = MLPShape(hidden_layers=1, width=16)
TINY_TOY = ["--width", "16", "--hidden-layers", "1", "--batch-size", "32", "--device", "cpu", "-q"]


def toy_experiment():
    return ToyExperiment(ToyStructure(data="ring", generator=TINY, discriminator=TINY, seed=3))


def save_run(run: Path, steps: int = 3) -> None:
    experiment = toy_experiment()
    runner = Runner(experiment, Knobs(batch_size=16), history_capacity=100)
    try:
        runner.step("both", steps, evaluate=False)
        assert runner.wait_idle(60)
        RunWriter(run, experiment, status="completed").save(runner.export_state())
    finally:
        runner.release()


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("hostile") / "good"
    save_run(run)
    return run


@pytest.fixture
def runs(good_run, tmp_path) -> Path:
    """A runs folder holding two copies of a good run: 'good' and 'bad' (to be spoiled)."""
    root = tmp_path / "runs"
    root.mkdir()
    for name in ("good", "bad"):
        shutil.copytree(good_run, root / name)
    return root


def edit_config(run: Path, **changes) -> None:
    config = json.loads((run / "config.json").read_text())
    config.update(changes)
    (run / "config.json").write_text(json.dumps(config))


def rewrite_weights(run: Path, edit_state=None, edit_tensors=None) -> None:
    tensors, state = read_weights(run)
    if edit_state:
        edit_state(state)
    if edit_tensors:
        edit_tensors(tensors)
    metadata = {"format": "ganlab-run", "format_version": "1", "ganlab_version": "0", "state": json.dumps(state)}
    (run / "weights.safetensors").write_bytes(st_save(tensors, metadata=metadata))


def files_of(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ 12.2 diverging runs
def test_a_diverging_cli_run_keeps_its_last_finite_weights_and_exits_3(tmp_path, capsys):
    root = tmp_path / "runs"
    rc = main(["train", "--data", "ring", "--optimizer", "sgd", "--g-lr", "1", "--d-lr", "1", "--beta1", "0.99",
               "--steps", "300", "--name", "div", "--runs-dir", str(root), "--device", "cpu", "-q"])
    err = capsys.readouterr().err
    assert rc == 3, err
    assert "training diverged at step" in err and "--resume div --g-lr 0.1 --d-lr 0.1" in err
    [summary] = list_runs(root)
    assert summary.error is None and summary.status == "diverged"
    experiment, state, config = load_run(root / "div")  # finite weights: resumable
    assert config["status"] == "diverged" and state.step == config["step"] < 300


def test_a_resume_whose_adam_state_holds_nan_is_refused_and_the_run_is_kept(runs, capsys):
    def poison(tensors):
        tensors["d_opt.state.0.exp_avg"][0] = float("nan")

    rewrite_weights(runs / "good", edit_tensors=poison)
    before = files_of(runs / "good")
    assert main(["train", "--resume", "good", "--steps", "5", "--runs-dir", str(runs), "-q"]) == 2
    err = capsys.readouterr().err
    assert "d_opt.state.0.exp_avg" in err and "NaN" in err and "Traceback" not in err
    assert files_of(runs / "good") == before


# ------------------------------------------------------------------ 12.3 a failed resume
@pytest.mark.parametrize("edit, field", [
    (lambda s: s["history"].update(capacity=3), "history.capacity"),
    (lambda s: s["history"].update(capacity="300"), "history.capacity"),
    (lambda s: s["history"].update(capacity=10**13), "history.capacity"),
    (lambda s: s["history"].update(capacity=4), "more than the saved capacity"),  # 3 rows fit; see below
    (lambda s: s["history"].update(acc_sum=[0.0]), "history.acc_sum"),
    (lambda s: s["counters"].update(step=-5), "counters.step"),
    (lambda s: s["meta"]["g_opt"]["param_groups"][0].update(lr="abc"), "param_groups.lr"),
    (lambda s: s.update(latest=[1, 2]), "latest"),
])
def test_bad_values_in_the_weights_metadata_fail_at_load_not_in_training(runs, edit, field):
    run = runs / "bad"
    if field.startswith("more than"):
        (run / "history.csv").write_text("step,d_loss\n" + "".join(f"{i},1\n" for i in range(1, 6)))
        rewrite_weights(run, lambda s: (s["history"].update(columns=["d_loss"], acc_sum=[0.0], acc_count=[0.0],
                                                            capacity=4), s["counters"].update(step=5)))
    else:
        rewrite_weights(run, edit)
    with pytest.raises(RunFormatError, match=field.replace(".", r"\.")):
        load_run(run)


def test_a_runner_whose_restore_failed_refuses_play_until_reset(good_run, release_runners, wait_until):
    experiment, state, _ = load_run(good_run)
    state.history["capacity"] = 3  # past the loader: the restore fails on the training thread
    runner = Runner(experiment, state.knobs, history_capacity=100)
    assert runner.wait_idle(30)
    runner.restore(experiment, state)
    wait_until(lambda: runner.state == RunState.ERROR, timeout=30)
    runner.play()
    assert runner.wait_idle(30)
    assert runner.state == RunState.ERROR and runner.snapshot().step == 0  # nothing trained
    runner.reset()
    assert runner.wait_idle(30) and runner.state == RunState.PAUSED
    runner.play()
    wait_until(lambda: runner.snapshot().step > 0, timeout=30)
    runner.pause()


def test_no_save_replaces_a_run_with_one_from_other_weights(runs, release_runners, wait_until):
    run = runs / "good"
    before = files_of(run)
    experiment = toy_experiment()
    fresh = Runner(experiment, Knobs(batch_size=16), history_capacity=100)
    fresh.step("both", 5, evaluate=False)
    assert fresh.wait_idle(30)
    writer = RunWriter(run, experiment)
    with pytest.raises(LineageError, match="started from other weights"):
        writer.save(fresh.export_state())
    fresh.set_saver(writer.save, save_every=0.0)  # the same through an autosave: reported, nothing written
    fresh.save_now()
    wait_until(lambda: fresh.save_error is not None, timeout=30)
    assert "started from other weights" in fresh.save_error
    assert files_of(run) == before

    experiment, state, _ = load_run(run)  # the saved run itself, resumed, saves into its folder
    resumed = Runner(experiment, state.knobs, history_capacity=100)
    resumed.restore(experiment, state)
    resumed.step("both", 2, evaluate=False)
    assert resumed.wait_idle(30)
    RunWriter(run, experiment).save(resumed.export_state())
    assert read_config(run)["step"] == state.step + 2


# ------------------------------------------------------------------ 12.4 one bad file
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("spoil, reason", [
    (lambda r: edit_config(r, step="abc"), "step must be a whole number"),
    (lambda r: edit_config(r, best_metrics=[1, 2]), "best_metrics must be an object"),
    (lambda r: edit_config(r, final_losses=3), "final_losses must be an object"),
    (lambda r: edit_config(r, writer="me"), "writer must be an object"),
    (lambda r: edit_config(r, knobs=[1]), "knobs"),
    (lambda r: (r / "config.json").write_text('{"format": "ganlab-run", "x": ' + DEEP + "}"), "nested"),
    (lambda r: (r / "config.json").write_text(DEEP), "nested"),
    (lambda r: os.replace(r, r.with_name("elsewhere")) or r.symlink_to(r.with_name("elsewhere")), "link"),
])
def test_one_bad_run_is_listed_as_unreadable_and_the_others_work(runs, capsys, spoil, reason):
    spoil(runs / "bad")
    by_name = {r.name: r for r in list_runs(runs)}
    assert by_name["good"].error is None and by_name["good"].step == 3
    assert reason in by_name["bad"].error
    assert main(["runs", "--runs-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "unreadable" in out and "good" in out
    assert main(["eval", "bad", "--runs-dir", str(runs), "--device", "cpu"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_deeply_nested_json_in_the_weights_header_or_metadata_is_refused(runs):
    run = runs / "bad"
    rewrite_weights(run)
    data = (run / "weights.safetensors").read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    header["x"] = "@"
    text = json.dumps(header).replace('"@"', DEEP).encode()
    (run / "weights.safetensors").write_bytes(len(text).to_bytes(8, "little") + text + data[8 + n:])
    with pytest.raises(RunFormatError, match="nested"):
        read_weights(run)
    metadata = {"format": "ganlab-run", "format_version": "1", "state": DEEP}
    (run / "weights.safetensors").write_bytes(st_save({"x": torch.zeros(1)}, metadata=metadata))
    with pytest.raises(RunFormatError, match="nested"):
        read_weights(run)


def test_a_snapshot_declaring_a_huge_array_is_refused_before_allocating(runs):
    path = runs / "bad" / "snapshots" / "step-000000099.npy"
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": (10**10, 2)})
        f.write(b"\0" * 16)
    with pytest.raises(RunFormatError, match="declares 80,000,000,000 bytes"):
        replay_frame(runs / "bad", path)
    assert summarize(runs / "bad").error is None  # the run itself still lists


# ------------------------------------------------------------------ 12.6 a full disk
def full_disk_after_first_save(monkeypatch, run: Path) -> None:
    """After the first complete save, the next weights file cannot be written (ENOSPC): the disk
    has room for small files (the config's "interrupted" mark) but not for a new weights file.
    Only weights writes are refused, so the test does not depend on how much history a busy
    machine wrote between saves."""
    real = run_paths._write_new_file
    quota = {}

    def used() -> int:
        return sum(p.stat().st_size for p in run.rglob("*") if p.is_file())

    def write(path: Path, data: bytes) -> None:
        if "limit" in quota and "weights" in path.name and used() + len(data) > quota["limit"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data)
        if path.name.startswith(".config.json") and "limit" not in quota:
            quota["limit"] = used() + (run / "weights.safetensors").stat().st_size // 2

    monkeypatch.setattr(run_paths, "_write_new_file", write)


def test_a_full_disk_is_reported_at_once_and_the_last_good_save_is_kept(tmp_path, capsys, monkeypatch):
    root = tmp_path / "runs"
    full_disk_after_first_save(monkeypatch, root / "full")
    rc = main(["train", "--data", "ring", "--steps", "400", "--save-every", "0.001", "--name", "full",
               "--runs-dir", str(root), *TINY_TOY])
    err = capsys.readouterr().err
    assert rc == 1, err
    assert err.count("Saving failed (No space left on device)") == 2  # the first failing autosave, the final save
    assert err.index("Saving failed") < err.index("the final save of run full at step 400 failed")
    assert "keeps its last good save (step" in err and "Traceback" not in err
    config = read_config(root / "full")
    assert config["status"] == "interrupted" and "failed" in config["message"] and 0 < config["step"] < 400
    _, state, _ = load_run(root / "full")
    assert state.step == config["step"]


# ------------------------------------------------------------------ 12.9 links, FIFOs, devices
def test_a_snapshots_link_out_of_the_run_is_never_written_or_thinned(runs, tmp_path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    for i in range(130):
        np.save(outside / f"step-{i:09d}.npy", np.zeros((1, 2), np.float32))
    shutil.rmtree(runs / "good" / "snapshots")
    (runs / "good" / "snapshots").symlink_to(outside)
    before = sorted(p.name for p in outside.iterdir())
    assert main(["train", "--resume", "good", "--steps", "5", "--runs-dir", str(runs), "-q"]) == 2
    assert "snapshots" in capsys.readouterr().err
    assert snapshot_steps(runs / "good") == []
    _thin_snapshots(runs / "good")
    assert sorted(p.name for p in outside.iterdir()) == before
    with pytest.raises(RunFormatError, match="link"):
        run_paths.atomic_write_bytes(runs / "good" / "snapshots" / "step-000000001.npy", b"x")
    assert sorted(p.name for p in outside.iterdir()) == before


def test_weights_linked_out_of_the_run_or_to_a_device_are_not_read(runs, tmp_path):
    copy = tmp_path / "weights-copy.safetensors"
    shutil.copy(runs / "good" / "weights.safetensors", copy)
    for target in (copy, Path("/dev/zero")):
        (runs / "good" / "weights.safetensors").unlink()
        (runs / "good" / "weights.safetensors").symlink_to(target)
        with pytest.raises(RunFormatError, match="is a link"):
            read_weights(runs / "good")


def test_a_fifo_config_is_refused_without_hanging(runs):
    fifo = runs / "bad" / "config.json"
    fifo.unlink()
    os.mkfifo(fifo)
    box = {}
    reader = threading.Thread(target=lambda: box.update(summary=summarize(runs / "bad")), daemon=True)
    reader.start()
    reader.join(20)
    try:
        assert not reader.is_alive(), "reading a FIFO config.json blocked"
        assert "not a plain file" in box["summary"].error
    finally:
        try:  # unblock a reader stuck in open()
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass


# ------------------------------------------------------------------ 12.10 smaller
def test_a_training_config_naming_another_programs_pid_is_not_live(runs):
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        edit_config(runs / "bad", status="training", writer={"pid": sleeper.pid, "host": socket.gethostname()})
        assert summarize(runs / "bad").live is False
        edit_config(runs / "bad", writer={"pid": sleeper.pid, "host": socket.gethostname(), "started": 1})
        assert summarize(runs / "bad").live is False  # the PID was reused: another start time
    finally:
        sleeper.kill()
        sleeper.wait()
    experiment, state, _ = load_run(runs / "good")
    RunWriter(runs / "good", experiment, status="training").save(state)  # this process, writing: live
    assert summarize(runs / "good").live is True


def test_stale_temporary_files_of_killed_writes_are_removed(runs):
    stale = runs / "good" / ".weights.safetensors.0badc0de.tmp"
    fresh = runs / "good" / ".history.csv.12345678.tmp"
    stale.write_bytes(b"half a file")
    fresh.write_bytes(b"being written")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    list_runs(runs)
    assert not stale.exists() and fresh.exists()


def test_a_training_error_goes_to_the_server_log(good_run, release_runners, wait_until, caplog):
    experiment, state, _ = load_run(good_run)
    state.history["capacity"] = 3
    runner = Runner(experiment, state.knobs, history_capacity=100)
    runner.restore(experiment, state)
    wait_until(lambda: runner.state == RunState.ERROR, timeout=30)
    assert any(r.exc_info and "stopped with an error" in r.getMessage() for r in caplog.records)


def test_a_run_folder_that_is_a_link_gets_no_data_files_written_through_it(tmp_path):
    from ganlab.data.points_csv import empirical_distribution

    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "run").symlink_to(outside)
    points = empirical_distribution(np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32))
    experiment = ToyExperiment(ToyStructure(data="csv", generator=TINY, discriminator=TINY), points)
    with pytest.raises(RunFormatError, match="link"):
        RunWriter(tmp_path / "run", experiment)
    assert list(outside.iterdir()) == []


def test_an_os_error_in_a_command_is_one_clear_line(tmp_path, capsys, monkeypatch):
    import ganlab.runs.catalog as catalog

    def unreadable(root=None):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(catalog, "list_runs", unreadable)
    assert main(["runs", "--runs-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err == "ganlab runs: error: Permission denied\n"


def test_the_error_details_a_page_shows_hold_no_server_paths(good_run, release_runners, wait_until):
    experiment, state, _ = load_run(good_run)
    state.history["capacity"] = 3
    runner = Runner(experiment, state.knobs, history_capacity=100)
    runner.restore(experiment, state)
    wait_until(lambda: runner.state == RunState.ERROR, timeout=30)
    detail = runner.snapshot().error_detail
    assert "training/runner.py" in detail and "capacity must be an even number" in detail
    assert str(Path(__file__).resolve().parents[2]) not in detail and sys.prefix not in detail
