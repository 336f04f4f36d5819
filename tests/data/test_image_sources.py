"""Named image datasets: the built-in digits (offline), torchvision's datasets read from a
folder of hand-written idx files (never the network, never /work/shared), the shape
conversions, and the dataset-vs-structure check."""

import gzip
import struct

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from ganlab.data.image_sources import (
    ENV_DATA_DIR,
    IMAGE_SOURCES,
    DatasetMismatch,
    DatasetUnavailable,
    check_for_structure,
    conform,
    convert_channels,
    data_dir,
    digits_path,
    load_image_source,
    resize_images,
)
from ganlab.data.images import ImageDataset
from ganlab.kinds.image_experiment import ImageExperiment
from ganlab.settings.config import ImageStructure

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def write_idx(folder, n_train=20, n_test=4, gz=False, seed=0):
    """MNIST's four raw files by hand: images magic 2051 (uint8, 3 dims), labels magic 2049.
    Returns the training images (n, 28, 28) and labels written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        blobs = {f"{split}-images-idx3-ubyte": struct.pack(">iiii", 2051, n, 28, 28) + images.tobytes(),
                 f"{split}-labels-idx1-ubyte": struct.pack(">ii", 2049, n) + labels.tobytes()}
        for name, blob in blobs.items():
            if gz:
                (folder / f"{name}.gz").write_bytes(gzip.compress(blob))
            else:
                (folder / name).write_bytes(blob)
        written[split] = (images, labels)
    return written["train"]


# ------------------------------------------------------------------ built-in digits
@pytest.fixture(scope="module")
def digits():
    return load_image_source("digits")


def test_digits_ship_with_the_package():
    path = digits_path()
    assert path.is_file() and path.parent.name == "assets" and path.parent.parent.name == "ganlab"
    assert path.stat().st_size < 2 * 2**20


def test_digits_shape_labels_balance(digits):
    assert (digits.name, digits.images.shape, digits.images.dtype) == ("digits", (5000, 1, 28, 28), torch.uint8)
    assert digits.class_names == tuple("0123456789")
    assert digits.labels.bincount().tolist() == [500] * 10
    assert (int(digits.images.min()), int(digits.images.max())) == (0, 255)
    assert IMAGE_SOURCES["digits"].is_available()


def test_digits_are_real_handwriting(digits):
    """White ink on black; a '1' has less ink than a '0' and is bright where a '0' has its hole."""
    mean = {c: digits.images[digits.labels == c].float().mean(0)[0] for c in range(10)}
    ink = {c: float(m.mean()) for c, m in mean.items()}
    assert 20 < ink[1] < ink[0] < 60  # MNIST's mean pixel is about 33
    centre = lambda c: float(mean[c][12:16, 12:16].mean())  # noqa: E731
    assert centre(1) > 2 * centre(0)
    assert float(mean[0][:2].mean()) < 1  # top rows are background
    # different images, not one repeated
    assert len({bytes(x.numpy()) for x in digits.images[:200]}) == 200


def test_digits_at_32_px_in_colour():
    ds = load_image_source("digits", 32, 3)
    base = load_image_source("digits")
    assert ds.images.shape == (5000, 3, 32, 32)
    assert_close(ds.images[:, :, 2:30, 2:30], base.images.expand(-1, 3, -1, -1))  # padded 2 px, digit untouched
    assert int(ds.images[:, :, :2].max()) == 0 and int(ds.images[:, :, :, 30:].max()) == 0
    assert torch.equal(ds.labels, base.labels)


def test_max_images_is_a_fixed_random_subset():
    a = load_image_source("digits", max_images=100, seed=3)
    b = load_image_source("digits", max_images=100, seed=3)
    assert len(a) == 100 and torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert len(a.labels.unique()) == 10  # random, not the first class only


def test_unknown_dataset_name():
    with pytest.raises(ValueError,
                       match="unknown image dataset 'svhn'; choose one of digits, mnist, fashion-mnist, cifar10"):
        load_image_source("svhn")


# ------------------------------------------------------------------ shape conversions
def test_pad_28_to_32_puts_two_black_pixels_each_side():
    x = torch.full((2, 1, 28, 28), 200, dtype=torch.uint8)
    y = resize_images(x, 32, grow="pad")
    assert y.shape == (2, 1, 32, 32) and y.dtype == torch.uint8
    assert int(y.sum()) == 2 * 28 * 28 * 200
    assert torch.equal(y[:, :, 2:30, 2:30], x)
    f = resize_images(torch.zeros(1, 1, 28, 28), 32, grow="pad")
    assert float(f[0, 0, 0, 0]) == -1.0 and float(f[0, 0, 2, 2]) == 0.0  # float images pad with black (-1)


def test_resize_keeps_flat_images_flat_and_dtype():
    x = torch.full((3, 3, 32, 32), 77, dtype=torch.uint8)
    assert torch.equal(resize_images(x, 28), torch.full((3, 3, 28, 28), 77, dtype=torch.uint8))
    grown = resize_images(torch.full((1, 1, 28, 28), 0.25), 32, grow="resize")
    assert_close(grown, torch.full((1, 1, 32, 32), 0.25))
    assert resize_images(x, 32) is x
    with pytest.raises(ValueError, match="images must be square to resize, got 28x32"):
        resize_images(torch.zeros(1, 1, 28, 32, dtype=torch.uint8), 28)


def test_channel_conversion_values():
    grey = torch.tensor([[[[0, 100], [200, 255]]]], dtype=torch.uint8)
    colour = convert_channels(grey, 3)
    assert colour.shape == (1, 3, 2, 2) and all(torch.equal(colour[:, c], grey[:, 0]) for c in range(3))
    rgb = torch.zeros(1, 3, 1, 3, dtype=torch.uint8)
    rgb[0, 0, 0, 0] = 255  # red
    rgb[0, 1, 0, 1] = 255  # green
    rgb[0, :, 0, 2] = 255  # white
    assert convert_channels(rgb, 1).flatten().tolist() == [76, 150, 255]  # 0.299, 0.587 of 255, rounded
    assert convert_channels(grey, 1) is grey
    with pytest.raises(ValueError, match="channels must be one of 1, 3; got 2"):
        convert_channels(grey, 2)


def test_conform_cifar_like_to_grey_28():
    x = torch.full((4, 3, 32, 32), 100, dtype=torch.uint8)
    y = conform(x, 28, 1)
    assert y.shape == (4, 1, 28, 28) and int(y.min()) == int(y.max()) == 100
    with pytest.raises(ValueError, match="image size must be one of 28, 32; got 64"):
        conform(x, 64, 1)


# ------------------------------------------------------------------ torchvision datasets, offline
@pytest.mark.parametrize("name, folder", [("mnist", "MNIST/raw"), ("fashion-mnist", "FashionMNIST/raw"),
                                          ("cifar10", "cifar-10-batches-py")])
def test_missing_files_name_the_folder(tmp_path, name, folder):
    assert not IMAGE_SOURCES[name].is_available(tmp_path)
    with pytest.raises(DatasetUnavailable) as err:
        load_image_source(name, root=tmp_path, download=False)
    message = str(err.value)
    assert f"{folder}/ inside the data folder" in message and "downloading is off" in message
    assert ENV_DATA_DIR in message
    assert str(tmp_path) not in message  # the folder relative to the data folder, not the server's path
    expected = "train-images-idx3-ubyte" if name != "cifar10" else "data_batch_1"
    assert expected in message
    assert isinstance(err.value, ValueError)


def test_missing_files_listed_are_only_the_missing_ones(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    write_idx(raw)
    (raw / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetUnavailable,
                       match=r"Put t10k-labels-idx1-ubyte in MNIST/raw/ inside the data folder \(from"):
        load_image_source("mnist", root=tmp_path)


def test_fake_mnist_loads_through_torchvision(tmp_path):
    images, labels = write_idx(tmp_path / "MNIST" / "raw", n_train=20)
    assert IMAGE_SOURCES["mnist"].is_available(tmp_path)
    ds = load_image_source("mnist", root=tmp_path)
    assert ds.images.shape == (20, 1, 28, 28) and ds.class_names == tuple("0123456789")
    assert torch.equal(ds.images[:, 0], torch.from_numpy(images))
    assert torch.equal(ds.labels, torch.from_numpy(labels).long())
    padded = load_image_source("mnist", 32, 3, root=tmp_path)
    assert padded.images.shape == (20, 3, 32, 32)
    assert torch.equal(padded.images[:, 1, 2:30, 2:30], torch.from_numpy(images))


def test_fake_fashion_mnist_from_gz_files_and_env_root(tmp_path, monkeypatch):
    images, _ = write_idx(tmp_path / "FashionMNIST" / "raw", n_train=12, gz=True)
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path))
    assert data_dir() == tmp_path
    ds = load_image_source("fashion-mnist", max_images=5)
    assert ds.images.shape == (5, 1, 28, 28) and ds.class_names[0] == "T-shirt/top" and ds.num_classes == 10
    assert (tmp_path / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").is_file()  # unpacked in place


def test_damaged_files_are_unavailable_not_a_crash(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for f in ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
              "batches.meta"):
        (folder / f).write_bytes(b"not a pickle")
    with pytest.raises(DatasetUnavailable, match=r"its files could not be read \(damaged or incomplete\)"):
        load_image_source("cifar10", root=tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for f in MNIST_FILES:
        (raw / f).write_bytes(b"\x00\x00\x08\x03garbage")
    with pytest.raises(DatasetUnavailable, match="its files could not be read"):
        load_image_source("mnist", root=tmp_path)


def test_default_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_DATA_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert data_dir() == tmp_path / "ganlab" / "data"


# ------------------------------------------------------------------ dataset vs structure
def structure(**changes) -> ImageStructure:
    base = dict(dataset="digits", image_size=28, channels=1, noise_dim=8, width=8, num_classes=10, seed=0)
    return ImageStructure(**(base | changes))


def test_matching_dataset_passes_and_experiment_agrees(digits):
    for s in (structure(), structure(conditional=True)):
        check_for_structure(digits, s)
        ImageExperiment(s, digits)


@pytest.mark.parametrize("changes, message", [
    ({"image_size": 32}, "its images are 28x28 px but the nets make 32x32: load the data at 32 px"),
    ({"channels": 3}, "its images are grey (1 channel) but the nets make colour (3 channels)"),
    ({"conditional": True, "num_classes": 5},
     "it has 10 classes but the structure says 5: set the number of classes to 10"),
])
def test_mismatch_messages(digits, changes, message):
    s = structure(**changes)
    with pytest.raises(DatasetMismatch, match="^dataset 'digits' does not fit this GAN: ") as err:
        check_for_structure(digits, s)
    assert message in str(err.value)
    with pytest.raises(ValueError):  # the experiment refuses the same
        ImageExperiment(s, digits)


def test_conditional_without_labels_and_every_problem_at_once():
    ds = ImageDataset(torch.zeros(4, 3, 32, 32, dtype=torch.uint8), name="mine")
    with pytest.raises(DatasetMismatch) as err:
        check_for_structure(ds, structure(conditional=True))
    message = str(err.value)
    assert "32x32 px" in message and "colour (3 channels)" in message
    assert "a conditional GAN needs labelled images and these have none" in message and "subfolder" in message
    check_for_structure(ds, structure(image_size=32, channels=3))  # unconditional: fine
