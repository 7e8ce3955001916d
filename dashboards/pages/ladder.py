"""The engagement ladder, for leadership: where every member stands, who moved up or fell off.

People per rung at every month's end and today (stacked), and the movement
between two chosen kept days as a flow (a Plotly Sankey) and a table, by
affiliate and province/state. A row of the table is a flow: choosing it
shows its people, a cohort of the cohort engine (`rung_on` twice), to
download or, for an admin, to save as a segment. An affiliate user sees its
own affiliate's ladder. The rule lives in dbt (models/marts/ladder.sql);
this page only reads marts.ladder_counts, marts.ladder_movement and the
cohort engine.
"""

from __future__ import annotations

import shlex

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards import queries, segments_form, ui
from pipelines.lib import cohorts

T = ui.texts()
me = ui.user()
ANY = "*"
# One colour per rung, lowest to highest (unreachable grey … repeat actor dark).
RUNG_COLORS = ("#bdc3c7", "#85929e", "#2e86c1", "#48c9b0", "#8e44ad", "#17202a")
DIRECTIONS = ("up", "same", "down", "fell_off")

st.title(T("ladder.title"))
st.caption(T("ladder.intro"))
ui.scope_note(T, me)

days = queries.ladder_days()
if not days:
    st.info(T("ladder.empty"))
    st.stop()
today = next(day for day, is_today in days if is_today)


def day_label(day) -> str:
    return T("ladder.today_on", day=T.date(day)) if day == today else T.date(day)


def rung_name(rung: int) -> str:
    return T(f"rung.{cohorts.RUNGS[rung]}")


# ---------------------------------------------------------------- filters
options = queries.filter_options(me.scope)
geo_counts = {f"{country}:{code}": n for country, code, n in options["geos"]}
f1, f2, _ = st.columns([3, 3, 4])
with f1:
    if me.scope is None:
        chosen = ui.select(
            T("cohort.affiliate"),
            [ANY, *options["affiliates"]],
            "ld_affiliate",
            format_func=lambda a: T("common.all") if a == ANY else a,
        )
        affiliate = None if chosen == ANY else chosen
    else:
        affiliate = None  # the scope already keeps the user's own affiliate
with f2:
    chosen_geo = ui.select(
        T("cohort.geo"),
        [ANY, *geo_counts],
        "ld_geo",
        format_func=lambda g: (
            T("common.everywhere")
            if g == ANY
            else f"{g.split(':')[1]} · {T('country.' + g.split(':')[0])} ({T.int(geo_counts[g])})"
        ),
    )
    geo = None if chosen_geo == ANY else chosen_geo

# ---------------------------------------------------------------- today
counts = queries.ladder_over_time(me.scope, affiliate, geo)
now = counts.filter(pl.col("is_today"))
by_rung = dict(zip(now.get_column("rung").to_list(), now.get_column("people").to_list(), strict=True))
st.subheader(T("ladder.today_title", day=T.date(today)))
cols = st.columns(len(cohorts.RUNGS))
for rung, col in zip(reversed(range(len(cohorts.RUNGS))), cols, strict=True):
    col.metric(rung_name(rung), T.int(by_rung.get(rung, 0)))
st.caption(T("ladder.rungs_help"))

# ---------------------------------------------------------------- over time
st.subheader(T("ladder.over_time"))
labels = [day_label(day) for day, _ in days]
fig = go.Figure()
for rung in range(len(cohorts.RUNGS)):
    series = dict(
        zip(
            counts.filter(pl.col("rung") == rung).get_column("ladder_day").to_list(),
            counts.filter(pl.col("rung") == rung).get_column("people").to_list(),
            strict=True,
        )
    )
    fig.add_bar(
        x=labels,
        y=[series.get(day, 0) for day, _ in days],
        name=rung_name(rung),
        marker_color=RUNG_COLORS[rung],
    )
# Ticks up to the tallest stack (ui.style would stop at the tallest single rung), a slim bar
# when the ladder is kept on few days.
tallest = int(counts.group_by("ladder_day").agg(pl.col("people").sum()).get_column("people").max() or 0)
ticks = ui.nice_ticks(0, tallest, integer=True)
fig.update_layout(
    barmode="stack",
    bargap=0.7 if len(days) == 1 else 0.35 if len(days) < 4 else 0.2,
    yaxis={"title": T("ladder.people"), "tickvals": ticks, "ticktext": [T.int(t) for t in ticks]},
)
st.plotly_chart(ui.style(fig, T, 380), width="stretch", key="ld_over_time")
st.caption(T("ladder.over_time_note"))

# ---------------------------------------------------------------- movement
st.subheader(T("ladder.movement"))
kept = [day for day, _ in days]
if len(kept) < 2:
    st.info(T("ladder.one_day"))
    st.stop()
m1, m2, _ = st.columns([3, 3, 4])
with m1:
    before = ui.select(T("ladder.from"), kept[:-1], "ld_from", default=kept[-2], format_func=day_label)
with m2:
    after = ui.select(
        T("ladder.to"), [d for d in kept if d > before], "ld_to", default=kept[-1], format_func=day_label
    )
moves = queries.ladder_movement(before, after, me.scope, affiliate, geo)
on_both = int(moves.get_column("people").sum()) if moves.height else 0

