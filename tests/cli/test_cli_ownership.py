"""Issue 23.3 (and 23.1 for the command line): `ganlab train --force` and `--resume` on a run
that another process or a page's session writes are refused before anything is touched; a
killed `ganlab train` leaves no lock behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganlab.cli import main
from ganlab.runs import read_config
from ganlab.storage.lease import LEASE_FILE, take

REPO = Path(__file__).resolve().parents[2]
TINY = ["--width", "8", "--hidden-layers", "1", "--batch-size", "16", "--device", "cpu", "-q"]
RESUME = ["--device", "cpu", "-q"]  # a resume keeps the saved structure


def files_of(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


@pytest.fixture
def saved(tmp_path):
    runs = tmp_path / "runs"
    assert main(["train", "--data", "ring", "--steps", "20", "--eval-every", "10", "--name", "shared1",
                 "--runs-dir", str(runs), *TINY]) == 0
    (runs / "shared1" / "snapshots" / "step-000000015.npy").write_bytes(b"a page's replay frame")
    return runs


@pytest.mark.parametrize("how", [["--force"], ["--resume", "shared1"]])
def test_a_run_a_session_holds_is_refused_and_left_untouched(saved, capsys, how):
    run = saved / "shared1"
    lease = take(run, "a browser session on the 2D playground page")  # a paused, continued run
    try:
        before = files_of(run)
        more = RESUME if "--resume" in how else ["--name", "shared1", "--data", "ring", *TINY]
        code = main(["train", "--steps", "5", "--runs-dir", str(saved), *how, *more])
        err = capsys.readouterr().err
        assert code == 2, err
        assert "Run shared1 is being written by a browser session on the 2D playground page since" in err
        assert "one writer at a time" in err and "Traceback" not in err
        assert files_of(run) == before  # not one file deleted or rewritten, the replay frames included
    finally:
        lease.release()
    assert not (run / LEASE_FILE).exists()
    assert main(["train", "--steps", "5", "--runs-dir", str(saved), "--resume", "shared1", *RESUME]) == 0
    assert read_config(run)["step"] == 25


def test_force_on_a_run_a_live_ganlab_train_writes_is_refused_and_a_killed_one_locks_nothing(saved, capsys):
    run = saved / "other"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    writer = subprocess.Popen([sys.executable, "-m", "ganlab", "train", "--data", "ring", "--steps", "10000000",
                               "--save-every", "0.5", "--name", "other", "--runs-dir", str(saved), *TINY],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not ((run / "config.json").exists() and (run / "snapshots").is_dir()
                   and any((run / "snapshots").iterdir())):
            assert writer.poll() is None and time.monotonic() < deadline, "ganlab train did not start writing"
            time.sleep(0.2)
        frames = {p.name for p in (run / "snapshots").iterdir()}
        lease = json.loads((run / LEASE_FILE).read_text())
        assert lease["writer"]["pid"] == writer.pid
        code = main(["train", "--steps", "5", "--name", "other", "--data", "ring", "--force",
                     "--runs-dir", str(saved), *TINY])
        err = capsys.readouterr().err
        assert code == 2 and f"process {writer.pid}" in err, err
        assert frames <= {p.name for p in (run / "snapshots").iterdir()}  # none deleted by the refused --force
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(30)
    assert (run / LEASE_FILE).exists()  # left by the killed process, and no longer counted
    assert main(["train", "--steps", "5", "--runs-dir", str(saved), "--resume", "other", *RESUME]) == 0
    assert read_config(run)["status"] == "completed" and not (run / LEASE_FILE).exists()
