"""Numbers as text: a dash where there is no finite number."""

import math

import numpy as np

from ganlab.formatting import format_number


def test_format_number_dashes_what_is_not_a_finite_number():
    assert format_number(0.12345) == "0.123" and format_number(2, ".1f") == "2.0"
    assert format_number(np.float32(0.5), ".2f") == "0.50"  # numpy scalars are numbers
    assert [format_number(v) for v in (None, math.nan, math.inf, "x")] == ["—"] * 4
    assert format_number(None, missing="-") == "-"


def test_every_optimizer_has_its_conventional_name():
    from ganlab.formatting import OPTIMIZER_LABELS, optimizer_label
    from ganlab.settings.config import OPTIMIZERS

    assert set(OPTIMIZER_LABELS) == set(OPTIMIZERS)
    assert [optimizer_label(n) for n in ("sgd", "adam", "rmsprop")] == ["SGD", "Adam", "RMSprop"]
