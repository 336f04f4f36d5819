"""ganlab.runs.resume: the autosave a continued or resumed run writes with, outside the UI."""

from __future__ import annotations

from types import SimpleNamespace

from ganlab.runs.resume import saver_for
from ganlab.training.runner import RunState


class RecordingWriter:
    def __init__(self) -> None:
        self.saved: list[tuple[object, str]] = []

    def save(self, state, status: str) -> None:
        self.saved.append((state, status))


def test_the_saver_records_whether_its_runner_trains():
    writer, holder = RecordingWriter(), {}
    save = saver_for(writer, holder)
    save("before")  # a new runner is built with its saver: none in the holder yet
    holder["runner"] = SimpleNamespace(state=RunState.RUNNING)
    save("training")
    holder["runner"] = SimpleNamespace(state=RunState.PAUSED)
    save("after")
    assert writer.saved == [("before", "paused"), ("training", "training"), ("after", "paused")]
