"""The class view's table: one row per live run on the server, built from the registry's token-free
entries and one cheap snapshot of each run (no history; a view only from runs that moved).

No Streamlit here: the page, the tests and benchmarks/bench_class_view.py build the same rows.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ganlab.formatting import format_number
from ganlab.kinds import kind_of
from ganlab.metrics.names import short_label
from ganlab.training import RunEntry, RunState, Snapshot, TrainerUnavailable
from ganlab.ui.class_thumbs import ThumbCache

READERS = 8  # snapshots read at once
# A participant page's snapshot this recent is used as it is (its trainer is not asked): a crowded
# server's pages poll every ~2 s (ganlab.training.slots.refresh_interval), plus the poll's own wait.
RECENT_S = 3.0
ANSWER_WAIT_S = 1.0  # a refresh waits this long for the trainers (a late one shows its last row): it fits in 2 s
THUMB_EVERY = 3  # a training run is asked for a new picture every 3rd refresh (6 s), the runs in turn

STATE_WORDS = {
    RunState.RUNNING: "training", RunState.PAUSED: "paused", RunState.QUEUED: "waiting",
    RunState.DIVERGED: "diverged", RunState.ERROR: "error", RunState.RELEASED: "ended",
}


@dataclass(frozen=True)
class ClassRow:
    run_id: str  # the runner's id ("remote-7"): names the run to the host's page, opens nothing
    participant: int
    lesson: str  # "mode-collapse, step 2" or ""
    kind: str
    data: str
    step: int
    steps_per_sec: float | None  # None unless training
    key_text: str  # "modes 25 / 25, HQ 91%" (2D), "classes 10 / 10, Fréchet 12.3" (digits)
    coverage: float | None  # the share of modes (or classes) covered, for sorting
    first_full_step: int | None  # the step at which the run was first seen covering every mode
    state: str

    @property
    def who(self) -> str:
        return f"P{self.participant}"


def lesson_text(labels: dict[str, str]) -> str:
    if not labels.get("lesson"):
        return ""
    return f"{labels['lesson']}, step {labels.get('step', '?')}"


def key_number(snap: Snapshot, modes_total: int | None, quality: Any | None) -> tuple[str, float | None]:
    """The run's key number as its page shows it, and the covered share for sorting. 2D with modes:
    modes covered and the high-quality share; other 2D data: JS; digits: the Quality panel's classes
    covered and Fréchet distance when the participant has it on, else the cheap pixel spread; then
    InfoGAN's code purity or CycleGAN's cycle error."""
    ev = snap.latest_eval
    text, share = _key_number(ev, modes_total, quality)
    for key in ("code_purity", "cycle_error"):  # InfoGAN's and CycleGAN's own number, after the data's
        if key in ev:
            text += f", {short_label(key)} {format_number(100 * ev[key], '.0f')}%"
    return text, share


def _key_number(ev: Any, modes_total: int | None, quality: Any | None) -> tuple[str, float | None]:
    if modes_total:
        covered = ev.get("modes_covered")
        hq = format_number(100 * ev["high_quality"], ".0f") + "%" if "high_quality" in ev else "—"
        text = (f"{short_label('modes_covered')} {format_number(covered, '.0f')} / {modes_total}, "
                f"{short_label('high_quality')} {hq}")
        return text, (covered / modes_total if covered is not None else None)
    if quality is not None:
        text = (f"{short_label('classes_covered')} {quality.classes_covered} / {quality.num_classes}, "
                f"{short_label('frechet')} {format_number(quality.frechet, '.1f')}")
        return text, quality.classes_covered / max(1, quality.num_classes)
    if "js_hist" in ev:
        return f"{short_label('js_hist')} {format_number(ev['js_hist'], '.3f')}", None
    if "pixel_std" in ev:
        return f"pixel sd {format_number(ev['pixel_std'], '.2f')} (Quality panel off)", None
    return "—", None


class CoverageBook:
    """When each run was first seen covering every mode (or class): the step, for "fastest to 25/25".
    Seen at the class view's refreshes, so a step at most one refresh late. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first_full: dict[str, int] = {}
        self._step: dict[str, int] = {}  # the step seen at the last refresh (a reset starts again)

    def note(self, run_id: str, step: int, coverage: float | None) -> int | None:
        with self._lock:
            if step < self._step.get(run_id, 0):  # reset or restarted: a new run under the same id
                self._first_full.pop(run_id, None)
            self._step[run_id] = step
            if coverage is not None and coverage >= 1.0 and run_id not in self._first_full:
                self._first_full[run_id] = step
            return self._first_full.get(run_id)

    def forget_all_but(self, run_ids: set[str]) -> None:
        with self._lock:
            for table in (self._first_full, self._step):
                for gone in [r for r in table if r not in run_ids]:
                    del table[gone]


