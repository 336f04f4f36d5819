"""A read error in the user's words: the raw exception (numpy's, torch's, safetensors' text,
which may name internals) goes to the server log; the message names the file and what to do."""

from __future__ import annotations

import logging

from ganlab.storage.paths import RunFormatError

log = logging.getLogger("ganlab.runs")


def unreadable(text: str, exc: BaseException) -> RunFormatError:
    """RunFormatError(`text`), after logging `exc` (its text is not shown to the user)."""
    log.warning("%s: %s: %s", text, type(exc).__name__, exc)
    return RunFormatError(text)
