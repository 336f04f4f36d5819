"""User data: 2D points from an uploaded CSV with two numeric columns.

The file is read as a stream, line by line, with every limit checked on the way (bytes,
line length, usable points, bad rows), so a huge upload costs no more than the first
limit it hits: no list of every row is ever built. Bad rows are skipped and reported
(how many, the first few line numbers and why); the file is refused only when too few
usable points are left.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import torch
from torch import Tensor

from ganlab.data.toy import ToyDistribution

USER_DATA = "csv"  # the 2D data set's name for points the user uploads

MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_POINTS = 200_000
MIN_POINTS = 10
MAX_BAD_ROWS = 10_000  # parsing stops here: a file this wrong is not two columns of numbers
MAX_LINE_CHARS = 1_000  # two numbers need < 60; a longer line is a bad row, read past in pieces
# The nets compute in float32, and the 2D trainer feeds values as they are (no rescaling):
# beyond this magnitude training overflows or stalls, so such rows are refused, not scaled.
MAX_ABS_VALUE = 1e6
FLOAT32_MAX = float(np.finfo(np.float32).max)
MAX_EXAMPLES = 5  # bad lines named in a report

# Reasons a row is skipped (counted by these), and how a report names one line of each
NOT_NUMERIC = "not numeric"
NOT_FINITE = "NaN or infinity"
BEYOND_FLOAT32 = "beyond the float32 range"
TOO_BIG = f"beyond ±{MAX_ABS_VALUE:,.0f}"
TOO_LONG = "too long"
BAD_QUOTES = "stray quotes"
COLUMNS = "not two columns"
_PHRASES = {NOT_NUMERIC: "is not numeric", NOT_FINITE: "holds NaN or infinity",
            BEYOND_FLOAT32: f"holds a value beyond the float32 range (±{FLOAT32_MAX:.1e})",
            TOO_BIG: f"holds a value beyond ±{MAX_ABS_VALUE:,.0f}",
            TOO_LONG: f"is longer than {MAX_LINE_CHARS:,} characters",
            BAD_QUOTES: "has unreadable quotes"}


class PointsFileError(ValueError):
    """The uploaded file is not usable as 2D points; the message says why and how to fix it."""


@dataclass
class PointsImport:
    """The usable points of a CSV file and what was skipped: bad rows by reason, with the
    first few (line number, reason, text) as a text editor numbers the lines."""

    points: np.ndarray  # (n, 2) float32
    rows: int = 0  # data rows read (header and blank lines not counted)
    bad: Counter = field(default_factory=Counter)  # reason -> count
    examples: list[tuple[int, str, str]] = field(default_factory=list)  # (line, phrase, text)

    @property
    def bad_total(self) -> int:
        return sum(self.bad.values())

    def bad_text(self) -> str:
        """'skipped 3 of 15 rows (2 not numeric, 1 not two columns): line 3 has 3 columns (1, 2, 3);
        line 5 is not numeric (abc, 5); line 9 is not numeric (x, 1)'"""
        n = self.bad_total
        if not n:
            return ""
        reasons = ", ".join(f"{k} {reason}" for reason, k in self.bad.most_common())
        lines = "; ".join(f"line {no} {phrase}" + (f" ({text})" if text else "") for no, phrase, text in self.examples)
        more = f"; and {n - len(self.examples):,} more" if n > len(self.examples) else ""
        return f"skipped {n:,} of {self.rows:,} rows ({reasons}): {lines}{more}"

    def summary(self) -> str:
        """One sentence for the page or the terminal."""
        text = f"Using {len(self.points):,} points"
        return text + (f"; {self.bad_text()}." if self.bad else ".")


def _row_problem(cells: list[str]) -> tuple[str, tuple[float, float] | None]:
    """(reason, None) for a bad row, ("", (x, y)) for a good one."""
    if len(cells) != 2:
        return COLUMNS, None
    try:
        x, y = float(cells[0]), float(cells[1])
    except ValueError:
        return NOT_NUMERIC, None
    if not (math.isfinite(x) and math.isfinite(y)):
        return NOT_FINITE, None
    big = max(abs(x), abs(y))
    if big > FLOAT32_MAX:
        return BEYOND_FLOAT32, None
    if big > MAX_ABS_VALUE:
        return TOO_BIG, None
    return "", (x, y)


def _cells(line: str, dialect: type[csv.Dialect] | csv.Dialect) -> list[str] | None:
    """The non-empty cells of one line, or None when its quoting cannot be read."""
    if not dialect.quotechar or dialect.quotechar not in line:  # the common case, without the csv module's cost
        cells = line.split(dialect.delimiter)
    else:
        try:
            cells = next(csv.reader([line], dialect), [])
        except csv.Error:
            return None
    return [c for c in (c.strip() for c in cells) if c]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _lines(stream: io.TextIOBase):
    """(line number, text or None when too long) for every line, each read with a bounded size."""
    line_no = 0
    while True:
        line = stream.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        line_no += 1
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            while line and not line.endswith("\n"):  # skip the rest of it, a piece at a time
                line = stream.readline(MAX_LINE_CHARS + 1)
            yield line_no, None
        else:
            yield line_no, line


class _CountingReader(io.RawIOBase):
    """A binary stream that refuses to give more than `limit` bytes (the size check for
    streams whose length is not known up front)."""

    def __init__(self, raw: BinaryIO, limit: int) -> None:
        self.raw, self.limit, self.count = raw, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(min(len(buffer), self.limit + 1 - self.count))
        self.count += len(data)
        if self.count > self.limit:
            raise PointsFileError(f"the file is larger than the limit of {self.limit / 2**20:.0f} MB; "
                                  "use a sample of your data")
        buffer[: len(data)] = data
        return len(data)


