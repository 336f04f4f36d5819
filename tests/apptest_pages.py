"""Shared AppTest plumbing for the page tests: a fresh app on one page, opening it with
URL settings, and finding the session's runner and status line."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import streamlit as st
from streamlit.testing.v1 import AppTest

from ganlab.ui.session import get_registry

PLAYGROUND, IMAGES = "pages/1_Playground.py", "pages/2_Images.py"
ENTRY = str(Path(__file__).resolve().parents[1] / "app.py")


def fresh_app(page: str) -> Iterator[AppTest]:
    """For a fixture: the app switched to `page`, with a fresh registry (clearing the
    cache releases it, which shuts every runner down) before and after."""
    st.cache_resource.clear()
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.switch_page(page)
    yield at
    st.cache_resource.clear()


def open_with(at: AppTest, defaults: dict[str, str], **params: str) -> AppTest:
    at.query_params.update({**defaults, **params})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def runner_of(at: AppTest):
    token = at.query_params["run"]
    token = token[0] if isinstance(token, list) else token
    runner = get_registry().get(token)
    assert runner is not None
    return runner


def status_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Step "))


def run_ok(at: AppTest) -> AppTest:
    """Run the page; fail the test on any exception the page showed."""
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def serve_runs_from(root: Path, monkeypatch) -> Iterator[Path]:
    """For one test, every page reads its saved runs from `root` (GANLAB_RUNS_DIR); Streamlit's
    shared caches are cleared around it (clearing releases their runners and quality monitors)."""
    monkeypatch.setenv("GANLAB_RUNS_DIR", str(root))
    st.cache_resource.clear()
    yield root
    st.cache_resource.clear()
