"""The class view (/Class), for the workshop's host: every live run on the server as a card (who,
lesson step, data, steps, speed, key number, state, a live thumbnail), sortable; one run shown large
for the projector (read-only); and the broadcast to every participant's page.

Nothing of it is drawn before the host token is proved (ganlab.ui.class_access). Participants never
get here: the page is not in the sidebar's list, and without the token it shows no one's data.
"""

from __future__ import annotations

import os

import streamlit as st

from ganlab.formatting import format_number
from ganlab.kinds import kind_of
from ganlab.training import TrainerUnavailable
from ganlab.ui.class_access import REFUSALS, SECRET_COMMAND, START_COMMAND, Access, host_access
from ganlab.ui.class_broadcast import broadcast_panel
from ganlab.ui.class_rows import SORTS, ClassWatch, Listed, sorted_rows
from ganlab.ui.class_thumbs import large_picture
from ganlab.ui.quality import get_monitors
from ganlab.ui.session import get_registry
from ganlab.viz.plots import loss_figure, mode_coverage_figure

REFRESH_S = 2.0  # the issue asks for at least every 2 s
CARDS_PER_ROW = 6  # ~210 px a card at 1400 px, ~150 px at 1024 px: the 112 px thumbnail fits both
SORT_KEY, LARGE_KEY = "class_sort", "class_large"
NOBODY = "(none)"


@st.cache_resource(on_release=lambda watch: watch.shutdown())
def get_class_watch() -> ClassWatch:
    return ClassWatch(quality_of=_quality_of)


def _quality_of(run_id: str):
    """The Quality panel's latest numbers for an image run whose participant switched it on (read
    from the server-wide monitors: no scoring is done for the host)."""
    monitor = get_monitors().by_runner.get(run_id)
    return monitor.latest() if monitor is not None else None


def require_host() -> bool:
    """True for the proved host; otherwise the page says how to get in, and shows nothing else."""
    access = host_access(st.session_state, st.query_params, os.environ)
    if access == Access.HOST:
        return True
    if access == Access.WRONG:
        st.error(REFUSALS[access], icon=":material/lock:")
    else:
        st.info(REFUSALS[access], icon=":material/lock:")
    if access == Access.OFF:
        st.code(START_COMMAND, language="bash")
        st.caption("Make a secret with:")
        st.code(SECRET_COMMAND, language="bash")
        st.caption("Then open this page once as /Class?token=<the secret>. Keep the link to yourself: "
                   "it opens every participant's runs.")
    return False


def _card(item: Listed, watch: ClassWatch) -> None:
    row = item.row
    with st.container(border=True, key=f"class_card_{row.run_id}"):
        picture = watch.thumbs.last(row.run_id)  # drawn by the refresh, in the run's turn
        if picture is not None:
            st.image(picture, width="content")
        else:
            st.caption("no picture yet")
        speed = f", {format_number(row.steps_per_sec, ',.0f')}/s" if row.steps_per_sec else ""
        lines = [f"**{row.who}** · {row.state}", f"{row.kind} {row.data}", f"step {row.step:,}{speed}", row.key_text]
        if row.first_full_step is not None:
            lines.append(f"full at step {row.first_full_step:,}")
        if row.lesson:
            lines.append(row.lesson)
        st.markdown("  \n".join(lines))


def _cards(listed: list[Listed], watch: ClassWatch) -> None:
    for start in range(0, len(listed), CARDS_PER_ROW):
        columns = st.columns(CARDS_PER_ROW)
        for column, item in zip(columns, listed[start:start + CARDS_PER_ROW], strict=False):
            with column:
                _card(item, watch)


def _large(item: Listed) -> None:
    """One run for the projector: its live picture and charts, nothing to press."""
    runner, row = item.entry.runner, item.row
    try:
        snap = runner.snapshot(with_history=True)
    except TrainerUnavailable:
        st.caption("This run has just ended.")
        return
    experiment = runner.experiment
    st.subheader(f"{row.who}: {row.kind} {row.data}, {row.state}, step {row.step:,}")
    st.markdown(row.key_text + (f"  \n{row.lesson}" if row.lesson else ""))
    left, right = st.columns([3, 2])
    picture = large_picture(snap.view, experiment, snap.knobs.loss)
    if picture is not None:
        left.image(picture, width="content")
    else:
        left.caption("No picture yet: it comes once the run has drawn one.")
    right.plotly_chart(loss_figure(snap.history), width="stretch", key="class_large_loss")
    modes_total = kind_of(experiment).modes_total(experiment)
    if modes_total:
        right.plotly_chart(mode_coverage_figure(snap.evals, modes_total), width="stretch", key="class_large_modes")


def _listing() -> None:
    watch = get_class_watch()
    listed = watch.refresh(get_registry().entries())
    if not listed:
        st.info("No live runs on the server yet. They appear here as participants open a training page.")
        return
    top = st.columns([2, 2, 3])
    sort = top[0].selectbox("Sort", list(SORTS), key=SORT_KEY)
    listed = sorted_rows(listed, sort)
    names = {item.row.run_id: f"{item.row.who}: {item.row.kind} {item.row.data}" for item in listed}
    if st.session_state.get(LARGE_KEY) not in (NOBODY, *names):
        st.session_state[LARGE_KEY] = NOBODY  # that run has ended
    large = top[1].selectbox("Show one run large", [NOBODY, *names], key=LARGE_KEY,
                             format_func=lambda run_id: names.get(run_id, run_id))
    training = sum(item.row.state == "training" for item in listed)
    top[2].markdown(f"**{len(listed)}** live runs, **{training}** training, "
                    f"**{len({item.row.participant for item in listed})}** participants")
    if large != NOBODY:
        _large(next(item for item in listed if item.row.run_id == large))
        st.divider()
    _cards(listed, watch)


# The sidebar is folded here, and its header (with the unfold button) covered the title's top half at
# the app's usual top padding (ganlab.ui.nav.PAGE_CSS); projector mode makes the same room.
FOLDED_CSS = '<style>[data-testid="stMainBlockContainer"] { padding-top: 3.75rem; }</style>'


def class_page() -> None:
    st.html(FOLDED_CSS)
    st.title("Class view")
    if not require_host():
        return
    st.caption(f"Every live run on this server, refreshed every {REFRESH_S:g} s. Participants are numbered "
               "in order of arrival; nobody's name or link is shown.")
    with st.expander("Send everyone a message or a lesson step", icon=":material/campaign:"):
        broadcast_panel()
    st.fragment(run_every=REFRESH_S)(_listing)()
