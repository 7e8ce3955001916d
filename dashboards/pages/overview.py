"""Overview for leadership: reach and actions over time by channel, campaigns side by side, by geography."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards import queries, ui

CHANNEL = {
    "delivered": "email",
    "opened": "email",
    "clicked": "email",
    "texted": "sms",
    "replied": "sms",
    "called": "call",
    "signed": "action",
    "submitted": "action",
    "rsvped": "action",
    "wrote": "action",
}
T = ui.texts()
me = ui.user()

st.title(T("overview.title"))
st.caption(T("overview.intro"))
ui.scope_note(T, me)

campaigns = {c["campaign_id"]: c for c in queries.campaigns()}
side = queries.campaigns_side_by_side(me.scope)
totals = {s: int(side.get_column(s).sum()) if side.height else 0 for s in queries.EVENT_COLUMNS}

# Two rows: the asks (emails, texts, calls) with the campaign count, then what members did on
# Action Network (signed, submitted, rsvped, wrote) and acted (any of those or a call).
asks, actions_done = queries.EVENT_COLUMNS[:5], queries.EVENT_COLUMNS[5:]
cols = st.columns(len(asks) + 1)
cols[0].metric(T("overview.campaigns"), T.int(len(campaigns)))
for col, step in zip(cols[1:], asks, strict=True):
    col.metric(T(f"overview.total_{step}"), T.int(totals[step]))
for col, step in zip(st.columns(len(asks) + 1)[1:], actions_done, strict=True):
    col.metric(T(f"overview.total_{step}"), T.int(totals[step]))
st.caption(T("overview.totals_note"))

# ---------------------------------------------------------------- over time
weekly = queries.activity_by_week(me.scope)
st.subheader(T("overview.over_time"))
reach_col, action_col = st.columns(2)
for col, title, actions in (
    (reach_col, T("overview.reach"), ("delivered", "texted")),
    (
        action_col,
        T("overview.actions"),
        ("opened", "clicked", "replied", "called", "signed", "submitted", "rsvped", "wrote"),
    ),
):
    fig = go.Figure()
    for action in actions:
        series = weekly.filter(pl.col("action") == action)
        fig.add_scatter(
            x=series.get_column("week").to_list(),
            y=series.get_column("n").to_list(),
            mode="lines+markers",
            name=f"{T(f'event.{action}')} ({T('channel.' + CHANNEL[action])})",
            line={"color": ui.COLORS[action]},
        )
    col.markdown(f"**{title}**")
    fig.update_layout(yaxis_title=T("overview.per_week"))
    ui.date_ticks(fig, T, sorted(set(weekly.get_column("week").to_list())))
    col.plotly_chart(ui.style(fig, T, 340), width="stretch", key=f"ov_{actions[0]}")

# ---------------------------------------------------------------- campaigns side by side
st.subheader(T("overview.side_by_side"))
if side.height:
    names = [T.campaign_name(campaigns[c]) for c in side.get_column("campaign_id").to_list()]
    bars = go.Figure()
    for step in queries.EVENT_COLUMNS:
        values = side.get_column(step).to_list()
        bars.add_bar(
            y=names, x=values, name=T(f"event.{step}"), orientation="h", marker_color=ui.COLORS[step]
        )
    bars.update_layout(barmode="group", yaxis={"autorange": "reversed"}, xaxis_title=T("funnel.people"))
    st.plotly_chart(ui.style(bars, T, max(320, 60 * side.height)), width="stretch", key="ov_side")
    side = side.with_columns(pl.Series("name", names))
    ui.table(
        side,
        {
            "name": (T("common.campaign"), None),
            "starts": (T("overview.starts"), T.date),
            **{s: (T(f"event.{s}"), T.int) for s in queries.EVENT_COLUMNS},
        },
    )

# ---------------------------------------------------------------- by province / state
st.subheader(T("overview.by_geo"))
geo = queries.by_geography(me.scope)
if geo.height == 0:
    st.info(T("common.no_data"))
else:
    top = geo.head(30)
    labels = [f"{g} · {T(f'country.{c}')}" for c, g in top.select("country", "geo").rows()]
    fig = go.Figure()
    fig.add_bar(
        y=labels,
        x=top.get_column("people").to_list(),
        name=T("overview.people"),
        orientation="h",
        marker_color="#bdc3c7",
    )
    for step in ("opened", "called", "acted"):
        fig.add_bar(
            y=labels,
            x=top.get_column(step).to_list(),
            name=T(f"overview.people_{step}"),
            orientation="h",
            marker_color=ui.COLORS[step],
        )
    fig.update_layout(barmode="overlay", yaxis={"autorange": "reversed"}, xaxis_title=T("funnel.people"))
    st.plotly_chart(ui.style(fig, T, max(320, 22 * top.height + 80)), width="stretch", key="ov_geo")
    st.caption(T("overview.geo_note"))
