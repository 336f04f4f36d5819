"""A user's own images from a folder or a zip: labels from class folders, conversions,
skipped files counted with reasons, limits and unsafe zips refused with clear errors."""

import io
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

import ganlab.data.image_files as image_files
from ganlab.data.image_files import (
    NOT_IMAGE,
    OUTSIDE_CLASSES,
    TOO_LARGE,
    UNREADABLE,
    UNSAFE_NAME,
    ImageFilesError,
    image_to_array,
    load_image_folder,
    load_image_zip,
)


def png(colour=(255, 0, 0), size=(20, 20), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, colour).save(buf, format="PNG")
    return buf.getvalue()


def truncated_png() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()[:1500]  # the header is fine, the pixel data stops


def write(root, files: dict):
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def zipped(files: dict, compress=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


CLASSES = {
    "cats/a.png": png((255, 0, 0)),
    "cats/b.jpg": png((255, 0, 0)),  # a PNG under a .jpg name: PIL reads the content
    "cats/more/c.png": png((255, 0, 0), (40, 30)),  # deeper folders belong to the top class
    "dogs/d.png": png((0, 0, 255)),
    "dogs/broken.png": truncated_png(),
    "dogs/notes.txt": b"just text",
    "dogs/fake.png": b"not a png at all",  # an image name, not image content
    ".DS_Store": b"\x00\x01",
    "loose.png": png((0, 255, 0)),
}


def check_classes(ds, report, prefix=""):
    assert ds.images.shape == (4, 3, 28, 28) and ds.images.dtype == torch.uint8
    assert ds.class_names == ("cats", "dogs") and ds.labels.tolist() == [0, 0, 0, 1]
    assert ds.images[:3, 0].eq(255).all() and ds.images[:3, 2].eq(0).all()  # cats red
    assert ds.images[3, 2].eq(255).all() and ds.images[3, 0].eq(0).all()  # dog blue
    assert report.loaded == 4 and report.class_names == ("cats", "dogs")
    assert dict(report.skipped) == {UNREADABLE: 2, NOT_IMAGE: 1, OUTSIDE_CLASSES: 1}
    p = prefix  # names in the report are the user's own (a zip's full entry names)
    assert report.examples[UNREADABLE] == [f"{p}dogs/broken.png", f"{p}dogs/fake.png"]
    assert report.examples[NOT_IMAGE] == [f"{p}dogs/notes.txt"]
    assert report.examples[OUTSIDE_CLASSES] == [f"{p}loose.png"]
    assert report.summary() == (f"Loaded 4 images in 2 classes (cats, dogs); skipped 4 files: 2 unreadable or corrupt "
                                f"({p}dogs/broken.png, {p}dogs/fake.png), 1 not an image file ({p}dogs/notes.txt), "
                                f"1 outside the class folders ({p}loose.png).")


def test_folder_with_class_folders(tmp_path):
    write(tmp_path / "pets", CLASSES)
    ds, report = load_image_folder(tmp_path / "pets", 28, 3)
    assert ds.name == "pets"
    check_classes(ds, report)


def test_zip_with_class_folders_inside_a_wrapper_folder():
    ds, report = load_image_zip(zipped({f"pets/{k}": v for k, v in CLASSES.items()} | {"__MACOSX/pets/._a.png": b"x"}),
                                28, 3, name="pets.zip")
    assert ds.name == "pets"
    check_classes(ds, report, prefix="pets/")


def test_flat_folder_is_unlabelled_grey_and_sized(tmp_path):
    write(tmp_path, {"x.png": png((255, 0, 0)), "y.bmp": b"", "z.png": png((0, 255, 0))})
    ds, report = load_image_folder(tmp_path, 32, 1)
    assert ds.labels is None and ds.images.shape == (2, 1, 32, 32)
    assert ds.images[0].unique().tolist() == [76] and ds.images[1].unique().tolist() == [150]  # luminance of red, green
    assert report.summary() == ("Loaded 2 images without labels; skipped 1 file: 1 unreadable or corrupt (y.bmp).")


def test_one_class_folder_is_unlabelled_with_a_note(tmp_path):
    write(tmp_path, {"cats/a.png": png(), "dogs/bad.png": b"junk"})
    ds, report = load_image_folder(tmp_path, 28, 3)
    assert ds.labels is None and len(ds) == 1 and "Only one class folder had readable images" in report.summary()


def test_centre_crop_transparency_and_16_bit():
    wide = np.zeros((20, 60, 3), dtype=np.uint8)
    wide[:, 20:40] = 255  # white middle third, black sides
    a = image_to_array(Image.fromarray(wide), 28, 3)
    assert a.shape == (3, 28, 28) and a[:, :, 3:-3].min() == 255 and a.mean() > 240  # the centre square only
    clear = image_to_array(Image.new("RGBA", (10, 10), (255, 0, 0, 0)), 28, 1)
    assert clear.min() == 255  # transparent -> white
    deep = image_to_array(Image.fromarray(np.full((8, 8), 65535, dtype=np.uint16)), 28, 1)
    assert deep.min() == 255


def test_skips_images_with_too_many_pixels(tmp_path, monkeypatch):
    monkeypatch.setattr(image_files, "MAX_PIXELS", 100)
    write(tmp_path, {"small.png": png(size=(10, 10)), "big.png": png(size=(11, 10))})
    ds, report = load_image_folder(tmp_path, 28, 3)
    assert len(ds) == 1 and dict(report.skipped) == {TOO_LARGE: 1}


def test_empty_folder_and_no_images(tmp_path):
    with pytest.raises(ImageFilesError, match="has no image files. Use PNG, JPEG"):
        load_image_folder(tmp_path, 28, 1)
    write(tmp_path, {"a.txt": b"a", "b.png": b"b"})
    with pytest.raises(ImageFilesError, match=r"has no readable images \(skipped 2 files: "
                                              r"1 not an image file \(a.txt\), 1 unreadable or corrupt \(b.png\)\)"):
        load_image_folder(tmp_path, 28, 1)
    with pytest.raises(ImageFilesError, match="is not a folder"):
        load_image_folder(tmp_path / "missing", 28, 1)
    with pytest.raises(ImageFilesError, match="^the zip has no image files"):
        load_image_zip(zipped({}), 28, 1)


def test_folder_limits(tmp_path):
    write(tmp_path, {f"{i}.png": png() for i in range(3)} | {"skip.txt": b"x" * 10_000})
    with pytest.raises(ImageFilesError, match="holds 3 image files; the limit is 2"):
        load_image_folder(tmp_path, 28, 3, max_files=2)
    with pytest.raises(ImageFilesError, match="the limit is 0 MB"):
        load_image_folder(tmp_path, 28, 3, max_bytes=100)
    ds, _ = load_image_folder(tmp_path, 28, 3, max_files=3, max_bytes=3 * len(png()))  # text files don't count
    assert len(ds) == 3


def test_zip_path_traversal_entries_are_refused():
    data = zipped({"../evil.png": png(), "/abs.png": png(), "a\\..\\b.png": png(), "ok/x.png": png(),
                   "ok/y.png": png()})
    ds, report = load_image_zip(data, 28, 3)
    assert len(ds) == 2 and ds.labels is None  # the wrapper folder "ok" is looked through
    assert report.skipped[UNSAFE_NAME] == 3
    assert sorted(report.examples[UNSAFE_NAME]) == ["../evil.png", "/abs.png", "a\\..\\b.png"]


def test_zip_bomb_is_refused_before_inflating(monkeypatch):
    bomb = zipped({"big.png": b"\x00" * 5_000_000, "small.png": png()})
    assert len(bomb) < 50_000

    def no_reading(*args, **kwargs):
        raise AssertionError("an entry was inflated")

    monkeypatch.setattr(zipfile.ZipFile, "read", no_reading)
    with pytest.raises(ImageFilesError, match=r"the image files in the zip 'b.zip' come to 4.8 MB; the limit is 1 MB"):
        load_image_zip(bomb, 28, 1, name="b.zip", max_bytes=2**20)


def test_zip_count_and_size_limits_and_bad_archives():
    with pytest.raises(ImageFilesError, match="the zip is 0.0 MB; the limit is 0 MB"):
        load_image_zip(zipped({"a.png": png()}), 28, 1, max_bytes=10)
    with pytest.raises(ImageFilesError, match="holds 3 image files; the limit is 2"):
        load_image_zip(zipped({f"{i}.png": png() for i in range(3)}), 28, 1, max_files=2)
    with pytest.raises(ImageFilesError, match="is not a readable zip file"):
        load_image_zip(b"PK\x03\x04 but not really", 28, 1)
    good = zipped({"a.png": png(), "b.png": png()})
    with pytest.raises(ImageFilesError):
        load_image_zip(good[: len(good) // 2], 28, 1)  # cut short: no central directory


def test_corrupt_zip_member_is_skipped():
    data = bytearray(zipped({"a.png": png(), "b.png": png((0, 0, 255))}, compress=zipfile.ZIP_STORED))
    start = data.find(b"IDAT", data.find(b"b.png"))
    data[start + 6] ^= 0xFF  # the CRC of b.png no longer matches
    ds, report = load_image_zip(bytes(data), 28, 3)
    assert len(ds) == 1 and dict(report.skipped) == {UNREADABLE: 1}


def test_bad_arguments():
    with pytest.raises(ValueError, match="image size must be one of 28, 32; got 64"):
        load_image_zip(zipped({"a.png": png()}), 64, 1)
    with pytest.raises(ValueError, match="channels must be one of 1, 3; got 4"):
        load_image_zip(zipped({"a.png": png()}), 28, 4)
