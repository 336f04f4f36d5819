"""The class view page through AppTest: refused without the host token (and never showing it),
listing other sessions' runs with it, and a broadcast reaching another session's page."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ganlab.ui import class_participant
from ganlab.ui import session as session_module
from ganlab.ui.class_access import ENV_TOKEN
from ganlab.ui.lesson_state import LESSON_POSITION_KEY, LessonPosition
from tests.apptest_pages import ENTRY, open_with, run_ok

SECRET = "host-Secret-7f3a"
CLASS = "pages/6_Class.py"
SMALL = {"gw": "16", "dw": "16", "gl": "1", "dl": "1"}


SESSION_NAME = "test_session_name"


def _named_session_id() -> str:
    return st.session_state.get(SESSION_NAME, "test session id")


@pytest.fixture
def shared_server(monkeypatch):
    """Every AppTest of one test shares the server-wide caches (registry, mailbox), as the
    sessions of one server do; cleared around the test (which releases the runners). AppTest
    gives every app the same session id: here each is told its own, as a server's sessions have."""
    monkeypatch.setattr(session_module, "session_id", _named_session_id)
    monkeypatch.setattr(class_participant, "session_id", _named_session_id)
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


_sessions = iter(range(1, 1_000_000))


def session(page: str) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.session_state[SESSION_NAME] = f"session-{next(_sessions)}"
    at.switch_page(page)
    return at


def all_text(node) -> str:
    """Every value, body and label drawn on the page (the tree walked), as one string."""
    parts = []
    for attr in ("value", "body", "label", "placeholder", "help"):
        value = getattr(node, attr, None)
        if isinstance(value, str) and value not in parts:  # a markdown's value is its body too
            parts.append(value)
    for child in getattr(node, "children", {}).values():
        parts.append(all_text(child))
    return "\n".join(parts)


def page_text(at: AppTest) -> str:
    return all_text(at.main) + "\n" + all_text(at.sidebar)


def participant(**lesson) -> AppTest:
    at = open_with(session("pages/1_Playground.py"), SMALL, data="grid")
    if lesson:
        at.session_state[LESSON_POSITION_KEY] = LessonPosition(**lesson)
        run_ok(at)
    return at


def host(monkeypatch, token: str | None, env: str | None = SECRET) -> AppTest:
    if env is None:
        monkeypatch.delenv(ENV_TOKEN, raising=False)
    else:
        monkeypatch.setenv(ENV_TOKEN, env)
    at = session(CLASS)
    if token is not None:
        at.query_params["token"] = token
    return run_ok(at)


def test_without_the_variable_the_page_says_how_to_switch_it_on(shared_server, monkeypatch):
    participant()
    at = host(monkeypatch, SECRET, env=None)
    text = page_text(at)
    assert "switched off" in at.info[0].value
    assert any(f"{ENV_TOKEN}=<a secret of your choosing> streamlit run app.py" in c.value for c in at.code)
    assert "token" not in at.query_params
    assert "P1" not in text and "grid" not in text and not at.selectbox


def test_a_wrong_token_is_refused_without_a_hint_and_shows_no_one(shared_server, monkeypatch):
    participant()
    at = host(monkeypatch, "host-Secret-7f3b")
    text = page_text(at)
    assert "not this server's host token" in at.error[0].value
    assert "token" not in at.query_params
    assert SECRET not in text and "host-Secret" not in text
    assert "P1" not in text and not at.selectbox
    at = run_ok(session(CLASS))  # no token at all: told how to get in, nothing shown
    assert "for the workshop's host" in at.info[0].value and "P1" not in page_text(at)


