"""The landing page links to the playground and shows no errors."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ENTRY = str(Path(__file__).resolve().parents[1] / "app.py")


def test_home_page_renders_and_links_to_the_playground():
    at = AppTest.from_file(ENTRY, default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "ganlab"
    text = " ".join(m.value for m in at.markdown)
    assert "mode collapse" in text.lower()
    links = [el for el in at.get("page_link")]
    assert [link.proto.page for link in links].count("Playground") == 2  # sidebar nav and body
