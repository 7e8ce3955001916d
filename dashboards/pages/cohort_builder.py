"""Cohort builder: did A [but not B] [within N days], filtered; count, preview, CSV; save as a segment.

Asks the cohort engine exactly what `rollcall cohort` asks it, so the number
here is the number there (the page shows the equivalent command). The
question is the one cohort schema (`cohorts.FIELDS`); its errors are codes
worded from the catalogues (`cohort.error.<code>`).

An admin can save the question as a segment (segments.yml through
`segments.save`, the writer `rollcall segments add` uses), build it at once
(`rollcall segments build` in its own process: it refuses in one line while a
run holds the warehouse), download its treatment list and push it to Action
Network. Affiliate-scoped users cannot save segments: a segment is the whole
organisation's (its control group and its lift are measured over everyone).
"""

from __future__ import annotations

import re
import shlex

import streamlit as st

from dashboards import queries, segments_form, ui
from pipelines.lib import cohorts
from pipelines.lib import segments as seg
from pipelines.lib import warehouse as wh

T = ui.texts()
me = ui.user()
ANY = "*"  # the "no filter" option (a string: None does not survive a session-persisted widget)


def optional(label: str, values, key: str, any_label: str, name=str, **kwargs):
    """A select whose first choice, ANY, asks for nothing; None for it."""
    value = ui.select(
        label, [ANY, *values], key, format_func=lambda v: any_label if v == ANY else name(v), **kwargs
    )
    return None if value == ANY else value


st.title(T("cohort.title"))
st.caption(T("cohort.intro"))
ui.scope_note(T, me)

campaigns = queries.campaigns()
if not campaigns:
    st.info(T("common.no_campaigns"))
    st.stop()
options = queries.filter_options(me.scope)
EVENTS = list(cohorts.EVENTS)

# ---------------------------------------------------------------- the question
q1, q2, q3, q4 = st.columns([4, 2, 2, 2])
with q1:
    # One campaign or several: A is the first A on any of them, B any B on any of them.
    chosen = ui.campaigns_picker(T, campaigns, "cb_campaign", prefer=ui.opens_on)
campaign = chosen[0] if chosen else None
with q2:
    did = ui.select(
        T("cohort.did"),
        EVENTS,
        "cb_did",
        default="opened",
        format_func=lambda e: T(f"event.{e}"),
    )


with q3:
    did_not = optional(
        T("cohort.did_not"),
        EVENTS,
        "cb_did_not",
        T("cohort.did_not_none"),
        lambda e: T(f"event.{e}"),
        default="called",
    )
with q4:
    within = ui.number(
        T("cohort.within"),
        "cb_within",
        min_value=0,
        max_value=3650,
        step=1,
        placeholder=T("cohort.within_ever"),
        help=T("cohort.within_help"),
        disabled=did_not is None,
    )

# ---------------------------------------------------------------- the filters
geo_counts = {f"{country}:{code}": n for country, code, n in options["geos"]}


def geo_label(value: str) -> str:
    country, code = value.split(":")
    return f"{code} · {T(f'country.{country}')} ({T.int(geo_counts[value])})"


f1, f2, f3, f4, f5 = st.columns([3, 3, 3, 2, 3])
with f1:
    geo = optional(T("cohort.geo"), geo_counts, "cb_geo", T("common.everywhere"), geo_label)
with f2:
    district = optional(T("cohort.district"), options["districts"], "cb_district", T("common.all_f"))
with f3:
    affiliate = optional(T("cohort.affiliate"), options["affiliates"], "cb_affiliate", T("common.all"))
with f4:
    language = optional(
        T("cohort.language"),
        cohorts.LANGUAGES,
        "cb_language",
        T("common.all_f"),
        lambda c: T(f"language.{c}"),
    )
with f5:
    reachable = optional(
        T("cohort.reachable"),
        cohorts.CHANNELS,
        "cb_reachable",
        T("common.anyone"),
        lambda c: T(f"reachable.{c}"),
    )
r1, r2 = st.columns([3, 9])
with r1:
    # the engagement ladder today (marts.ladder); with no campaign, everyone on that rung
    rung = optional(
        T("cohort.rung"),
        cohorts.RUNGS,
        "cb_rung",
        T("cohort.rung_any"),
        lambda r: T(f"rung.{r}"),
        help=T("cohort.rung_help"),
    )
