"""Two 2D runs side by side: one setting apart, started together, on one scale, numbers in one table."""

import streamlit as st

from ganlab.ui.lesson_panel import lesson_panel
from ganlab.ui.nav import sidebar_nav
from ganlab.ui.session import PAIR_A, PAIR_B, keep_live_runs_in_url
from ganlab.ui.side_by_side import header, live_views, sidebar, transports
from ganlab.ui.side_by_side_runs import connect

st.set_page_config(page_title="ganlab · Side by side", page_icon="🧪", layout="wide")
sidebar_nav()
keep_live_runs_in_url(PAIR_A, PAIR_B)  # a refresh on this page keeps the session's live training
lesson_panel("Side_by_side")  # before the page reads its link: a lesson step opens a fresh pair
runners, link_problems = connect()
header(runners, link_problems)
sidebar(runners)
transports(runners)
live_views(runners)
