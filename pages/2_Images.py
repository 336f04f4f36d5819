"""The image GAN page: DCGAN-style nets on digits, MNIST, Fashion-MNIST, CIFAR-10 or your own images."""

import streamlit as st

from ganlab.ui.images import connect, control_bar, live_view
from ganlab.ui.lesson_panel import lesson_panel
from ganlab.ui.nav import sidebar_nav
from ganlab.ui.session import IMAGES, keep_live_runs_in_url

st.set_page_config(page_title="ganlab · Images", page_icon="🧪", layout="wide")
sidebar_nav()
keep_live_runs_in_url(IMAGES)  # a refresh on this page keeps the session's live training
in_lesson = lesson_panel("Images")  # before the page reads its settings: a lesson step opens it afresh
if not in_lesson:  # the lesson panel names the step; the live view stays on a 1024x768 screen
    st.title("Image GAN")
    st.caption("A DCGAN learns to draw images like the dataset's. The grid shows its samples from fixed noise, so each "
               "cell follows one noise vector over time. Settings under *Training* change live; *Structure* changes "
               "ask before they restart.")
runner = connect()
control_bar(runner)
live_view(runner)
