"""Arrays in a run folder: written as .npy without pickle, read back with their size checked first."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np

from ganlab.storage import safefs, schema


def sha256_of(array: np.ndarray) -> str:
    """The digest that tells whether data on this machine is the data a run trained on."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def load_npy(path: Path) -> np.ndarray:
    """A `.npy` file of a run: a plain file, its header's declared size checked before reading."""
    path = Path(path)
    data = safefs.read_capped(path, schema.MAX_ARRAY_BYTES + 65536)
    return schema.npy_from_bytes(data, path.name)
