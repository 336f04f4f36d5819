"""Pages that pull nets out of a live run, with every net option, on a thread and in a real trainer
process: the Latent page opening the run and taking its latest weights, asking its D, the nearest
training images, the averaged generator and the class selector; the image page's Ask the
discriminator. Issue 22.3: the Latent page could not open the image page's default run
(spectral norm in D) when it trained in a trainer process."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from ganlab.ui.ask_discriminator import _scores
from ganlab.ui.session import TOKEN_KEY, get_registry
from tests.apptest_pages import fresh_app, open_with, runner_of
from tests.conftest import wait_until
from tests.live_runs import NET_OPTIONS, TRAINERS, image_experiment, make_live_runner
from tests.ui.test_latent_page import PAGE, captions, image_captions, run, show


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def give_live_run(at, trainer: str, option: str):
    """The session's image run, training on `trainer`, two steps in (as the image page makes it)."""
    token, runner = get_registry().create(
        "test-session", lambda slots: make_live_runner(trainer, image_experiment(option), slots))
    runner.step("both", 2)
    assert runner.wait_idle(60)
    at.session_state[f"{TOKEN_KEY}:images"] = token
    return runner


def no_errors(at) -> None:
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("option", NET_OPTIONS)
@pytest.mark.parametrize("trainer", TRAINERS)
def test_the_latent_page_opens_a_live_image_run(app, trainer, option):
    runner = give_live_run(app, trainer, option)
    at = run(app)
    no_errors(at)
    assert "Showing this session's image GAN: the generator at step 2" in captions(at)
    s = runner.experiment.structure
    if s.conditional:
        assert at.selectbox(key="lt_class").options == ["zero", "one", "two"]
    assert at.toggle(key="lt_use_ema").disabled == (s.ema_decay == 0)
    runner.step("both", 3)
    assert runner.wait_idle(60)
    at.button(key="lt_refresh_button").click()
    run(at)
    no_errors(at)
    assert "the generator at step 5" in captions(at)
    if s.ema_decay:
        at.toggle(key="lt_use_ema").set_value(True)
        run(at)
        assert "the averaged (EMA) generator at step 5" in captions(at)
    show(at, "ask")
    at.radio(key="lt_ask_what").set_value("frame")
    run(at)
    no_errors(at)
    assert "What D sees" in image_captions(at) and any(m.label == "P(real)" for m in at.metric)
    show(at, "nearest")
    at.button(key="lt_nn_go").click()
    run(at)
    no_errors(at)
    assert len([c for c in image_captions(at) if " · d " in c]) == 5


@pytest.mark.parametrize("option", NET_OPTIONS)
@pytest.mark.parametrize("trainer", TRAINERS)
def test_ask_the_discriminator_scores_a_drawing_with_the_live_d(trainer, option):
    runner = make_live_runner(trainer, image_experiment(option))
    try:
        runner.step("both", 2)
        assert runner.wait_idle(60)
        image = np.zeros((28, 28))
        image[6:22, 13:15] = 1.0  # a "1"
        step, logits, _ = _scores(runner, image)
        k = runner.experiment.structure.net_classes
        x = torch.full((max(k, 1), 1, 28, 28), -1.0)
        x[:, :, 6:22, 13:15] = 1.0
        with torch.no_grad():
            expected = runner.copy_nets().discriminator(x, torch.arange(k) if k else None).flatten()
        assert step == 2
        assert_close(torch.from_numpy(np.asarray(logits, dtype=np.float32)), expected, rtol=1e-5, atol=1e-6)
    finally:
        runner.release()


def test_the_image_pages_default_run_opens_on_the_latent_page_while_training_and_paused(images):
    """The newcomer's way there: the image page with its default preset ("DCGAN (fast start)":
    spectral norm in D, an EMA generator), Play, then the Latent page; then paused, the latest weights."""
    at = open_with(images, {})
    runner = runner_of(at)
    assert type(runner).__name__ == "RemoteRunner"  # the page's run trains in a trainer process
    assert runner.experiment.structure.d_spectral_norm and runner.experiment.structure.ema_decay > 0
    at.button(key="im_play").click()
    run(at)
    wait_until(lambda: runner.snapshot(with_history=False).step >= 2, timeout=60)
    at.switch_page(PAGE)
    run(at)
    no_errors(at)
    assert at.radio(key="lt_source").value == "images"
    assert "Showing this session's image GAN: the generator at step" in captions(at)
    runner.pause()
    assert runner.wait_idle(60)
    paused_at = runner.snapshot().step
    at.button(key="lt_refresh_button").click()
    run(at)
    no_errors(at)
    assert f"the generator at step {paused_at:,}" in captions(at)
    at.toggle(key="lt_use_ema").set_value(True)
    run(at)
    assert f"the averaged (EMA) generator at step {paused_at:,}" in captions(at)
