"""Cohort builder: did A [but not B] [within N days], filtered; count, preview, CSV.

Asks the cohort engine exactly what `rollcall cohort` asks it, so the number
here is the number there (the page shows the equivalent command).
"""

from __future__ import annotations

import re
import shlex

import streamlit as st

from dashboards import queries, ui
from pipelines.lib import cohorts

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
    campaign = ui.campaign_picker(T, campaigns, "cb_campaign", prefer=ui.has_email)
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
machine = ui.check(T("cohort.machine_opens"), "cb_machine", help=T("cohort.machine_opens_help"))

# ---------------------------------------------------------------- ask the engine
if did_not is not None and did_not == did:
    st.warning(T("cohort.same_event"))
    st.stop()
province = state = None
if geo is not None:
    country, code = geo.split(":")
    province, state = (code, None) if country == "CA" else (None, code)
try:
    cohort = cohorts.Cohort(
        campaign=campaign["campaign_id"],
        did=did,
        did_not=did_not,
        within_days=None if did_not is None or within is None else int(within),
        province=province,
        state=state,
        district=district,
        affiliate=affiliate,
        language=language,
        reachable=reachable,
        include_machine_opens=machine,
    )
except cohorts.CohortError as exc:
    st.warning(str(exc))
    st.stop()

n, preview = queries.cohort_summary(cohort, me.scope)

left, right = st.columns([1, 2])
with left:
    st.metric(T("cohort.count"), T.int(n))
with right:
    st.markdown(f"**{T('cohort.sentence', **{'campaign': T.campaign_name(campaign)})}**")
    st.markdown(
        T(
            "cohort.sentence_detail",
            did=T(f"event.{did}").lower(),
            rest=(T("cohort.sentence_not", did_not=T(f"event.{did_not}").lower()) if did_not else "")
            + (T("cohort.sentence_within", days=T.int(within)) if did_not and within is not None else ""),
        )
    )


def command() -> str:
    """The same question as a `rollcall cohort` command line."""
    args = ["rollcall", "cohort", "--campaign", cohort.campaign, "--did", cohort.did]
    for flag, value in (
        ("--did-not", cohort.did_not),
        ("--within", cohort.within_days),
        ("--province", cohort.province),
        ("--state", cohort.state),
        ("--district", cohort.district),
        ("--affiliate", cohort.affiliate or me.scope),
        ("--language", cohort.language),
        ("--reachable", cohort.reachable),
    ):
        if value is not None:
            args += [flag, str(value)]
    if cohort.include_machine_opens:
        args.append("--include-machine-opens")
    return shlex.join([*args, "--count"])


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
parts = ("cohort", cohort.campaign, cohort.did, cohort.did_not and f"not-{cohort.did_not}")
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
