"""The broadcast's mailbox and what may be sent through it."""

from __future__ import annotations

import pytest

from ganlab.ui.class_mailbox import LINK_CAP, MESSAGE_CAP, BadBroadcast, Mailbox, check_link, check_message, page_url_path
from ganlab.ui.class_participant import plain_markdown
from ganlab.ui.nav import PAGES

FILES = tuple(path for path, _, _ in PAGES)


def test_page_url_paths_are_streamlits():
    assert [page_url_path(f) for f in ("app.py", "pages/1_Playground.py", "pages/7_Side_by_side.py")] == [
        "", "Playground", "Side_by_side"]


def test_a_lesson_step_link_opens_its_page_with_its_query():
    assert check_link("/Playground?lesson=mode-collapse&lstep=2", FILES) == (
        "pages/1_Playground.py", {"lesson": "mode-collapse", "lstep": "2"})
    assert check_link("/", FILES) == ("app.py", {})
    assert check_link("/Dynamics", FILES) == ("pages/5_Dynamics.py", {})
    assert check_link("   ", FILES) is None


@pytest.mark.parametrize("link", [
    "https://example.com/Playground", "//example.com/Playground", "javascript:alert(1)", "Playground",
    "/Playground#x", "/Nowhere", "/Class", "/Playground?lesson=a b", "/\\\\evil", "/Playground?=&&",
])
def test_links_out_of_the_app_or_to_unknown_pages_are_refused(link):
    with pytest.raises(BadBroadcast):
        check_link(link, FILES)


def test_caps_are_checked_before_anything_else():
    with pytest.raises(BadBroadcast, match=f"keep it to {LINK_CAP}"):
        check_link("/" + "a" * LINK_CAP, FILES)
    with pytest.raises(BadBroadcast, match=f"keep it to {MESSAGE_CAP}"):
        check_message("x" * (MESSAGE_CAP + 1))
    assert check_message("  Now try hinge.  ") == "Now try hinge."


def test_a_newer_message_replaces_the_last_and_clearing_counts_as_news():
    box = Mailbox()
    assert (box.version, box.latest()) == (0, None)
    first = box.send("one", None)
    second = box.send("two", "/Runs")
    assert (first.version, second.version, box.latest()) == (1, 2, second)
    box.clear()
    assert (box.version, box.latest()) == (3, None)


def test_messages_are_shown_as_typed():
    assert plain_markdown("**bold** [x](http://a) :red[hi] <b>") == (
        r"\*\*bold\*\* \[x\]\(http\:\/\/a\) \:red\[hi\] \<b\>".replace(r"\/", "/"))
