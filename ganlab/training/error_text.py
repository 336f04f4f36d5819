"""A traceback fit to show a user: the frames' file names without the server's folders (the
full traceback goes to the server log)."""

from __future__ import annotations

import os
import traceback


def public_traceback(exc: BaseException) -> str:
    """`exc`'s traceback with every file given by its last two path parts (e.g. training/step.py)."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in frames:
        parts = os.path.normpath(frame.filename).split(os.sep)
        frame.filename = os.path.join(*parts[-2:]) if len(parts) >= 2 else frame.filename
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames),
             *traceback.format_exception_only(type(exc), exc)]
    return "".join(lines)