def test_the_host_sees_both_participants_runs_and_never_the_token(shared_server, monkeypatch):
    anna = participant(lesson="mode-collapse", step=2, title="Watch it collapse")
    participant()
    at = host(monkeypatch, SECRET)
    assert "token" not in at.query_params
    text = page_text(at)
    assert SECRET not in text
    assert "**P1** · paused" in text and "**P2** · paused" in text
    assert text.count("2D grid") == 2 and "mode-collapse, step 2" in text and "modes" in text
    for token in [anna.query_params["run"]]:  # nor any participant's run token
        assert (token[0] if isinstance(token, list) else token) not in text
    assert at.selectbox(key="class_sort").options[0] == "Order of arrival"
    at.selectbox(key="class_large").set_value(at.selectbox(key="class_large").options[1])
    run_ok(at)
    assert any("P1: 2D grid" in h.value for h in at.subheader)  # the large view, read-only:
    assert not [b for b in at.button if b.label in ("Play", "Pause", "Step")]
    assert run_ok(at).query_params.get("token") is None  # later reruns: still the host, still no token


def test_a_broadcast_reaches_another_sessions_page_and_its_button_follows_the_link(shared_server, monkeypatch):
    anna = participant()
    at = host(monkeypatch, SECRET)
    at.text_input(key="class_message").input("Now switch the loss to **hinge**")
    at.text_input(key="class_link").input("/Dynamics?x=1")
    at.button[0].click()  # Send to everyone
    run_ok(at)
    assert "There is no page" not in page_text(at) and not at.error
    run_ok(anna)
    shown = [m.value for m in anna.markdown if "From the host" in m.value]
    assert shown == [r":material/campaign: **From the host:** Now switch the loss to \*\*hinge\*\*"]
    next(b for b in anna.button if b.label == "Open it").click()
    run_ok(anna)
    assert anna.query_params.get("x") in ("1", ["1"])  # followed to the Dynamics page, with its query
    assert not [m for m in anna.markdown if "From the host" in m.value]  # and it is not shown again


def test_a_participant_dismisses_a_message_and_a_newer_one_replaces_it(shared_server, monkeypatch):
    anna = participant()
    at = host(monkeypatch, SECRET)
    at.text_input(key="class_message").input("first")
    at.button[0].click()
    run_ok(at)
    run_ok(anna)
    next(b for b in anna.button if b.label == "Dismiss").click()
    run_ok(anna)
    assert not [m for m in anna.markdown if "From the host" in m.value]
    at.text_input(key="class_message").input("second")
    at.button[0].click()
    run_ok(at)
    run_ok(anna)
    assert [m.value for m in anna.markdown if "From the host" in m.value] == [
        ":material/campaign: **From the host:** second"]
    assert not [b for b in anna.button if b.label == "Open it"]  # no link, no button


def test_a_link_out_of_the_app_is_refused_and_nothing_is_sent(shared_server, monkeypatch):
    anna = participant()
    at = host(monkeypatch, SECRET)
    at.text_input(key="class_message").input("click here")
    at.text_input(key="class_link").input("https://example.com")
    at.button[0].click()
    run_ok(at)
    assert "must be a page of this app" in at.error[0].value
    assert at.text_input(key="class_message").value == "click here"  # kept for fixing
    run_ok(anna)
    assert not [m for m in anna.markdown if "From the host" in m.value]


def test_the_host_sends_a_lesson_step_picked_by_name_and_following_it_opens_the_step_with_its_settings(
        shared_server, monkeypatch):
    from ganlab.ui.lessons import lesson_by_id

    lesson = lesson_by_id("mode-collapse")
    step = lesson.steps[1]
    anna = participant()
    at = host(monkeypatch, SECRET)
    at.selectbox(key="class_pick_step").select(f"{lesson.title} · 2. {step.title}")
    run_ok(at)
    link = at.text_input(key="class_link").value
    assert link.startswith(f"/{step.page}?") and "lesson=mode-collapse" in link and "lstep=2" in link
    next(b for b in at.button if b.label == "Send to everyone").click()
    run_ok(at)
    assert not at.error
    run_ok(anna)
    next(b for b in anna.button if b.label == "Open it").click()
    run_ok(anna)
    params = {k: (v[0] if isinstance(v, list) else v) for k, v in anna.query_params.items()}
    assert params["lesson"] == "mode-collapse" and params["lstep"] == "2"
    assert {k: params.get(k) for k in step.settings} == step.settings  # the step's own settings, not just its number
