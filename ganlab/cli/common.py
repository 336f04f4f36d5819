"""Shared pieces of the `ganlab` command: exit statuses, the bad-input error, terminal number format, device choice."""

from __future__ import annotations

from typing import Any

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    """Bad input: reported on one line, exit status 2."""


def image_data_names() -> list[str]:
    from ganlab.data.image_sources import IMAGE_SOURCES

    return list(IMAGE_SOURCES)


def image_preset_table() -> dict[str, Any]:
    try:
        from ganlab.settings.image_presets import IMAGE_PRESETS
    except ImportError:  # the image recipes are optional here: fall back to the structure's defaults
        return {}
    return dict(IMAGE_PRESETS)


def pick_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is available here")
    return name


def terminal_number(value: float | None, spec: str = ".3f") -> str:
    from ganlab.formatting import format_number

    return format_number(value, spec, missing="-")  # plain ASCII for terminals
