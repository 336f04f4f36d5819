"""ganlab.explore.explorer: nets out of a runner or a saved state, frozen rendering, scores,
nearest training images, and the image encoding and upload checks of the latent page."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image
from torch.testing import assert_close

from ganlab.data.image_sources import load_image_source
from ganlab.data.images import ImageDataset
from ganlab.explore.explorer import NetsUnavailable, copy_runner_nets, explorer_from_nets, nets_from_state
from ganlab.explore.latent_images import UnusableImage, gif_bytes, load_user_image, png_bytes, strip, to_uint8, upscale
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.kinds.toy_experiment import ToyExperiment
from ganlab.settings.config import ImageStructure, Knobs, MLPShape, ToyStructure
from ganlab.training.channel import RemoteError, WorkerLostError
from ganlab.training.runner import Runner
from ganlab.training.runner_calls import NetsChanged

SMALL_TOY = ToyStructure(generator=MLPShape(1, 16), discriminator=MLPShape(1, 16))


def image_experiment(conditional: bool = False, n: int = 60) -> ImageExperiment:
    digits = load_image_source("digits", 28, 1)
    dataset = ImageDataset(digits.images[:n], digits.labels[:n], name="digits", class_names=digits.class_names)
    s = ImageStructure(dataset="digits", noise_dim=8, width=8, conditional=conditional, num_classes=10)
    return ImageExperiment(s, dataset)


@pytest.fixture
def trained(release_runners):
    """A runner of a tiny image GAN after two steps, and an Explorer on copies of its nets."""
    experiment = image_experiment()
    runner = Runner(experiment, Knobs(batch_size=8))
    runner.step("both", 2)
    assert runner.wait_idle(30)
    exp, knobs, step, G, D, ema = copy_runner_nets(runner)
    return runner, explorer_from_nets(exp, knobs, G, D, step, "test")


# ------------------------------------------------------------------ nets
def test_copies_from_the_runner_match_its_state_and_stay_put(trained):
    runner, ex = trained
    assert ex.step == 2 and ex.kind == "image" and ex.sample_shape == (1, 28, 28)
    G, _, _ = nets_from_state(runner.export_state())
    for name, value in G.state_dict().items():
        assert torch.equal(value, ex.generator.state_dict()[name]), name
    z = ex.latents(4, 0)
    before = ex.render(z)
    runner.step("both", 3)
    assert runner.wait_idle(30)
    assert torch.equal(ex.render(z), before), "training on does not touch the copies"


def test_a_frame_renders_the_same_alone_or_with_others(trained):
    _, ex = trained
    path = ex.path(1, 2, 5, "slerp")
    together = ex.render(path)
    assert_close(ex.render(path[2:3]), together[2:3], atol=1e-6, rtol=0)
    assert torch.equal(path[0], ex.seed_latent(1)) and torch.equal(path[-1], ex.seed_latent(2))


def test_copy_from_a_released_runner_says_why(release_runners):
    runner = Runner(ToyExperiment(SMALL_TOY), Knobs())
    runner.release()
    with pytest.raises(NetsUnavailable, match="^could not copy the run's nets: the run has been closed. Start a run"):
        copy_runner_nets(runner)


class _FailingRunner:
    """Answers a snapshot, and fails to copy its nets with `error`."""

    id = "runner-failing"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def snapshot(self):
        return type("Snap", (), {"knobs": Knobs()})()

    def copy_nets(self, timeout: float = 30.0):
        raise self.error


@pytest.mark.parametrize("error, what, todo", [
    (RemoteError("the result of 'copy_nets' could not be sent back"), "the trainer failed to hand them over",
     "Pause the run and press *Take the latest weights*"),
    (WorkerLostError("the trainer process is gone"), "the run's trainer has stopped", "press *Restart from step"),
    (TimeoutError("the runner did not finish copying the nets in time"), "did not hand them over in time",
     "Press *Take the latest weights* to try again"),
    (NetsChanged("rebuilt"), "the run was rebuilt", "Press *Take the latest weights*"),
])
def test_a_failed_copy_tells_the_participant_what_to_do_and_logs_the_rest(error, what, todo, caplog):
    """Issue 22.3: the page said "(the server log has the details)", a log no participant can see."""
    with caplog.at_level("ERROR", logger="ganlab.explore.explorer"), pytest.raises(NetsUnavailable) as err:
        copy_runner_nets(_FailingRunner(error))
    text = str(err.value)
    assert what in text and todo in text, text
    assert "log" not in text and "copy_nets" not in text and "Error" not in text
    if isinstance(error, RemoteError):  # an unexpected failure: its traceback is for the server's log
        assert [r.exc_info[0] for r in caplog.records] == [RemoteError]


def test_nets_from_state_refuses_tensors_of_another_shape(trained):
    runner, _ = trained
    state = runner.export_state()
    state.tensors = {k: (v[:1] if k.startswith("generator.") and v.dim() else v) for k, v in state.tensors.items()}
    with pytest.raises(NetsUnavailable, match="saved generator does not fit") as err:
        nets_from_state(state)
    assert "state_dict" not in str(err.value) and "size mismatch" not in str(err.value)  # torch's text: the log


def test_conditional_explorer_renders_the_chosen_class(release_runners):
    experiment = image_experiment(conditional=True)
    runner = Runner(experiment, Knobs(batch_size=8))
    exp, knobs, step, G, D, _ = copy_runner_nets(runner)
    ex = explorer_from_nets(exp, knobs, G, D, step, "test")
    assert ex.num_classes == 10 and ex.class_names[3] == "3"
    z = ex.latents(2, 0)
    assert not torch.equal(ex.render(z, 3), ex.render(z, 4))
    real, fake = ex.reference_scores(3)
    assert 0 < len(real) < 256  # only the real samples of class 3 (about a tenth of them)
    assert len(fake) == 256


# ------------------------------------------------------------------ scores and neighbours
def test_scores_follow_the_loss(release_runners):
    runner = Runner(ToyExperiment(SMALL_TOY), Knobs(loss="hinge"))
    exp, knobs, step, G, D, _ = copy_runner_nets(runner)
    ex = explorer_from_nets(exp, knobs, G, D, step, "test")
    logits, scores = ex.score(torch.zeros(3, 2))
    assert torch.equal(logits, scores) and ex.score_label == "critic value"
    ex.knobs = Knobs()
    logits, scores = ex.score(torch.zeros(3, 2))
    assert_close(scores, torch.sigmoid(logits)) and ex.score_label == "P(real)"
    xs, ys, surface = ex.score_surface(10)
    assert surface.shape == (10, 10) and xs[0] == ex.dataset.bounds[0] and ys[-1] == ex.dataset.bounds[3]
    assert ex.max_directions("pca") == 2 and ex.max_directions("axes") == 2


def test_nearest_training_images_find_a_copied_digit(trained):
    _, ex = trained
    real = ex.dataset.to_float(ex.dataset.images[[7, 30]])
    for space in ("pixels", "features"):
        found = ex.nearest(real, 3, space)
        assert found.indices[:, 0].tolist() == [7, 30]
        assert found.distances[:, 0].tolist() == pytest.approx([0.0, 0.0], abs=1e-3)
        assert (found.distances[:, 1] > 0.1).all()


def test_feature_space_only_for_digits(release_runners):
    g = torch.Generator().manual_seed(0)
    dataset = ImageDataset((torch.rand(20, 3, 32, 32, generator=g) * 255).to(torch.uint8), name="mine")
    experiment = ImageExperiment(ImageStructure(dataset="mine", image_size=32, channels=3, noise_dim=8, width=8,
                                                num_classes=0), dataset)
    runner = Runner(experiment, Knobs(batch_size=8))
    exp, knobs, step, G, D, _ = copy_runner_nets(runner)
    ex = explorer_from_nets(exp, knobs, G, D, step, "test")
    assert "knows only handwritten digits" in ex.feature_space_reason()
    with pytest.raises(ValueError, match="handwritten digits"):
        ex.nearest(ex.render(ex.latents(1, 0)), 2, "features")
    assert ex.nearest(ex.render(ex.latents(1, 0)), 2).indices.shape == (1, 2)


# ------------------------------------------------------------------ encoding
def test_strip_upscale_png_and_gif():
    frames = np.stack([np.full((2, 3, 1), v, dtype=np.uint8) for v in (0, 100, 200)])
    image = strip(frames, padding=1, pad_value=255)
    assert image.shape == (4, 3 * 4 + 1, 1)
    assert image[1, 1, 0] == 0 and image[1, 5, 0] == 100 and image[1, 9, 0] == 200 and image[0, 0, 0] == 255
    big = upscale(image, 3)
    assert big.shape == (12, 39, 1) and big[3, 3, 0] == 0
    png = Image.open(io.BytesIO(png_bytes(image)))
    assert png.size == (13, 4) and png.mode == "L"
    gif = Image.open(io.BytesIO(gif_bytes(frames)))
    assert gif.n_frames == 4  # 0, 1, 2 and back through 1
    assert to_uint8(torch.tensor([[[[-1.0, 0.0, 1.0]]]])).tolist() == [[[[0], [128], [255]]]]


# ------------------------------------------------------------------ uploads
def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()


def test_upload_of_a_dark_on_light_drawing_is_conformed_and_inverted():
    drawing = Image.new("RGB", (60, 40), "white")
    drawing.paste((0, 0, 0), (25, 5, 35, 35))
    x, notes = load_user_image(encode(drawing, "JPEG"), 28, 1)
    assert x.shape == (1, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1
    assert x[0, 0, 0, 0] == pytest.approx(-1.0, abs=0.05)  # white paper became the black background
    assert x[0, 0, 14, 14] == pytest.approx(1.0, abs=0.05)  # the black stroke became white ink
    assert notes == ["padded to a square (60x60) with its corner colour", "resized from 60x60 to 28x28",
                     "inverted to light strokes on a dark background, like the training digits"]
    kept, notes = load_user_image(encode(drawing), 28, 1, invert=False)
    assert kept[0, 0, 0, 0] == pytest.approx(1.0, abs=0.05) and "inverted" not in " ".join(notes)


def test_upload_colour_transparency_and_exact_size():
    rgba = Image.new("RGBA", (32, 32), (255, 0, 0, 0))
    x, notes = load_user_image(encode(rgba), 32, 3)
    assert x.shape == (1, 3, 32, 32)
    assert_close(x[0, :, 0, 0], torch.ones(3))  # fully transparent -> white
    assert notes == ["transparent parts shown on white"]
    grey = Image.new("L", (28, 28), 0)
    x, notes = load_user_image(encode(grey), 28, 1)
    assert notes == [] and x.eq(-1).all()


NOISE_PNG = encode(Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG file whose header declares width x height pixels (its pixel data is missing)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.mark.parametrize("data, message", [
    (b"", "report.pdf is empty: upload a PNG, JPEG, GIF, BMP or WebP image."),
    (b"%PDF-1.7\n%binary", "report.pdf is not an image we can read: it looks like a PDF document. "
                            "Upload a PNG, JPEG, GIF, BMP or WebP image."),
    (b"hello, not an image", "it looks like a text file"),
    (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", "it looks like an SVG drawing"),
    (bytes(range(256)) * 4, "it looks like binary data in no image format we know"),
    (b"II*\x00" + bytes(100), "it looks like a TIFF image"),  # Pillow reads TIFF; the page accepts the five it lists
    (encode(Image.new("L", (4, 4)))[:30], "report.pdf is not an image we can read"),  # cut inside its header
    (NOISE_PNG[:len(NOISE_PNG) // 2], "looks like a PNG image but could not be decoded: it may be truncated"),
], ids=["empty", "pdf", "text", "svg", "binary", "tiff", "cut-header", "cut-pixels"])
def test_bad_uploads_say_what_the_file_is_and_what_is_accepted(data, message):
    with pytest.raises(UnusableImage) as err:
        load_user_image(data, 28, 1, name="report.pdf")
    text = str(err.value)
    assert message in text
    assert "<" not in text.replace("<?xml", "") and "0x" not in text and "Error" not in text  # no Python reprs


@pytest.mark.parametrize("width, height, shown", [
    (6_000, 6_000, "6,000x6,000 pixels (36 million)"),  # over our limit, under Pillow's own
    (100_000, 100_000, "hundreds of millions of pixels"),  # Pillow's decompression-bomb limit
], ids=["over-ours", "over-pillows"])
def test_huge_declared_sizes_are_refused_before_decoding(width, height, shown):
    data = png_declaring(width, height)
    assert len(data) < 100
    with pytest.raises(UnusableImage, match="at most 25 million pixels are accepted") as err:
        load_user_image(data, 28, 1, name="bomb.png")
    assert str(err.value).startswith("bomb.png ") and shown in str(err.value)


def test_a_long_thin_image_is_scaled_down_before_it_is_padded():
    """Padding a 20,000 x 10 strip to a square first would allocate 400 million pixels."""
    strip_image = Image.new("L", (20_000, 10), 255)
    x, notes = load_user_image(encode(strip_image), 28, 1)
    assert x.shape == (1, 1, 28, 28)
    assert notes[:3] == ["scaled down from 20000x10 to 1024x1 first", "padded to a square (1024x1024) with its corner colour",
                         "resized from 1024x1024 to 28x28"]
