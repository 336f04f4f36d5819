"""ganlab's entry page. Pages live in pages/ (Streamlit's file-based navigation,
so every page has its own deep link, e.g. /Playground)."""

import streamlit as st

from ganlab.ui.home import home_page
from ganlab.ui.nav import sidebar_nav
from ganlab.ui.session import keep_live_runs_in_url

st.set_page_config(page_title="ganlab", page_icon="🧪", layout="wide")
sidebar_nav()
keep_live_runs_in_url()  # a refresh on this page keeps the session's live training
home_page()
