"""The participant's side of the class view, run on every page: report the open lesson step (the
host's table shows it beside the session's runs) and show the host's newest broadcast.

Both are cheap, for they run every 2 s on every open page of a room: the report is a dict put
under the registry's lock, the broadcast check a version number compared with the last one seen.
Nothing else of the page reruns (a fragment)."""

from __future__ import annotations

import re

import streamlit as st

from ganlab.ui.class_mailbox import Mailbox, check_link
from ganlab.ui.lesson_state import current_position
from ganlab.ui.session import get_registry, session_id

INBOX_POLL_S = 2.0  # a broadcast shows within this plus a page's round trip (the issue asks <= 5 s)
SEEN_KEY = "class_broadcast_seen"  # the version this session last dismissed or followed
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


@st.cache_resource
def get_mailbox() -> Mailbox:
    """The one mailbox of this server (shared by every session)."""
    return Mailbox()


def plain_markdown(text: str) -> str:
    """`text` shown as typed: every Markdown (and Streamlit directive) character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def lesson_labels() -> dict[str, str]:
    """What the host's table shows of this session's place in a lesson (empty outside one)."""
    position = current_position(st.session_state)
    if position is None:
        return {}
    return {"lesson": position.lesson, "step": str(position.step), "title": position.title}


def report_position() -> None:
    """Label this session's runs in the registry with its lesson step."""
    get_registry().label_owner(session_id(), lesson_labels())


def _follow(page_files: tuple[str, ...], link: str, version: int) -> None:
    st.session_state[SEEN_KEY] = version
    target = check_link(link, page_files)  # checked when sent; checked again against this app's pages
    if target is not None:
        st.switch_page(target[0], query_params=target[1])
    st.rerun(scope="app")


def _dismiss(version: int) -> None:
    st.session_state[SEEN_KEY] = version


def broadcast_inbox(page_files: tuple[str, ...]) -> None:
    """The host's newest message on this page, with a button to follow its link and one to
    dismiss it; a newer message replaces it. Checked every INBOX_POLL_S seconds."""

    @st.fragment(run_every=INBOX_POLL_S)
    def inbox() -> None:
        report_position()
        message = get_mailbox().latest()
        if message is None or st.session_state.get(SEEN_KEY, 0) >= message.version:
            return
        with st.container(border=True, key="class_broadcast"):  # one row: it pushes the page down little
            text, follow, dismiss = st.columns([4, 1, 1], vertical_alignment="center")
            text.markdown(f":material/campaign: **From the host:** {plain_markdown(message.text)}")
            if message.link is not None and follow.button(
                    "Open it", key=f"class_follow_{message.version}", type="primary", width="stretch"):
                _follow(page_files, message.link, message.version)
            dismiss.button("Dismiss", key=f"class_dismiss_{message.version}", width="stretch",
                           on_click=_dismiss, args=(message.version,))

    inbox()
