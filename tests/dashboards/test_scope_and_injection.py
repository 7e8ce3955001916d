"""An affiliate user sees and downloads only its own people; every chosen value is a bound parameter."""

from __future__ import annotations

import csv
import io

import pytest

from dashboards import auth, queries, ui
from pipelines.lib import cohorts
from pipelines.lib.warehouse import connect_read
from tests.dashboards.apptest import open_page, shown_text
from tests.dashboards.conftest import OHIO, PASSWORDS

pytestmark = pytest.mark.usefixtures("dash_env")

OHIO_PEOPLE = {"p-alice", "p-gus", "p-hana"}
OTHERS = {  # everyone else in the fixture, by every way a page could show them
    "p-bruno": ("Bruno", "Bouchard", "bruno@example.ca", "+14165550102"),
    "p-chloe": ("Chloé", "Côté", "chloe@example.ca", "+15145550103"),
    "p-dana": ("Dana", "Diaz", "dana@example.com"),
    "p-eli": ("Eli", "Eetuk", "+18675550105"),
    "p-fay": ("Fay", "Fraser", "fay@example.ca", "+18675550106"),
}
NASTY = [
    "' OR 1=1 --",
    "' OR '1'='1",
    "x'; DROP TABLE marts.people; --",
    "Ohio AFL-CIO' OR affiliate <> '",
    '" OR 1=1 --',
    "%",
    "$scope",
    "FTQ\x00",
]


def assert_no_other_person(text: str) -> None:
    for person, values in OTHERS.items():
        for value in (person, *values):
            assert value not in text, f"{value} ({person}) shown to the Ohio user"


def test_scoped_cohort_counts_and_downloads_hold_only_the_affiliates_people():
    for question in (
        {"did": "opened"},
        {"did": "delivered"},
        {"did": "opened", "did_not": "called"},
        {"did": "delivered", "affiliate": "FTQ"},  # asking for another affiliate gives nobody
    ):
        cohort = cohorts.Cohort(campaign="pro-act", **question)
        n, preview = queries.cohort_summary(cohort, OHIO.scope)
        rows = list(csv.DictReader(io.StringIO(queries.cohort_csv(cohort, OHIO.scope).decode())))
        assert n == len(rows) == preview.height
        assert {r["person_id"] for r in rows} <= OHIO_PEOPLE
        assert {r["affiliate"] for r in rows} <= {"Ohio AFL-CIO"}
    everyone = queries.cohort_summary(cohorts.Cohort(campaign="pro-act", did="delivered"), None)[0]
    ohio = queries.cohort_summary(cohorts.Cohort(campaign="pro-act", did="delivered"), OHIO.scope)[0]
    assert (everyone, ohio) == (7, 3)


def test_no_page_shows_a_person_of_another_affiliate_to_a_scoped_user():
    for page in ui.PAGES:
        at = open_page(page, OHIO)
        text = shown_text(at)
        assert_no_other_person(text)
        assert "stranger@example.org" not in text and "+13125550177" not in text  # unmatched: admins only
        if page == "cohort_builder":
            # every filter offers only Ohio's values, and a non-Ohio choice cannot be made
            assert at.selectbox(key="cb_affiliate@en").options == ["All", "Ohio AFL-CIO"]
            assert all("OH" in o or o == "All" for o in at.selectbox(key="cb_geo@en").options)
            at.selectbox(key="cb_did_not@en").set_value("*").run()
            at.selectbox(key="cb_did@en").set_value("delivered").run()
            assert at.metric[0].value == "3"
            assert set(at.dataframe[0].value["person_id"]) == OHIO_PEOPLE
            assert_no_other_person(shown_text(at))


def test_scope_limits_every_query_function():
    assert queries.funnel("pro-act", OHIO.scope)["delivered"] == 3
    assert set(queries.funnel_breakdown("pro-act", "affiliate", OHIO.scope).get_column("grp")) == {
        "Ohio AFL-CIO"
    }
    assert set(queries.funnel_breakdown("pro-act", "geo", OHIO.scope).get_column("grp")) == {"OH"}
    assert set(queries.by_geography(OHIO.scope).get_column("geo")) == {"OH"}
    assert int(queries.campaigns_side_by_side(OHIO.scope).get_column("delivered").sum()) == 3
    assert queries.time_to_call("pro-act", OHIO.scope)["n"] == 3  # Alice, Gus, Hana
    follow = next(c for c in queries.campaigns() if c["campaign_id"] == "pro-act-text")
    groups = queries.follow_up(follow, "opened", OHIO.scope)
    assert groups["texted"]["people"] + groups["control"]["people"] == 1  # Hana (Alice, Gus called before)
    weekly_all = int(queries.activity_by_week(None).get_column("n").sum())
    weekly_ohio = int(queries.activity_by_week(OHIO.scope).get_column("n").sum())
    assert 0 < weekly_ohio < weekly_all


@pytest.mark.parametrize("nasty", NASTY)
def test_hostile_filter_values_are_data_not_sql(nasty):
    for field in ("district", "affiliate"):
        cohort = cohorts.Cohort(campaign="pro-act", did="delivered", **{field: nasty})
        assert queries.cohort_summary(cohort, None)[0] == 0
        assert queries.cohort_csv(cohort, None).decode().splitlines()[1:] == []
    # a hostile scope matches no affiliate: nobody, not everybody
    assert queries.cohort_summary(cohorts.Cohort(campaign="pro-act", did="delivered"), nasty)[0] == 0
    assert queries.funnel("pro-act", nasty)["people"] == 0
    assert queries.funnel(nasty, None)["people"] == 0
    assert queries.by_geography(nasty).height == 0
    assert queries.activity_by_week(nasty).height == 0
    assert queries.filter_options(nasty) == {"geos": [], "districts": [], "affiliates": []}
    with pytest.raises(cohorts.CohortError):  # unknown campaign, said in one line
        queries.cohort_summary(cohorts.Cohort(campaign=nasty, did="opened"), None)
    with pytest.raises(KeyError):  # a breakdown column is picked from a fixed list, never from input
        queries.funnel_breakdown("pro-act", nasty, None)
    assert auth.authenticate(auth.users_path(), nasty, nasty) is None
    with pytest.raises(cohorts.CohortError):
        cohorts.Cohort(campaign="pro-act", did="opened", state=nasty)
    with connect_read(queries.wh.warehouse_path()) as con:  # and nothing was dropped
        assert con.sql("select count(*) from marts.people").fetchall()[0][0] == 8


def test_sign_in_with_hostile_names_fails_and_scoped_sign_in_works():
    at = open_page(None)
    at.text_input(key="login_username").input("' OR 1=1 --")
    at.text_input(key="login_password").input("' OR 1=1 --")
    at.button[0].click().run()
    assert "user" not in at.session_state
    at.text_input(key="login_username").input("ohio")
    at.text_input(key="login_password").input(PASSWORDS["ohio"])
    at.button[0].click().run()
    assert at.session_state["user"].scope == "Ohio AFL-CIO"
    assert_no_other_person(shown_text(at))
