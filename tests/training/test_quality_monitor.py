"""The background quality monitor through its states, with fake sample sources and
evaluators; then the real evaluator on real test digits, and the monitor on a real runner.
Waits poll with `wait_until`; the monitors' intervals are long, so measurements happen
only at start and on `request()`."""

import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from ganlab.data.images import ImageDataset
from ganlab.kinds.image_experiment import EVAL_SAMPLES, ImageExperiment
from ganlab.metrics.classifier import ClassifierUnavailable, load_metric_classifier
from ganlab.settings.config import ImageStructure, Knobs
from ganlab.training.quality_monitor import (
    ImageQualityEvaluator,
    MonitorState,
    QualityMonitor,
    QualityResult,
    runner_sample_source,
)
from ganlab.training.runner import Runner

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mnist_test_digits.npz"
LONG = 3600.0  # seconds: never reached in a test; measurements come from start() and request()


def fake_result(step: int, n: int = 4) -> QualityResult:
    return QualityResult(step=step, n=n, class_histogram=(1.0, 0.0), real_class_distribution=(0.5, 0.5),
                         classes_covered=1, num_classes=2, class_kl=0.69, kl_baseline=0.01, frechet=float(step),
                         frechet_baseline=1.0, inception_score=1.0, inception_score_real=1.9, seconds=0.0)


class FakeSource:
    """Hands out (step, images) for the step it is set to; raises `fail` when set."""

    def __init__(self, step: int = 0) -> None:
        self.step = step
        self.fail: Exception | None = None
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        return self.step, np.zeros((4, 1, 28, 28), dtype=np.float32)


class FakeEvaluator:
    def __init__(self) -> None:
        self.steps: list[int] = []
        self.fail: Exception | None = None
        self.threads: set[str] = set()

    def __call__(self, step, images):
        self.threads.add(threading.current_thread().name)
        if self.fail is not None:
            raise self.fail
        self.steps.append(step)
        return fake_result(step, len(images))


@pytest.fixture
def monitors():
    made: list[QualityMonitor] = []

    def make(source, evaluator, **kwargs) -> QualityMonitor:
        m = QualityMonitor(source, evaluator, interval_s=kwargs.pop("interval_s", LONG), **kwargs)
        made.append(m)
        return m

    yield make
    for m in made:
        m.stop(timeout=10.0)
    assert not [m.id for m in made if m.alive], "monitor threads outlived their test"


def checked(monitor, count):
    return lambda: monitor.snapshot().checks >= count


def test_idle_then_running_then_stopped(monitors, wait_until):
    source, evaluator = FakeSource(step=7), FakeEvaluator()
    m = monitors(source, evaluator)
    snap = m.snapshot()
    assert (snap.state, snap.latest, snap.history, snap.error, snap.evaluations) == (MonitorState.IDLE, None, (), None, 0)
    assert source.calls == 0
    m.start()
    assert m.state == MonitorState.RUNNING
    wait_until(lambda: m.latest() is not None)
    assert m.latest().step == 7 and evaluator.steps == [7]
    assert evaluator.threads == {m.id}  # measured on the monitor's own thread
    m.stop()
    assert m.state == MonitorState.STOPPED and not m.alive
    with pytest.raises(RuntimeError, match="stopped"):
        m.start()


def test_start_twice_is_one_thread(monitors, wait_until):
    m = monitors(FakeSource(1), FakeEvaluator())
    m.start()
    m.start()
    wait_until(lambda: m.snapshot().evaluations == 1)
    assert m.state == MonitorState.RUNNING


def test_a_step_already_measured_is_not_measured_again(monitors, wait_until):
    source, evaluator = FakeSource(step=5), FakeEvaluator()
    m = monitors(source, evaluator)
    m.start()
    wait_until(checked(m, 1))
    m.request()
    wait_until(checked(m, 2))
    assert evaluator.steps == [5]  # paused run: the samples were asked for, not scored again
    source.step = 9
    m.request()
    wait_until(lambda: m.snapshot().evaluations == 2)
    assert [r.step for r in m.history()] == [5, 9]
    assert m.latest().step == 9


