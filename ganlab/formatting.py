"""Numbers as text for pages and the command line: a dash where there is no number yet."""

from __future__ import annotations

import math
import numbers

MISSING = "—"
# How optimizer names (ganlab.settings.config.OPTIMIZERS) are written for people: the one table.
OPTIMIZER_LABELS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}


def optimizer_label(name: str) -> str:
    return OPTIMIZER_LABELS.get(name, name)


def format_number(value: object, spec: str = ".3f", missing: str = MISSING) -> str:
    """`value` formatted with `spec`; `missing` for None, NaN, inf or anything not a real
    number (numpy scalars count as numbers)."""
    if not isinstance(value, numbers.Real) or not math.isfinite(value):
        return missing
    return format(value, spec)