machine = ui.check(T("cohort.machine_opens"), "cb_machine", help=T("cohort.machine_opens_help"))
if chosen and not any(ui.asks_call(c) for c in chosen) and "called" in (did, did_not):
    # A click (or other) campaign asks nobody to call: "called" is only a call to its numbers.
    st.info(T("cohort.not_a_call_campaign", ask=campaign["ask"]))

# ---------------------------------------------------------------- ask the engine
# The widgets' answers, by the one schema's field names (cohorts.FIELDS).
FIELD_LABELS = {
    "campaign": "common.campaign",
    "did": "cohort.did",
    "did_not": "cohort.did_not",
    "within_days": "cohort.within",
    "province": "cohort.geo",
    "state": "cohort.geo",
    "district": "cohort.district",
    "affiliate": "cohort.affiliate",
    "language": "cohort.language",
    "reachable": "cohort.reachable",
    "rung": "cohort.rung",
    "rung_on": "cohort.rung_on",
    "include_machine_opens": "cohort.machine_opens",
}


def error_text(exc: cohorts.CohortError) -> str:
    """A CohortError in the page's language: its code's message, its fields named by their labels."""
    params = {k: (repr(v) if k == "value" else v) for k, v in exc.params.items()}
    if "field" in params:
        params["name"] = T(FIELD_LABELS[params.pop("field")])
    if isinstance(params.get("choices"), list | tuple):
        params["choices"] = ", ".join(map(str, params["choices"]))
    return T(f"cohort.error.{exc.code}", **params)


province = state = None
if geo is not None:
    country, code = geo.split(":")
    province, state = (code, None) if country == "CA" else (None, code)
# With no campaign but a rung, the question is everyone on that rung (did A asks nothing).
rungs_only = not chosen and rung is not None
answers = {
    "campaign": tuple(c["campaign_id"] for c in chosen),
    "did": None if rungs_only else did,
    "did_not": None if rungs_only else did_not,
    "within_days": None if rungs_only or did_not is None or within is None else int(within),
    "province": province,
    "state": state,
    "district": district,
    "affiliate": affiliate,
    "language": language,
    "reachable": reachable,
    "rung": rung,
    "include_machine_opens": machine,
}
try:
    cohort = cohorts.Cohort(**answers)
except cohorts.CohortError as exc:
    st.warning(error_text(exc))
    st.stop()

n, preview = queries.cohort_summary(cohort, me.scope)

left, right = st.columns([1, 2])
with left:
    st.metric(T("cohort.count"), T.int(n))
with right:
    names = ", ".join(T.campaign_name(c) for c in chosen)
    if rungs_only:
        st.markdown(f"**{T('cohort.sentence_rung', rung=T(f'rung.{rung}').lower())}**")
    else:
        st.markdown(
            f"**{T('cohort.sentence' if len(chosen) == 1 else 'cohort.sentence_several', campaign=names)}**"
        )
        st.markdown(
            T(
                "cohort.sentence_detail",
                did=T(f"event.{did}").lower(),
                rest=(T("cohort.sentence_not", did_not=T(f"event.{did_not}").lower()) if did_not else "")
                + (T("cohort.sentence_within", days=T.int(within)) if did_not and within is not None else "")
                + (T("cohort.sentence_rung_too", rung=T(f"rung.{rung}").lower()) if rung else ""),
            )
        )


def command() -> str:
    """The same question as a `rollcall cohort` command line (the schema's own flags)."""
    return shlex.join(["rollcall", "cohort", *cohort.to_flags(scope_affiliate=me.scope), "--count"])


with st.expander(T("cohort.same_as_cli")):
    st.code(command(), language="bash")

