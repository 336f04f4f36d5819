"""The class view, for the workshop's host (/Class?token=...): every live run on the server."""

import streamlit as st

from ganlab.ui.class_view import class_page
from ganlab.ui.nav import sidebar_nav

# the sidebar folded: six cards a row fit 1024 px (and a projector) beside nothing
st.set_page_config(page_title="ganlab · Class view", page_icon="🧪", layout="wide", initial_sidebar_state="collapsed")
sidebar_nav(participant=False)  # the host's page shows no broadcast and reports no lesson step
class_page()
