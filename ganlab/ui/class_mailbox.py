"""The host's broadcast to every participant: one server-wide mailbox, and what may go in it.

The mailbox holds the newest message only, with a version number that grows with each one: a
participant's page compares that number with the last one it showed or dismissed, which costs a
lock and an integer comparison (it runs every 2 s on every open page). The class itself is plain
Python, so tests share one mailbox between sessions without a server.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable
from urllib.parse import parse_qsl, urlsplit

MESSAGE_CAP = 280  # characters: a sentence or two for a room, not an essay
LINK_CAP = 300  # characters of a relative link (a lesson step's link is ~40)


@dataclass(frozen=True)
class Broadcast:
    version: int
    text: str  # plain text: shown escaped, never as Markdown or HTML
    link: str | None  # a validated relative in-app link ("/Playground?lesson=ID&lstep=N"), or None
    sent_at: float  # time.time()


class Mailbox:
    """The newest broadcast; thread-safe (every session's fragment reads it, the host writes it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: Broadcast | None = None
        self._version = 0

    @property
    def version(self) -> int:
        with self._lock:
            return self._version

    def latest(self) -> Broadcast | None:
        with self._lock:
            return self._latest

    def send(self, text: str, link: str | None) -> Broadcast:
        """Post a checked message (see check_message, check_link); it replaces the one before."""
        with self._lock:
            self._version += 1
            self._latest = Broadcast(self._version, text, link, time.time())
            return self._latest

    def clear(self) -> None:
        """Take the message back: pages stop showing it at their next check."""
        with self._lock:
            self._version += 1
            self._latest = None


class BadBroadcast(ValueError):
    """What is wrong with a message or link, in words for the host."""


def check_message(text: str) -> str:
    """The message trimmed, or BadBroadcast (too long is refused, not cut: the host rewrites it)."""
    if len(text) > MESSAGE_CAP:
        raise BadBroadcast(f"The message is {len(text):,} characters long; keep it to {MESSAGE_CAP}.")
    return text.strip()


def page_url_path(page_file: str) -> str:
    """The URL path Streamlit gives a page file: "pages/1_Playground.py" -> "Playground", the entry -> ""."""
    if "/" not in page_file:
        return ""
    return re.sub(r"^\d+_", "", Path(page_file).stem)


def check_link(link: str, page_files: Iterable[str]) -> tuple[str, dict[str, str]] | None:
    """A link to send: None for no link, else (the page file it opens, its query) for a relative
    link into this app ("/Playground?lesson=mode-collapse&lstep=2"). Anything else (another site,
    a scheme, an unknown page) is BadBroadcast: a participant's button must not lead out of the app."""
    link = link.strip()
    if not link:
        return None
    if len(link) > LINK_CAP:
        raise BadBroadcast(f"The link is {len(link):,} characters long; keep it to {LINK_CAP}.")
    if not link.startswith("/") or link.startswith("//") or re.search(r"[\s\\\x00-\x1f]", link):
        raise BadBroadcast("The link must be a page of this app, starting with / (e.g. "
                           "/Playground?lesson=mode-collapse&lstep=2).")
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or parts.fragment:
        raise BadBroadcast("The link must be a page of this app, without a site or a # part.")
    by_path = {page_url_path(f): f for f in page_files}
    path = parts.path.strip("/")
    if path not in by_path:
        known = ", ".join("/" + p for p in by_path if p) or "/"
        raise BadBroadcast(f"There is no page /{path} in this app; the pages are /, {known}.")
    try:
        query = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)))
    except ValueError:
        raise BadBroadcast("The part after ? is not a list of key=value pairs joined by &.") from None
    return by_path[path], query