# ---------------------------------------------------------------- preview and download
st.subheader(T("cohort.preview", shown=T.int(preview.height), total=T.int(n)))
st.dataframe(
    ui.blanks(preview),
    hide_index=True,
    width="stretch",
    column_config={c: st.column_config.TextColumn(T(f"column.{c}")) for c in cohorts.COLUMNS},
)
parts = ("cohort", *cohort.campaign, cohort.did, cohort.did_not and f"not-{cohort.did_not}", cohort.rung)
file_name = re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(x for x in parts if x)) + ".csv"
# Small cohorts come with their file; a big one is written when asked, so changing a
# filter stays quick (Streamlit's deferred download callables do not survive st.navigation).
prepared_key = ("cb_csv", queries.version(), cohort, me.scope)
if n <= queries.DIRECT_DOWNLOAD_ROWS or st.session_state.get("cb_prepared", (None,))[0] == prepared_key:
    if n <= queries.DIRECT_DOWNLOAD_ROWS:
        data = queries.cohort_csv(cohort, me.scope)
    else:
        data = st.session_state["cb_prepared"][1]
    st.download_button(
        T("cohort.download", n=T.int(n)),
        data=data,
        file_name=file_name,
        mime="text/csv",
        on_click="ignore",
        type="primary",
        icon=":material/download:",
        disabled=n == 0,
    )
elif st.button(T("cohort.prepare", n=T.int(n)), icon=":material/description:", key="cb_prepare"):
    st.session_state["cb_prepared"] = (prepared_key, queries.cohort_csv(cohort, me.scope))
    st.rerun()
st.caption(T("cohort.download_help"))

# ---------------------------------------------------------------- save as a segment
st.divider()
st.subheader(T("segment.title"))
if me.scope is not None:
    st.caption(T("segment.admins_only"))
    st.stop()
st.caption(T("segment.intro"))
landing, warehouse = wh.landing_path(), wh.warehouse_path()
segments_file = seg.segments_path(landing)


segments_form.save_form(
    T,
    cohort,
    campaigns,
    key="cb",
    channel=reachable or "sms",
    outcome_event=did_not or "called",
    outcome_campaign=campaign["campaign_id"] if campaign else None,
    outcome_days=int(within) if did_not and within else None,
)

# ---------------------------------------------------------------- saved segments: treatment list, push
try:
    saved_segments = {s.id: s for s in seg.load(segments_file)}
except seg.SegmentError as exc:
    st.error(str(exc))
    st.stop()
if not saved_segments:
    st.info(T("segment.none"))
    st.stop()
segment = saved_segments[
    ui.select(
        T("segment.choose"),
        list(saved_segments),
        "cb_segment",
        default=list(saved_segments)[-1],
        format_func=lambda i: saved_segments[i].name_fr if T.lang == "fr" else saved_segments[i].name_en,
    )
]
if segment.id not in queries.built_segments():
    st.info(T("segment.not_built", id=segment.id))
    st.stop()
treatment = queries.segment_treatment(segment)
s1, s2, s3 = st.columns(3)
s1.metric(T("segment.treatment"), T.int(treatment["rows"]))
s2.metric(T("segment.held_out", percent=T.int(segment.holdout)), T.int(treatment["held_out"]))
s3.metric(T("segment.unreachable"), T.int(treatment["unreachable"]))
st.caption(T(f"segment.treatment_help_{segment.channel}"))
d1, d2, d3 = st.columns([3, 2, 2])
with d1:
    st.download_button(
        T("segment.download", n=T.int(treatment["rows"])),
        data=treatment["csv"],
        file_name=f"{segment.id}-treatment.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="seg_download",
        disabled=treatment["rows"] == 0,
    )
with d2:
    pushed = st.button(
        T("segment.push_now"),
        icon=":material/send:",
        key="seg_push_now",
        disabled="actionnetwork" not in segment.destinations,
        help=None if "actionnetwork" in segment.destinations else T("segment.no_push"),
    )
with d3:
    st.page_link("pages/follow_up.py", label=T("segment.see_lift"), icon=":material/replay:")
if pushed:
    import os

    from pipelines import cli_segments

    if not os.environ.get("ROLLCALL_AN_TOKEN"):
        st.info(T("segment.push_skipped"))
    else:
        with st.spinner(T("segment.pushing")):
            pushed_ok, lines = cli_segments.push_now(landing, warehouse, segment.id)
        (st.success if pushed_ok else st.error)("\n\n".join(lines[-5:]))