@dataclass(frozen=True)
class Listed:
    row: ClassRow
    snap: Snapshot
    entry: RunEntry


def read_run(entry: RunEntry, book: CoverageBook, quality_of: Callable[[str], Any | None],
             was_training: bool) -> Listed | None:
    """One run's row; None when it ended meanwhile. A view is asked for only from a run that was
    training at the last refresh (a paused one's picture has not changed)."""
    runner = entry.runner
    if not runner.alive:
        return None
    try:
        recent = getattr(runner, "recent_snapshot", None)  # a remote run's last page poll: free
        snap = recent(RECENT_S) if recent is not None else None
        if snap is None:
            snap = runner.snapshot(want_view=was_training, with_history=False)
        experiment = runner.experiment
    except TrainerUnavailable:
        return None
    kind = kind_of(experiment)
    text, coverage = key_number(snap, kind.modes_total(experiment), quality_of(runner.id))
    row = ClassRow(
        run_id=runner.id, participant=entry.participant, lesson=lesson_text(dict(entry.labels)), kind=kind.label,
        data=kind.data_label(experiment), step=snap.step,
        steps_per_sec=snap.steps_per_sec if snap.state == RunState.RUNNING else None,
        key_text=text, coverage=coverage, first_full_step=book.note(runner.id, snap.step, coverage),
        state=STATE_WORDS.get(snap.state, str(snap.state.value)))
    return Listed(row, snap, entry)


def list_runs(entries: Sequence[RunEntry], book: CoverageBook, training_before: set[str],
              quality_of: Callable[[str], Any | None] = lambda run_id: None) -> list[Listed]:
    """Every live run's row, in the registry's order (oldest first), read one after the other (the
    tests; the page reads through ClassWatch). `training_before`: the ids of the runs that were
    training at the last refresh."""
    listed = [r for e in entries if (r := read_run(e, book, quality_of, e.runner.id in training_before)) is not None]
    book.forget_all_but({r.row.run_id for r in listed})
    return listed


def _coverage_key(row: ClassRow) -> tuple:
    return (-(row.coverage if row.coverage is not None else -1.0), row.participant)


def _fastest_key(row: ClassRow) -> tuple:
    reached = row.first_full_step is not None
    return (not reached, row.first_full_step if reached else 0, _coverage_key(row))


SORTS: dict[str, Callable[[ClassRow], Any]] = {
    "Order of arrival": lambda row: (row.participant, row.run_id),
    "Most modes (or classes) covered first": _coverage_key,
    "Fastest to full coverage (fewest steps)": _fastest_key,
    "Most steps first": lambda row: (-row.step, row.participant),
    "Fastest training first (steps/s)": lambda row: (-(row.steps_per_sec or 0.0), row.participant),
}


def sorted_rows(listed: Sequence[Listed], sort: str) -> list[Listed]:
    return sorted(listed, key=lambda item: SORTS[sort](item.row))


