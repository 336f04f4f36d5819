"""The latent-space page through AppTest: a live 2D runner, a live (conditional) image
runner, a saved run, and bad uploads answered with messages."""

from __future__ import annotations

import io

import pytest
import streamlit as st
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from ganlab.data.images import ImageDataset
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import ImageStructure, Knobs, MLPShape, ToyStructure
from ganlab.training.runner import Runner
from ganlab.ui.session import TOKEN_KEY, get_registry
from tests.apptest_pages import ENTRY, fresh_app
from tests.apptest_pages import run_ok as run

PAGE = "pages/4_Latent.py"
SMALL_TOY = ToyStructure(generator=MLPShape(1, 16), discriminator=MLPShape(1, 16))


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def tiny_images(conditional: bool = False, ema_decay: float = 0.0) -> ImageExperiment:
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(60, 1, 28, 28, generator=g) * 255).to(torch.uint8)
    labels = torch.arange(60) % 3
    dataset = ImageDataset(images, labels, name="tiny", class_names=["zero", "one", "two"])
    structure = ImageStructure(dataset="tiny", noise_dim=8, width=8, conditional=conditional, num_classes=3,
                               ema_decay=ema_decay)
    return ImageExperiment(structure, dataset)


def give_session(at: AppTest, key: str, experiment) -> Runner:
    """A runner owned by this AppTest session's page `key`, as a page would create it."""
    token, runner = get_registry().create("test-session", lambda slots: Runner(experiment, Knobs(batch_size=8), slots=slots))
    runner.step("both", 2)
    assert runner.wait_idle(30)
    at.session_state[f"{TOKEN_KEY}:{key}"] = token
    return runner


def show(at: AppTest, view: str) -> AppTest:
    at.radio(key="lt_view").set_value(view)
    return run(at)


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def images(at: AppTest) -> list:
    return at.get("image")


def image_captions(at: AppTest) -> list[str]:
    return [c for image in images(at) for c in image.captions]


def test_without_a_run_the_page_explains_where_generators_come_from(app, tmp_path, monkeypatch):
    monkeypatch.setenv("GANLAB_RUNS_DIR", str(tmp_path))
    at = run(app)
    assert at.radio(key="lt_source").options == ["A saved run"]
    assert "no live run" in captions(at)
    assert any("No saved runs" in i.value for i in at.info)


def test_playground_runner_opens_at_its_step_and_the_sliders_move_the_point(app):
    at = run(app)
    at.switch_page("pages/1_Playground.py")
    at.query_params.update({"gw": "16", "dw": "16", "gl": "1", "dl": "1"})
    run(at)
    at.switch_page(PAGE)
    run(at)
    assert at.radio(key="lt_source").value == "playground"
    assert "this session's 2D playground: the generator at step 0" in captions(at)
    first = next(c.value for c in at.caption if c.value.startswith("G(z(t)) at t = 0.50"))
    at.slider(key="lt_t").set_value(0.0)
    run(at)
    at0 = next(c.value for c in at.caption if c.value.startswith("G(z(t))"))
    assert at0.startswith("G(z(t)) at t = 0.00") and at0 != first
    # 2D directions: two principal directions at most (the output is 2D), with their variance shares
    show(at, "directions")
    assert not any(c.value.startswith("G(z(t))") for c in at.caption), "one view at a time"
    labels = [s.label for s in at.slider if s.label.startswith("PC")]
    assert len(labels) == 2 and all("of the output variance" in label for label in labels)
    at.radio(key="lt_dir_mode").set_value("axes")
    run(at)
    assert [s.label for s in at.slider if s.label.startswith("z[")] == ["z[0]", "z[1]"]
    # ask D about a point: a probability for the non-saturating loss
    show(at, "ask")
    at.number_input(key="lt_ask_x").set_value(1.0)
    run(at)
    score = next(m for m in at.metric if m.label == "P(real)")
    assert 0.0 <= float(score.value) <= 1.0


def test_taking_the_latest_weights_follows_training(app):
    at = run(app)
    runner = give_session(at, "playground", ToyExperiment(SMALL_TOY))
    run(at)
    assert "at step 2" in captions(at)
    runner.step("both", 3)
    assert runner.wait_idle(30)
    run(at)
    assert "at step 2" in captions(at), "the copied weights stay until the user asks for new ones"
    at.button(key="lt_refresh_button").click()
    run(at)
    assert "at step 5" in captions(at)


