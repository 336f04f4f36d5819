import io

import numpy as np
import pytest
import torch

from ganlab.data import points_csv
from ganlab.data.points_csv import (
    BEYOND_FLOAT32,
    COLUMNS,
    NOT_FINITE,
    NOT_NUMERIC,
    TOO_BIG,
    PointsFileError,
    empirical_distribution,
    load_points_csv,
    read_points_csv,
)

POINTS = [(i * 0.5, -i * 0.25) for i in range(12)]
EXPECTED = np.array(POINTS, dtype=np.float32)


def csv_text(sep: str = ",", header: str | None = None, points=POINTS) -> str:
    lines = [] if header is None else [header]
    lines += [f"{x}{sep}{y}" for x, y in points]
    return "\n".join(lines) + "\n"


def test_plain_two_columns():
    out = read_points_csv(csv_text())
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, EXPECTED)


def test_header_row_is_skipped():
    np.testing.assert_array_equal(read_points_csv(csv_text(header="x,y")), EXPECTED)


@pytest.mark.parametrize("sep", [";", "\t", ", "])
def test_other_separators(sep):
    header = sep.join(["x", "y"])
    np.testing.assert_array_equal(read_points_csv(csv_text(sep)), EXPECTED)
    np.testing.assert_array_equal(read_points_csv(csv_text(sep, header=header)), EXPECTED)


@pytest.mark.parametrize("sep", [";", "\t", ","])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_bytes_with_bom_and_blank_lines(sep, newline):
    # a Windows export: BOM, CRLF, a blank line inside the first 4 KB (the delimiter sniffer
    # must not fall back to commas because of it)
    text = f"\ufeffx{sep}y{newline}" + newline.join(f"{x}{sep}{y}" for x, y in POINTS[:6]) + newline * 2 + \
        newline.join(f"{x}{sep}{y}" for x, y in POINTS[6:]) + newline * 2
    np.testing.assert_array_equal(read_points_csv(text.encode("utf-8")), EXPECTED)


def test_exponents_and_negative_numbers():
    text = "\n".join(f"{-i}e-1,{i}E2" for i in range(10))
    expected = np.array([(-i / 10, i * 100.0) for i in range(10)], dtype=np.float32)
    np.testing.assert_allclose(read_points_csv(text), expected)


def test_row_with_three_columns_is_skipped_and_named():
    rows = POINTS[:2] + [(1, "2,3")] + POINTS[3:]  # third row: 1,2,3
    got = load_points_csv(csv_text(points=rows))
    np.testing.assert_array_equal(got.points, np.delete(EXPECTED, 2, axis=0))
    assert (got.rows, dict(got.bad), got.examples) == (12, {COLUMNS: 1}, [(3, "has 3 columns", "1, 2, 3")])


def test_single_column_file_is_refused():
    with pytest.raises(PointsFileError, match=r"no usable points; at least 10 are needed \(skipped 12 of 12 rows "
                                              r"\(12 not two columns\): line 1 has 1 column \(0\); line 2 has 1 "
                                              r"column \(1\);.*; and 7 more\)"):
        read_points_csv("\n".join(str(i) for i in range(12)))


def test_text_row_is_skipped_and_named_with_its_content():
    rows = POINTS[:4] + [("abc", 5)] + POINTS[5:]
    got = load_points_csv(csv_text(points=rows))
    assert len(got.points) == 11 and got.examples == [(5, "is not numeric", "abc, 5")]


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
def test_non_finite_value_is_skipped_and_named(bad):
    rows = POINTS[:6] + [(1.0, bad)] + POINTS[7:]
    got = load_points_csv(csv_text(points=rows))
    assert len(got.points) == 11 and np.isfinite(got.points).all()
    assert (dict(got.bad), got.examples) == ({NOT_FINITE: 1}, [(7, "holds NaN or infinity", f"1.0, {bad}")])


def test_too_few_rows():
    with pytest.raises(PointsFileError, match=r"only 3 points; at least 10"):
        read_points_csv(csv_text(header="x,y", points=POINTS[:3]))
    assert read_points_csv(csv_text(points=POINTS[:10])).shape == (10, 2)


