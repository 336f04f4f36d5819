"""Hostile zips (issue 12.1): members whose directory understates what they inflate to,
too many pixels to decode, too many entries, links and archives inside the archive. Bombs
are built small here, with the zip's directory patched; the caps are lowered by parameter."""

from __future__ import annotations

import io
import os
import stat
import struct
import tracemalloc
import zipfile

import pytest
from PIL import Image, ImageFile

import ganlab.data.image_files as image_files
from ganlab.cli import main
from ganlab.data.image_files import (
    ARCHIVE,
    LINK,
    NOT_A_FILE,
    ImageFilesError,
    load_image_folder,
    load_image_zip,
    load_image_zip_file,
)
from ganlab.data.zip_members import SIZE_LIE, UNSUPPORTED, MemberSkipped, read_member

PAYLOAD = 8 * 2**20  # zeros inflated by a bomb member: 8 MB (the bombs in the issue held 1 GiB)


def png(size=(20, 20), value=128) -> bytes:
    buf = io.BytesIO()
    Image.new("L", size, value).save(buf, format="PNG")
    return buf.getvalue()


def bomb(method: int, declared: int = 1000, good: int = 2) -> bytes:
    """A zip whose first member, big.png, inflates to PAYLOAD bytes while its local header
    and the central directory both say `declared`; then `good` small PNGs."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("big.png", bytes(PAYLOAD), compress_type=method)
        for i in range(good):
            z.writestr(f"ok{i}.png", png(value=40 * i), compress_type=zipfile.ZIP_DEFLATED)
    data = bytearray(buf.getvalue())
    assert data[:4] == b"PK\x03\x04"
    struct.pack_into("<I", data, 22, declared)  # local header: uncompressed size
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, declared)  # central directory: uncompressed size
    return bytes(data)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_DEFLATED])
def test_a_member_that_understates_its_size_is_never_inflated_past_it(method):
    data = bomb(method)
    assert len(data) < 20_000 and zipfile.ZipFile(io.BytesIO(data)).getinfo("big.png").file_size == 1000
    tracemalloc.start()
    try:
        ds, report = load_image_zip(data, 28, 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(ds) == 2 and dict(report.skipped) == {SIZE_LIE: 1} and report.examples[SIZE_LIE] == ["big.png"]
    good_bytes = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist()[1:])
    assert report.bytes_read == 1001 + good_bytes  # the bomb gave one byte past its stated size, then stopped
    assert peak < 2 * 2**20, peak  # zipfile.read() held all 8 MB at once


def test_read_member_counts_every_byte_it_inflates():
    data = bomb(zipfile.ZIP_BZIP2, declared=50_000, good=0)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("big.png")
    counter = [0]
    with pytest.raises(MemberSkipped) as err:
        read_member(data, info, counter)
    assert err.value.reason == SIZE_LIE and counter == [50_001]


def test_unsupported_compression_is_skipped_with_the_reason():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.png", png(), compress_type=zipfile.ZIP_LZMA)
        z.writestr("b.png", png(value=9), compress_type=zipfile.ZIP_STORED)
        z.writestr("c.png", png(value=99), compress_type=zipfile.ZIP_BZIP2)  # an honest bzip2 member loads
    ds, report = load_image_zip(buf.getvalue(), 28, 1)
    assert len(ds) == 2 and dict(report.skipped) == {UNSUPPORTED: 1}


def test_total_pixels_are_capped_before_decoding(monkeypatch):
    data = zipped({f"{i}.png": png((300, 300)) for i in range(4)})  # 90,000 px each
    decoded = []
    real_load = ImageFile.ImageFile.load

    def load(self):  # record each decode (a loaded image has no tiles left to decode)
        if self.tile:
            decoded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    with pytest.raises(ImageFilesError, match=r"the images in the zip come to more than 200,000 pixels to decode, "
                                              r"the limit for one load\. .*shrink them first"):
        load_image_zip(data, 28, 1, max_pixels=200_000)
    assert decoded == [(300, 300)] * 2  # the third was refused from its header, undecoded
    decoded.clear()
    ds, report = load_image_zip(data, 28, 1, max_pixels=360_000)
    assert len(ds) == 4 and report.pixels == 360_000 and len(decoded) == 4


def test_the_default_pixel_cap_applies(monkeypatch):
    monkeypatch.setattr(image_files, "MAX_TOTAL_PIXELS", 1000)
    with pytest.raises(ImageFilesError, match="more than 1,000 pixels"):
        load_image_zip(zipped({"a.png": png((40, 40))}), 28, 1)


def zipped(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_too_many_entries_are_refused_before_the_directory_is_parsed(monkeypatch):
    data = zipped({f"{i}.txt": b"" for i in range(30)})

    def no_parsing(*args, **kwargs):
        raise AssertionError("the zip's directory was parsed")

    monkeypatch.setattr(zipfile.ZipFile, "__init__", no_parsing)
    with pytest.raises(ImageFilesError, match="holds more than 20 files; the limit is 5 images"):
        load_image_zip(data, 28, 1, max_files=5)


def test_links_and_archives_inside_are_refused_not_followed():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        link = zipfile.ZipInfo("pics/passwd.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/passwd")
        z.writestr("pics/inner.zip", zipped({"x.png": png()}))
        z.writestr("pics/a.png", png())
    ds, report = load_image_zip(buf.getvalue(), 28, 1)
    assert len(ds) == 1
    assert report.examples == {LINK: ["pics/passwd.png"], ARCHIVE: ["pics/inner.zip"]}


def test_a_folder_never_opens_devices_or_fifos(tmp_path):
    (tmp_path / "a.png").write_bytes(png())
    os.symlink("/dev/zero", tmp_path / "zero.png")
    os.mkfifo(tmp_path / "pipe.png")
    ds, report = load_image_folder(tmp_path, 28, 1)
    assert len(ds) == 1 and sorted(report.examples[NOT_A_FILE]) == ["pipe.png", "zero.png"]


def test_a_zip_file_over_the_limit_is_refused_by_its_size_unread(tmp_path, monkeypatch):
    path = tmp_path / "x.zip"
    path.write_bytes(zipped({"a.png": png()}))
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail("the file was read"))
    with pytest.raises(ImageFilesError, match=r"the zip 'x' is 0.0 MB; the limit is 0 MB"):
        load_image_zip_file(path, 28, 1, name="x", max_bytes=10)


def test_cli_takes_the_same_guarded_path(tmp_path, capsys, monkeypatch):
    path = tmp_path / "bomb.zip"
    path.write_bytes(bomb(zipfile.ZIP_BZIP2))
    monkeypatch.setattr(image_files, "MAX_TOTAL_PIXELS", 500)
    assert main(["train", "--images", str(path), "--steps", "1", "--out", str(tmp_path / "run"), "--device", "cpu",
                 "-q"]) == 2
    err = capsys.readouterr().err
    assert "more than 500 pixels to decode" in err and "Traceback" not in err
