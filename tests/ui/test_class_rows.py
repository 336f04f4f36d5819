"""The class view's rows: one per live run, numbered by participant, labelled with the lesson step,
with each kind's key number, sorted as the host asks; thumbnails drawn only when the view moved."""

from __future__ import annotations

import dataclasses

import numpy as np

from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import Knobs, MLPShape, ToyStructure
from ganlab.training import RunEntry, RunState, Snapshot
from ganlab.ui.class_rows import CoverageBook, key_number, list_runs, sorted_rows
from ganlab.ui.class_thumbs import ThumbCache
from tests.conftest import wait_until

GRID = ToyExperiment(ToyStructure(data="grid", generator=MLPShape(1, 16), discriminator=MLPShape(1, 16)))
SPIRAL = ToyExperiment(ToyStructure(data="spiral", generator=MLPShape(1, 16), discriminator=MLPShape(1, 16)))


def snap(state=RunState.RUNNING, step=100, speed=50.0, **evals) -> Snapshot:
    return Snapshot(state, step, step, step, speed, 1.0, Knobs(), GRID.structure, {}, {}, {}, dict(evals))


class FakeRunner:
    def __init__(self, run_id: str, experiment, snapshot: Snapshot) -> None:
        self.id, self.experiment, self.snap, self.alive = run_id, experiment, snapshot, True
        self.asked: list[bool] = []

    def snapshot(self, want_view=False, wait_for_view=0.0, *, with_history=True, view_range=None) -> Snapshot:
        assert not with_history  # the listing never pulls the history tables
        self.asked.append(want_view)
        return self.snap


def entry(participant: int, runner: FakeRunner, **labels: str) -> RunEntry:
    return RunEntry(participant, runner, 0.0, labels)  # type: ignore[arg-type]


def test_rows_show_each_kind_of_number_with_participants_and_lessons():
    a = FakeRunner("runner-1", GRID, snap(step=1200, modes_covered=25, high_quality=0.914))
    b = FakeRunner("runner-2", GRID, snap(RunState.QUEUED, step=0, speed=0.0))
    c = FakeRunner("runner-3", SPIRAL, snap(RunState.PAUSED, step=40, js_hist=0.1234))
    gone = FakeRunner("runner-4", GRID, snap())
    gone.alive = False
    listed = list_runs([entry(1, a, lesson="mode-collapse", step="2"), entry(2, b), entry(1, c), entry(3, gone)],
                       CoverageBook(), training_before={"runner-1"})
    rows = [item.row for item in listed]
    assert [(r.who, r.kind, r.data, r.step, r.state) for r in rows] == [
        ("P1", "2D", "grid", 1200, "training"), ("P2", "2D", "grid", 0, "waiting"), ("P1", "2D", "spiral", 40, "paused")]
    assert [r.key_text for r in rows] == ["modes 25 / 25, HQ 91%", "modes — / 25, HQ —", "JS 0.123"]
    assert [r.steps_per_sec for r in rows] == [50.0, None, None]
    assert [r.lesson for r in rows] == ["mode-collapse, step 2", "", ""]
    assert [r.first_full_step for r in rows] == [1200, None, None]
    assert (a.asked, b.asked, c.asked) == ([True], [False], [False])  # a view only from the run that trained


def test_digits_show_the_quality_panels_numbers_when_it_is_on():
    quality = type("Q", (), {"classes_covered": 9, "num_classes": 10, "frechet": 12.345})()
    assert key_number(snap(pixel_std=0.4), None, quality) == ("classes 9 / 10, Fréchet 12.3", 0.9)
    assert key_number(snap(pixel_std=0.4), None, None) == ("pixel sd 0.40 (Quality panel off)", None)


def test_infogan_and_cyclegan_runs_add_their_own_number():
    assert key_number(snap(modes_covered=8, high_quality=0.9, code_purity=0.875), 8, None) == (
        "modes 8 / 8, HQ 90%, purity 88%", 1.0)
    assert key_number(snap(js_hist=0.05, cycle_error=0.021), None, None) == ("JS 0.050, cycle 2%", None)


def test_sorting_and_who_reached_full_coverage_first():
    book = CoverageBook()
    runs = {name: FakeRunner(name, GRID, snap(step=s, modes_covered=m)) for name, s, m in
            [("slow", 900, 20), ("early", 300, 25), ("late", 700, 25)]}
    first = list_runs([entry(1, runs["slow"]), entry(2, runs["early"]), entry(3, runs["late"])], book, set())
    runs["early"].snap = snap(step=1500, modes_covered=24)  # dropped a mode later: still reached it first
    runs["slow"].snap = snap(step=1000, modes_covered=25)
    listed = list_runs([entry(1, runs["slow"]), entry(2, runs["early"]), entry(3, runs["late"])], book, set())
    order = lambda sort: [item.row.run_id for item in sorted_rows(listed, sort)]  # noqa: E731
    assert order("Fastest to full coverage (fewest steps)") == ["early", "late", "slow"]
    assert [item.row.first_full_step for item in listed] == [1000, 300, 700]
    assert order("Most modes (or classes) covered first") == ["slow", "late", "early"]
    assert order("Most steps first") == ["early", "slow", "late"]
    assert order("Order of arrival") == ["slow", "early", "late"]
    assert [item.row.run_id for item in first] == ["slow", "early", "late"]


