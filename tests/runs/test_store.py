"""The run directory format: exact resume, safe names, and refusing bad files."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

import ganlab
from ganlab.data.image_sources import load_image_source
from ganlab.data.points_csv import empirical_distribution
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.runs import (
    FORMAT_VERSION,
    RunFormatError,
    RunNameError,
    RunWriter,
    check_name,
    delete_run,
    list_runs,
    load_generator,
    load_run,
    read_config,
    rename_run,
    replay_gif,
    run_path,
)
from ganlab.runs.store import snapshot_steps
from ganlab.settings.config import ImageStructure, Knobs, MLPShape, OptimizerKnobs, ToyStructure
from ganlab.storage.paths import atomic_write_text
from ganlab.training.runner import Runner

TINY = MLPShape(hidden_layers=2, width=16)


def toy_experiment(data="grid", dataset=None):
    return ToyExperiment(ToyStructure(data=data, generator=TINY, discriminator=TINY, seed=3), dataset)


def image_experiment(conditional=False, ema=0.9, extra_conv=False):
    s = ImageStructure(dataset="digits", noise_dim=8, width=8, conditional=conditional, num_classes=10,
                       ema_decay=ema, seed=1, extra_conv=extra_conv)
    return ImageExperiment(s, load_image_source("digits", max_images=64))


def train(runner: Runner, steps: int) -> None:
    runner.step("both", steps, evaluate=False)
    assert runner.wait_idle(60)


def assert_same_state(a, b) -> None:
    assert a.step == b.step
    assert sorted(a.tensors) == sorted(b.tensors)
    for key in a.tensors:
        assert torch.equal(a.tensors[key], b.tensors[key]), key
    assert a.meta == b.meta
    assert {k: v for k, v in a.counters.items() if k != "train_seconds"} == \
        {k: v for k, v in b.counters.items() if k != "train_seconds"}
    assert a.latest == b.latest and a.latest_eval == b.latest_eval


def round_trip(tmp_path: Path, make_experiment, knobs: Knobs, before: int, after: int):
    """(state after `before + after` steps straight, the same after a save -> load at `before`)."""
    run_dir = tmp_path / "run"
    experiment = make_experiment()
    runner = Runner(experiment, knobs, eval_every=3)
    try:
        train(runner, before)
        RunWriter(run_dir, experiment).save(runner.export_state())
        train(runner, after)
        straight = runner.export_state()
    finally:
        runner.release()
    experiment2, state, config = load_run(run_dir)
    assert state.step == before and config["step"] == before
    resumed = Runner(experiment2, state.knobs, eval_every=3)
    try:
        resumed.restore(experiment2, state)
        assert resumed.wait_idle(60)
        assert resumed.snapshot().step == before and resumed.snapshot().message is None
        train(resumed, after)
        again = resumed.export_state()
    finally:
        resumed.release()
    return straight, again


def test_toy_run_resumes_bit_identically(tmp_path):
    knobs = Knobs(batch_size=32, r1_weight=0.1, d_steps=2)
    straight, again = round_trip(tmp_path, toy_experiment, knobs, before=7, after=6)
    assert_same_state(straight, again)
    assert straight.step == 13 and straight.counters["d_updates"] == 26
    # the history continues where it stopped (CSV keeps 9 significant digits)
    np.testing.assert_array_equal(straight.history["steps"], again.history["steps"])
    np.testing.assert_allclose(straight.history["values"], again.history["values"], rtol=1e-8, equal_nan=True)
    np.testing.assert_array_equal(straight.evals["steps"], [0, 3, 6, 9, 12])
    np.testing.assert_array_equal(again.evals["steps"], straight.evals["steps"])


def test_toy_run_with_sgd_and_gradient_penalty_resumes_bit_identically(tmp_path):
    sgd = OptimizerKnobs(name="sgd", lr=0.01, beta1=0.9)
    knobs = Knobs(loss="wasserstein-gp", gp_weight=10.0, batch_size=16, g_opt=sgd, d_opt=sgd)
    assert_same_state(*round_trip(tmp_path, toy_experiment, knobs, before=4, after=4))


@pytest.mark.parametrize("extra_conv", [False, True])
def test_conditional_image_run_with_ema_resumes_bit_identically(tmp_path, extra_conv):
    knobs = Knobs(batch_size=8)
    make = lambda: image_experiment(conditional=True, ema=0.9, extra_conv=extra_conv)  # noqa: E731
    straight, again = round_trip(tmp_path, make, knobs, 3, 3)
    assert_same_state(straight, again)
    assert any(k.startswith("ema.") for k in straight.tensors)
    assert straight.meta["ema_updates"] == 6


def test_an_image_run_saved_before_extra_conv_existed_still_loads_and_resumes(tmp_path):
    """Runs written before the field have no `extra_conv` in config.json or in the weights'
    metadata: they must load as the nets they were trained with (extra_conv False)."""
    run_dir = tmp_path / "old"
    experiment = image_experiment()
    runner = Runner(experiment, Knobs(batch_size=8), eval_every=3)
    try:
        train(runner, 3)
        RunWriter(run_dir, experiment).save(runner.export_state())
    finally:
        runner.release()
    config = json.loads((run_dir / "config.json").read_text())
    del config["structure"]["extra_conv"]
    (run_dir / "config.json").write_text(json.dumps(config))
    data = (run_dir / "weights.safetensors").read_bytes()
    metadata = json.loads(data[8: 8 + int.from_bytes(data[:8], "little")])["__metadata__"]
    state = json.loads(metadata["state"])
    del state["structure"]["extra_conv"]
    (run_dir / "weights.safetensors").write_bytes(st_save(st_load(data), metadata=metadata | {"state": json.dumps(state)}))

    experiment2, state, _ = load_run(run_dir)
    assert state.structure.extra_conv is False and state.structure == experiment.structure
    resumed = Runner(experiment2, state.knobs, eval_every=3)
    try:
        resumed.restore(experiment2, state)
        assert resumed.wait_idle(60)
        train(resumed, 2)
        assert resumed.snapshot().step == 5 and resumed.snapshot().message is None
    finally:
        resumed.release()


def test_csv_points_travel_with_the_run(tmp_path):
    points = np.array([[0, 0], [1, 1], [2, 0.5], [3, -1]], dtype=np.float32)
    make = lambda: toy_experiment("csv", empirical_distribution(points, "mine.csv"))  # noqa: E731
    assert_same_state(*round_trip(tmp_path, make, Knobs(batch_size=8), 3, 3))
    np.testing.assert_array_equal(np.load(tmp_path / "run" / "data_points.npy"), points)


def test_run_directory_contents(tmp_path):
    experiment = image_experiment()
    runner = Runner(experiment, Knobs(batch_size=8), eval_every=2)
    try:
        writer = RunWriter(tmp_path / "img", experiment, extra={"preset": "x"})
        train(runner, 2)
        writer.save(runner.export_state())
        train(runner, 2)
        writer.save(runner.export_state(), status="completed")
    finally:
        runner.release()
    run = tmp_path / "img"
    config = json.loads((run / "config.json").read_text())
    assert (config["format"], config["format_version"], config["ganlab_version"]) == (
        "ganlab-run", FORMAT_VERSION, ganlab.__version__)
    assert (config["kind"], config["step"], config["status"], config["preset"]) == ("image", 4, "completed", "x")
    assert config["data"] == "digits" and config["data_source"]["source"] == "named" and config["data_source"]["count"] == 64
    assert config["class_names"] == [str(d) for d in range(10)]
    assert [s for s, _ in snapshot_steps(run)] == [0, 2, 4]  # the timeline from step 0 (issue 11.4)
    from PIL import Image

    with Image.open(snapshot_steps(run)[-1][1]) as img:
        assert img.size == (8 * 30 + 2, 8 * 30 + 2)  # 8x8 cells of 28 px + 2 px lines
    G, _ = load_generator(run)
    with torch.no_grad():
        assert G(torch.zeros(2, 8)).shape == (2, 1, 28, 28)
    assert not any(p.name.endswith(".tmp") for p in run.rglob("*"))


# ------------------------------------------------------------------ names
@pytest.mark.parametrize("name", ["..", ".", "../x", "a/b", "/etc", "a\\b", "", ".hidden", "x" * 65, "a b", "ü",
                                  "run.", "a..b", "name\x00"])
def test_unsafe_run_names_are_refused(tmp_path, name):
    with pytest.raises(RunNameError, match="not allowed|Give the run a name"):
        run_path(name, tmp_path)


def test_safe_names_stay_inside_the_runs_folder(tmp_path):
    assert check_name("grid-all_modes.2") == "grid-all_modes.2"
    assert run_path("grid-1", tmp_path) == tmp_path.resolve() / "grid-1"
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "runs"
    root.mkdir()
    (root / "sneaky").symlink_to(outside)
    with pytest.raises(RunNameError, match="outside the runs folder"):
        run_path("sneaky", root)


# ------------------------------------------------------------------ bad files
@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("saved") / "good"
    experiment = toy_experiment()
    runner = Runner(experiment, Knobs(batch_size=16))
    try:
        train(runner, 3)
        RunWriter(run, experiment).save(runner.export_state())
    finally:
        runner.release()
    return run


def copy_run(saved_run: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(saved_run, tmp_path / "copy"))


class Boom:
    def __reduce__(self):
        return (Path("/tmp/ganlab-pwned").touch, ())


def test_a_pickle_renamed_safetensors_is_refused_without_running_it(saved_run, tmp_path):
    run = copy_run(saved_run, tmp_path)
    (run / "weights.safetensors").write_bytes(pickle.dumps({"generator": Boom()}))
    with pytest.raises(RunFormatError, match="weights.safetensors is not a safetensors file|corrupt"):
        load_run(run)
    assert not Path("/tmp/ganlab-pwned").exists()


def test_a_torch_save_file_is_refused(saved_run, tmp_path):
    run = copy_run(saved_run, tmp_path)
    torch.save({"w": torch.zeros(3)}, run / "weights.safetensors")
    with pytest.raises(RunFormatError, match="weights.safetensors"):
        load_run(run)


def test_truncated_weights_are_refused(saved_run, tmp_path):
    run = copy_run(saved_run, tmp_path)
    data = (run / "weights.safetensors").read_bytes()
    (run / "weights.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(RunFormatError, match="corrupt or truncated"):
        load_run(run)


def test_foreign_safetensors_is_refused(saved_run, tmp_path):
    from safetensors.torch import save_file

    run = copy_run(saved_run, tmp_path)
    save_file({"w": torch.zeros(3)}, str(run / "weights.safetensors"))
    with pytest.raises(RunFormatError, match="not ganlab run weights"):
        load_run(run)


def test_weights_of_another_structure_are_refused(saved_run, tmp_path):
    run = copy_run(saved_run, tmp_path)
    config = json.loads((run / "config.json").read_text())
    config["structure"]["generator"]["width"] = 32
    (run / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunFormatError, match="another structure"):
        load_run(run)


@pytest.mark.parametrize("text, message", [
    ('{"format": "ganlab-run", "format_versi', "corrupt or truncated"),
    ("[1, 2]", "not a JSON object"),
    ('{"hello": "world"}', "not a ganlab run config"),
    ('{"format": "ganlab-run", "format_version": 99, "ganlab_version": "9.0"}', "upgrade ganlab"),
])
def test_bad_configs_are_refused(saved_run, tmp_path, text, message):
    run = copy_run(saved_run, tmp_path)
    (run / "config.json").write_text(text)
    with pytest.raises(RunFormatError, match=message):
        read_config(run)


def test_truncated_history_is_refused(saved_run, tmp_path):
    run = copy_run(saved_run, tmp_path)
    text = (run / "history.csv").read_text()
    (run / "history.csv").write_text(text[: len(text) - 20])
    with pytest.raises(RunFormatError, match="history.csv line"):
        load_run(run)


def test_pickled_points_file_is_refused(tmp_path):
    points = np.array([[0, 0], [1, 1]], dtype=np.float32)
    experiment = toy_experiment("csv", empirical_distribution(points))
    runner = Runner(experiment, Knobs(batch_size=8))
    try:
        RunWriter(tmp_path / "r", experiment).save(runner.export_state())
    finally:
        runner.release()
    np.save(tmp_path / "r" / "data_points.npy", np.array([Boom()], dtype=object), allow_pickle=True)
    with pytest.raises(RunFormatError, match="data_points.npy"):
        load_run(tmp_path / "r")
    assert not Path("/tmp/ganlab-pwned").exists()


def test_a_run_from_the_first_ganlab_train_is_migrated_view_only(tmp_path):
    run = tmp_path / "old"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({
        "ganlab_version": "0.1.0", "kind": "toy", "status": "completed", "data": "grid",
        "structure": ToyStructure(data="grid").to_dict(), "knobs": Knobs().to_dict(), "steps": 30}))
    config = read_config(run)
    assert config["view_only"] and config["format_version"] == 0 and config["step"] == 30
    assert "before runs kept their weights" in config["migration"]
    with pytest.raises(RunFormatError, match="viewed and compared, not resumed"):
        load_run(run)


# ------------------------------------------------------------------ the catalogue
def test_list_rename_delete_and_gif(saved_run, tmp_path):
    root = tmp_path / "runs"
    root.mkdir()
    import shutil

    shutil.copytree(saved_run, root / "a")
    (root / "junk").mkdir()
    (root / "junk" / "config.json").write_text("{")
    runs = {r.name: r for r in list_runs(root)}
    assert set(runs) == {"a", "junk"}
    assert runs["a"].error is None and (runs["a"].kind, runs["a"].data, runs["a"].step) == ("toy", "grid", 3)
    assert "modes_covered" in runs["a"].best
    assert runs["a"].live  # written by this very process, status "training"
    assert "corrupt" in runs["junk"].error

    config = json.loads((root / "a" / "config.json").read_text())
    atomic_write_text(root / "a" / "config.json", json.dumps(dict(config, status="paused")))
    rename_run("a", "b", root)
    assert (root / "b").is_dir() and not (root / "a").exists()
    with pytest.raises(RunNameError):
        rename_run("b", "../c", root)
    with pytest.raises(RunFormatError, match="already exists"):
        rename_run("b", "junk", root)

    gif = replay_gif(root / "b")
    assert gif[:6] == b"GIF89a"
    delete_run("b", root)
    assert not (root / "b").exists()
    with pytest.raises(RunNameError):
        delete_run("..", root)


def test_history_state_survives_json_with_a_nan_in_the_pending_bucket():
    import math

    from ganlab.gan.history import BoundedHistory
    from ganlab.runs.state import history_from_state, history_state
    from ganlab.runs.writer import _json_safe

    h = BoundedHistory(("a", "b"), capacity=4)
    for step in range(1, 6):
        h.append(step, {"a": float(step), "b": math.nan if step == 5 else 1.0})
    assert h.stride == 2  # five rows into four: halved, step 5 waits in the pending bucket
    meta = json.loads(json.dumps(_json_safe({k: v for k, v in history_state(h).items() if k not in ("steps", "values")})))
    assert meta["acc_sum"] == [5.0, None]
    state = dict(meta, steps=h.to_arrays()["step"], values=np.stack([h.to_arrays()["a"], h.to_arrays()["b"]], 1))
    again = history_from_state(state)
    for step in (6, 7, 8):
        h.append(step, {"a": float(step), "b": 2.0})
        again.append(step, {"a": float(step), "b": 2.0})
    for key, values in h.to_arrays().items():
        np.testing.assert_array_equal(values, again.to_arrays()[key])


def test_history_csv_is_extended_between_saves_and_rewritten_when_rows_merge(tmp_path):
    from ganlab.storage.tables import read_table

    experiment = toy_experiment()
    runner = Runner(experiment, Knobs(batch_size=16), history_capacity=4)
    writer = RunWriter(tmp_path / "r", experiment)
    try:
        for steps, expected in ((2, [1, 2]), (1, [1, 2, 3]), (2, [2, 4])):  # the 5th row merges (stride 2)
            train(runner, steps)
            state = runner.export_state()
            writer.save(state)
            table = read_table(tmp_path / "r" / "history.csv")
            assert table["step"].tolist() == expected
            np.testing.assert_allclose(table["d_loss"], state.history["values"][:, 0], rtol=1e-8)
    finally:
        runner.release()


def test_best_metrics_are_one_evaluation_after_step_0():
    """The Runs page's Best mixed moments: an untrained clump's 94% high-quality share at step 0
    beside step 100's 16 modes (issue 11, newcomer tour). Best is now one evaluation's values."""
    from ganlab.runs.writer import best_metrics

    evals = {"step": np.array([0, 100, 200]), "modes_covered": np.array([1.0, 16.0, 10.0]),
             "high_quality": np.array([0.944, 0.015, 0.6]), "js_hist": np.array([0.69, 0.4, 0.3]),
             "pixel_mean": np.array([0.1, 0.2, 0.3])}
    assert best_metrics(evals) == {"modes_covered": 16.0, "high_quality": 0.015, "js_hist": 0.4}
    evals["modes_covered"] = np.array([1.0, 10.0, 10.0])  # a tie on modes: the higher HQ wins
    assert best_metrics(evals) == {"modes_covered": 10.0, "high_quality": 0.6, "js_hist": 0.3}
    image = {"step": np.array([0, 50]), "frechet": np.array([300.0, np.nan]), "classes_covered": np.array([1.0, 4.0])}
    assert best_metrics(image) == {"classes_covered": 4.0}  # the one evaluation after step 0, Fréchet not measured
    assert best_metrics({"step": np.array([0]), "modes_covered": np.array([2.0])}) == {"modes_covered": 2.0}
    assert best_metrics({"step": np.zeros(0)}) == {}
