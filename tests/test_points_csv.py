import numpy as np
import pytest
import torch

from ganlab.data import points_csv
from ganlab.data.points_csv import PointsFileError, empirical_distribution, read_points_csv

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


def test_row_with_three_columns_names_the_row():
    rows = POINTS[:2] + [(1, "2,3")] + POINTS[3:]  # third row: 1,2,3
    with pytest.raises(PointsFileError, match=r"line 3 has 3 columns.*exactly two"):
        read_points_csv(csv_text(points=rows))


def test_single_column_file_is_refused():
    with pytest.raises(PointsFileError, match="line 1 has 1 columns"):
        read_points_csv("\n".join(str(i) for i in range(12)))


def test_text_row_names_the_row_and_content():
    rows = POINTS[:4] + [("abc", 5)] + POINTS[5:]
    with pytest.raises(PointsFileError, match=r"line 5 is not numeric: abc, 5"):
        read_points_csv(csv_text(points=rows))


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
def test_non_finite_value_names_the_row(bad):
    rows = POINTS[:6] + [(1.0, bad)] + POINTS[7:]
    with pytest.raises(PointsFileError, match=r"line 7 holds a non-finite value"):
        read_points_csv(csv_text(points=rows))


def test_too_few_rows():
    with pytest.raises(PointsFileError, match=r"only 3 points; at least 10"):
        read_points_csv(csv_text(header="x,y", points=POINTS[:3]))
    assert read_points_csv(csv_text(points=POINTS[:10])).shape == (10, 2)


def test_empty_file():
    with pytest.raises(PointsFileError, match="empty"):
        read_points_csv(b"")
    with pytest.raises(PointsFileError, match="empty"):
        read_points_csv("\n\n  \n")


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


def test_errors_name_the_line_a_text_editor_shows():
    # header on line 1, a blank line 3, the bad value on line 5
    text = "x,y\n0,0\n\n1,1\n2,oops\n" + "\n".join(f"{i},{i}" for i in range(10))
    with pytest.raises(PointsFileError, match=r"line 5 is not numeric: 2, oops"):
        read_points_csv(text)
