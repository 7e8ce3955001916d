"""Follow-up: did the follow-up text bring calls? The texted against the untexted parent cohort,
then the saved segments' held-out lift (treatment against a random control).

The texted and the untexted chose themselves (who had a phone, who was picked):
their difference is shown with an interval and a small-sample warning, and
the page points to the held-out lift as the measure of what a text did.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards import queries, ui

T = ui.texts()
me = ui.user()

st.title(T("follow.title"))
st.caption(T("follow.intro"))
ui.scope_note(T, me)

campaigns = queries.campaigns()
by_id = {c["campaign_id"]: c for c in campaigns}
follow_ups = [c for c in campaigns if c["follow_up_of"] in by_id]
if not follow_ups:
    st.info(T("follow.none"))
    st.stop()

c1, c2 = st.columns([3, 2])
with c1:
    follow = ui.campaign_picker(T, follow_ups, "fu_campaign")
with c2:
    did = ui.select(
        T("follow.parent_did"),
        ["opened", "delivered", "clicked"],
        "fu_did",
        format_func=lambda e: T(f"event.{e}"),
    )
parent = by_id[follow["follow_up_of"]]
start = follow["sms_sent_from"] or dt.datetime.combine(follow["starts"], dt.time())
st.markdown(
    T("follow.question", parent=T.campaign_name(parent), did=T(f"event.{did}").lower(), start=T.date(start))
)

groups = queries.follow_up(follow, did, me.scope)
texted, control = groups["texted"], groups["control"]
rate_t = texted["called"] / texted["people"] if texted["people"] else None
rate_c = control["called"] / control["people"] if control["people"] else None
m1, m2, m3 = st.columns(3)
m1.metric(T("follow.texted"), T.pct(rate_t), help=T("follow.group_help", n=T.int(texted["people"])))
m1.caption(T("follow.called_of", called=T.int(texted["called"]), people=T.int(texted["people"])))
m2.metric(T("follow.control"), T.pct(rate_c), help=T("follow.group_help", n=T.int(control["people"])))
m2.caption(T("follow.called_of", called=T.int(control["called"]), people=T.int(control["people"])))
lift = None if rate_t is None or rate_c is None else (rate_t - rate_c) * 100
m3.metric(T("follow.lift"), "—" if lift is None else T("follow.points", n=T.dec(lift)))
interval = queries.difference_interval(
    texted["called"], texted["people"], control["called"], control["people"]
)
if interval is not None:
    m3.caption(T("follow.interval_of", low=T.dec(interval[0] * 100), high=T.dec(interval[1] * 100)))
if min(texted["people"], control["people"]) < queries.SMALL_GROUP:
    st.warning(
        T(
            "follow.small_sample",
            texted=T.int(texted["people"]),
            control=T.int(control["people"]),
            least=T.int(queries.SMALL_GROUP),
        )
    )
st.caption(T("follow.self_selected"))

# Cumulative share of each group that has called, day by day from the follow-up's start.
last = max(
    [start.date() + dt.timedelta(days=14)]
    + [g["daily"].get_column("day").max() for g in groups.values() if g["daily"].height]
)
days = [start.date() + dt.timedelta(days=i) for i in range((last - start.date()).days + 1)]
fig = go.Figure()
for name, g, colour in (("texted", texted, "texted_group"), ("control", control, "control_group")):
    per_day = dict(g["daily"].rows())
    total, share = 0, []
    for d in days:
        total += per_day.get(d, 0)
        share.append(total / g["people"] if g["people"] else None)
    fig.add_scatter(
        x=days,
        y=share,
        mode="lines",
        name=T(f"follow.{name}"),
        line={"color": ui.COLORS[colour], "shape": "hv"},
        hovertext=[f"{T.date(d)}: {T.pct(s)}" for d, s in zip(days, share, strict=True)],
        hoverinfo="text",
    )
# A share axis from 0 (never −100%…100% when nobody has called yet), to a little above the top.
top = max([v for g in fig.data for v in g.y if v is not None] + [0.0])
fig.update_layout(
    yaxis={"tickformat": ".0%", "title": T("follow.cumulative"), "range": [0, max(0.1, min(1.0, top * 1.15))]}
)
ui.date_ticks(fig, T, days)
st.plotly_chart(ui.style(fig, T, 380), width="stretch", key="fu_chart")
st.caption(T("follow.method"))
daily = pl.DataFrame(
    {
        T("follow.day"): [T.date(d) for d in days],
        T("follow.texted"): [dict(texted["daily"].rows()).get(d, 0) for d in days],
        T("follow.control"): [dict(control["daily"].rows()).get(d, 0) for d in days],
    }
)
with st.expander(T("follow.daily_calls")):
    st.dataframe(daily, hide_index=True, width="stretch")

# Saved segments (segments.yml): treatment against a randomly held-out control.
st.divider()
st.subheader(T("follow.segments_title"))
st.caption(T("follow.segments_intro"))
measured = list(queries.segment_lift(me.scope).iter_rows(named=True))
if not measured:
    st.info(T("follow.segments_none"))
else:

    def share(r: dict, arm: str) -> str:
        return f"{T.pct(r[f'rate_{arm}'])} ({T.int(r[f'converted_{arm}'])}/{T.int(r[f'n_{arm}'])})"

    def points(x: float | None) -> str:
        return "—" if x is None else T.dec(x * 100)

    lift_table = pl.DataFrame(
        {
            T("follow.segment"): [T.campaign_name(r) for r in measured],
            T("follow.outcome"): [
                T(
                    "follow.outcome_within",
                    event=T(f"event.{r['outcome_event']}"),
                    days=r["outcome_window_days"],
                )
                for r in measured
            ],
            T("follow.treatment"): [share(r, "treatment") for r in measured],
            T("follow.held_out"): [share(r, "control") for r in measured],
            T("follow.lift"): [points(r["lift"]) for r in measured],
            T("follow.interval"): [
                T("follow.not_yet")
                if r["lift_ci_low"] is None
                else f"{points(r['lift_ci_low'])} … {points(r['lift_ci_high'])}"
                for r in measured
            ],
        }
    )
    st.dataframe(lift_table, hide_index=True, width="stretch")
    # The lift fills in as outcomes arrive: say when a segment cannot be judged yet.
    if any(min(r["n_treatment"], r["n_control"]) < queries.SMALL_GROUP for r in measured):
        st.warning(T("follow.segments_small", least=T.int(queries.SMALL_GROUP)))
    st.caption(T("follow.segments_method"))

# When each segment's tag was last synced to Action Network, and what changed (admins: the counts
# are the whole segment's, not one affiliate's).
if me.scope is None:
    syncs = list(queries.segment_syncs().iter_rows(named=True))
    st.divider()
    st.subheader(T("follow.sync_title"))
    if not syncs:
        st.info(T("follow.sync_none"))
    else:
        st.dataframe(
            pl.DataFrame(
                {
                    T("follow.segment"): [T.campaign_name(r) for r in syncs],
                    T("follow.sync_mode"): [T(f"follow.sync_mode_{r['mode']}") for r in syncs],
                    T("follow.sync_last"): [T.datetime(r["finished_at"]) for r in syncs],
                    T("follow.sync_outcome"): [T(f"follow.sync_{r['outcome']}") for r in syncs],
                    T("follow.sync_added"): [T.int(r["added"]) for r in syncs],
                    T("follow.sync_removed"): [T.int(r["removed"]) for r in syncs],
                    T("follow.sync_failed"): [T.int(r["failed"]) for r in syncs],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        for r in syncs:
            st.caption(
                T(
                    "follow.sync_line",
                    segment=T.campaign_name(r),
                    when=T.datetime(r["finished_at"]),
                    added=T.int(r["added"]),
                    removed=T.int(r["removed"]),
                )
            )
        st.caption(T("follow.sync_method"))