class ClassWatch:
    """What the class view remembers between refreshes, server-wide: when runs reached full coverage,
    their thumbnails, each run's last row, and which were training at the last refresh. A run with
    no picture is asked for one at once; one that moved since, every THUMB_EVERY-th refresh (a third
    of the runs at each, see _wants_view):
    a view costs the trainer a sample and D's surface, a row nothing it had not computed. A refresh
    asks the trainers at most READERS at a time and waits for them at most ANSWER_WAIT_S: a loaded
    server's slow trainer shows its last row, and its answer, when it comes, serves the next refresh
    (one request per run in flight, never a pile)."""

    def __init__(self, quality_of: Callable[[str], Any | None] = lambda run_id: None) -> None:
        self.book, self.thumbs = CoverageBook(), ThumbCache()
        self.quality_of = quality_of
        self._lock = threading.Lock()
        self._training: set[str] = set()
        self._last: dict[str, Listed | None] = {}  # run id -> its last row (None: it ended)
        self._asking: dict[str, Future] = {}
        self._pool = ThreadPoolExecutor(READERS, thread_name_prefix="ganlab-class-view")
        self._refreshes = 0
        self.late = 0

    def _wants_view(self, entry: RunEntry, training_before: set[str], pictured: dict[str, int]) -> bool:
        """Whether to ask a run for a new picture: at once when it has none (a paused run too: the
        host may open the page after the room paused), else in its turn when it has moved since its
        picture (it was training, or was stepped or reset while paused)."""
        run_id = entry.runner.id
        if run_id not in pictured:
            return True
        last = self._last.get(run_id)
        moved = run_id in training_before or (last is not None and last.row.step != pictured[run_id])
        return moved and (self._refreshes + entry.participant) % THUMB_EVERY == 0

    def _ask(self, entry: RunEntry, was_training: bool) -> Future:
        run_id = entry.runner.id
        with self._lock:
            pending = self._asking.get(run_id)
            if pending is not None:
                return pending
            future = self._pool.submit(read_run, entry, self.book, self.quality_of, was_training)
            self._asking[run_id] = future
        future.add_done_callback(lambda done: self._answered(run_id, done))
        return future

    def _answered(self, run_id: str, future: Future) -> None:
        """Keep a run's answer (also when it comes after its refresh stopped waiting)."""
        with self._lock:
            if self._asking.get(run_id) is not future:
                return  # already taken by a refresh
            self._asking.pop(run_id)
            if future.cancelled():
                return
            if future.exception() is not None:  # a run that failed to answer keeps its last row
                logging.getLogger(__name__).error("class view: reading run %s failed", run_id,
                                                  exc_info=future.exception())
                return
            self._last[run_id] = future.result()

    def refresh(self, entries: Sequence[RunEntry]) -> list[Listed]:
        """One refresh of the class view: every run's row, and its thumbnail drawn if its view moved."""
        pictured = self.thumbs.pictured()
        with self._lock:
            before = set(self._training)
            self._refreshes += 1
            due = {e.runner.id: self._wants_view(e, before, pictured) for e in entries}
        futures = [self._ask(e, due[e.runner.id]) for e in entries]
        wait(futures, timeout=ANSWER_WAIT_S)
        self.late = 0  # runs that did not answer within this refresh (they show their last row)
        for e, future in zip(entries, futures, strict=True):
            if future.done():  # its callback may not have run yet
                self._answered(e.runner.id, future)
            else:
                self.late += 1
        with self._lock:
            listed = [item for e in entries if (item := self._last.get(e.runner.id)) is not None]
            ids = {e.runner.id for e in entries}
            self._last = {k: v for k, v in self._last.items() if k in ids}
            self._training = {item.row.run_id for item in listed if item.snap.state == RunState.RUNNING}
        for item in listed:  # drawn in its turn too (a participant page's poll brings a new view each time)
            view = item.snap.view if due.get(item.row.run_id, False) else None
            self.thumbs.get(item.row.run_id, view, item.snap.view_step, item.entry.runner.experiment)
        self.thumbs.forget_all_but(ids)
        self.book.forget_all_but(ids)
        return listed

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