def test_image_runner_interpolation_strip_directions_and_downloads(app):
    at = run(app)
    give_session(at, "images", tiny_images())
    run(at)
    assert at.radio(key="lt_source").value == "images"
    downloads = {b.label for b in at.get("download_button")}
    assert {"Strip as PNG", "Animated GIF"} <= downloads
    assert "t = 0.50" in image_captions(at)
    before = images(at)[0].value
    at.slider(key="lt_t").set_value(0.9)
    run(at)
    assert "t = 0.90" in image_captions(at)
    assert images(at)[0].value != before, "a new frame for the new t"
    # principal directions: 4 sliders by default, orthonormal directions shown with their shares
    show(at, "directions")
    assert len([s for s in at.slider if s.label.startswith("PC")]) == 4
    at.number_input(key="lt_dir_k").set_value(2)
    run(at)
    assert len([s for s in at.slider if s.label.startswith("PC")]) == 2
    at.number_input(key="lt_dir_range").set_value(5.0)
    run(at)
    assert all(s.min == -5.0 and s.max == 5.0 for s in at.slider if s.label.startswith("PC"))
    assert "G(z) at the sliders' values" in image_captions(at)
    before = images(at)[0].value
    next(s for s in at.slider if s.label.startswith("PC 1")).set_value(2.0)
    run(at)
    assert images(at)[0].value != before, "moving a direction slider changes the image"
    at.button(key="lt_dir_centre").click()
    run(at)
    assert images(at)[0].value == before, "centred again: the seed's own image"
    # the gallery sets an endpoint's seed
    show(at, "interpolate")
    at.button_group(key="lt_pick_b").set_value(3)
    run(at)
    assert at.number_input(key="lt_seed_b").value == 100 + 3


def test_conditional_image_runner_has_a_class_selector(app):
    at = run(app)
    give_session(at, "images", tiny_images(conditional=True))
    run(at)
    assert at.selectbox(key="lt_class").options == ["zero", "one", "two"]
    at.selectbox(key="lt_class").set_value(2)
    run(at)
    assert not at.error


def test_the_averaged_generator_can_be_chosen_when_the_run_keeps_one(app):
    at = run(app)
    give_session(at, "images", tiny_images())
    run(at)
    assert at.toggle(key="lt_use_ema").disabled
    st.cache_resource.clear()
    at = run(AppTest.from_file(ENTRY, default_timeout=60).switch_page(PAGE))
    give_session(at, "images", tiny_images(ema_decay=0.9))
    run(at)
    assert not at.toggle(key="lt_use_ema").disabled
    assert "the generator at step 2" in captions(at)
    live = images(at)[0].value
    at.toggle(key="lt_use_ema").set_value(True)
    run(at)
    assert "the averaged (EMA) generator at step 2" in captions(at)
    assert images(at)[0].value != live, "the average of the weights draws another image"


def test_nearest_neighbours_show_distances(app):
    at = run(app)
    give_session(at, "images", tiny_images())
    run(at)
    show(at, "nearest")
    assert at.radio(key="lt_nn_space").disabled  # classifier features are for digit runs only
    at.button(key="lt_nn_go").click()
    run(at)
    assert "median" in captions(at)
    found = [c for c in image_captions(at) if " · d " in c]
    assert len(found) == 5  # the default 5 neighbours of the interpolation image
    distances = [float(c.split(" · d ")[1].split(" ")[0]) for c in found]
    assert distances == sorted(distances) and distances[0] > 0


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_uploads_are_scored_or_refused_with_a_message(app):
    at = run(app)
    give_session(at, "images", tiny_images())
    run(at)
    show(at, "ask")
    assert any("Upload an image" in i.value for i in at.info)
    at.file_uploader(key="lt_upload").set_value(("report.pdf", b"%PDF-1.7\n%binary", "application/pdf"))
    run(at)
    assert [e.value for e in at.error] == ["report.pdf is not an image we can read: it looks like a PDF document. "
                                           "Upload a PNG, JPEG, GIF, BMP or WebP image."]
    at.file_uploader(key="lt_upload").set_value(("notes.txt", b"hello, not an image", "text/plain"))
    run(at)
    assert any(e.value.startswith("notes.txt is not an image we can read: it looks like a text file")
               for e in at.error)
    at.file_uploader(key="lt_upload").set_value(("empty.png", b"", "image/png"))
    run(at)
    assert any(e.value.startswith("empty.png is empty") for e in at.error)
    # a colour, non-square, dark-on-light drawing: conformed, with each change reported
    drawing = Image.new("RGB", (60, 40), "white")
    drawing.paste((0, 0, 0), (25, 5, 35, 35))
    at.file_uploader(key="lt_upload").set_value(("digit.png", png(drawing), "image/png"))
    run(at)
    assert not at.error
    notes = captions(at)
    assert "padded to a square (60x60)" in notes and "resized from 60x60 to 28x28" in notes and "inverted" in notes
    score = next(m for m in at.metric if m.label == "P(real)")
    assert 0.0 <= float(score.value) <= 1.0
    # the other inputs: a generated frame and a training image
    at.radio(key="lt_ask_what").set_value("real")
    run(at)
    assert "What D sees" in image_captions(at) and any(m.label == "Above real samples" for m in at.metric)
    at.radio(key="lt_ask_what").set_value("frame")
    run(at)
    assert "What D sees" in image_captions(at) and not at.error
    at.radio(key="lt_ask_what").set_value("draw")  # a canvas (AppTest cannot draw on it: the browser test does)
    run(at)
    assert any(i.value == "Draw a digit to see what the discriminator makes of it." for i in at.info) and not at.error


