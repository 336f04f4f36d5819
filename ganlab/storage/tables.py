"""Metric tables as CSV: `step` + named float columns (an empty cell is NaN / not computed)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from ganlab.storage.paths import RunFormatError, atomic_write_text

MAX_TABLE_BYTES = 512 * 1024 * 1024  # a plain file (no FIFO, device or link), at most this large


def _cell(value: float) -> str:
    value = float(value)
    return "" if math.isnan(value) else format(value, ".9g")


def table_csv(table: dict[str, np.ndarray], start: int = 0, header: bool = True) -> str:
    """The table as CSV text; `start`/`header`: only rows from `start`, with or without the header
    (to extend text already made for the first rows)."""
    columns = list(table)
    rows = len(table["step"]) if "step" in table else 0
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(columns)
    steps = table.get("step")
    others = [(c, table[c]) for c in columns if c != "step"]
    for i in range(start, rows):
        writer.writerow([int(steps[i]), *(_cell(v[i]) for _, v in others)])
    return out.getvalue()


def write_table(path: Path, table: dict[str, np.ndarray]) -> int:
    """Write atomically; returns the row count."""
    atomic_write_text(path, table_csv(table))
    return len(table.get("step", ()))


def read_table(path: Path) -> dict[str, np.ndarray]:
    """A table written by `write_table`; RunFormatError naming the file and line when it is not one."""
    from ganlab.storage.safefs import read_capped

    try:
        text = read_capped(Path(path), MAX_TABLE_BYTES).decode("utf-8")
        rows = list(csv.reader(io.StringIO(text)))
    except UnicodeDecodeError:
        raise RunFormatError(f"{path.name} cannot be read: it is not UTF-8 text") from None
    except csv.Error as exc:
        raise RunFormatError(f"{path.name} is not a ganlab metrics table ({exc})") from None
    if not rows or not rows[0] or rows[0][0] != "step":
        raise RunFormatError(f"{path.name} is not a ganlab metrics table (its first column must be 'step')")
    header = rows[0]
    if len(set(header)) != len(header):
        raise RunFormatError(f"{path.name} repeats a column name")
    steps = np.zeros(len(rows) - 1, dtype=np.int64)
    values = np.full((len(rows) - 1, len(header) - 1), np.nan)
    for i, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise RunFormatError(f"{path.name} line {i + 2}: {len(row)} cells, expected {len(header)} (truncated?)")
        try:
            steps[i] = int(row[0])
            values[i] = [float(c) if c != "" else np.nan for c in row[1:]]
        except (ValueError, OverflowError):  # OverflowError: a step beyond 64 bits
            raise RunFormatError(f"{path.name} line {i + 2}: not a number") from None
    return {"step": steps, **{c: values[:, j] for j, c in enumerate(header[1:])}}
