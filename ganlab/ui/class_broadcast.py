"""The host's side of the broadcast: write a short message, optionally with a link into the app
(a lesson step: /Playground?lesson=ID&lstep=N), and send it to every participant's open page."""

from __future__ import annotations

import streamlit as st

from ganlab.ui.class_mailbox import LINK_CAP, MESSAGE_CAP, BadBroadcast, check_link, check_message
from ganlab.ui.class_participant import INBOX_POLL_S, get_mailbox, plain_markdown
from ganlab.ui.nav import PAGES

TEXT_KEY, LINK_KEY = "class_message", "class_link"


def page_files() -> tuple[str, ...]:
    return tuple(path for path, _, _ in PAGES)


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