def load_points_csv(content: bytes | str | BinaryIO, *, max_bytes: int | None = None, max_points: int | None = None,
                    max_bad_rows: int | None = None) -> PointsImport:
    """Parse CSV text (bytes, str or a binary stream) into usable points and a report of the
    bad rows. Accepts an optional header row and exactly two columns (empty cells are
    ignored). Raises PointsFileError when a limit is hit or fewer than MIN_POINTS remain."""
    max_bytes = MAX_CSV_BYTES if max_bytes is None else max_bytes
    max_points = MAX_POINTS if max_points is None else max_points
    max_bad_rows = MAX_BAD_ROWS if max_bad_rows is None else max_bad_rows
    text, head = _open_text(content, max_bytes)
    dialect = _sniff(head)
    report = PointsImport(np.zeros((0, 2), np.float32))
    xs, first, header = [], True, False
    try:
        for line_no, line in _lines(text):
            if line is not None and not line.strip():
                continue
            reason, point, shown, cells = TOO_LONG, None, "", None
            if line is not None:
                cells = _cells(line, dialect)
                if cells is not None and not cells:
                    continue
                if first and cells and not all(_is_number(c) for c in cells):
                    first, header = False, True
                    continue  # a header row
                reason, point = (BAD_QUOTES, None) if cells is None else _row_problem(cells)
                shown = ", ".join(cells or [line.strip()])
                shown = shown if len(shown) <= 40 else shown[:39] + "…"
            first = False
            report.rows += 1
            if point is not None:
                xs.append(point)
                if len(xs) > max_points:
                    raise PointsFileError(f"more than {max_points:,} points (stopped reading at line {line_no:,}); "
                                          "use a sample of your data")
                continue
            report.bad[reason] += 1
            if len(report.examples) < MAX_EXAMPLES:
                phrase = f"has {len(cells)} column{'s' * (len(cells) != 1)}" if reason == COLUMNS else _PHRASES[reason]
                report.examples.append((line_no, phrase, shown))
            if report.bad_total > max_bad_rows:
                raise PointsFileError(f"more than {max_bad_rows:,} rows are unusable (stopped reading at line "
                                      f"{line_no:,}; {report.bad_text()}); every row needs two numbers x, y")
    except UnicodeDecodeError:
        raise PointsFileError("the file is not UTF-8 text; save it as a plain CSV (UTF-8)") from None
    report.points = np.asarray(xs, dtype=np.float32).reshape(-1, 2)
    _check_enough(report, header)
    return report


def _open_text(content: bytes | str | BinaryIO, max_bytes: int) -> tuple[io.TextIOBase, str]:
    """The content as text read with its size capped, and its first 4 KiB for the sniffer."""
    if isinstance(content, str):
        return io.StringIO(content), content[:4096]
    if isinstance(content, (bytes, bytearray, memoryview)):
        if len(content) > max_bytes:
            raise PointsFileError(f"the file is {len(content) / 2**20:.1f} MB; the limit is "
                                  f"{max_bytes / 2**20:.0f} MB. Use a sample of your data")
        content = io.BytesIO(content)
    raw = io.BufferedReader(_CountingReader(content, max_bytes))
    head = raw.peek(4096)[:4096].decode("utf-8-sig", errors="ignore")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline=None), head


def _sniff(head: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        # blank lines (CRLF ones especially) make the sniffer give up; they are skipped anyway
        sample = "\n".join(line for line in head.splitlines()[:-1] or head.splitlines() if line.strip())
        return csv.Sniffer().sniff(sample, delimiters=",;\t ")
    except csv.Error:
        return csv.excel


def _check_enough(report: PointsImport, header: bool) -> None:
    """Raise PointsFileError when fewer than MIN_POINTS usable points were read."""
    n = len(report.points)
    if report.rows == 0:
        raise PointsFileError("the file has a header row and no points" if header else "the file is empty")
    if n < MIN_POINTS:
        found = f"only {n} point{'s' * (n != 1)}" if n else "no usable points"
        if not report.bad:
            raise PointsFileError(f"{found}; at least {MIN_POINTS} are needed")
        raise PointsFileError(f"{found}; at least {MIN_POINTS} are needed ({report.bad_text()}). Every row needs two "
                              f"numbers x, y within ±{MAX_ABS_VALUE:,.0f}")


def read_points_csv(content: bytes | str | BinaryIO, **limits: int) -> np.ndarray:
    """The usable points of a CSV file as an (n, 2) float32 array (bad rows skipped; see
    `load_points_csv` for the report of them)."""
    return load_points_csv(content, **limits).points


class EmpiricalSampler:
    """Draws points uniformly, with replacement (a class, not a closure: it is pickled to the
    run's trainer process)."""

    def __init__(self, data: Tensor) -> None:
        self.data = data

    def __call__(self, n: int, generator: torch.Generator) -> Tensor:
        return self.data[torch.randint(len(self.data), (n,), generator=generator)]


def empirical_distribution(points: np.ndarray, label: str = "Uploaded points") -> ToyDistribution:
    """Samples uniformly, with replacement, from the given points."""
    points = np.asarray(points, dtype=np.float32)
    sample = EmpiricalSampler(torch.as_tensor(points))
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = np.maximum((hi - lo) * 0.25, 1e-3)
    bounds = (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))
    return ToyDistribution(USER_DATA, label, sample, bounds, description=f"{len(points):,} points from a CSV file.",
                           points=points)
