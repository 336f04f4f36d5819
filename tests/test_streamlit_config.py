"""The server's own settings that protect participants (read from .streamlit/config.toml)."""

from __future__ import annotations

from pathlib import Path

import tomllib

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def test_uncaught_exceptions_show_no_traceback_in_the_browser():
    """An uncaught exception showed participants a traceback with server paths (newcomer tour);
    with "none" the browser gets a generic message and the details go to the server's console."""
    config = tomllib.loads(CONFIG.read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["address"] == "127.0.0.1"  # localhost unless the host opts in