def test_history_is_bounded_and_keeps_the_newest(monitors, wait_until):
    source = FakeSource(step=1)
    m = monitors(source, FakeEvaluator(), history_capacity=3)
    m.start()
    for step in range(1, 6):
        source.step = step
        m.request()
        wait_until(lambda s=step: m.latest() is not None and m.latest().step == s)
    snap = m.snapshot()
    assert [r.step for r in snap.history] == [3, 4, 5]
    assert snap.evaluations == 5 and snap.latest.step == 5


def test_a_reset_run_starts_a_new_history(monitors, wait_until):
    source = FakeSource(step=100)
    m = monitors(source, FakeEvaluator())
    m.start()
    wait_until(lambda: m.latest() is not None)
    source.step = 200
    m.request()
    wait_until(lambda: m.latest().step == 200)
    source.step = 0  # the runner was reset
    m.request()
    wait_until(lambda: m.latest().step == 0)
    assert [r.step for r in m.history()] == [0]


def test_a_failing_source_is_reported_and_the_next_success_clears_it(monitors, wait_until):
    source, evaluator = FakeSource(step=3), FakeEvaluator()
    source.fail = TimeoutError("the runner did not finish the samples in time")
    m = monitors(source, evaluator)
    m.start()
    wait_until(lambda: m.error is not None)
    assert m.error == ("No samples for the quality numbers: the training thread was busy and did not answer in time; "
                       "tried again shortly.")
    assert m.state == MonitorState.RUNNING and m.latest() is None  # still trying
    source.fail = None
    m.request()
    wait_until(lambda: m.latest() is not None)
    assert m.error is None and m.latest().step == 3


def test_a_failing_evaluator_is_reported_with_its_step(monitors, wait_until):
    evaluator = FakeEvaluator()
    evaluator.fail = ClassifierUnavailable("the metric classifier file x is missing")
    m = monitors(FakeSource(step=12), evaluator)
    m.start()
    wait_until(lambda: m.error is not None)
    assert m.error == "The quality numbers failed at step 12: the metric classifier file x is missing."
    evaluator.fail = None
    m.request()
    wait_until(lambda: m.latest() is not None)  # the same step is measured once it works
    assert m.error is None


def test_interval_drives_measurements_without_requests(monitors, wait_until):
    source = FakeSource(step=0)
    m = monitors(source, FakeEvaluator(), interval_s=0.01)
    m.start()
    wait_until(checked(m, 3))  # measured again and again on its own


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="interval_s"):
        QualityMonitor(FakeSource(), FakeEvaluator(), interval_s=0)
    with pytest.raises(ValueError, match="history_capacity"):
        QualityMonitor(FakeSource(), FakeEvaluator(), history_capacity=0)


# ------------------------------------------------------------------ the real evaluator
@pytest.fixture(scope="module")
def real_digits():
    with np.load(FIXTURE) as data:
        return data["images"][:, None].astype(np.float32) / 127.5 - 1, data["labels"]


def test_real_test_digits_cover_every_class(real_digits):
    images, _ = real_digits
    result = ImageQualityEvaluator()(step=4, images=images)
    assert (result.step, result.n, result.num_classes) == (4, 20, 10)
    assert result.classes_covered == 10
    assert result.class_histogram == (0.1,) * 10
    assert result.class_kl < 0.1 and result.inception_score > 8
    # these digits are part of the held-out pool, so not far from it: within the baseline's reach
    assert 0 < result.frechet < 3 * result.frechet_baseline
    assert sum(result.real_class_distribution) == pytest.approx(1.0)


def test_one_class_of_real_digits_covers_one_class(real_digits):
    images, labels = real_digits
    threes = np.repeat(images[labels == 3], 10, axis=0)  # 20 images, all 3s
    result = ImageQualityEvaluator()(step=0, images=threes)
    assert result.classes_covered == 1
    assert result.class_histogram[3] == 1.0
    assert result.inception_score == pytest.approx(1.0, abs=0.05)
    assert result.frechet > 3 * result.frechet_baseline


def test_the_evaluator_shares_the_loaded_classifier_and_caches_references(real_digits):
    images, _ = real_digits
    evaluator = ImageQualityEvaluator()
    assert evaluator.classifier is load_metric_classifier()
    assert evaluator.reference(20) is evaluator.reference(20)
    with pytest.raises(ValueError, match="NaN"):
        evaluator(0, np.full_like(images, np.nan))


