"""Saved runs: list, open, replay, compare, rename, delete, resume training."""

import streamlit as st

from ganlab.ui.lesson_panel import lesson_panel
from ganlab.ui.nav import sidebar_nav
from ganlab.ui.runs import runs_page
from ganlab.ui.session import keep_live_runs_in_url

st.set_page_config(page_title="ganlab · runs", page_icon="🧪", layout="wide")
sidebar_nav()
keep_live_runs_in_url()  # a refresh on this page keeps the session's live training
lesson_panel("Runs")  # before the page reads its settings: a lesson step opens it afresh
runs_page()