def test_empty_file():
    with pytest.raises(PointsFileError, match="empty"):
        read_points_csv(b"")
    with pytest.raises(PointsFileError, match="empty"):
        read_points_csv("\n\n  \n")
    with pytest.raises(PointsFileError, match="the file has a header row and no points"):
        read_points_csv("x,y\n\n")


@pytest.mark.parametrize("content", [b"\xff\xfe\x00\x001,2\n", "x,y\n\xe9,1\n".encode("latin-1") + csv_text().encode()])
def test_non_utf8_bytes(content):
    with pytest.raises(PointsFileError, match="not UTF-8"):
        read_points_csv(content)


def test_size_limits(monkeypatch):
    monkeypatch.setattr(points_csv, "MAX_CSV_BYTES", 100)
    with pytest.raises(PointsFileError, match="limit is"):
        read_points_csv(csv_text().encode() * 5)
    monkeypatch.setattr(points_csv, "MAX_CSV_BYTES", 20 * 2**20)
    monkeypatch.setattr(points_csv, "MAX_POINTS", 11)
    with pytest.raises(PointsFileError, match="more than 11 points"):
        read_points_csv(csv_text())


def test_points_file_error_is_a_value_error():
    assert issubclass(PointsFileError, ValueError)


def test_empirical_distribution_samples_only_given_points():
    pts = EXPECTED
    d = empirical_distribution(pts, label="mine")
    assert (d.name, d.label, d.has_modes) == ("csv", "mine", False)
    x = d.sample(300, torch.Generator().manual_seed(0)).numpy()
    assert x.shape == (300, 2)
    given = {tuple(p) for p in pts.tolist()}
    assert {tuple(p) for p in x.tolist()} <= given
    assert len({tuple(p) for p in x.tolist()}) == len(given)  # 300 draws hit all 12 points
    torch.testing.assert_close(d.sample(20, torch.Generator().manual_seed(4)), d.sample(20, torch.Generator().manual_seed(4)))


def test_empirical_distribution_bounds_pad_by_a_quarter():
    # x in [0, 5.5] -> pad 1.375; y in [-2.75, 0] -> pad 0.6875
    d = empirical_distribution(EXPECTED)
    assert d.bounds == pytest.approx((-1.375, 6.875, -3.4375, 0.6875))
    # a single repeated point still gets a non-empty box
    flat = empirical_distribution(np.ones((10, 2), dtype=np.float32))
    assert flat.bounds == pytest.approx((1 - 1e-3, 1 + 1e-3, 1 - 1e-3, 1 + 1e-3))


def test_bad_lines_are_numbered_as_a_text_editor_shows():
    # header on line 1, a blank line 3, the bad value on line 5
    text = "x,y\n0,0\n\n1,1\n2,oops\n" + "\n".join(f"{i},{i}" for i in range(10))
    got = load_points_csv(text)
    assert len(got.points) == 12 and got.examples == [(5, "is not numeric", "2, oops")]


# ------------------------------------------------------------------ partial import, limits (issues 11.7, 12.5, 12.8)
MIXED = "\n".join([
    "x,y",  # 1: header
    *(f"{i},{-i}" for i in range(10)),  # 2-11: good
    "1,2,3",  # 12: three columns
    "abc,5",  # 13: not numeric
    "",  # 14: blank, not a row
    "7",  # 15: one column
    "1,nan",  # 16
    "1e308,0",  # 17: finite in float64, inf in float32
    "-5e6,1",  # 18: beyond the documented magnitude limit
    "1e6,-1e6",  # 19: at the limit: kept
    "inf,2",  # 20
    "3.5,oops",  # 21
]) + "\n"


def test_mixed_file_imports_the_good_rows_and_reports_each_bad_one():
    got = load_points_csv(MIXED)
    expected = [(i, -i) for i in range(10)] + [(1e6, -1e6)]
    np.testing.assert_array_equal(got.points, np.array(expected, dtype=np.float32))
    assert got.rows == 19  # lines 2-21, less the blank one
    assert dict(got.bad) == {COLUMNS: 2, NOT_NUMERIC: 2, NOT_FINITE: 2, BEYOND_FLOAT32: 1, TOO_BIG: 1}
    assert got.examples == [(12, "has 3 columns", "1, 2, 3"), (13, "is not numeric", "abc, 5"),
                            (15, "has 1 column", "7"), (16, "holds NaN or infinity", "1, nan"),
                            (17, "holds a value beyond the float32 range (±3.4e+38)", "1e308, 0")]
    assert got.summary() == (
        "Using 11 points; skipped 8 of 19 rows (2 not two columns, 2 not numeric, 2 NaN or infinity, "
        "1 beyond the float32 range, 1 beyond ±1,000,000): line 12 has 3 columns (1, 2, 3); line 13 is not numeric "
        "(abc, 5); line 15 has 1 column (7); line 16 holds NaN or infinity (1, nan); line 17 holds a value beyond the "
        "float32 range (±3.4e+38) (1e308, 0); and 3 more.")


