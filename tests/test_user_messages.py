"""Messages speak to the user (issue 11.8, 12.10): what went wrong and what to do; never an
exception class name, a Python repr, a torch/numpy/safetensors text or a server path. The raw
exception goes to the server log (checked with caplog)."""

from __future__ import annotations

import errno
import logging
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.runs import RunFormatError, load_run, resolve_run
from ganlab.runs.catalog import replay_frame
from ganlab.settings.config import ConfigError, Knobs, ToyStructure
from ganlab.training.quality_monitor import QualityMonitor
from ganlab.training.runner import Runner, RunState
from tests.apptest_pages import fresh_app, open_with, runner_of
from tests.conftest import wait_until
from tests.runs.test_runs_hostile import TINY, rewrite_weights, save_run

REPO = str(Path(__file__).resolve().parents[1])
CLASS_NAME = re.compile(r"\b[A-Z][a-z]+[A-Z]\w*|\b[A-Z]+Error\b")  # RuntimeError, SafetensorError, OSError
ABSOLUTE_PATH = re.compile(r"(?<![\w.~/:])/(?:[\w.-]+/)+")  # /srv/x/..., not MNIST/raw/, ~/.cache/, https://


def assert_for_users(text: str, *server_paths: Path | str) -> None:
    """No class name, no repr, no absolute path (nor any of `server_paths`) in `text`."""
    assert text and not CLASS_NAME.search(text), text
    assert "object at 0x" not in text and not re.search(r"<[\w.]+ ", text), text
    assert not ABSOLUTE_PATH.search(text), text
    for path in (REPO, sys.prefix, *map(str, server_paths)):
        assert path not in text, text


# --------------------------------------------------------------- the runner
class FailingExperiment(ToyExperiment):
    """Its real-data sampler raises `fail` once set (a step fails on the training thread)."""

    fail: BaseException | None = None

    def build(self, knobs):
        parts = super().build(knobs)
        sample_real = parts.sample_real

        def sampler(n):
            if self.fail is not None:
                raise self.fail
            return sample_real(n)

        parts.sample_real = sampler
        return parts


@pytest.mark.parametrize("fail, reason", [
    (RuntimeError("shape '[-1, 7]' is invalid at /srv/ganlab/ganlab/nets/mlp.py for <Tensor object at 0x7f3a>"),
     "an unexpected error"),
    (MemoryError(), "needed more memory than this server allows a run"),
    (RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: you tried "
                  "to allocate 1073741824 bytes. Error code 12 (Cannot allocate memory)"),
     "needed more memory than this server allows a run; a smaller batch size or a smaller width needs less"),
])
def test_a_failed_step_says_what_happened_and_to_press_reset(release_runners, caplog, fail, reason):
    experiment = FailingExperiment(ToyStructure(data="ring", generator=TINY, discriminator=TINY))
    runner = Runner(experiment, Knobs(batch_size=16))
    assert runner.wait_idle(30)
    experiment.fail = fail
    runner.step()
    wait_until(lambda: runner.state == RunState.ERROR, timeout=30)
    message = runner.snapshot().message
    assert message.startswith("Training stopped: a training step failed") and reason in message
    assert "Press Reset" in message and "server log" in message
    assert_for_users(message)
    assert any(r.exc_info and r.exc_info[1] is fail for r in caplog.records)  # the traceback is logged


def test_a_failed_restore_says_the_saved_run_could_not_be_restored(tmp_path, release_runners):
    save_run(tmp_path / "run")
    experiment, state, _ = load_run(tmp_path / "run")
    state.history["capacity"] = 3  # past the loader: the restore fails on the training thread
    runner = Runner(experiment, state.knobs, history_capacity=100)
    runner.restore(experiment, state)
    wait_until(lambda: runner.state == RunState.ERROR, timeout=30)
    message = runner.snapshot().message
    assert message.startswith("Training stopped: the saved run could not be restored") and "Press Reset" in message
    assert_for_users(message, tmp_path)


# --------------------------------------------------------------- quality numbers
def test_a_failing_quality_evaluation_names_no_internals(caplog):
    boom = RuntimeError("CUDA error: device-side assert triggered at /usr/lib/python3/torch/nn.py")

    def evaluator(step, images):
        raise boom

    monitor = QualityMonitor(lambda: (5, np.zeros((4, 1, 28, 28), np.float32)), evaluator, interval_s=3600)
    try:
        monitor.start()
        wait_until(lambda: monitor.error is not None, timeout=30)
        assert monitor.error == "The quality numbers failed at step 5: an unexpected error."
        assert_for_users(monitor.error)
    finally:
        monitor.stop(timeout=10)
    assert any(r.exc_info and r.exc_info[1] is boom for r in caplog.records)


# --------------------------------------------------------------- classifier, data sets
def test_classifier_messages_name_the_file_not_its_folder(tmp_path):
    from ganlab.metrics.classifier import ClassifierUnavailable, load_metric_classifier

    folder = tmp_path / "site-packages" / "ganlab" / "assets"
    folder.mkdir(parents=True)
    with pytest.raises(ClassifierUnavailable) as missing:
        load_metric_classifier(folder / "mnist_classifier.safetensors")
    damaged = folder / "damaged.safetensors"
    damaged.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00" + b'{"a": 1}        ')
    with pytest.raises(ClassifierUnavailable) as broken:
        load_metric_classifier(damaged)
    for err, name in ((missing, "mnist_classifier.safetensors"), (broken, "damaged.safetensors")):
        text = str(err.value)
        assert name in text and "reinstall ganlab" in text
        assert_for_users(text, tmp_path)