def test_saved_run_opens(app, tmp_path, monkeypatch):
    from ganlab.runs import RunWriter

    monkeypatch.setenv("GANLAB_RUNS_DIR", str(tmp_path))
    experiment = ToyExperiment(SMALL_TOY)
    runner = Runner(experiment, Knobs(batch_size=8))
    try:
        runner.step("both", 4)
        assert runner.wait_idle(30)
        RunWriter(tmp_path / "ring-run", experiment).save(runner.export_state())
    finally:
        runner.release()
    at = run(app)
    assert at.selectbox(key="lt_saved_run").value == "ring-run"
    assert "saved run 'ring-run': the generator at step 4" in captions(at)
    assert any(c.value.startswith("G(z(t))") for c in at.caption)
    # a corrupt run is refused with a message, not a crash
    (tmp_path / "ring-run" / "weights.safetensors").write_bytes(b"garbage")
    at.button(key="lt_refresh_button").click()
    run(at)
    assert any("Cannot open the run 'ring-run'" in e.value for e in at.error)


def test_a_refreshed_page_takes_its_live_run_back_from_its_url(app, monkeypatch):
    registry = get_registry()
    monkeypatch.setattr(registry, "_is_owner_alive", lambda owner: owner != "closed-tab")
    token, runner = registry.create("closed-tab", lambda slots: Runner(tiny_images(), Knobs(batch_size=8), slots=slots))
    mine = run(app)
    assert mine.radio(key="lt_source").options == ["A saved run"]
    # the old tab's session is gone and this page's URL names its run: a refresh, so the run comes back
    mine.query_params["imrun"] = token
    run(mine)
    assert mine.radio(key="lt_source").options == ["This session's image GAN", "A saved run"]
    assert mine.session_state[f"{TOKEN_KEY}:images"] == token and mine.query_params["imrun"] == token
    # a link naming a run whose tab is still open takes nothing over, and the dead token leaves the URL
    other_token, _ = registry.create("open-tab", lambda slots: Runner(tiny_images(), Knobs(batch_size=8), slots=slots))
    theirs = AppTest.from_file(ENTRY, default_timeout=60).switch_page(PAGE)
    theirs.query_params["imrun"] = other_token
    run(theirs)
    assert theirs.radio(key="lt_source").options == ["A saved run"] and "imrun" not in theirs.query_params
    assert registry._entries[other_token].owner == "open-tab"


def test_unreadable_runs_folder_says_so_without_server_paths(app, monkeypatch):
    def refuse():
        raise PermissionError(13, "Permission denied", "/srv/private/ganlab-runs")
    monkeypatch.setattr("ganlab.runs.list_runs", refuse)
    at = run(app)
    assert [e.value for e in at.error] == [
        "Cannot list the saved runs: the runs folder could not be read (the server log has the details)."]


def test_a_paused_live_run_is_not_said_to_train_in_the_background(app):
    at = run(app)
    runner = give_session(at, "playground", ToyExperiment(SMALL_TOY))  # paused after its two steps
    run(at)
    assert "Training goes on in the background" not in captions(at)
    assert "The run is not training" in captions(at)
    runner.play()
    try:
        at.button(key="lt_refresh_button").click()
        run(at)
        assert "Training goes on in the background" in captions(at)
    finally:
        runner.pause()
