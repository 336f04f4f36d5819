"""The "Make a lesson link" panel at the bottom of a shaped page's sidebar: every setting and panel
of the page with Hide and Lock choices, and the link that opens the page as it is now with them
(ganlab.settings.shaping), written out and as a QR code to put on the projector.

The link's address is the browser's (`st.context.url`), so a room can scan it; the session's run
tokens never go into it (they would hand over this session's run)."""

from __future__ import annotations

import functools
import io
from urllib.parse import urlencode, urlsplit

import segno
import streamlit as st

from ganlab.settings.shaping import HIDE, LOCK, PageShape
from ganlab.ui import page_shape
from ganlab.ui.page_shape import SHAPED_PAGES, ShapedPage
from ganlab.ui.projector import URL_KEY as PRESENT
from ganlab.ui.training_page import RUN_URL_KEYS

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
QR_MAX_CHARS = 1000  # a longer link makes a QR code too dense to scan from the back of a room (segno refuses ~2,300)
QR_PRINT_SCALE = 10  # pixels per module of the downloaded PNG: ~700 px for a full link, sharp on a projector


def _names(page: ShapedPage, lockable: bool) -> dict[str, str]:
    """{name in the link: what the choice says}: the panels first, then every setting."""
    panels = {p.name: f"{p.label} (panel)" for p in page.panels if not lockable or p.keys}
    return panels | {f.key: f"{f.label} ({f.key})" for f in page.fields}


def lesson_params(params: dict[str, str], shape: PageShape, defaults: dict[str, str], short: bool) -> dict[str, str]:
    """The link's parameters: the page's (without this session's run tokens, its old hide / lock or
    the projector mode of the screen it was made on),
    with `short` only those that differ from `defaults` or that the shape holds, then hide and lock."""
    held = set(shape.held(params))
    kept = {key: value for key, value in params.items() if key not in RUN_URL_KEYS | {HIDE, LOCK, PRESENT}
            and not (short and key not in held and defaults.get(key) == value)}
    return kept | shape.params()


def lesson_url(base: str | None, url_path: str, params: dict[str, str]) -> str:
    """The link on `base` (the browser's address of the page), or a link from the app's root."""
    query = urlencode(params, safe=",;:")
    return f"{base or '/' + url_path}?{query}" if query else (base or "/" + url_path)


@functools.lru_cache(maxsize=64)  # the sidebar redraws on every rerun; the link rarely changes between them
def qr_image(text: str, kind: str) -> bytes:
    """The QR code of `text` as "svg" (drawn on the page: sharp at any width) or "png" (to download)."""
    buffer = io.BytesIO()
    qr = segno.make(text, error="m")
    if kind == "svg":  # a viewBox and no size: the page gives it its width
        qr.save(buffer, kind="svg", border=2, omitsize=True, xmldecl=False)
    else:
        qr.save(buffer, kind="png", scale=QR_PRINT_SCALE, border=2)
    return buffer.getvalue()


def _address_note(base: str | None) -> None:
    if base is None:
        st.caption("This link starts at the app's root: add the server's address (as participants type it) in front.")
    elif (urlsplit(base).hostname or "") in LOCAL_HOSTS:
        st.caption(":orange[This address is this computer's own: other devices cannot open it. Open the app by the "
                   "server's network address (e.g. `http://192.168.1.20:8501`) and make the link there.]")


def panel(prefix: str) -> None:
    """The panel of the page whose widget keys start with `prefix`, in the sidebar (its bottom, when
    called after the page's other sidebar widgets)."""
    page = SHAPED_PAGES[prefix]
    shape = page_shape.current(prefix)
    hide_key, lock_key = f"lesson_link_hide:{page.url_path}", f"lesson_link_lock:{page.url_path}"
    st.session_state.setdefault(hide_key, list(shape.hidden))  # it starts from the shape this page has
    st.session_state.setdefault(lock_key, list(shape.locked))
    with st.sidebar.expander("Make a lesson link", icon=":material/qr_code_2:"):
        st.caption("Share this page as it is now, with the controls you choose hidden (their values still "
                   "apply) or locked (shown, not changeable). Presets cannot change them either.")
        hides, locks = _names(page, False), _names(page, True)
        hidden = st.multiselect("Hide", list(hides), format_func=hides.get, key=hide_key,
                                placeholder="Controls or panels to hide")
        locked = st.multiselect("Lock", list(locks), format_func=locks.get, key=lock_key,
                                placeholder="Controls to lock")
        short = st.toggle("Only settings that differ from the defaults", value=True, key=f"lesson_link_short:{prefix}",
                          help="A shorter link and a simpler QR code; hidden and locked settings are always in it")
        chosen = PageShape(tuple(hidden), tuple(locked), page.panels)
        params = lesson_params(st.query_params.to_dict(), chosen, page.defaults(), short)
        base = st.context.url
        url = lesson_url(base, page.url_path, params)
        qr_fits = len(url) <= QR_MAX_CHARS
        if qr_fits:
            st.image(qr_image(url, "svg").decode(), width="stretch",
                     caption="Scan to open this page as set here (its fullscreen button shows it large)")
        else:  # a crafted or overgrown link: segno refuses it, and no phone would read it from a projector
            st.caption(f"This link is too long for a QR code ({len(url):,} characters; at most {QR_MAX_CHARS:,}): "
                       "turn on *Only settings that differ*, or remove keys the page does not use from the address.")
        st.code(url, language=None, wrap_lines=True)
        _address_note(base)
        c1, c2 = st.columns(2)
        c1.link_button("Open it", url, width="stretch", help="In a new tab: the page as a participant gets it")
        c2.download_button("QR (PNG)", data=lambda: qr_image(url, "png"), file_name=f"ganlab-{page.url_path.lower()}-lesson.png",
                           mime="image/png", width="stretch", key=f"lesson_link_qr:{prefix}", disabled=not qr_fits)
