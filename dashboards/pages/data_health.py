"""Data health: last load per source, rows loaded, rejected rows with reasons, unmatched emails/phones.

Rejected values and unmatched identifiers can be anyone's, so only admins see
them; an affiliate user sees counts.
"""

from __future__ import annotations

import datetime as dt
import os

import plotly.graph_objects as go
import streamlit as st

from dashboards import queries, ui

T = ui.texts()
me = ui.user()

st.title(T("health.title"))
st.caption(T("health.intro"))

published = dt.datetime.fromtimestamp(os.stat(queries.version()[0]).st_mtime, dt.UTC).replace(tzinfo=None)
st.markdown(T("health.published", when=T.datetime(published)))

st.subheader(T("health.loads"))
loads = queries.loads()
ui.table(
    loads,
    {
        "source": (T("health.source"), lambda s: T(f"source.{s}")),
        "last_load": (T("health.last_load"), T.datetime),
        "files": (T("health.files"), T.int),
        "rows_loaded": (T("health.rows_loaded"), T.int),
        "rows_rejected": (T("health.rows_rejected"), T.int),
    },
)

st.subheader(T("health.rejected"))
reasons = queries.rejected_reasons()
if reasons.height == 0:
    st.success(T("health.no_rejected"))
else:
    labels = [f"{T(f'source.{s}')}: {r}" for s, r in reasons.select("source", "reason").rows()]
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=reasons.get_column("n").to_list(),
            orientation="h",
            text=[T.int(n) for n in reasons.get_column("n").to_list()],
            marker_color="#c0392b",
        )
    )
    fig.update_layout(yaxis={"autorange": "reversed"}, xaxis_title=T("health.rows"))
    st.plotly_chart(ui.style(fig, T, max(240, 34 * reasons.height + 80)), width="stretch", key="dh_rejected")
    if me.admin:
        with st.expander(T("health.rejected_rows")):
            st.dataframe(queries.rejected_sample(), hide_index=True, width="stretch")
    else:
        st.caption(T("health.admin_only"))

st.subheader(T("health.unmatched"))
unmatched = queries.unmatched()
if unmatched.height == 0:
    st.success(T("health.no_unmatched"))
else:
    ui.table(
        unmatched,
        {
            "channel": (T("health.channel"), lambda c: T(f"channel.{c}")),
            "events": (T("health.events"), T.int),
            "identifiers": (T("health.identifiers"), T.int),
        },
    )
    st.caption(T("health.unmatched_note"))
    if me.admin:
        with st.expander(T("health.unmatched_list")):
            st.dataframe(queries.unmatched_identifiers(), hide_index=True, width="stretch")
