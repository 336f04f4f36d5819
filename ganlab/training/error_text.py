"""A traceback fit to show a user: the frames' file names without the server's folders (the
full traceback goes to the server log)."""

from __future__ import annotations

import logging
import os
import traceback

log = logging.getLogger(__name__)


class ShownError(ValueError):
    """An error whose text our code wrote for the user: shown as it is."""


def public_traceback(exc: BaseException) -> str:
    """`exc`'s traceback with every file given by its last two path parts (e.g. training/step.py)."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in frames:
        parts = os.path.normpath(frame.filename).split(os.sep)
        frame.filename = os.path.join(*parts[-2:]) if len(parts) >= 2 else frame.filename
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames),
             *traceback.format_exception_only(type(exc), exc)]
    return "".join(lines)


_DOING = {  # what the training thread was doing when it failed, in the user's words
    "reset": "building the networks failed",
    "restore": "the saved run could not be restored",
    "train": "a training step failed",
    "step": "a training step failed",
    "view": "drawing the live view failed",
}


def _written_for_users() -> tuple[type[BaseException], ...]:
    """The exceptions whose texts are user sentences (no paths, no class names)."""
    from ganlab.data.image_sources import DatasetMismatch, DatasetUnavailable
    from ganlab.metrics.classifier import ClassifierUnavailable
    from ganlab.runs.state import StateMismatch
    from ganlab.settings.config import ConfigError
    from ganlab.storage.paths import RunFormatError
    from ganlab.training.slots import CapacityError

    return (ShownError, ConfigError, DatasetMismatch, DatasetUnavailable, ClassifierUnavailable,
            RunFormatError, StateMismatch, CapacityError)


def failure_reason(exc: BaseException) -> str:
    """A short human reason for `exc`: its text when our code wrote it for the user, else a
    sentence of our own; never a class name, a repr or a server path."""
    import torch

    if isinstance(exc, _written_for_users()):
        return str(exc).rstrip(".")
    if isinstance(exc, TimeoutError):
        return "the training thread was busy and did not answer in time"
    if isinstance(exc, MemoryError) or isinstance(exc, getattr(torch, "OutOfMemoryError", MemoryError)) or (
            isinstance(exc, RuntimeError) and "can't allocate memory" in str(exc)):  # torch's CPU allocator
        return ("the run needed more memory than this server allows a run; a smaller batch size or a "
                "smaller width needs less")
    if isinstance(exc, OSError) and exc.strerror:
        return f"the server could not read or write a file: {exc.strerror.lower()}"
    return "an unexpected error"


def failure_text(exc: BaseException, doing: str | None = None) -> str:
    """The sentence a page shows when the training thread stopped with `exc` (the traceback
    goes to the server log and behind the page's "Error details")."""
    what = _DOING.get(doing or "", "something failed in the training thread")
    return f"Training stopped: {what} ({failure_reason(exc)}). {RESET_ADVICE}"


RESET_ADVICE = ("Press Reset to start again from fresh weights; the details are under Error details and in the "
                "server log.")
CLI_ADVICE = "Run again with GANLAB_DEBUG=1 to see the details."


def for_the_command_line(message: str) -> str:
    """A runner's failure message with the command line's advice instead of the page's."""
    return message.replace(RESET_ADVICE, CLI_ADVICE)


def logged_reason(exc: BaseException, what: str) -> str:
    """`failure_reason(exc)`, after logging `exc`'s traceback as a warning about `what`."""
    log.warning("%s failed", what, exc_info=exc)
    return failure_reason(exc)