def test_values_beyond_float32_never_reach_training_as_inf():
    rows = "\n".join(f"{i},{i}" for i in range(10)) + "\n1e308,1\n-3.5e38,0\n3e38,0\n"
    got = load_points_csv(rows)
    assert dict(got.bad) == {BEYOND_FLOAT32: 2, TOO_BIG: 1} and len(got.points) == 10
    assert np.isfinite(got.points).all() and np.abs(got.points).max() == 9


def test_nothing_usable_is_refused_with_the_reasons():
    with pytest.raises(PointsFileError, match=r"only 1 point; at least 10 are needed \(skipped 2 of 3 rows "
                                              r"\(1 beyond the float32 range, 1 not numeric\): line 2 holds a value "
                                              r"beyond the float32 range.*line 3 is not numeric \(3, oops\)\)"):
        read_points_csv("1,2\n1e39,1\n3,oops\n")


def test_a_field_longer_than_the_csv_module_allows_is_a_bad_row_not_a_crash():
    long_line = "1," + "9" * 200_000  # the csv module's own field limit is 131,072 characters
    text = "\n".join([f"{i},{i}" for i in range(5)] + [long_line] + [f"{i},{i}" for i in range(5, 10)])
    got = load_points_csv(text.encode())
    assert len(got.points) == 10 and got.examples == [(6, f"is longer than {points_csv.MAX_LINE_CHARS:,} characters",
                                                       "")]
    # the same as the last line, without a newline after it, and as the only content
    assert load_points_csv(text + "\n" + long_line).examples[-1][0] == 12
    with pytest.raises(PointsFileError, match="no usable points"):
        read_points_csv(long_line)


class CountingBytes(io.BytesIO):
    """A binary stream that counts the bytes taken from it."""

    taken = 0

    def read(self, n=-1):
        data = super().read(n)
        self.taken += len(data)
        return data

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self.taken += n
        return n


def test_a_big_file_stops_at_the_first_limit_without_reading_the_rest():
    big = "".join(f"{i % 97},{i % 89}\n" for i in range(200_000)).encode()  # ~1.8 MB
    stream = CountingBytes(big)
    with pytest.raises(PointsFileError, match=r"more than 50 points \(stopped reading at line 51\)"):
        load_points_csv(stream, max_points=50)
    assert stream.taken <= 16_384  # a buffer or two, not the 1.8 MB
    bad = CountingBytes(b"a,b\n" * 500_000)  # 2 MB of rows that are all wrong
    with pytest.raises(PointsFileError, match=r"more than 100 rows are unusable \(stopped reading at line 102;"):
        load_points_csv(bad, max_bad_rows=100)  # line 1 is taken for a header
    assert bad.taken <= 16_384


def test_a_stream_larger_than_the_byte_limit_is_refused_while_reading():
    stream = CountingBytes(csv_text().encode() * 2000)
    with pytest.raises(PointsFileError, match="larger than the limit of 0 MB"):
        load_points_csv(stream, max_bytes=20_000)
    assert stream.taken <= 20_001
    assert len(load_points_csv(CountingBytes(csv_text().encode()), max_bytes=20_000).points) == 12


def test_quoted_cells_are_read_and_stray_quotes_make_a_bad_row():
    text = '"x","y"\n' + "\n".join(f'"{x}","{y}"' for x, y in POINTS[:10]) + '\n"1,2\n'  # last: an unclosed quote
    got = load_points_csv(text)
    np.testing.assert_array_equal(got.points, EXPECTED[:10])
    assert got.examples == [(12, "has 1 column", "1,2")]
