"""User data: 2D points from an uploaded CSV with two numeric columns."""

from __future__ import annotations

import csv
import io

import numpy as np
import torch
from torch import Tensor

from ganlab.config import USER_DATA
from ganlab.data.toy import ToyDistribution

MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_POINTS = 200_000
MIN_POINTS = 10


class PointsFileError(ValueError):
    """The uploaded file is not usable as 2D points; the message says why and how to fix it."""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_points_csv(content: bytes | str) -> np.ndarray:
    """Parse CSV text into an (n, 2) float array.

    Accepts an optional header row and exactly two columns (extra empty columns
    are ignored). Every data row must hold two finite numbers.
    """
    if isinstance(content, bytes):
        if len(content) > MAX_CSV_BYTES:
            raise PointsFileError(f"the file is {len(content) / 2**20:.1f} MB; the limit is {MAX_CSV_BYTES // 2**20} MB")
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PointsFileError("the file is not UTF-8 text; save it as a plain CSV") from None
    try:
        # blank lines (CRLF ones especially) make the sniffer give up; they are skipped below anyway
        sample = "\n".join(line for line in content[:4096].splitlines() if line.strip())
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t ")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(content), dialect)
    # (file line number, cells) for every non-blank row; the numbers are what a user's editor shows
    rows = []
    for row in reader:
        cells = [cell.strip() for cell in row if cell.strip() != ""]
        if cells:
            rows.append((reader.line_num, cells))
    if not rows:
        raise PointsFileError("the file is empty")
    if not all(_is_number(cell) for cell in rows[0][1]):
        rows = rows[1:]  # a header row
    points = []
    for line_no, row in rows:
        if len(row) != 2:
            raise PointsFileError(f"line {line_no} has {len(row)} columns; every row needs exactly two numbers (x, y)")
        try:
            x, y = float(row[0]), float(row[1])
        except ValueError:
            raise PointsFileError(f"line {line_no} is not numeric: {', '.join(row)[:60]}") from None
        if not (np.isfinite(x) and np.isfinite(y)):
            raise PointsFileError(f"line {line_no} holds a non-finite value")
        points.append((x, y))
        if len(points) > MAX_POINTS:
            raise PointsFileError(f"more than {MAX_POINTS:,} points; use a sample of your data")
    if len(points) < MIN_POINTS:
        raise PointsFileError(f"only {len(points)} points; at least {MIN_POINTS} are needed")
    return np.asarray(points, dtype=np.float32)


def empirical_distribution(points: np.ndarray, label: str = "Uploaded points") -> ToyDistribution:
    """Samples uniformly, with replacement, from the given points."""
    data = torch.as_tensor(np.asarray(points, dtype=np.float32))

    def sample(n: int, generator: torch.Generator) -> Tensor:
        return data[torch.randint(len(data), (n,), generator=generator)]

    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = np.maximum((hi - lo) * 0.25, 1e-3)
    bounds = (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))
    return ToyDistribution(USER_DATA, label, sample, bounds, description=f"{len(points):,} points from a CSV file.")
