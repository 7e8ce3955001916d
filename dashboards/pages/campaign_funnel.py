"""Campaign funnel: delivered → opened → clicked → texted → called, per province/state or affiliate.

Each step counts people on its own (a person can call without opening, be texted
without an email), so the steps are not nested: the chart is bars in the order
of the steps, each with its share of the base, not a funnel shape.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl
import streamlit as st
from babel.dates import format_timedelta

from dashboards import queries, ui

T = ui.texts()
me = ui.user()

st.title(T("funnel.title"))
st.caption(T("funnel.intro"))
ui.scope_note(T, me)

campaigns = queries.campaigns()
if not campaigns:
    st.info(T("common.no_campaigns"))
    st.stop()
c1, c2 = st.columns([3, 1])
with c1:
    campaign = ui.campaign_picker(T, campaigns, "fn_campaign", prefer=ui.opens_on)
with c2:
    machine = ui.check(T("cohort.machine_opens"), "fn_machine", widget=st.toggle)
cid = campaign["campaign_id"]

steps = queries.EVENT_COLUMNS
counts = queries.funnel(cid, me.scope, machine)
base_step = next((s for s in ("delivered", "texted") if counts[s]), None)
base = counts[base_step] if base_step else 0

cols = st.columns(len(steps))
for col, step in zip(cols, steps, strict=True):
    rate = counts[step] / base if base else None
    col.metric(T(f"event.{step}"), T.int(counts[step]))
    if base_step and step != base_step:
        col.caption(T("funnel.rate_of", rate=T.pct(rate), base=T(f"event.{base_step}").lower()))
    if step == "called" and not ui.asks_call(campaign):
        col.caption(T("funnel.called_not_asked"))

# Bars in the order of the steps (not a funnel: a later step can be bigger than an earlier one).
labels = [T(f"event.{s}") for s in steps]
fig = go.Figure(
    go.Bar(
        y=labels,
        x=[counts[s] for s in steps],
        orientation="h",
        text=[f"{T.int(counts[s])}" + (f" · {T.pct(counts[s] / base)}" if base else "") for s in steps],
        textposition="auto",
        hovertext=[f"{label}: {T.int(counts[s])}" for label, s in zip(labels, steps, strict=True)],
        hoverinfo="text",
        marker={"color": [ui.COLORS[s] for s in steps]},
    )
)
fig.update_layout(yaxis={"autorange": "reversed"}, xaxis={"rangemode": "tozero"}, showlegend=False)
st.plotly_chart(ui.style(fig, T, 320), width="stretch", key="fn_chart")
st.caption(T("funnel.not_nested"))

# ---------------------------------------------------------------- breakdown
st.subheader(T("funnel.breakdown"))
by = ui.select(
    T("funnel.by"),
    ["geo", "affiliate"],
    "fn_by",
    widget=st.radio,
    format_func=lambda b: T(f"funnel.by_{b}"),
    horizontal=True,
)
table = queries.funnel_breakdown(cid, by, me.scope, machine)
if table.height == 0:
    st.info(T("common.no_data"))
else:
    denominator = (
        pl.when(pl.col("delivered") > 0)
        .then(pl.col("delivered"))
        .when(pl.col("texted") > 0)
        .then(pl.col("texted"))
        .otherwise(None)
    )
    table = table.with_columns(
        (pl.col("opened") / denominator).alias("open_rate"),
        (pl.col("called") / denominator).alias("call_rate"),
    )
    top = table.head(20)
    bars = go.Figure()
    for step, rate in (("opened", "open_rate"), ("called", "call_rate")):
        values = top.get_column(rate).to_list()
        bars.add_bar(
            x=top.get_column("grp").to_list(),
            y=values,
            name=T(f"funnel.rate_{step}"),
            marker_color=ui.COLORS[step],
            text=[T.pct(v) for v in values],
        )
    bars.update_layout(barmode="group", yaxis={"tickformat": ".0%"})
    st.plotly_chart(ui.style(bars, T, 340), width="stretch", key="fn_breakdown_chart")
    ui.table(
        table,
        {
            "grp": (T(f"funnel.by_{by}"), None),
            **{s: (T(f"event.{s}"), T.int) for s in steps},
            "open_rate": (T("funnel.rate_opened"), T.pct),
            "call_rate": (T("funnel.rate_called"), T.pct),
        },
    )

# ---------------------------------------------------------------- time to call
st.subheader(T("funnel.time_to_call"))
ttc = queries.time_to_call(cid, me.scope, machine)
if ttc["n"] == 0:
    st.info(T("funnel.no_calls_after_open"))
else:
    buckets = list(queries.TIME_TO_CALL_BUCKETS)
    hist = go.Figure(
        go.Bar(
            x=[T(f"ttc.{b}") for b in buckets],
            y=[ttc["buckets"][b] for b in buckets],
            text=[T.int(ttc["buckets"][b]) for b in buckets],
            marker_color=ui.COLORS["called"],
        )
    )
    hist.update_layout(xaxis_title=T("funnel.after_open"), yaxis_title=T("funnel.people"))
    st.plotly_chart(ui.style(hist, T, 300), width="stretch", key="fn_ttc_chart")
    median = dt.timedelta(hours=float(ttc["median_hours"]))
    # Babel words the duration in the page's language: "8 days", "8 jours", "5 hours".
    duration = format_timedelta(median, threshold=1.5, locale=T.locale)
    st.caption(T("funnel.median_time", n=T.int(ttc["n"]), duration=duration))
