"""Time each page's first render, each cohort change and each ladder question, server side.

    ROLLCALL_WAREHOUSE=/tmp/rollcall_1m_wh.duckdb uv run python -m dashboards.bench

Every page is rendered with an empty result cache (a first visit after a new
publish), through Streamlit's AppTest, as an admin and as an affiliate user;
then the cohort builder is changed one filter at a time, each change a new
question the cache has not seen. Times are the script run (queries included);
the browser's drawing comes on top.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboards import queries, ui
from dashboards.auth import User

APP = Path(__file__).resolve().parent / "app.py"


def _timed(step) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def _app(user: User) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["user"] = user
    at.session_state["lang"] = "en"
    return at


def first_renders(user: User) -> dict[str, float]:
    times = {}
    for page in ui.PAGES:
        st.cache_data.clear()
        at = _app(user)
        at.run()  # the default page; its cost is not counted for this one
        st.cache_data.clear()
        times[page] = _timed(lambda at=at, page=page: at.switch_page(f"pages/{page}.py").run())
        assert not at.exception, [e.message for e in at.exception]
    return times


def cohort_changes(user: User) -> dict[str, float]:
    st.cache_data.clear()
    at = _app(user)
    times = {"first render": _timed(at.run)}
    has_geo = len(at.selectbox(key="cb_geo@en").options) > 1
    steps = [
        ("within 7 days", lambda: at.number_input(key="cb_within@en").set_value(7).run()),
        ("reachable by SMS", lambda: at.selectbox(key="cb_reachable@en").set_value("sms").run()),
        ("province/state", lambda: at.selectbox(key="cb_geo@en").select_index(1 if has_geo else 0).run()),
        ("language fr", lambda: at.selectbox(key="cb_language@en").set_value("fr").run()),
        ("did clicked", lambda: at.selectbox(key="cb_did@en").set_value("clicked").run()),
        ("did not: nothing", lambda: at.selectbox(key="cb_did_not@en").set_value("*").run()),
        ("machine opens", lambda: at.checkbox(key="cb_machine@en").check().run()),
    ]
    for name, step in steps:
        times[name] = _timed(step)
        assert not at.exception, [e.message for e in at.exception]
    return times


def ladder_changes(user: User) -> dict[str, float]:
    """The Ladder page's questions, each new to the cache: the page, another pair of days, a
    province/state, an affiliate, and a flow's people (the cohort engine's `rung_on` twice)."""
    st.cache_data.clear()
    at = _app(user)
    at.run()
    times = {"first render": _timed(lambda: at.switch_page("pages/ladder.py").run())}
    days = at.selectbox(key="ld_from@en").options
    steps = [
        ("from: first month", lambda: at.selectbox(key="ld_from@en").select_index(0).run()),
        ("province/state", lambda: at.selectbox(key="ld_geo@en").select_index(1).run()),
        ("a flow's people", lambda: at.selectbox(key="ld_flow@en").select_index(1).run()),
        ("everywhere again", lambda: at.selectbox(key="ld_geo@en").select_index(0).run()),
    ]
    if user.admin and len(at.selectbox(key="ld_affiliate@en").options) > 1:
        steps.append(("an affiliate", lambda: at.selectbox(key="ld_affiliate@en").select_index(1).run()))
    for name, step in steps:
        if name.startswith("from") and len(days) < 2:
            continue
        times[name] = _timed(step)
        assert not at.exception, [e.message for e in at.exception]
    return times


def main() -> int:
    warehouse = queries.version()[0]
    affiliate = queries.filter_options(None)["affiliates"]
    people = queries._df("select count(*) as n from marts.people").item()
    print(f"warehouse {warehouse}: {people:,} people")
    biggest = queries._df(
        "select affiliate from marts.people group by 1 order by count(*) desc limit 1"
    ).item()
    users = [User("admin", "admin", True, None), User("aff", "affiliate", False, biggest or affiliate[0])]
    worst = 0.0
    for user in users:
        label = "admin" if user.admin else f"affiliate {user.affiliate!r}"
        print(f"\nfirst render per page, cold cache ({label})")
        for page, seconds in first_renders(user).items():
            print(f"  {page:<18} {seconds:6.3f} s")
            worst = max(worst, seconds)
        print(f"cohort builder changes ({label})")
        changes = cohort_changes(user)
        for name, seconds in changes.items():
            print(f"  {name:<18} {seconds:6.3f} s")
            worst = max(worst, seconds)
        print(f"  median change      {statistics.median(list(changes.values())[1:]):6.3f} s")
        print(f"ladder page questions ({label})")
        for name, seconds in ladder_changes(user).items():
            print(f"  {name:<18} {seconds:6.3f} s")
            worst = max(worst, seconds)
    print(f"\nslowest: {worst:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
