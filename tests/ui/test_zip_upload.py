"""Hostile zips on the Images page through AppTest (issue 12.1): a bomb member is skipped
without being inflated and the rest trains; a pixel bomb is refused with what to do."""

from __future__ import annotations

import zipfile

import pytest

import ganlab.data.image_files as image_files
from tests.apptest_pages import fresh_app, open_with, runner_of
from tests.conftest import wait_until
from tests.data.test_zip_bombs import bomb, png, zipped

PAGE = "pages/2_Images.py"
SMALL = {"w": "8", "nd": "8", "bs": "8"}


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def upload(at, name: str, data: bytes):
    at.selectbox(key="im_data").set_value("upload").run()
    at.file_uploader(key="im_zip").set_value((name, data, "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_bomb_member_is_skipped_and_named_and_the_other_images_train(app):
    at = open_with(app, SMALL)
    runner = runner_of(at)
    at = upload(at, "bomb.zip", bomb(zipfile.ZIP_BZIP2, good=3))
    assert not at.error
    assert [w.value for w in at.warning] == ["Loaded 3 images without labels; skipped 1 file: 1 larger than the zip "
                                             "says (damaged, or a zip bomb) (big.png)."]
    wait_until(lambda: runner.experiment.structure.dataset == "upload")
    assert len(runner.experiment.dataset) == 3


def test_too_many_pixels_are_refused_with_what_to_do_and_training_kept(app, monkeypatch):
    monkeypatch.setattr(image_files, "MAX_TOTAL_PIXELS", 1_500)
    at = open_with(app, SMALL)
    runner = runner_of(at)
    at = upload(at, "many.zip", zipped({f"{i}.png": png() for i in range(5)}))  # 400 px each
    assert [e.value for e in at.error] == [
        "Cannot use many.zip: the images in the zip 'many.zip' come to more than 1,500 pixels to decode, the limit "
        "for one load. They are trained at 28 or 32 px: shrink them first (e.g. to 256 px a side) or use fewer."]
    runner.wait_idle()
    assert runner.experiment.structure.dataset == "digits"
