"""Save a cohort question as a segment: the form the cohort builder and the Ladder page share.

An admin names the segment (EN/FR), picks its channel, holdout and outcome,
and saves it to segments.yml through `segments.save` (the writer `rollcall
segments add` uses); the segment is then built at once (`rollcall segments
build` in its own process: it refuses in one line while a run holds the
warehouse). The page decides who sees the form (admins only).
"""

from __future__ import annotations

import streamlit as st

from dashboards import ui
from dashboards.i18n import Texts
from pipelines.lib import cohorts
from pipelines.lib import segments as seg
from pipelines.lib import warehouse as wh


def _error(T: Texts, exc: seg.SegmentError) -> str:
    """The errors a person can make in the form, in the page's language; any other as its one line."""
    if exc.code in ("duplicate_id", "bad_id", "no_name"):
        return T(f"segment.error.{exc.code}", id=exc.params.get("id", ""))
    return str(exc)


def save_form(
    T: Texts,
    cohort: cohorts.Cohort,
    campaigns: list[dict],
    *,
    key: str,
    channel: str = "sms",
    outcome_event: str = "called",
    outcome_campaign: str | None = None,
    outcome_days: int | None = None,
) -> None:
    """The form, its save and build, and the last save's result. `key` names the form
    ("cb": the builder's own widget keys, seg_*; another page prefixes them with it)."""
    k = (lambda name: f"seg_{name}") if key == "cb" else (lambda name: f"{key}_seg_{name}")
    # The choices written in words carry the language in their keys: a widget kept across a
    # language switch would go on showing the other language's words ("Acted" in French).
    landing, warehouse = wh.landing_path(), wh.warehouse_path()
    by_id = {c["campaign_id"]: c for c in campaigns}
    events = list(cohorts.EVENTS)
    with st.form(f"{key}_save_segment"):
        n1, n2 = st.columns(2)
        name_en = n1.text_input(T("segment.name_en"), key=k("name_en"))
        name_fr = n2.text_input(T("segment.name_fr"), key=k("name_fr"))
        o1, o2, o3, o4, o5 = st.columns([2, 2, 2, 4, 2])
        chosen_channel = o1.radio(
            T("segment.channel"),
            cohorts.CHANNELS,
            index=cohorts.CHANNELS.index(channel),
            format_func=lambda c: T(f"segment.channel_{c}"),
            key=ui.widget_key(k("channel")),
        )
        holdout = o2.number_input(
            T("segment.holdout"),
            min_value=0,
            max_value=50,
            value=seg.DEFAULT_HOLDOUT,
            step=1,
            key=k("holdout"),
            help=T("segment.holdout_help"),
        )
        chosen_event = o3.selectbox(
            T("segment.outcome_event"),
            events,
            index=events.index(outcome_event),
            format_func=lambda e: T(f"event.{e}"),
            key=ui.widget_key(k("outcome_event")),
        )
        chosen_campaign = o4.selectbox(
            T("segment.outcome_campaign"),
            list(by_id),
            index=list(by_id).index(outcome_campaign) if outcome_campaign in by_id else 0,
            format_func=lambda cid: T.campaign_name(by_id[cid]),
            key=ui.widget_key(k("outcome_campaign")),
        )
        days = o5.number_input(
            T("segment.outcome_days"),
            min_value=1,
            max_value=365,
            value=outcome_days or seg.DEFAULT_OUTCOME_DAYS,
            step=1,
            key=k("outcome_days"),
        )
        push = st.checkbox(T("segment.push"), value=True, key=k("push"), help=T("segment.push_help"))
        save = st.form_submit_button(T("segment.save"), type="primary", icon=":material/save:")

    if save:
        from pipelines import cli_segments

        entry = seg.define(
            cohort,
            name_en=name_en,
            name_fr=name_fr,
            channel=chosen_channel,
            holdout=int(holdout),
            outcome_event=chosen_event,
            outcome_campaign=chosen_campaign,
            outcome_days=int(days),
            push=push,
        )
        try:
            saved = seg.save(seg.segments_path(landing), entry)
        except seg.SegmentError as exc:
            st.error(_error(T, exc))
        else:
            with st.spinner(T("segment.building")):
                built_ok, line = cli_segments.build_now(landing, warehouse)
            st.session_state[f"{key}_built"] = (saved.id, built_ok, line)
            # the cohort builder's saved-segment list opens on the new segment
            st.session_state.setdefault("choices", {})["cb_segment"] = saved.id
            st.session_state.pop(ui.widget_key("cb_segment"), None)

    last = st.session_state.get(f"{key}_built")
    if last is not None:
        sid, built_ok, line = last
        if built_ok:
            st.success(T("segment.built", id=sid))
        else:
            st.warning(T("segment.not_built_now", id=sid, why=line))
