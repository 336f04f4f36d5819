"""The 2D GAN playground: pick data and nets, press play, watch D and G fight."""

import streamlit as st

from ganlab.ui.lesson_panel import lesson_panel
from ganlab.ui.nav import sidebar_nav
from ganlab.ui.playground import connect, control_bar, live_view
from ganlab.ui.session import PLAYGROUND, keep_live_runs_in_url

st.set_page_config(page_title="ganlab · 2D playground", page_icon="🧪", layout="wide")
sidebar_nav()
keep_live_runs_in_url(PLAYGROUND)  # a refresh on this page keeps the session's live training
in_lesson = lesson_panel("Playground")  # before the page reads its settings: a lesson step opens it afresh
if not in_lesson:  # the lesson panel names the step; the live view stays on a 1024x768 screen
    st.title("2D GAN playground")
    st.caption("Real points in green, the generator's in purple; the background is the discriminator's belief "
               "that a point is real. Settings under *Training* change live; *Structure* changes ask before they restart.")
runner = connect()
control_bar(runner)
live_view(runner)
