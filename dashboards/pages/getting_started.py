"""Getting started: a strategist's first follow-up cohort, from the question to the download."""

from __future__ import annotations

import streamlit as st

from dashboards import ui

T = ui.texts()
ui.user()

st.title(T("guide.title"))
st.markdown(T("guide.body"))
st.page_link("pages/cohort_builder.py", label=T("guide.open_builder"), icon=":material/groups:")
