"""The host's side of the broadcast: write a short message, optionally with a link into the app
(a lesson step: /Playground?lesson=ID&lstep=N), and send it to every participant's open page."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from ganlab.ui.class_mailbox import LINK_CAP, MESSAGE_CAP, BadBroadcast, check_link, check_message, page_url_path
from ganlab.ui.class_participant import INBOX_POLL_S, get_mailbox, plain_markdown
from ganlab.ui.lesson_panel import step_link
from ganlab.ui.lessons import shipped_lessons
from ganlab.ui.nav import PAGES

TEXT_KEY, LINK_KEY, PICK_KEY = "class_message", "class_link", "class_pick_step"
NO_STEP = "(type a link instead)"


def page_files() -> tuple[str, ...]:
    return tuple(path for path, _, _ in PAGES)


def lesson_step_links() -> dict[str, str]:
    """Each shipped lesson step by its name ("Mode collapse · 2. The cure"), with the relative link
    that opens it with its settings, hide and lock (what a Next button would open)."""
    links = {}
    for lesson in shipped_lessons()[0]:
        for number, step in enumerate(lesson.steps, start=1):
            page, params = step_link(lesson, number)
            links[f"{lesson.title} · {number}. {step.title}"] = f"/{page_url_path(page)}?{urlencode(params)}"
    return links


def _pick_step() -> None:
    """The picked step's link goes into the link field, where the host can still read and change it."""
    link = lesson_step_links().get(st.session_state.get(PICK_KEY, ""))
    if link:
        st.session_state[LINK_KEY] = link


def _send() -> None:
    text, link = st.session_state.get(TEXT_KEY, ""), st.session_state.get(LINK_KEY, "")
    try:
        checked_text = check_message(text)
        check_link(link, page_files())
    except BadBroadcast as exc:
        st.session_state["class_send_problem"] = str(exc)  # shown by the panel; the text stays for fixing
        return
    if not checked_text and not link.strip():
        st.session_state["class_send_problem"] = "Write a message or give a link to send."
        return
    get_mailbox().send(checked_text, link.strip() or None)
    st.session_state.pop("class_send_problem", None)


def broadcast_panel() -> None:
    """The form, what went wrong with the last try, and the message participants see now."""
    st.text_input("Message", key=TEXT_KEY, max_chars=MESSAGE_CAP,
                  placeholder="e.g. Now switch the loss to hinge and watch the modes")
    st.selectbox("Send a lesson step (optional)", (NO_STEP, *lesson_step_links()), key=PICK_KEY, on_change=_pick_step,
                 help="Participants get a button that opens this step with its settings, as its Next button would.")
    st.text_input("Link to a page or lesson step (optional)", key=LINK_KEY, max_chars=LINK_CAP,
                  placeholder="/Playground?lesson=mode-collapse&lstep=2",
                  help="A page of this app, starting with /: participants get a button that opens it.")
    left, right = st.columns(2)
    left.button("Send to everyone", on_click=_send, type="primary", icon=":material/send:")
    mailbox = get_mailbox()
    latest = mailbox.latest()
    right.button("Take the message back", on_click=mailbox.clear, disabled=latest is None)
    problem = st.session_state.get("class_send_problem")
    if problem:
        st.error(problem, icon=":material/error:")
    if latest is not None:
        link = f" (with a button to {latest.link})" if latest.link else ""
        st.caption(f"Shown on every participant's open page within {INBOX_POLL_S + 1:g} s{plain_markdown(link)}: "
                   f"{plain_markdown(latest.text) or '(no text)'}")
