"""ganlab.training.resume: the autosave a continued or resumed run writes with, outside the UI."""

from __future__ import annotations

from types import SimpleNamespace

from ganlab.training.resume import saver_for
from ganlab.training.runner import RunState


class RecordingWriter:
    def __init__(self, run_dir) -> None:
        self.run_dir, self.lease = run_dir, None
        self.saved: list[tuple[object, str]] = []

    def save(self, state, status: str) -> None:
        self.saved.append((state, status))


def test_the_saver_records_whether_its_runner_trains(tmp_path):
    writer, holder = RecordingWriter(tmp_path), {}
    save = saver_for(writer, holder)
    save("before")  # a new runner is built with its saver: none in the holder yet
    holder["runner"] = SimpleNamespace(state=RunState.RUNNING)
    save("training")
    holder["runner"] = SimpleNamespace(state=RunState.PAUSED)
    save("after")
    assert writer.saved == [("before", "paused"), ("training", "training"), ("after", "paused")]


def test_a_live_runner_is_saved_as_a_new_run_and_never_over_another(tmp_path, release_runners):
    import pytest

    from ganlab.kinds.toy_experiment import ToyExperiment
    from ganlab.runs import RunFormatError, load_run
    from ganlab.settings.config import Knobs, MLPShape, ToyStructure
    from ganlab.training.resume import autosave_into, save_runner_as
    from ganlab.training.runner import Runner
    from tests.conftest import wait_until

    runner = Runner(ToyExperiment(ToyStructure(generator=MLPShape(1, 16), discriminator=MLPShape(1, 16))),
                    Knobs(batch_size=16))
    runner.step("both", 3)
    assert runner.wait_idle(30)
    path = tmp_path / "mine"
    writer, state = save_runner_as(runner, path, "2D playground")
    assert state.step == 3
    _, saved, config = load_run(path)
    assert saved.step == 3 and config["saved_from"] == "2D playground" and config["status"] == "paused"
    before = (path / "config.json").read_bytes()
    with pytest.raises(RunFormatError, match="already exists"):
        save_runner_as(runner, path, "2D playground")
    assert (path / "config.json").read_bytes() == before  # the first run is untouched
    autosave_into(runner, writer, 60.0)
    runner.play()
    assert wait_until(lambda: runner.snapshot(with_history=False).step >= 10, timeout=30)
    runner.pause()  # a pause saves into the run
    assert runner.wait_idle(30)
    trained = runner.snapshot(with_history=False).step
    assert wait_until(lambda: load_run(path)[1].step == trained, timeout=20)
