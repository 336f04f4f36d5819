"""Projector mode (issue 25): a training page laid out for a 1024x768 projector. The transport,
the live view, its key numbers and the model graph on one screen, in type readable from the back
of a room, the sidebar folded, and the step buttons on the keyboard.

`present=1` in the link turns it on; the "Projector mode" toggle writes and removes that key, so
the link and the toggle always agree. The session remembers it too: Streamlit's page links drop
the query parameters, and the mode should survive a visit to the Runs page and back.
"""

from __future__ import annotations

from html import escape
from typing import Any, Iterable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

URL_KEY = "present"
TOGGLE_KEY = "projector_toggle"
ON_KEY = "projector_on"  # whether this session is in projector mode
PAGE_KEY = "projector_page"  # the page (its script hash) that last called `start`
TOGGLE_HELP = ("Projector mode: the transport, the live view, its numbers and the model graph on one 1024x768 "
               "screen in large type, the sidebar folded, and the step buttons on the keyboard. "
               "Its link has present=1.")

# The keyboard shortcuts (Streamlit's st.button `shortcut`), only in projector mode: in the normal
# layout a button shows its key beside its label, which would widen the transport row.
KEYS = {"play": "Space", "step": "S", "step_d": "D", "step_g": "G",
        "slowmo_start": "M", "slowmo_next": "Right", "slowmo_previous": "Left"}
KEY_NAMES = {"Right": "→", "Left": "←"}

# Type sizes, chosen for a 1024x768 projector seen from ~10 m: body text 22 px (about 17 pt, the
# smallest slide text rule of thumb is 18-24 pt on a 4:3 projector), the key numbers 40 px.
TEXT_PX, LABEL_PX, NUMBER_PX = 22, 20, 40
CSS = f"""<style>
[data-testid="stMainBlockContainer"] {{ padding-top: 3.75rem; padding-left: 1rem; padding-right: 1rem; }}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li {{ font-size: {TEXT_PX}px; }}
[data-testid="stMain"] [data-testid="stCaptionContainer"] p,
[data-testid="stMain"] [data-testid="stImageCaption"] {{ font-size: 18px; }}
[data-testid="stMain"] button p, [data-testid="stMain"] label p {{ font-size: {TEXT_PX}px; }}
[data-testid="stMain"] button kbd, [data-testid="stMain"] button [aria-label^="Shortcut"] {{ font-size: 16px; }}
[data-testid="stMain"] [data-testid="stExpander"] summary p {{ font-size: {TEXT_PX}px; }}
.ganlab-projector-numbers {{ display: grid; grid-template-columns: 1fr 1fr; gap: 0.2rem 1rem; margin-bottom: 0.5rem; }}
.ganlab-projector-numbers .label {{ font-size: {LABEL_PX}px; color: #444; line-height: 1.2; }}
.ganlab-projector-numbers .value {{ font-size: {NUMBER_PX}px; font-weight: 700; line-height: 1.15; }}
.ganlab-model-graph-caption {{ font-size: 16px !important; }}
</style>"""

__all__ = ["KEYS", "URL_KEY", "key_help", "numbers_html", "on", "shortcut", "start", "toggle"]


def _link_value() -> str | None:
    raw: Any = st.query_params.get_all(URL_KEY)
    return raw[-1] if raw else None  # a repeated key counts by its last value, like the settings'


def _shown(raw: str) -> str:
    text = "".join(c if c.isprintable() else "?" for c in raw)
    return text if len(text) <= 40 else text[:39] + "…"


def start() -> bool:
    """Call on a training page right after the nav: the mode from the link (or, when the link has
    lost it to a page switch, from the session), its style and the folded sidebar. True when on."""
    st.session_state[PAGE_KEY] = _page()
    raw = _link_value()
    if raw in ("1", "0"):
        st.session_state[ON_KEY] = raw == "1"
    elif raw is not None:
        st.warning(f"Link setting {URL_KEY}={_shown(raw)} not understood: present=1 turns projector mode on, "
                   "present=0 off; ignored.")
    present = bool(st.session_state.get(ON_KEY, False))
    _write_link(present)
    if TOGGLE_KEY not in st.session_state or st.session_state[TOGGLE_KEY] != present:
        st.session_state[TOGGLE_KEY] = present
    if present:  # the toggle goes at the end of the transport row (ganlab.ui.training_page.control_bar)
        st.set_page_config(initial_sidebar_state="collapsed")
        st.html(CSS)
    else:
        toggle()
    return present


def _page() -> str | None:
    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.page_script_hash


def on() -> bool:
    """Whether this page is in projector mode: the session's mode, on a page that called `start`.
    Other pages stay off (the side-by-side page's two transport bars would share the keys)."""
    return bool(st.session_state.get(ON_KEY, False)) and st.session_state.get(PAGE_KEY) == _page()


def _write_link(present: bool) -> None:
    if present:
        if st.query_params.get(URL_KEY) != "1":
            st.query_params[URL_KEY] = "1"
    elif URL_KEY in st.query_params:
        del st.query_params[URL_KEY]


def _toggled() -> None:
    present = bool(st.session_state[TOGGLE_KEY])
    st.session_state[ON_KEY] = present
    _write_link(present)  # before the rerun reads the link: the toggle and the link agree


def toggle(where: Any = None) -> None:
    """The "Projector mode" toggle, in `where` (a container; default: the sidebar)."""
    (where if where is not None else st.sidebar).toggle(
        "Projector mode", key=TOGGLE_KEY, on_change=_toggled, help=TOGGLE_HELP)


def shortcut(action: str) -> str | None:
    """The keyboard shortcut of a button (a key of KEYS) in projector mode; None otherwise."""
    return KEYS[action] if on() else None


def key_help(action: str, text: str | None) -> str | None:
    """A button's help with its key named, in projector mode; `text` as it is otherwise."""
    if not on():
        return text
    key = f"key: {KEY_NAMES.get(KEYS[action], KEYS[action])}"
    return f"{text} ({key})" if text else key[0].upper() + key[1:]


def numbers_html(rows: Iterable[tuple[str, str]]) -> str:
    """The key numbers as a two-column grid of large values under their labels."""
    cells = "".join(f'<div><div class="label">{escape(label)}</div><div class="value">{escape(value)}</div></div>'
                    for label, value in rows)
    return f'<div class="ganlab-projector-numbers">{cells}</div>'
