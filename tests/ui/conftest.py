"""Fixtures shared by the page tests: a fresh app switched to a page (tests.apptest_pages)."""

from __future__ import annotations

import pytest

from tests.apptest_pages import IMAGES, PLAYGROUND, fresh_app


@pytest.fixture
def playground():
    yield from fresh_app(PLAYGROUND)


@pytest.fixture
def images():
    yield from fresh_app(IMAGES)
