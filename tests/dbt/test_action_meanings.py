"""Action Network actions as channels: a test per meaning (DESIGN, "Meanings"), on real dbt builds.

The raw fixture (make_raw_fixture.py: ACTIONS, CAMPAIGN_ACTIONS) is small
enough to work out by hand:

- pro_act lists petition PET1, event EV1 and the letter page ADV1;
  pro_act_fu lists form FORM1 and ADV1 too; PET2 is listed by nobody.
- Ana (p001) signs PET1 06-04 10:00, writes (ADV1, to MP Roy) 06-06 09:00,
  submits FORM1 06-06 10:00; her hotline call was 06-03 15:00.
- Bob (p002) signs PET1 06-01 12:00, signs PET2 (unattributed), submits FORM1
  06-10 12:00; his patch-through call reached the office both list 06-09 16:00:20.
- Cleo (p003) RSVPs accepted to EV1 06-05 09:00; Eve (p005) tentative.
- Dan (p004) writes (ADV1, to MPs Roy and Lee) 06-06 08:00.
- p999, in no people export, signs PET1.

Day two (`day_two`), as ingest lands it: Cleo's RSVP is replaced by a later
`declined` copy, Ana's signature is pulled again unchanged, Eve signs, p999
writes to MP Roy. A daily build on top of day one must equal a build from
scratch, table for table.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import cohorts
from pipelines.lib import warehouse as wh
from tests.dbt.conftest import raw_fixture

DAY_TWO = datetime(2026, 6, 21, 12, 0, 0)
BOTH = ("pro_act", "pro_act_fu")
# When a row landed differs between a daily and a full build by construction.
LOAD_TIME_COLUMNS = {"loaded_at", "loaded_through"}


def _fixture_module():
    return raw_fixture()


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def land_day_two(warehouse: Path) -> None:
    """Day two's actions, written as ingest writes them: one row per action_id, the
    latest modified copy, a replaced row with the replacing load's _loaded_at."""
    con = duckdb.connect(str(warehouse))
    try:
        wh.attach_raw(con)
        # Cleo's RSVP, accepted on day one, declined now: the row is replaced
        con.execute(
            "update raw.actionnetwork_actions set status = 'declined', "
            "modified_at = timestamp '2026-06-21 08:00:00', _loaded_at = ? where action_id = 'AN03'",
            [DAY_TWO],
        )
        # Ana's signature and p999's pulled again (a re-pull): the same action, a later copy
        con.execute(
            "update raw.actionnetwork_actions set modified_at = timestamp '2026-06-21 08:00:00', "
            "_loaded_at = ? where action_id in ('AN01', 'AN08')",
            [DAY_TWO],
        )
        con.execute(
            "insert into raw.actionnetwork_actions values "
            "('AN11', 'signature', 'petition', 'PET1', 'p005', timestamp '2026-06-08 09:00:00', "
            " timestamp '2026-06-08 09:00:00', null, null, 'day-two.ndjson', 1, $day), "
            "('AN12', 'outreach', 'advocacy_campaign', 'ADV1', 'p999', timestamp '2026-06-08 10:00:00', "
            " timestamp '2026-06-08 10:00:00', null, 'letter', 'day-two.ndjson', 2, $day)",
            {"day": DAY_TWO},
        )
        con.execute(
            "insert into raw.actionnetwork_action_targets values "
            "('AN12', 0, 'Member of Parliament', 'Jean', 'Roy', 'ocd-division/country:ca/ed:35075', ?)",
            [DAY_TWO],
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def day_one(tmp_path_factory: pytest.TempPathFactory, dbt) -> Path:
    path = _fixture_module().build(tmp_path_factory.mktemp("actions_day_one") / "warehouse.duckdb")
    dbt(path)
    return path


@pytest.fixture(scope="module")
def day_two(day_one: Path, tmp_path_factory: pytest.TempPathFactory, dbt) -> Path:
    """Day one's warehouse, day two's actions landed, and a daily (incremental) build."""
    path = tmp_path_factory.mktemp("actions_day_two") / "warehouse.duckdb"
    # dbt's in-process connection may hold the last writes in the WAL: flush them first
    with duckdb.connect(str(day_one)) as con:
        wh.attach_raw(con)
        con.execute("checkpoint")
        con.execute("checkpoint raw")
    for suffix in ("", ".raw"):
        shutil.copy(str(day_one) + suffix, str(path) + suffix)
    land_day_two(path)
    dbt(path)
    return path


@pytest.fixture(scope="module")
def from_scratch(tmp_path_factory: pytest.TempPathFactory, dbt) -> Path:
    """The same raw tables as day_two, built once from nothing."""
    path = _fixture_module().build(tmp_path_factory.mktemp("actions_full") / "warehouse.duckdb")
    land_day_two(path)
    dbt(path)
    return path


@pytest.fixture
def con_one(day_one: Path):
    con = duckdb.connect(str(day_one))
    wh.attach_raw(con)  # marts.touchpoints is a view over the raw file
    yield con
    con.close()


@pytest.fixture
def con_two(day_two: Path):
    con = duckdb.connect(str(day_two))
    wh.attach_raw(con)  # marts.touchpoints is a view over the raw file
    yield con
    con.close()


def who(con, **question) -> list[str]:
    return cohorts.members(con, cohorts.Cohort(**question)).column("person_id").to_pylist()


def first(con, person: str, campaign: str, meaning: str):
    rows = con.execute(
        f"select f.first_{meaning}_at from marts.person_campaign_funnel f join marts.people p "
        "using (person_key) where p.person_id = ? and f.campaign_id = ?",
        [person, campaign],
    ).fetchall()
    return rows[0][0] if rows else None


def test_signed_is_a_signature_on_a_petition_the_campaign_lists(con_one):
    assert first(con_one, "p001", "pro_act", "signed") == t("2026-06-04 10:00")
    assert first(con_one, "p002", "pro_act", "signed") == t("2026-06-01 12:00")
    # PET1 is pro_act's only: the follow-up has no signature
    assert first(con_one, "p001", "pro_act_fu", "signed") is None
    # p999 is in no people export: unmatched, in no cohort
    assert who(con_one, campaign="pro_act", did="signed") == ["p001", "p002"]


def test_submitted_is_a_form_submission_on_a_form_the_campaign_lists(con_one):
    assert first(con_one, "p001", "pro_act_fu", "submitted") == t("2026-06-06 10:00")
    assert who(con_one, campaign="pro_act_fu", did="submitted") == ["p001", "p002"]
    assert who(con_one, campaign="pro_act", did="submitted") == []


def test_rsvped_is_an_accepted_attendance_and_a_later_declined_replaces_it(con_one, con_two):
    # Day one: Cleo accepted; Eve's tentative RSVP is no rsvped.
    assert first(con_one, "p003", "pro_act", "rsvped") == t("2026-06-05 09:00")
    assert who(con_one, campaign="pro_act", did="rsvped") == ["p003"]
    assert con_one.sql(
        "select sum(actions) from marts.weekly_activity where action = 'rsvped'"
    ).fetchall() == [(1,)]
    # Day two: her RSVP's latest status is declined; the daily build drops it everywhere.
    assert who(con_two, campaign="pro_act", did="rsvped") == []
    assert first(con_two, "p003", "pro_act", "rsvped") is None
    assert first(con_two, "p003", "pro_act", "acted") is None
    assert first(con_two, "p003", "pro_act", "bounced") == t("2026-06-02 10:00")  # her row stays
    assert con_two.sql(
        "select count(*) from marts.campaign_touchpoints where touchpoint_id = 'an:AN03'"
    ).fetchall() == [(0,)]
    assert con_two.sql("select count(*) from marts.weekly_activity where action = 'rsvped'").fetchall() == [
        (0,)
    ]
    summary = "select sum(rsvped), sum(signed) from marts.campaign_summary where campaign_id = 'pro_act'"
    assert con_one.sql(summary).fetchall() == [(1, 2)]
    assert con_two.sql(summary).fetchall() == [(0, 3)]


def test_wrote_is_an_outreach_and_letters_keep_their_targets(con_one, con_two):
    # ADV1 is listed by both campaigns: Dan's and Ana's letters count for each.
    for campaign in BOTH:
        assert who(con_one, campaign=campaign, did="wrote") == ["p001", "p004"]
    assert first(con_one, "p004", "pro_act_fu", "wrote") == t("2026-06-06 08:00")
    letters = (
        "select campaign_id, family_name, ocdid, letters, members from marts.letters_by_target order by 1, 2"
    )
    roy, lee = "ocd-division/country:ca/ed:35075", "ocd-division/country:ca/ed:35024"
    assert con_one.sql(letters).fetchall() == [
        ("pro_act", "Lee", lee, 1, 1),
        ("pro_act", "Roy", roy, 2, 2),
        ("pro_act_fu", "Lee", lee, 1, 1),
        ("pro_act_fu", "Roy", roy, 2, 2),
    ]
    # Day two: p999 (in no people export) writes to Roy: a letter he received, no member.
    assert con_two.sql(letters).fetchall() == [
        ("pro_act", "Lee", lee, 1, 1),
        ("pro_act", "Roy", roy, 3, 2),
        ("pro_act_fu", "Lee", lee, 1, 1),
        ("pro_act_fu", "Roy", roy, 3, 2),
    ]
    # The overview's week counts Ana's letter once, though two campaigns list its page.
    assert con_one.sql(
        "select affiliate, actions from marts.weekly_activity where action = 'wrote' order by 1"
    ).fetchall() == [("ofl", 1), (None, 1)]


def test_acted_is_any_of_signed_submitted_rsvped_wrote_or_called(con_one):
    # Ana: her call 06-03 15:00 comes before her signature 06-04.
    assert first(con_one, "p001", "pro_act", "acted") == t("2026-06-03 15:00")
    # Bob on the follow-up: the call 06-09 16:00:20 before the form 06-10 12:00.
    assert first(con_one, "p002", "pro_act_fu", "acted") == t("2026-06-09 16:00:20")
    # Dan: his letter 06-06 08:00 before his call 06-10.
    assert first(con_one, "p004", "pro_act_fu", "acted") == t("2026-06-06 08:00")
    assert who(con_one, campaign="pro_act", did="acted") == ["p001", "p002", "p003", "p004"]
    # Eve's call is too short and her RSVP tentative: she did not act.
    assert first(con_one, "p005", "pro_act", "acted") is None
    # Cleo (RSVP) acted; did she call? No: "acted but not called".
    assert who(con_one, campaign="pro_act", did="acted", did_not="called") == ["p003", "p004"]
    # Ana opened 06-02 11:00 and first acted (called) 06-03 15:00: 28 hours later.
    assert who(con_one, campaign="pro_act", did="opened", did_not="acted", within_days=1) == ["p001"]
    assert who(con_one, campaign="pro_act", did="opened", did_not="acted", within_days=2) == []
    # Bob, delivered 06-02 10:00, signed before it (06-01) and called after the
    # 7 days (06-09 16:00:20): no act within them.
    assert who(con_one, campaign="pro_act", did="delivered", did_not="acted", within_days=7) == ["p002"]
    campaign_summary = "select sum(acted) from marts.campaign_summary where campaign_id = ?"
    assert con_one.execute(campaign_summary, ["pro_act"]).fetchall() == [(4,)]


def test_campaign_given_twice_a_first_on_any_b_any_on_any_within_the_window(con_one):
    # Signed on pro_act; submitted the follow-up's form: Ana 2 days later, Bob 9 days later.
    assert who(con_one, campaign="pro_act", did="signed", did_not="submitted") == ["p001", "p002"]
    assert who(con_one, campaign=BOTH, did="signed", did_not="submitted") == []
    assert who(con_one, campaign=BOTH, did="signed", did_not="submitted", within_days=7) == ["p002"]
    assert who(con_one, campaign=BOTH, did="signed", did_not="submitted", within_days=10) == []
    assert who(con_one, campaign=BOTH, did="signed", did_not="submitted", within_days=1) == ["p001", "p002"]
    # A is the first A on any of them: Ana first acted on pro_act (call 06-03), wrote 06-06
    # (both); Dan first acted by writing (both); Bob (06-01) and Cleo (06-05) never wrote.
    assert who(con_one, campaign=BOTH, did="acted", did_not="wrote", within_days=7) == ["p002", "p003"]
    # Counted the same way the CLI counts.
    assert cohorts.count(con_one, cohorts.Cohort(campaign=BOTH, did="acted")) == 4


def test_unattributed_and_unmatched_actions_are_kept_and_counted(con_one, con_two):
    # Bob's signature on PET2, a page no campaign lists: kept in touchpoints, counted per page.
    assert con_one.sql(
        "select page_kind, page_id, actions, people, unmatched from marts.unattributed_actions"
    ).fetchall() == [("petition", "PET2", 1, 1, 0)]
    assert con_one.sql(
        "select count(*) from marts.campaign_touchpoints where touchpoint_id = 'an:AN07'"
    ).fetchall() == [(0,)]
    # p999's signature: unmatched, counted with the other unmatched identifiers.
    assert con_one.sql(
        "select touchpoint_id from marts.touchpoints where channel = 'action' and person_key is null"
    ).fetchall() == [("an:AN08",)]
    unmatched = (
        "select events from marts.unmatched_identifiers where channel = 'action' and identifier = 'p999'"
    )
    assert con_one.sql(unmatched).fetchall() == [(1,)]
    # Day two: the signature pulled again counts once; the new letter is a second.
    assert con_two.sql(unmatched).fetchall() == [(2,)]
    assert con_one.sql("select count(*) from marts.touchpoints where channel = 'action'").fetchall() == [
        (10,)
    ]


def test_a_signature_pulled_again_counts_once(con_two):
    assert who(con_two, campaign="pro_act", did="signed") == ["p001", "p002", "p005"]
    assert con_two.sql(
        "select week, affiliate, actions from marts.weekly_activity where action = 'signed' order by 1, 2"
    ).fetchall() == [
        (t("2026-06-01").date(), "california labor fed", 1),
        (t("2026-06-01").date(), "ofl", 1),
        (t("2026-06-08").date(), "ohio afl-cio", 1),
    ]


def _marts(con) -> dict[str, tuple[list[str], list[tuple]]]:
    tables = {}
    for (table,) in con.sql(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
    ).fetchall():
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            if c not in LOAD_TIME_COLUMNS
        ]
        rows = con.sql(f"select {', '.join(columns)} from marts.{table}").fetchall()
        tables[table] = (columns, sorted(rows, key=repr))
    return tables


def test_a_daily_build_with_new_and_replaced_actions_equals_a_build_from_scratch(day_two, from_scratch):
    with (
        duckdb.connect(str(day_two)) as daily,
        duckdb.connect(str(from_scratch)) as full,
    ):
        # the views over raw (touchpoints) read the raw file beside each build
        wh.attach_raw(daily)
        wh.attach_raw(full)
        got, expected = _marts(daily), _marts(full)
        # The daily build ran incrementally (the build log holds two builds).
        assert daily.sql("select count(*) from intermediate.dbt_build_log").fetchall() == [(2,)]
    assert list(got) == list(expected)
    for table in expected:
        assert got[table] == expected[table], table
