"""The image page through Streamlit's AppTest: controls drive this session's image runner,
the grids and the timeline show what it trained, and bad input gets a message, not a crash."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.settings.image_presets import IMAGE_PRESETS
from tests.apptest_pages import fresh_app, open_with, runner_of, status_line
from tests.conftest import wait_until

PAGE = "pages/2_Images.py"
SMALL = {"w": "8", "nd": "8", "bs": "8"}  # tiny nets: a step takes milliseconds


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def open_page(at: AppTest, **params: str) -> AppTest:
    return open_with(at, SMALL, **params)


def settle(at: AppTest, runner) -> AppTest:
    wait_until(lambda: runner.snapshot(want_view=True).settled, timeout=30)
    return at.run()


def image_captions(at: AppTest) -> list[str]:
    return [caption for el in at.get("image") for caption in el.captions]


def zip_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def png(size=(20, 20), value=128, mode="L") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, value).save(buf, format="PNG")
    return buf.getvalue()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.selectbox(key="im_data").set_value("upload").run()
    at.file_uploader(key="im_zip").set_value((name, data, "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_default_page_trains_on_the_built_in_digits(app):
    at = open_page(app)
    labels = {b.label for b in at.button}
    assert {"Play", "Step", "D step", "G step", "Reset", "Apply and restart", "Apply, keep training"} <= labels
    assert at.selectbox(key="im_data").value == "digits"
    assert status_line(at).startswith("**Step 0**")
    runner = runner_of(at)
    assert isinstance(runner.experiment, ImageExperiment)
    assert runner.experiment.structure.dataset == "digits" and len(runner.experiment.dataset) == 5000
    # The default preset's EMA generator is drawn beside the live one.
    captions = image_captions(at)
    assert any("Generator at step 0" in c for c in captions)
    assert any("EMA generator at step 0" in c for c in captions)
    assert {"D(x) / D(G(z))", "Steps/s", "Images/s"} <= {m.label for m in at.metric}
    assert any(s.value == "Quality" for s in at.subheader)


def test_steps_update_counters_grid_and_timeline(app):
    at = open_page(app)
    runner = runner_of(at)
    at.button(key="im_step_d").click().run()
    wait_until(lambda: runner.snapshot().d_updates == 1)
    at.button(key="im_step").click().run()
    wait_until(lambda: runner.snapshot().step == 2)
    at = settle(at, runner)
    assert status_line(at).startswith("**Step 2**") and "2 D / 1 G updates" in status_line(at)
    assert "Generator at step 2" in image_captions(at)
    # Every step command ends with an evaluation: the timeline holds steps 0, 1 and 2.
    assert runner.experiment.timeline.steps() == [0, 1, 2]
    slider = at.select_slider(key="im_timeline")
    assert slider.options == ["0", "1", "2"] and slider.value == 2
    at = slider.set_value(0).run()
    assert "Generator at step 0" in image_captions(at) and "EMA generator at step 0" in image_captions(at)


def test_extra_conv_is_a_structure_setting_and_mode_seeking_a_live_knob(app):
    at = open_page(app)
    runner = runner_of(at)
    assert at.checkbox(key="im_xc").value is True  # the default preset's nets
    at.button(key="im_step").click().run()
    wait_until(lambda: runner.snapshot().step == 1)
    at.number_input(key="im_ms").set_value(1.0).run()
    wait_until(lambda: runner.snapshot().knobs.ms_weight == 1.0)
    runner.wait_idle()
    assert runner.snapshot().step == 1
    at.checkbox(key="im_xc").uncheck().run()
    assert runner.snapshot().step == 1  # asked first
    at.button(key="im_confirm_restart_button").click().run()
    wait_until(lambda: runner.snapshot().structure.extra_conv is False)
    at = settle(at, runner)
    assert runner.snapshot().step == 0
    assert any("Structure changed (extra 3×3 conv)" in i.value for i in at.info)
    assert at.query_params["xc"] in ("0", ["0"]) and at.query_params["ms"] in ("1.0", ["1.0"], "1", ["1"])


def test_settings_come_from_the_link_and_bad_values_are_reported(app):
    at = open_page(app, cond="1", ema="0", w="16", nd="notanumber", data="nope")
    warnings = " ".join(w.value for w in at.warning)
    assert "nd=notanumber" in warnings and "data=nope" in warnings
    assert at.checkbox(key="im_cond").value is True and at.number_input(key="im_w").value == 16
    structure = runner_of(at).experiment.structure
    assert (structure.conditional, structure.num_classes, structure.width, structure.dataset) == (True, 10, 16, "digits")


def test_a_link_naming_a_dataset_opens_it_at_its_own_channels_unless_it_says_otherwise(app):
    at = open_page(app, data="stacked-mnist")  # a digit per colour channel: grey would blend them into one
    assert not at.exception and not at.error
    structure = runner_of(at).experiment.structure
    assert (structure.dataset, structure.channels, structure.image_size, structure.num_classes) == \
        ("stacked-mnist", 3, 28, 1000)
    assert at.radio(key="im_ch").value == 3


def test_a_link_naming_a_dataset_and_its_channels_keeps_its_channels(app):
    at = open_page(app, data="stacked-mnist", ch="1")
    assert runner_of(at).experiment.structure.channels == 1


def test_missing_torchvision_files_are_explained(app, monkeypatch, tmp_path):
    monkeypatch.setenv("GANLAB_DATA_DIR", str(tmp_path))
    at = open_page(app)
    runner = runner_of(at)
    at.selectbox(key="im_data").set_value("mnist").run()
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "MNIST handwritten digits is not available" in text and "MNIST/raw/ inside the data folder" in text
    assert str(tmp_path) not in text and not any(str(tmp_path) in (b.help or "") for b in at.button)  # no server path
    assert any(b.label.startswith("Download") for b in at.button)
    runner.wait_idle()
    assert runner.experiment.structure.dataset == "digits"  # the run keeps its data


def test_zip_of_own_images_trains_and_reports_skipped_files(app):
    at = open_page(app)
    runner = runner_of(at)
    files = {f"cats/{i}.png": png(value=40 * i) for i in range(3)} | {f"dogs/{i}.png": png((30, 20), 200) for i in range(3)}
    files |= {"notes.txt": b"hello", "cats/broken.png": b"not a png"}
    at = upload(at, "pets.zip", zip_of(files))
    text = " ".join(w.value for w in at.warning)
    assert "Loaded 6 images in 2 classes (cats, dogs)" in text
    assert "1 not an image file (notes.txt)" in text and "1 unreadable or corrupt (cats/broken.png)" in text
    wait_until(lambda: runner.experiment.structure.dataset == "upload")
    assert runner.experiment.dataset.num_classes == 2 and len(runner.experiment.dataset) == 6
    # A conditional GAN on them: one grid row per class.
    at.checkbox(key="im_cond").check().run()
    wait_until(lambda: runner.experiment.structure.conditional)
    assert runner.experiment.structure.num_classes == 2
    at = settle(at, runner)
    assert runner.snapshot(want_view=True).view.grid.shape[0] == 2 * 30 + 2
    assert any(c.endswith("rows: cats, dogs") for c in image_captions(at))


def test_empty_zip_is_explained_and_training_kept(app):
    at = open_page(app)
    runner = runner_of(at)
    at = upload(at, "empty.zip", zip_of({}))
    assert any("Cannot use empty.zip" in e.value and "no image files" in e.value for e in at.error)
    runner.wait_idle()
    assert runner.experiment.structure.dataset == "digits"


def test_zip_of_oversized_images_is_explained(app):
    at = open_page(app)
    # A 5001 x 5001 image is over the pixel limit (checked from the header, never decoded).
    at = upload(at, "huge.zip", zip_of({"huge.png": png((5001, 5001), 0, "1")}))
    text = " ".join(e.value for e in at.error)
    assert "Cannot use huge.zip" in text and "1 too many pixels (huge.png)" in text
    assert runner_of(at).experiment.structure.dataset == "digits"


def test_conditional_on_unlabelled_images_is_refused_with_a_message(app):
    at = open_page(app)
    runner = runner_of(at)
    at = upload(at, "flat.zip", zip_of({f"{i}.png": png(value=30 * i) for i in range(4)}))
    wait_until(lambda: runner.experiment.structure.dataset == "upload")
    assert runner.experiment.dataset.labels is None
    at.checkbox(key="im_cond").check().run()
    assert not at.exception
    assert any("conditional GAN needs labelled images" in e.value for e in at.error)
    runner.wait_idle()
    assert not runner.experiment.structure.conditional  # the last good settings stay in force


def test_colour_and_size_change_reload_the_data_to_fit(app):
    at = open_page(app)
    runner = runner_of(at)
    at.selectbox(key="im_size").set_value(32).run()
    at.radio(key="im_ch").set_value(3).run()
    assert not at.exception and not at.error
    wait_until(lambda: runner.experiment.structure.image_size == 32 and runner.experiment.structure.channels == 3)
    assert runner.experiment.dataset.images.shape[1:] == (3, 32, 32)


@pytest.mark.parametrize("name", list(IMAGE_PRESETS))
def test_each_preset_reaches_the_runner(app, name):
    at = open_page(app, seed="3")
    at.selectbox(key="im_preset").set_value(name).run()
    at.button(key="im_apply_preset").click().run()
    assert not at.exception and not at.error
    runner = runner_of(at)
    preset = IMAGE_PRESETS[name]
    structure, knobs = preset.apply(runner.experiment.structure)

    def applied() -> bool:  # the class count follows the data loaded (a paper's row brings its own)
        now = runner.experiment.structure
        return runner.snapshot().knobs == knobs and now == dataclasses.replace(structure, num_classes=now.num_classes)

    wait_until(applied)
    now, dataset = runner.experiment.structure, runner.experiment.dataset
    assert now.seed == 3 and now.dataset == dataset.name == (preset.data or "digits")
    assert now.num_classes == dataset.num_classes
    if preset.data is not None:  # Stacked MNIST at its own 28 px and 3 channels, in the sidebar too
        assert dataset.images.shape[1:] == (3, 28, 28) and now.num_classes == 1000
        assert (at.selectbox(key="im_data").value, at.radio(key="im_ch").value) == ("stacked-mnist", 3)



def test_quality_panel_shows_the_classifier_numbers_for_digits(app):
    from ganlab.ui.quality import get_monitors

    at = open_page(app)
    runner = runner_of(at)
    monitor = get_monitors().by_runner[runner.id]
    assert monitor.snapshot().latest is None and not runner.has_trainer  # a fresh page holds no trainer to score
    at.button(key="im_step").click().run()
    wait_until(lambda: monitor.snapshot().latest is not None, timeout=60)
    at.run()
    labels = {m.label for m in at.metric}
    assert {"Classes covered", "Class KL", "Fréchet distance", "Inception-style score"} <= labels
    covered = next(m.value for m in at.metric if m.label == "Classes covered")
    assert covered.endswith("/ 10")
    # the real-vs-real baselines stand visibly beside their numbers (not only in tooltips)
    result = monitor.snapshot().latest
    captions = [c.value for c in at.caption]
    assert f"real vs real: {result.frechet_baseline:.1f}" in captions
    assert f"real vs real: {result.kl_baseline:.3f}" in captions
    assert f"real digits: {result.inception_score_real:.2f}" in captions
    assert any("Measured on the averaged (EMA) generator" in c.value for c in at.caption)  # the default keeps one
    # Switched off: the monitor thread stops.
    at.toggle(key="im_quality").set_value(False).run()
    assert runner.id not in get_monitors().by_runner
    wait_until(lambda: not monitor.alive)


def test_quality_panel_explains_why_there_are_no_numbers_for_own_images(app):
    at = open_page(app)
    runner = runner_of(at)
    at = upload(at, "flat.zip", zip_of({f"{i}.png": png(value=30 * i) for i in range(4)}))
    wait_until(lambda: runner.experiment.structure.dataset == "upload")
    at.run()
    assert any("No quality numbers for 'upload'" in c.value for c in at.caption)


@pytest.mark.parametrize("ema_decay", [0.0, 0.9])
def test_quality_source_scores_the_averaged_generator_when_the_run_keeps_one(release_runners, ema_decay):
    from ganlab.data.image_sources import load_image_source
    from ganlab.kinds.image_experiment import ImageExperiment
    from ganlab.settings.config import ImageStructure, Knobs
    from ganlab.training.quality_monitor import runner_sample_source
    from ganlab.training.runner import Runner
    from ganlab.ui.quality import _source_for

    structure = ImageStructure(width=8, noise_dim=8, ema_decay=ema_decay)
    runner = Runner(ImageExperiment(structure, load_image_source("digits")), Knobs(batch_size=8))
    runner.step(count=3)
    assert runner.wait_idle(30)
    step, images = _source_for(runner)()
    _, live = runner_sample_source(runner)()
    assert step == 3
    if ema_decay == 0:
        np.testing.assert_allclose(images, live, atol=1e-6)
    else:  # after 3 steps the average is not the live net; the panel scored the average
        _, averaged = runner_sample_source(runner, ema=True)()
        np.testing.assert_allclose(images, averaged, atol=1e-6)
        assert np.abs(images - live).max() > 1e-3


def test_paused_between_two_measurements_the_quality_panel_measures_the_paused_weights(app):
    """The tour paused at step 858 and the panel kept 'Measured ... at step 759': a paused run's
    weights are now measured (asked for at once) and the panel says it is measuring them."""
    from ganlab.ui.quality import get_monitors

    at = open_page(app)
    runner = runner_of(at)
    monitor = get_monitors().by_runner[runner.id]
    runner.step()  # (a fresh run has no trainer to measure)
    wait_until(lambda: monitor.snapshot().latest is not None, timeout=60)
    measured = monitor.snapshot().latest.step
    runner.step("both", 3)
    assert runner.wait_idle(60)
    at.run()
    assert any(f"Measuring the weights at step {measured + 3:,}" in c.value for c in at.caption)
    wait_until(lambda: monitor.snapshot().latest.step == measured + 3, timeout=30)
    at.run()
    assert any(f"at step {measured + 3:,}" in c.value and c.value.startswith("Measured on") for c in at.caption)
    assert not any(c.value.startswith("Measuring the weights") for c in at.caption)
