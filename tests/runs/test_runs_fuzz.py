"""Property: whatever a run folder holds, the loader, the catalogue and the CLI answer with a
clear error (RunFormatError; exit status 2 with one `ganlab ...: error:` line) or a correct
load, never another exception (issue 12, "Done when").

Each example starts from a real small saved run and corrupts it: flipped bytes, truncation,
garbage, random JSON put in place of a config.json or weights-metadata value, a file swapped
for a folder, a FIFO, a link to a device, out of the run, or to nothing."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save as st_save

from ganlab.cli import main
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.runs import RunFormatError, RunWriter, list_runs, load_generator, load_run, read_config
from ganlab.runs.catalog import replay_frame, summarize
from ganlab.runs.store import read_weights, snapshot_steps
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.training.runner import Runner

TINY = MLPShape(hidden_layers=1, width=8)
FILES = ("config.json", "weights.safetensors", "history.csv", "evals.csv", "samples.npy",
         "snapshots/step-000000000.npy", "snapshots/step-000000002.npy", "snapshots/step-000000004.npy",
         "snapshots")  # the timeline from step 0


@pytest.fixture(scope="module")
def base_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("fuzz") / "run"
    experiment = ToyExperiment(ToyStructure(data="ring", generator=TINY, discriminator=TINY, seed=1))
    runner = Runner(experiment, Knobs(batch_size=16), history_capacity=100, eval_every=2)
    try:
        writer = RunWriter(run, experiment, status="completed")
        for _ in range(2):
            runner.step("both", 2, evaluate=True)
            assert runner.wait_idle(60)
            writer.save(runner.export_state())
    finally:
        runner.release()
    assert sorted(p.name for p in (run / "snapshots").iterdir()) == [Path(f).name for f in FILES[5:8]]
    return run


def key_paths(value, prefix=()) -> list[tuple]:
    """Every path to a value inside nested dicts (and the first item of lists)."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(prefix + (k,))
            out += key_paths(v, prefix + (k,))
    elif isinstance(value, list) and value:
        out.append(prefix + (0,))
        out += key_paths(value[0], prefix + (0,))
    return out


def put(value, path: tuple, new) -> None:
    for key in path[:-1]:
        value = value[key]
    value[path[-1]] = new


# (allow_subnormal=False: `ganlab train` flushes denormals on the main thread, and hypothesis
# cannot draw subnormal floats then)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_subnormal=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)

operations = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, len(FILES) - 2), st.integers(0, 10**9), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.integers(0, len(FILES) - 2), st.integers(0, 1000)),
    st.tuples(st.just("garbage"), st.integers(0, len(FILES) - 2), st.binary(max_size=64)),
    st.tuples(st.just("config"), st.integers(0, 10**6), json_values),
    st.tuples(st.just("state"), st.integers(0, 10**6), json_values),
    st.tuples(st.just("swap"), st.integers(0, len(FILES) - 1),
              st.sampled_from(["dir", "fifo", "devzero", "outside", "dangling", "delete"])),
)


def clear(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def apply(run: Path, base: Path, op: tuple, outside: Path) -> None:
    kind = op[0]
    if kind in ("config", "state"):  # whatever an earlier step put there (a FIFO would block the write)
        clear(run / ("config.json" if kind == "config" else "weights.safetensors"))
    if kind in ("flip", "truncate", "garbage"):
        path = run / FILES[op[1]]
        if not path.is_file() or path.is_symlink():
            return
        data = bytearray(path.read_bytes())
        if kind == "flip" and data:
            data[op[2] % len(data)] = op[3]
        elif kind == "truncate":
            data = data[: len(data) * op[2] // 1000]
        elif kind == "garbage":
            data = bytearray(op[2])
        path.write_bytes(bytes(data))
    elif kind == "config":
        config = json.loads((base / "config.json").read_text())
        paths = key_paths(config)
        put(config, paths[op[1] % len(paths)], op[2])
        (run / "config.json").write_text(json.dumps(config))
    elif kind == "state":
        tensors, state = read_weights(base)
        paths = key_paths(state)
        put(state, paths[op[1] % len(paths)], op[2])
        metadata = {"format": "ganlab-run", "format_version": "1", "state": json.dumps(state)}
        (run / "weights.safetensors").write_bytes(st_save(tensors, metadata=metadata))
    else:
        path = run / FILES[op[1]]
        clear(path)
        swap = op[2]
        if swap == "dir":
            path.mkdir()
        elif swap == "fifo":
            os.mkfifo(path)
        elif swap == "devzero":
            path.symlink_to("/dev/zero")
        elif swap == "outside":
            path.symlink_to(outside)
        elif swap == "dangling":
            path.symlink_to(run / "no-such-file")


def clear_error_or_load(fn) -> None:
    try:
        fn()
    except RunFormatError as exc:
        assert str(exc) and "Traceback" not in str(exc)


def cli(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(list(argv))
    return rc, err.getvalue()


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(operations, min_size=1, max_size=3))
def test_a_corrupted_run_gets_a_clear_error_or_loads(base_run, ops):
    scratch = Path(tempfile.mkdtemp(prefix="ganlab-fuzz-"))
    try:
        root = scratch / "runs"
        run = Path(shutil.copytree(base_run, root / "run"))
        outside = scratch / "outside"
        outside.mkdir()
        shutil.copy(base_run / "weights.safetensors", outside / "weights.safetensors")
        for op in ops:
            apply(run, base_run, op, outside / "weights.safetensors" if op[1] != len(FILES) - 1 else outside)

        clear_error_or_load(lambda: read_config(run))
        clear_error_or_load(lambda: read_weights(run))
        clear_error_or_load(lambda: load_run(run))
        clear_error_or_load(lambda: load_generator(run))
        for _, snap in snapshot_steps(run):
            clear_error_or_load(lambda snap=snap: replay_frame(run, snap))
        listed = list_runs(root)
        if not os.path.lexists(run / "config.json"):
            assert listed == []  # not a run folder any more
            return
        [summary] = listed
        assert summary.name == "run" and summarize(run).error == summary.error
        assert isinstance(summary.step, int) and isinstance(summary.best, dict)

        rc, err = cli("runs", "--runs-dir", str(root))
        assert rc == 0 and err == ""
        rc, err = cli("runs", "--json", "--runs-dir", str(root))
        assert rc == 0 and err == ""
        rc, err = cli("eval", "run", "--runs-dir", str(root), "--device", "cpu")
        assert rc in (0, 2), err
        if rc == 2:
            assert err.startswith("ganlab eval: error: ") and err.count("\n") == 1 and "Traceback" not in err
    finally:
        for fifo in scratch.rglob("*"):
            if fifo.is_fifo():
                fifo.unlink()
        shutil.rmtree(scratch, ignore_errors=True)
