"""Every rule of DESIGN's "Meanings", end to end on the hand-made landing folder.

The fixture (tests/fixtures/landing) is small enough to work out by eye. The
PRO Act email went out 2026-06-02 14:00 UTC; its call number is the Senate
switchboard (202) 224-3121 with min_call_seconds 30; the follow-up text
campaign lists the same number.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.lib import cohorts
from pipelines.lib import warehouse as wh
from pipelines.lib.warehouse import connect_read


@pytest.fixture(scope="module")
def con(warehouse):
    with connect_read(warehouse) as connection:
        yield connection


def who(con, **question) -> list[str]:
    table = cohorts.members(con, cohorts.Cohort(**question))
    return [p.removeprefix("p-") for p in table.column("person_id").to_pylist()]


def funnel(con, person: str, campaign: str, column: str):
    rows = con.execute(
        f"select f.{column} from marts.person_campaign_funnel f join marts.people p using (person_key) "
        "where p.person_id = ? and f.campaign_id = ?",
        [f"p-{person}", campaign],
    ).fetchall()
    return rows[0][0] if rows else None


def reach(con, person: str) -> tuple[bool, bool]:
    return con.execute(
        "select reachable_email, reachable_sms from marts.reachability where person_id = ?", [f"p-{person}"]
    ).fetchall()[0]


def test_opened_counts_human_opens_only(con):
    # Bruno's only open was a privacy-proxy machine open.
    assert funnel(con, "bruno", "pro-act", "first_opened_at") is None
    assert funnel(con, "bruno", "pro-act", "first_opened_any_at") == dt.datetime(2026, 6, 2, 14, 5)
    assert who(con, campaign="pro-act", did="opened") == ["alice", "chloe", "dana", "fay", "gus", "hana"]
    assert "bruno" in who(con, campaign="pro-act", did="opened", include_machine_opens=True)


def test_opened_but_not_called_means_no_call_at_all(con):
    assert who(con, campaign="pro-act", did="opened", did_not="called") == ["dana", "fay"]


def test_within_n_days_window_runs_from_first_a_to_a_plus_n_days(con):
    # Chloé opened 06-02 17:00 and called 06-12; Hana opened 06-02 16:00 and called 06-10 16:30.
    assert who(con, campaign="pro-act", did="opened", did_not="called", within_days=7) == [
        "chloe",
        "dana",
        "fay",
        "hana",
    ]
    assert "hana" in who(con, campaign="pro-act", did="opened", did_not="called", within_days=8)
    assert "hana" not in who(con, campaign="pro-act", did="opened", did_not="called", within_days=9)


def test_within_without_did_not_is_an_error():
    with pytest.raises(cohorts.CohortError, match="--within needs --did-not"):
        cohorts.Cohort(campaign="pro-act", did="opened", within_days=7)


def test_called_hotline_shape_inbound_from_the_activist(con):
    assert funnel(con, "alice", "pro-act", "first_called_at") == dt.datetime(2026, 6, 4, 14, 0)


def test_called_patch_through_shape_time_is_the_child_leg_start(con):
    assert funnel(con, "chloe", "pro-act", "first_called_at") == dt.datetime(2026, 6, 12, 15, 0, 10)


def test_called_needs_min_call_seconds_and_completed(con):
    # Fay's 20 s call is under pro-act's 30 s; Hana's first call was busy.
    assert funnel(con, "fay", "pro-act", "first_called_at") is None
    assert funnel(con, "hana", "pro-act", "first_called_at") == dt.datetime(2026, 6, 10, 16, 30)
    # Bruno's 5 s call counts for pharmacare, whose minimum is the default 1 s.
    assert funnel(con, "bruno", "pharmacare", "first_called_at") == dt.datetime(2026, 6, 5, 12, 0)


def test_a_call_counts_for_every_campaign_listing_its_number(con):
    for person, at in (("alice", dt.datetime(2026, 6, 4, 14)), ("hana", dt.datetime(2026, 6, 10, 16, 30))):
        assert funnel(con, person, "pro-act", "first_called_at") == at
        assert funnel(con, person, "pro-act-text", "first_called_at") == at


def test_texted_is_a_delivered_or_sent_text_inside_the_campaign_window(con):
    # Alice's text was undelivered; Eli's went out after the window closed; Fay's was `sent`.
    assert who(con, campaign="pharmacare", did="texted") == ["bruno", "chloe", "fay", "hana"]
    assert who(con, campaign="pro-act-text", did="texted") == ["hana"]


def test_replied_counts_for_every_campaign_that_texted_the_phone(con):
    # Hana's "Thanks!" on 06-09 follows both the pharmacare text and the follow-up text.
    assert who(con, campaign="pharmacare", did="replied") == ["bruno", "chloe", "fay", "hana"]
    assert who(con, campaign="pro-act-text", did="replied") == ["hana"]


def test_sms_opt_out_latest_keyword_wins_in_english_and_french(con):
    assert reach(con, "bruno")[1] is True  # Arrêt, then START
    assert reach(con, "chloe")[1] is False  # "stop."
    assert reach(con, "eli")[1] is True  # STOP, then "start"
    assert reach(con, "fay")[1] is True  # "stop texting me at work" is not a keyword


def test_sms_unreachable_after_landline_error_codes(con):
    assert reach(con, "alice")[1] is False  # latest outbound failed with 30005
    assert reach(con, "gus")[1] is True  # 30007 is carrier filtering, not a dead number


def test_email_hard_bounce_blocks_soft_bounce_and_dropped_do_not(con):
    assert reach(con, "dana")[0] is False  # type: bounce
    assert reach(con, "alice")[0] is True  # type: blocked
    assert reach(con, "fay")[0] is True  # dropped is not a bounce


def test_email_group_resubscribe_undoes_its_group_unsubscribe_a_spam_report_is_for_good(con):
    # the rest of this rule: tests/test_email_suppressions.py
    assert reach(con, "chloe")[0] is True  # group_unsubscribe, then group_resubscribe, both group 4821
    assert reach(con, "hana")[0] is False  # spamreport
    assert reach(con, "gus")[0] is False  # unsubscribed in Action Network
    assert reach(con, "eli")[0] is False  # no valid address


def test_province_from_postal_code_including_x0a(con):
    rows = dict(con.sql("select person_id, province_or_state from marts.people").fetchall())
    assert rows["p-eli"] == "NU"  # X0A: Nunavut
    assert rows["p-fay"] == "NT"  # X1A: Northwest Territories
    assert rows["p-chloe"] == "QC"  # h2x1y4
    assert rows["p-bruno"] == "ON"  # from the export
    assert rows["p-alice"] == "OH"  # blank in the export, from ZIP 43004


def test_california_is_not_canada(con):
    assert who(con, campaign="pro-act", did="opened", state="CA") == ["dana"]
    assert who(con, campaign="pro-act", did="opened", province="CA") == []
    assert who(con, campaign="pro-act", did="opened", province="QC") == ["chloe"]


def test_a_person_with_a_bad_phone_is_kept(con):
    row = con.sql("select phone, email from marts.people where person_id = 'p-dana'").fetchall()
    assert row == [(None, "dana@example.com")]
    assert reach(con, "dana") == (False, False)


def test_reachable_filter_keeps_only_people_reachable_now(con):
    assert who(con, campaign="pro-act", did="opened", reachable="sms") == ["fay", "gus", "hana"]
    assert who(con, campaign="pro-act", did="opened", reachable="email") == ["alice", "chloe", "fay"]


@pytest.fixture(scope="module")
def events(warehouse):
    """The build warehouse: marts.touchpoints is a view over the raw events, which are never published."""
    with wh.connect_build(wh.build_path(warehouse)) as connection:
        yield connection


def test_unmatched_events_are_kept(events):
    rows = events.sql(
        "select touchpoint_id from marts.touchpoints where person_key is null order by 1"
    ).fetchall()
    ids = [r[0] for r in rows]
    assert "sg:ev-x1" in ids  # stranger@example.org
    assert "call:CA-x1" in ids  # +1 312 555 0177


def test_an_event_landed_twice_counts_once(events):
    # ev-d2 (Dana's open) is in post-001 and again in post-002; SM-c1 in both message exports.
    one = events.sql
    assert one("select count(*) from marts.touchpoints where touchpoint_id = 'sg:ev-d2'").fetchall() == [(1,)]
    assert one("select count(*) from marts.touchpoints where touchpoint_id = 'sms:SM-c1'").fetchall() == [
        (1,)
    ]
    # Counted once where it lands: raw keeps the first landed copy only.
    assert one("select count(*) from raw.sendgrid_events where sg_event_id = 'ev-d2'").fetchall() == [(1,)]


def test_running_again_over_the_same_files_changes_no_count(built):
    from pipelines.run import run_all

    again = run_all(built["landing"], built["warehouse"])
    assert again.rows == built["summary"].rows
    assert again.rejected == built["summary"].rejected
    assert again.unmatched == built["summary"].unmatched
