"""Data health: last load per source, rows loaded, rejected rows with reasons, unmatched emails/phones,
and Action Network actions on pages no campaign lists.

Rejected rows (they could not be read, so belong to nobody) and unmatched
identifiers (they match no person) cannot be attributed to an affiliate: only
admins see them, and the organisation's row counts. An affiliate user sees its
own people and their events, when each source was last loaded, and a note
saying what is hidden.
"""

from __future__ import annotations

import datetime as dt
import os

import plotly.graph_objects as go
import streamlit as st

from dashboards import queries, ui

T = ui.texts()
me = ui.user()

# Reasons the pipeline writes (pipelines/lib/ingest.py), the quoted bad value stripped:
# the start of the reason → its message id. Anything else is shown as written.
REASONS = {
    "missing uuid": "reason.missing_uuid",
    "invalid email": "reason.invalid_email",
    "invalid phone": "reason.invalid_phone",
    "missing sg_event_id": "reason.missing_event_id",
    "unknown event": "reason.unknown_event",
    "unparsable timestamp": "reason.unparsable_timestamp",
    "missing email": "reason.missing_email",
    "bad JSON": "reason.bad_json",
    "not a JSON object": "reason.not_json_object",
    "missing Sid": "reason.missing_sid",
    "unparsable date": "reason.unparsable_date",
    "not a phone number": "reason.not_a_phone",
    "unparsable error code": "reason.unparsable_error_code",
    "unparsable duration": "reason.unparsable_duration",
    "malformed CSV row": "reason.malformed_csv",
    "timestamp out of range": "reason.timestamp_out_of_range",
    "date out of range": "reason.date_out_of_range",
    # Action Network actions (the specific "missing action_network:…" before the page's)
    "missing created_date": "reason.missing_created_date",
    "unparsable created_date": "reason.unparsable_created_date",
    "created_date out of range": "reason.created_date_out_of_range",
    "missing action_network: identifier": "reason.missing_action_id",
    "missing action_network:person_id": "reason.missing_action_person",
    "missing action_network:": "reason.missing_action_page",
}


def reason(text: str) -> str:
    for start, key in REASONS.items():
        if text.startswith(start):
            return T(key)
    return text


def literal(value: str) -> str:
    """A value as the vendor sent it, shown as code: data, not words to translate."""
    return "`" + value.replace("`", "'") + "`"


def source(s: str) -> str:
    return T(f"source.{s}")


st.title(T("health.title"))
st.caption(T("health.intro"))
ui.scope_note(T, me)

published = dt.datetime.fromtimestamp(os.stat(queries.version()[0]).st_mtime, dt.UTC).replace(tzinfo=None)
st.markdown(T("health.published", when=T.datetime(published)))

if me.scope is not None:
    # ------------------------------------------------------------ an affiliate: its own people only
    st.subheader(T("health.your_people"))
    people = queries.scoped_people(me.scope)
    c1, c2, c3 = st.columns(3)
    c1.metric(T("health.people"), T.int(people["people"]))
    c2.metric(T("health.with_email"), T.int(people["with_email"]))
    c3.metric(T("health.with_phone"), T.int(people["with_phone"]))
    events = queries.scoped_events(me.scope)
    if events.height == 0:
        st.info(T("common.no_data"))
    else:
        ui.table(
            events,
            {
                "channel": (T("health.channel"), lambda c: T(f"channel.{c}").capitalize()),
                "events": (T("health.events"), T.int),
                "people": (T("health.people"), T.int),
                "last_event": (T("health.last_event"), T.datetime),
            },
        )
    st.subheader(T("health.loads"))
    ui.table(
        queries.last_loads(),
        {"source": (T("health.source"), source), "last_load": (T("health.last_load"), T.datetime)},
    )
    st.info(T("health.hidden_for_affiliate"))
    st.stop()

# ---------------------------------------------------------------- an admin: the whole organisation
st.subheader(T("health.loads"))
ui.table(
    queries.loads(),
    {
        "source": (T("health.source"), source),
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
    merged: dict[str, int] = {}  # "bad JSON: <detail>" and "bad JSON" are one reason
    for s, r, n in reasons.rows():
        label = f"{source(s)} · {reason(r)}"
        merged[label] = merged.get(label, 0) + n
    labels = sorted(merged, key=lambda k: (-merged[k], k))
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=[merged[k] for k in labels],
            orientation="h",
            text=[T.int(merged[k]) for k in labels],
            marker_color="#c0392b",
        )
    )
    fig.update_layout(yaxis={"autorange": "reversed"}, xaxis_title=T("health.rows"))
    st.plotly_chart(ui.style(fig, T, max(240, 34 * len(labels) + 80)), width="stretch", key="dh_rejected")
    with st.expander(T("health.rejected_rows")):
        ui.table(
            queries.rejected_sample(),
            {
                "source": (T("health.source"), source),
                "file": (T("health.file"), lambda f: os.path.basename(f)),
                "line": (T("health.line"), T.int),
                "reason": (T("health.reason"), reason),
                "raw_value": (T("health.raw_value"), literal),
            },
        )

st.subheader(T("health.unmatched"))
unmatched = queries.unmatched()
if unmatched.height == 0:
    st.success(T("health.no_unmatched"))
else:
    ui.table(
        unmatched,
        {
            "channel": (T("health.channel"), lambda c: T(f"channel.{c}").capitalize()),
            "events": (T("health.events"), T.int),
            "identifiers": (T("health.identifiers"), T.int),
        },
    )
    st.caption(T("health.unmatched_note"))
    with st.expander(T("health.unmatched_list")):
        ui.table(
            queries.unmatched_identifiers(),
            {
                "channel": (T("health.channel"), lambda c: T(f"channel.{c}").capitalize()),
                "identifier": (T("health.identifier"), None),
                "events": (T("health.events"), T.int),
                "last_seen": (T("health.last_seen"), T.datetime),
            },
        )

st.subheader(T("health.unattributed"))
unattributed = queries.unattributed_actions()
if unattributed.height == 0:
    st.success(T("health.no_unattributed"))
else:
    ui.table(
        unattributed,
        {
            "page_kind": (T("health.page_kind"), None),
            "page_id": (T("health.page_id"), None),
            "actions": (T("health.actions"), T.int),
            "unmatched": (T("health.unmatched_actions"), T.int),
            "last_acted_at": (T("health.last_acted"), T.datetime),
        },
    )
    st.caption(T("health.unattributed_note"))