def test_missing_or_damaged_data_set_files_are_named_inside_the_data_folder(tmp_path, monkeypatch):
    from ganlab.data import image_sources
    from ganlab.data.image_sources import DatasetUnavailable, load_image_source

    with pytest.raises(DatasetUnavailable) as missing:
        load_image_source("mnist", root=tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for f in image_sources._MNIST_FILES:
        (raw / f).write_bytes(b"\x00\x00\x08\x03garbage")
    with pytest.raises(DatasetUnavailable) as damaged:
        load_image_source("mnist", root=tmp_path)
    monkeypatch.setattr(image_sources, "digits_path", lambda: tmp_path / "assets" / "digits.npz")
    with pytest.raises(DatasetUnavailable) as no_digits:
        load_image_source("digits")
    assert "MNIST/raw/ inside the data folder" in str(missing.value) and "GANLAB_DATA_DIR" in str(missing.value)
    assert "could not be read (damaged or incomplete)" in str(damaged.value)
    assert "download=True" not in str(damaged.value)  # torchvision's advice is for programmers
    assert "digits.npz is missing or damaged; reinstall ganlab" in str(no_digits.value)
    for err in (missing, damaged, no_digits):
        assert_for_users(str(err.value), tmp_path)


# --------------------------------------------------------------- saved runs
@pytest.fixture
def run(tmp_path) -> Path:
    save_run(tmp_path / "runs" / "good")
    return tmp_path / "runs" / "good"


def test_a_bad_snapshot_header_is_named_without_numpy_internals(run, caplog):
    bad = run / "snapshots" / "step_00000001.npy"
    bad.parent.mkdir(exist_ok=True)
    bad.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': <f4 \n")
    with caplog.at_level(logging.WARNING), pytest.raises(RunFormatError) as err:
        replay_frame(run, bad)
    assert str(err.value).endswith("step_00000001.npy is not a readable numpy array (corrupt or truncated)")
    assert_for_users(str(err.value), run)
    assert any("reading array header" in r.getMessage() for r in caplog.records)  # numpy's text: in the log


def test_a_malformed_rng_state_says_so_without_torch_text(run):
    import torch

    rewrite_weights(run, edit_tensors=lambda t: t.update(rng=torch.zeros(3, dtype=torch.uint8)))
    with pytest.raises(RunFormatError) as err:
        load_run(run)
    assert str(err.value) == "weights.safetensors: the saved sampling RNG state is malformed"  # not torch's text
    assert_for_users(str(err.value), run)


def test_unreadable_weights_name_the_file_not_the_safetensors_error(run):
    weights = run / "weights.safetensors"
    header = b'{"w": {"dtype": "F32", "shape": [10], "data_offsets": [0, 40]}}'
    weights.write_bytes(len(header).to_bytes(8, "little") + header + b"\x00" * 4)  # 4 of 40 bytes
    with pytest.raises(RunFormatError) as err:
        load_run(run)
    assert str(err.value) == "weights.safetensors is corrupt or truncated (not a valid safetensors file)"


def test_an_unknown_run_name_does_not_print_the_runs_folder(tmp_path):
    with pytest.raises(RunFormatError) as err:
        resolve_run("no-such-run", tmp_path)
    assert "no run named 'no-such-run' in the runs folder" in str(err.value)
    assert_for_users(str(err.value), tmp_path)


@pytest.mark.parametrize("build", [lambda: Knobs.from_dict({"bogus": 1}), lambda: ToyStructure.from_dict([1, 2])])
def test_bad_settings_name_no_class(build):
    with pytest.raises(ConfigError) as err:
        build()
    assert_for_users(str(err.value))
    assert "Knobs" not in str(err.value) and "ToyStructure" not in str(err.value) and "got list" not in str(err.value)


# --------------------------------------------------------------- pages
@pytest.fixture
def playground():
    yield from fresh_app("pages/1_Playground.py")


SMALL = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}


def test_the_playground_shows_a_failing_autosave(playground):
    at = open_with(playground, SMALL)
    runner = runner_of(at)

    def full_disk(state):
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/ganlab/runs/x/weights.safetensors")

    runner.set_saver(full_disk, 0.0)  # an autosave after the next step, to a full disk
    runner.step()
    wait_until(lambda: runner.save_error is not None, timeout=30)
    at.run()
    warnings = [w.value for w in at.warning]
    assert any("the disk is full" in w and "free some space" in w for w in warnings), warnings
    for w in warnings:
        assert_for_users(w)


def test_the_playground_after_a_training_error_offers_reset_not_play(playground, monkeypatch):
    from tests.trainer_probes import break_training

    at = open_with(playground, SMALL)
    runner = runner_of(at)
    break_training(runner, "raise-g")
    at.button(key="pg_step").click().run()
    wait_until(lambda: runner.state == RunState.ERROR, timeout=30)
    wait_until(lambda: runner.snapshot().settled, timeout=30)
    at.run()
    errors = [e.value for e in at.error]
    assert any("Press Reset" in e for e in errors), errors
    for e in errors:
        assert_for_users(e)
    assert at.button(key="pg_play").disabled and at.button(key="pg_step").disabled
    assert not at.button(key="pg_reset").disabled


def test_a_damaged_zip_upload_says_what_to_do_not_what_zipfile_said():
    from ganlab.data.image_files import ImageFilesError, load_image_zip

    with pytest.raises(ImageFilesError) as err:
        load_image_zip(b"PK\x03\x04 but not really", 28, 1, name="cats.zip")
    text = str(err.value)
    assert text.startswith("the zip 'cats.zip' is not a readable zip file") and "zip the images again" in text
    assert "File is not a zip file" not in text and "Bad magic number" not in text  # zipfile's own words
    assert_for_users(text)
