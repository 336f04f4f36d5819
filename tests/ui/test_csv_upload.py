"""The playground's CSV upload through AppTest: a file with some bad rows trains on the good
ones and says which rows were skipped and why (issue 11.7, 12.8)."""

from __future__ import annotations

import pytest

from tests.apptest_pages import fresh_app, open_with, runner_of
from tests.conftest import wait_until

PAGE = "pages/1_Playground.py"
SMALL = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}


@pytest.fixture
def app():
    yield from fresh_app(PAGE)


def test_bad_rows_are_skipped_reported_and_the_good_ones_train(app):
    at = open_with(app, SMALL)
    runner = runner_of(at)
    good = [f"{i % 7},{(i * 3) % 5}" for i in range(30)]
    text = "x,y\n" + "\n".join(good[:10] + ["4,oops", "1e308,2"] + good[10:] + ["5"]) + "\n"
    at.selectbox(key="pg_data").set_value("csv").run()
    at.file_uploader(key="pg_csv_file").set_value(("some-bad.csv", text.encode(), "text/csv")).run()
    assert not at.exception and not at.error
    warnings = [w.value for w in at.warning]
    assert warnings == ["some-bad.csv: Using 30 points; skipped 3 of 33 rows (1 not numeric, 1 beyond the float32 "
                        "range, 1 not two columns): line 12 is not numeric (4, oops); line 13 holds a value beyond "
                        "the float32 range (±3.4e+38) (1e308, 2); line 34 has 1 column (5)."]
    wait_until(lambda: runner.experiment.structure.data == "csv")
    data = runner.experiment.dataset
    assert data.label == "some-bad.csv" and data.description == "30 points from a CSV file."
    assert data.bounds[1] < 10  # 1e308 never reached the data
    # the report stays on the page across reruns (the file is not parsed again)
    at.run()
    assert [w.value for w in at.warning] == warnings


def test_a_shared_link_to_csv_data_says_the_points_do_not_travel(app):
    """A link with data=csv carries the settings but not the uploaded file: the page says so
    plainly and asks for the file, instead of a bare 'upload a CSV' (issue 11.7)."""
    at = open_with(app, SMALL, data="csv")
    infos = " ".join(i.value for i in at.info)
    assert "Links carry settings, not uploaded files" in infos
    assert "upload the same CSV file" in infos