# ------------------------------------------------------------------ on a real runner
def digit_runner(**structure) -> Runner:
    with np.load(FIXTURE) as data:
        images = np.repeat(data["images"][:, None], 4, axis=0)
    dataset = ImageDataset(torch.from_numpy(images), name="digits")
    s = ImageStructure(dataset="digits", noise_dim=8, width=8, seed=0, **structure)
    runner = Runner(ImageExperiment(s, dataset), Knobs(batch_size=8))
    assert runner.wait_idle()
    return runner


def test_the_monitor_measures_a_real_runner_at_its_steps(release_runners, monitors, wait_until):
    runner = digit_runner()
    m = monitors(runner_sample_source(runner), ImageQualityEvaluator())
    m.start()
    wait_until(lambda: m.latest() is not None, timeout=30)
    first = m.latest()
    assert (first.step, first.n) == (0, EVAL_SAMPLES)
    assert first.frechet_baseline > 0 and first.frechet > first.frechet_baseline  # untrained G: noise
    runner.step(count=2)
    assert runner.wait_idle()
    m.request()
    wait_until(lambda: m.latest().step == 2, timeout=30)
    assert [r.step for r in m.history()] == [0, 2] and m.error is None


def test_the_runner_source_gives_what_the_runner_itself_generates(release_runners):
    runner = digit_runner(ema_decay=0.9)
    runner.step(count=3)
    assert runner.wait_idle()
    step, images = runner_sample_source(runner)()
    own_step, own_images = runner.generate_eval_samples_at_step()
    assert step == own_step == 3
    np.testing.assert_allclose(images, own_images, atol=1e-6)
    ema_step, ema_images = runner_sample_source(runner, ema=True)()
    with torch.no_grad():  # the averaged generator differs from the live one, and is what the source ran
        expected = runner._parts.ema.module(runner.experiment.eval_noise).numpy()
    assert ema_step == 3 and np.abs(ema_images - images).max() > 1e-3
    np.testing.assert_allclose(ema_images, expected, atol=1e-6)


def test_the_runner_source_copies_nothing_while_the_step_stands_still(release_runners):
    runner = digit_runner()
    source = runner_sample_source(runner)
    step, images = source()
    assert step == 0 and images.shape == (EVAL_SAMPLES, 1, 28, 28)
    assert source() == (0, None)  # paused: nothing new
    runner.step(count=1)
    assert runner.wait_idle()
    step, images = source()
    assert step == 1 and images is not None


def test_a_source_with_nothing_new_is_not_scored(monitors, wait_until):
    evaluator = FakeEvaluator()
    m = monitors(lambda: (4, None), evaluator)
    m.start()
    wait_until(checked(m, 1))
    m.request()
    wait_until(checked(m, 2))
    snap = m.snapshot()
    assert (evaluator.steps, snap.latest, snap.error) == ([], None, None)


def test_asking_for_an_ema_generator_that_is_not_kept_is_a_monitor_error(release_runners, monitors, wait_until):
    runner = digit_runner(ema_decay=0.0)
    m = monitors(runner_sample_source(runner, ema=True), FakeEvaluator())
    m.start()
    wait_until(lambda: m.error is not None, timeout=30)
    assert m.error == ("No samples for the quality numbers: this run keeps no averaged (EMA) generator; "
                       "tried again shortly.")


def test_measure_step_waits_for_the_step_and_gives_up_on_a_failure():
    """`ganlab train` asks for the final weights' numbers before its last save (issue 11.4)."""
    from ganlab.training.quality_monitor import measure_step

    step = {"now": 0}

    def source():
        return step["now"], np.zeros((4, 1, 28, 28), dtype=np.float32)

    def evaluator(s, images):
        if s == 99:
            raise ValueError("the generated images hold NaN or infinite values")
        return fake_result(s)

    monitor = QualityMonitor(source, evaluator, interval_s=3600)
    monitor.start()
    try:
        step["now"] = 7
        assert measure_step(monitor, 7, timeout=30) and monitor.latest().step == 7
        step["now"] = 99
        assert not measure_step(monitor, 99, timeout=30) and "failed at step 99" in monitor.error
    finally:
        monitor.stop()