# The flow: rungs on the earlier day (left) to rungs on the later day (right).
on_before = {r: int(n) for r, n in moves.group_by("rung_before").agg(pl.col("people").sum()).rows()}
on_after = {r: int(n) for r, n in moves.group_by("rung_after").agg(pl.col("people").sum()).rows()}
rungs = list(reversed(range(len(cohorts.RUNGS))))  # highest first, top to bottom
left = {rung: i for i, rung in enumerate(rungs)}
right = {rung: len(rungs) + i for i, rung in enumerate(rungs)}
sankey = go.Figure(
    go.Sankey(
        arrangement="snap",
        textfont={"color": "#17202a", "size": 13},  # dark on the pale links, not Plotly's white
        node={
            # the day heads each column (below); a node says its rung and its people
            "label": [f"{rung_name(r)} ({T.int(on_before.get(r, 0))})" for r in rungs]
            + [f"{rung_name(r)} ({T.int(on_after.get(r, 0))})" for r in rungs],
            "color": [RUNG_COLORS[r] for r in rungs] * 2,
            "pad": 12,
            # Plotly's own tooltip is English ("Incoming flow count"): the label alone
            "hovertemplate": "%{label}<extra></extra>",
        },
        link={
            "source": [left[r] for r in moves.get_column("rung_before").to_list()],
            "target": [right[r] for r in moves.get_column("rung_after").to_list()],
            "value": moves.get_column("people").to_list(),
            "customdata": [T("ladder.flow_tip", n=T.int(n)) for n in moves.get_column("people").to_list()],
            "hovertemplate": "%{source.label} → %{target.label}<br>%{customdata}<extra></extra>",
            "color": [
                {"up": "rgba(39,174,96,0.35)", "same": "rgba(149,165,166,0.3)"}.get(d, "rgba(192,57,43,0.35)")
                for d in moves.get_column("direction").to_list()
            ],
        },
    )
)
for x, day, anchor in ((0, before, "left"), (1, after, "right")):
    sankey.add_annotation(
        x=x, y=1.0, xref="paper", yref="paper", yanchor="bottom", xanchor=anchor,
        text=f"<b>{day_label(day)}</b>", showarrow=False,
    )  # fmt: skip
ui.style(sankey, T, 460)
sankey.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10})
st.plotly_chart(sankey, width="stretch", key="ld_sankey")

totals = {d: 0 for d in DIRECTIONS}
for direction, n in moves.group_by("direction").agg(pl.col("people").sum()).rows():
    totals[direction] = int(n)
cols = st.columns(len(DIRECTIONS) + 1)
for col, direction in zip(cols, DIRECTIONS, strict=False):
    col.metric(T(f"ladder.direction.{direction}"), T.int(totals[direction]))
cols[-1].metric(T("ladder.on_both"), T.int(on_both))
st.caption(T("ladder.movement_note"))

# ---------------------------------------------------------------- the flows, and their people
st.markdown(f"**{T('ladder.flows')}**")
flows = moves.sort(["rung_before", "rung_after"], descending=True)
ui.table(
    flows,
    {
        "rung_before": (T("ladder.rung_before", day=T.date(before)), rung_name),
        "rung_after": (T("ladder.rung_after", day=T.date(after)), rung_name),
        "direction": (T("ladder.direction_col"), lambda d: T(f"ladder.direction.{d}")),
        "people": (T("ladder.people"), T.int),
    },
)
# A flow is chosen by its rungs ("4>1"): the choice survives a reload and a new publish.
by_flow = {f"{b}>{a}": n for b, a, n in flows.select("rung_before", "rung_after", "people").rows()}
picked = ui.select(
    T("ladder.flow"),
    [ANY, *by_flow],
    "ld_flow",
    format_func=lambda f: (
        T("ladder.flow_none")
        if f == ANY
        else T(
            "ladder.flow_option",
            rung_from=rung_name(int(f.split(">")[0])),
            rung_to=rung_name(int(f.split(">")[1])),
            n=T.int(by_flow[f]),
        )
    ),
    help=T("ladder.flows_help"),
)
if picked == ANY:
    st.stop()
rung_from, rung_to = (int(r) for r in picked.split(">"))
province = state = None
if geo is not None:
    country, code = geo.split(":")
    province, state = (code, None) if country == "CA" else (None, code)
# A flow into today asks for the rung today (`rung`), not on today's date: saved as a
# segment it keeps meaning "now" after today has moved on (that date will not be kept).
after_rung = cohorts.RUNGS[rung_to]
into_today = after == today
cohort = cohorts.Cohort(
    rung_on=(f"{before}:{cohorts.RUNGS[rung_from]}",) + (() if into_today else (f"{after}:{after_rung}",)),
    rung=after_rung if into_today else None,
    affiliate=affiliate,
    province=province,
    state=state,
)
n, preview = queries.cohort_summary(cohort, me.scope)
flow_title = T(
    "ladder.flow_people",
    n=T.int(n),
    rung_from=rung_name(rung_from).lower(),
    day_from=T.date(before),
    rung_to=rung_name(rung_to).lower(),
    day_to=T.date(after),
)
st.markdown(f"**{flow_title}**")
st.dataframe(
    ui.blanks(preview),
    hide_index=True,
    width="stretch",
    column_config={c: st.column_config.TextColumn(T(f"column.{c}")) for c in cohorts.COLUMNS},
)
st.download_button(
    T("cohort.download", n=T.int(n)),
    data=queries.cohort_csv(cohort, me.scope),
    file_name=f"ladder-{before}-{cohorts.RUNGS[rung_from]}-{after}-{cohorts.RUNGS[rung_to]}.csv",
    mime="text/csv",
    on_click="ignore",
    type="primary",
    icon=":material/download:",
    disabled=n == 0,
    key="ld_download",
)
with st.expander(T("cohort.same_as_cli")):
    st.code(
        shlex.join(["rollcall", "cohort", *cohort.to_flags(scope_affiliate=me.scope), "--count"]),
        language="bash",
    )
if me.scope is None:
    st.markdown(f"**{T('segment.title')}**")
    st.caption(T("ladder.segment_intro"))
    campaigns = queries.campaigns()
    if campaigns:
        segments_form.save_form(T, cohort, campaigns, key="ladder", outcome_event="acted")
