"""The image page's Quality panel: classes covered, class KL, Fréchet distance and an
Inception-style score from the metric classifier, measured by a `QualityMonitor` thread
beside each image runner that has it switched on.

Monitors live in one server-wide table keyed by runner id (a thread kept only in a
session would be orphaned when its tab closes). A monitor stops itself once its runner
has been released, and every page run sweeps the table too.
"""

from __future__ import annotations

import threading

import streamlit as st

from ganlab.data.stacked_digits import STACKED_MODES
from ganlab.formatting import format_number
from ganlab.metrics.classifier import unavailable_reason_for
from ganlab.metrics.stacked_modes import expected_coverage
from ganlab.training import (
    MonitorState,
    QualityMonitor,
    QualityResult,
    RunState,
    Trainer,
    TrainerUnavailable,
    runner_sample_source,
)

INTERVAL_S = 5.0  # between measurements while the generator changes (each costs ~0.1-0.3 s of CPU)


class _Monitors:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_runner: dict[str, QualityMonitor] = {}
        self.runners: dict[str, Trainer] = {}

    def get(self, runner: Trainer) -> QualityMonitor:
        with self.lock:
            monitor = self.by_runner.get(runner.id)
            if monitor is None or monitor.state == MonitorState.STOPPED:
                monitor = QualityMonitor(_source_for(runner), interval_s=INTERVAL_S)
                self.by_runner[runner.id], self.runners[runner.id] = monitor, runner
                monitor.start()
            return monitor

    def stop(self, runner: Trainer) -> None:
        with self.lock:
            monitor = self.by_runner.pop(runner.id, None)
            self.runners.pop(runner.id, None)
        if monitor is not None:
            monitor.stop(timeout=0)

    def sweep(self) -> None:
        """Stop the monitors of released runners."""
        with self.lock:
            gone = [r for r in self.runners.values() if not r.alive]
        for runner in gone:
            self.stop(runner)

    def shutdown(self) -> None:
        with self.lock:
            monitors = list(self.by_runner.values())
            self.by_runner.clear()
            self.runners.clear()
        for monitor in monitors:
            monitor.stop(timeout=0)


def scores_averaged_generator(runner: Trainer) -> bool:
    """The panel scores the EMA generator when the run keeps one: the steadier of the two
    grids on the page, and the one a user would keep and sample from."""
    return runner.experiment.structure.ema_decay > 0


def _source_for(runner: Trainer):
    # chosen per measurement: a structure change (EMA switched on or off) resets the run, not the monitor
    live, averaged = runner_sample_source(runner), runner_sample_source(runner, ema=True)

    def source():
        if not getattr(runner, "has_trainer", True) and runner.alive:
            return 0, None  # a fresh run without a trainer, or one whose trainer died: nothing new to score
        try:
            return averaged() if scores_averaged_generator(runner) else live()
        except TrainerUnavailable:  # a released remote runner raises the latter
            if runner.alive:
                return 0, None  # its trainer died just now: the page offers Restart; nothing to score
            get_monitors().stop(runner)  # the run was released (its tab closed): this thread ends too
            return 0, None  # (quietly: the monitor is stopped, its loop ends here)

    return source


@st.cache_resource(on_release=lambda monitors: monitors.shutdown())
def get_monitors() -> _Monitors:
    return _Monitors()


def baseline_rows(result: QualityResult) -> list[tuple[str, str, str, str]]:
    """(label, value, baseline shown beside it, help) for each Quality number."""
    covered = ("Classes covered", f"{result.classes_covered} / {result.num_classes}", f"in {result.n} samples",
               "Digit classes the classifier finds at no less than a fifth of their real share, "
               f"in {result.n} samples from fixed noise")
    if result.num_classes == STACKED_MODES:
        covered = ("Modes covered", f"{result.classes_covered} / {result.num_classes}",
                   f"in {result.n:,} samples; a perfect generator: {expected_coverage(result.n):.0f}",
                   "Stacked MNIST's modes (a digit in each colour channel, each read by the digit classifier) with at "
                   f"least one of {result.n:,} samples from fixed noise. `ganlab eval` counts in 26,000, as the "
                   "VEEGAN and PacGAN papers do, where a perfect generator covers all 1,000.")
    return [
        covered,
        ("Class KL", format_number(result.class_kl, ".3f"), f"real vs real: {format_number(result.kl_baseline, '.3f')}",
         "KL(generated class shares ‖ real class shares), nats; real vs real is what two samples of real digits "
         "score (lower is better)"),
        ("Fréchet distance", format_number(result.frechet, ".1f"),
         f"real vs real: {format_number(result.frechet_baseline, '.1f')}",
         "Between classifier features of real and generated digits (lower is better); real vs real is the "
         "distance between two samples of real digits, the floor to aim for"),
        ("Inception-style score", format_number(result.inception_score, ".2f"),
         f"real digits: {format_number(result.inception_score_real, '.2f')}",
         "exp(E KL(p(y|x) ‖ p(y))) with the digit classifier (higher is better); real digits score the ceiling"),
    ]


def _show(result: QualityResult, averaged: bool) -> None:
    columns = st.columns(2) + st.columns(2)  # two rows of two: in a quarter "Inception-style …" was cut at 1024 px
    for column, (label, value, baseline, help_text) in zip(columns, baseline_rows(result), strict=False):
        column.metric(label, value, help=help_text)
        column.caption(baseline)  # visible beside the number, not only in the tooltip
    which = "the averaged (EMA) generator" if averaged else "the generator"
    st.caption(f"Measured on {which} at step {result.step:,}, {result.n} samples, every {INTERVAL_S:g} s while "
               "training runs.")


def quality_panel(runner: Trainer) -> None:
    """Switch, numbers and messages. Runs inside a polling fragment of the page."""
    monitors = get_monitors()
    monitors.sweep()
    st.subheader("Quality")
    reason = unavailable_reason_for(runner.experiment.structure)
    if reason is not None:
        monitors.stop(runner)
        st.caption(reason)
        return
    if not st.toggle("Measure sample quality", value=True, key="im_quality",
                     help="A small digit classifier scores 256 samples every few seconds on its own thread"):
        monitors.stop(runner)
        return
    snap = monitors.get(runner).snapshot()
    if snap.error:
        st.warning(snap.error)
    if snap.latest is None:
        st.caption("The first numbers appear a few seconds after training starts.")
        return
    _show(snap.latest, scores_averaged_generator(runner))
    if _behind(runner, snap.latest.step):
        monitors.get(runner).request()  # the monitor skips a paused run once it has measured it
        st.caption(f"Measuring the weights at step {runner.snapshot().step:,} (the run stopped between two "
                   "measurements)…")


def _behind(runner: Trainer, measured_step: int) -> bool:
    """True when the run is paused at a step the Quality numbers have not measured yet (not after
    a divergence or an error: those weights give no numbers, and the page would poll forever)."""
    snap = runner.snapshot()
    return snap.state == RunState.PAUSED and snap.step != measured_step


def quality_pending(runner: Trainer) -> bool:
    """True while the panel waits for the measurement of a stopped run's weights: the page keeps
    polling it until the numbers land (at rest it otherwise draws once and stops)."""
    if not st.session_state.get("im_quality", True) or unavailable_reason_for(runner.experiment.structure):
        return False
    monitor = get_monitors().by_runner.get(runner.id)
    latest = monitor.latest() if monitor is not None else None
    return latest is not None and _behind(runner, latest.step)
