"""The Home page's lesson cards: one click opens a lesson's first step (ganlab.ui.lesson_panel)."""

from __future__ import annotations

import streamlit as st

from ganlab.ui.lesson_panel import step_link
from ganlab.ui.lessons import lessons_dir, shipped_lessons

COLUMNS = 3  # three cards a row fit the main column at 1024 px with the sidebar open


def lesson_cards() -> None:
    lessons, error = shipped_lessons()
    if error:
        st.warning(f"The lessons could not be offered: {error}")
    if not lessons:
        return
    st.subheader("Lessons")
    st.caption("Guided steps: each opens a page with its settings, says what to do and what to watch, and ticks "
               "its goal when the live numbers reach it.")
    for start in range(0, len(lessons), COLUMNS):
        for column, lesson in zip(st.columns(COLUMNS), lessons[start:start + COLUMNS], strict=False):
            with column.container(border=True, key=f"lesson_card_{lesson.id}", gap="small"):
                st.image(str(lessons_dir() / lesson.picture), width="stretch")
                # the title as text (it wraps: a page link's label is cut to one line), the link below it
                st.markdown(f"**{lesson.title}**")
                st.caption(lesson.summary)
                page, params = step_link(lesson, 1)
                st.page_link(page, label="Start", icon=":material/school:", query_params=params,
                             help=f"Open step 1 of {len(lesson.steps)}")