def test_a_reset_run_starts_its_coverage_record_again():
    book = CoverageBook()
    assert book.note("r", 500, 1.0) == 500
    assert book.note("r", 800, 0.9) == 500
    assert book.note("r", 10, 0.5) is None  # its step went back: a new run under the same id


def test_thumbnails_are_drawn_only_when_the_view_moved():
    parts = GRID.build(Knobs())
    view = GRID.view(parts, Knobs())
    cache = ThumbCache()
    first = cache.get("r", view, 10, GRID)
    assert first is not None and first[:2] == b"\xff\xd8"  # a JPEG
    assert cache.get("r", view, 10, GRID) is first and cache.drawn == 1
    moved = dataclasses.replace(view, fake=np.asarray(view.fake) + 0.5)
    assert cache.get("r", moved, 20, GRID) is not first and cache.drawn == 2
    cache.forget_all_but(set())
    assert cache.get("r", None, -1, GRID) is None


def test_a_refresh_does_not_wait_for_a_stuck_trainer_and_uses_its_answer_later(monkeypatch):
    import threading

    from ganlab.ui import class_rows
    from ganlab.ui.class_rows import ClassWatch

    monkeypatch.setattr(class_rows, "ANSWER_WAIT_S", 0.05)
    answer = threading.Event()

    class StuckRunner(FakeRunner):
        def snapshot(self, *args, **kwargs) -> Snapshot:
            answer.wait(30)
            return super().snapshot(*args, **kwargs)

    quick = FakeRunner("quick", GRID, snap(step=10))
    stuck = StuckRunner("stuck", GRID, snap(step=20))
    watch = ClassWatch()
    try:
        entries = [entry(1, quick), entry(2, stuck)]
        assert [i.row.run_id for i in watch.refresh(entries)] == ["quick"]
        assert watch.late == 1
        assert [i.row.run_id for i in watch.refresh(entries)] == ["quick"]  # still asking: not asked twice
        assert len(stuck.asked) == 0
        answer.set()
        wait_until(lambda: len(stuck.asked) == 1, timeout=10)
        wait_until(lambda: [i.row.run_id for i in watch.refresh(entries)] == ["quick", "stuck"], timeout=10)
        assert len(stuck.asked) <= 2
    finally:
        answer.set()
        watch.shutdown()


def test_training_runs_are_asked_for_a_picture_in_turn_every_third_refresh():
    from ganlab.ui.class_rows import THUMB_EVERY, ClassWatch

    view = GRID.view(GRID.build(Knobs()), Knobs())

    class PicturedRunner(FakeRunner):
        def snapshot(self, want_view=False, *args, **kwargs) -> Snapshot:
            self.steps = getattr(self, "steps", 0) + 1
            super().snapshot(want_view, *args, **kwargs)
            return dataclasses.replace(self.snap, step=self.steps, view=view if want_view else None,
                                       view_step=self.steps if want_view else -1)

    runners = [PicturedRunner(f"r{i}", GRID, snap()) for i in range(1, 7)]
    entries = [entry(i, r) for i, r in enumerate(runners, start=1)]
    watch = ClassWatch()
    try:
        for _ in range(1 + 2 * THUMB_EVERY):
            watch.refresh(entries)
        asked = [r.asked for r in runners]
    finally:
        watch.shutdown()
    # Refresh 1 pictures every run (none had a picture); then each run, training, is asked once in
    # every THUMB_EVERY refreshes, two of the six runs at each.
    assert all(a[0] is True for a in asked)
    later = [a[1:] for a in asked]
    assert all(sum(a) == 2 for a in later), later
    assert [sum(a[i] for a in later) for i in range(2 * THUMB_EVERY)] == [2] * (2 * THUMB_EVERY)
    assert set(watch.thumbs.pictured()) == {r.id for r in runners}


def test_a_paused_run_gets_one_picture_and_another_only_after_it_moved():
    from ganlab.ui.class_rows import THUMB_EVERY, ClassWatch

    view = GRID.view(GRID.build(Knobs()), Knobs())

    class PausedRunner(FakeRunner):
        step = 40

        def snapshot(self, want_view=False, *args, **kwargs) -> Snapshot:
            super().snapshot(want_view, *args, **kwargs)
            return dataclasses.replace(self.snap, step=self.step, view=view if want_view else None,
                                       view_step=self.step if want_view else -1)

    paused = PausedRunner("paused", GRID, snap(RunState.PAUSED, step=40))
    watch = ClassWatch()
    try:
        for _ in range(2 * THUMB_EVERY):
            watch.refresh([entry(1, paused)])
        assert paused.asked == [True] + [False] * (2 * THUMB_EVERY - 1)  # opened after the room paused
        assert watch.thumbs.last("paused") is not None
        paused.step = 41  # the participant pressed Step
        for _ in range(THUMB_EVERY + 1):  # the refresh that sees it, then its turn
            watch.refresh([entry(1, paused)])
        assert sum(paused.asked) == 2 and watch.thumbs.pictured() == {"paused": 41}
    finally:
        watch.shutdown()
