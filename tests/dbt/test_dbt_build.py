"""Build the dbt project on the hand-made raw fixture and check marts by hand.

The expected values are worked out from the rows in make_raw_fixture.py; each
assertion names the meaning (DESIGN.md, "Meanings") it pins.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import warehouse as wh
from tests.dbt.conftest import raw_fixture


@pytest.fixture(scope="module")
def dbt_warehouse(tmp_path_factory: pytest.TempPathFactory, dbt) -> Path:
    tmp = tmp_path_factory.mktemp("dbt_build")
    path = raw_fixture().build(tmp / "warehouse.duckdb")

    dbt(path)
    return path


def _rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path))
    try:
        # the raw file beside it, as dbt has it (already there while this process's dbt holds the file)
        wh.attach_raw(con)
        return con.execute(sql).fetchall()
    finally:
        con.close()


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_view_is_made_again_only_when_its_sql_is_not_the_one_it_was_made_from(
    dbt_warehouse: Path, dbt, tmp_path: Path
) -> None:
    # macros/views.sql: a daily build leaves its views as they are, and still tests them.
    for held in dbt_warehouse.parent.glob(dbt_warehouse.name + "*"):
        shutil.copyfile(held, tmp_path / held.name)  # a copy: the module's warehouse stays as built
    path = tmp_path / dbt_warehouse.name

    def made(*args: str) -> bool:
        res = dbt(path, "--select", "stg_sendgrid__events", *args)
        [view] = [r for r in res.result if r.node.name == "stg_sendgrid__events"]
        assert len(res.result) > 1  # its tests ran
        return view.message != "KEPT"

    def comment() -> str:
        return _rows(path, "select comment from duckdb_views() where view_name = 'stg_sendgrid__events'")[0][
            0
        ]

    assert not made()  # the SQL it was made from: kept
    made_from = comment()
    assert made_from.startswith("rollcall: sql md5 ")
    _rows(path, "comment on view staging.stg_sendgrid__events is 'made from other SQL'")
    assert made()
    assert comment() == made_from
    assert made("--full-refresh")
    # the view answers
    assert _rows(
        path,
        "select (select count(*) from staging.stg_sendgrid__events)"
        " = (select count(*) from raw.sendgrid_events where sg_event_id is not null)",
    ) == [(True,)]


def test_a_full_build_of_the_funnel_a_campaign_at_a_time_is_the_funnel_built_at_once(
    dbt_warehouse: Path, dbt, tmp_path: Path
) -> None:
    # macros/batches.sql: a full build makes the funnel a few campaigns at a time (at most
    # `campaign_batch_rows` touchpoints each); with a budget of one row, each campaign is a
    # batch of its own, and the post-hook appends every batch after the first.
    for held in dbt_warehouse.parent.glob(dbt_warehouse.name + "*"):
        shutil.copyfile(held, tmp_path / held.name)
    path = tmp_path / dbt_warehouse.name
    funnel = "select * from marts.person_campaign_funnel"
    at_once = sorted(_rows(path, funnel), key=repr)
    campaigns = {row[1] for row in at_once}
    assert len(campaigns) >= 2  # so more than one batch is made: the second appended
    dbt(path, "--select", "person_campaign_funnel", "--full-refresh", "--vars", "{campaign_batch_rows: 1}")
    assert sorted(_rows(path, funnel), key=repr) == at_once
    # stored in campaign order, as one sorted statement stored it: each batch appended after the last
    assert _rows(
        path,
        "select count(*) from (select campaign_key, lag(campaign_key) over () as before"
        " from marts.person_campaign_funnel) where campaign_key < before",
    ) == [(0,)]


def test_build_creates_every_mart(dbt_warehouse: Path) -> None:
    tables = {
        name
        for (name,) in _rows(
            dbt_warehouse,
            "select table_name from information_schema.tables where table_schema = 'marts'",
        )
    }
    assert tables == {
        "people",
        "campaigns",
        "touchpoints",
        "campaign_touchpoints",
        "person_campaign_funnel",
        "reachability",
        "weekly_activity",
        "campaign_summary",
        "geography_summary",
        "unmatched_identifiers",
        # Action Network actions: letters per target, pages no campaign lists, what acted is made of
        "letters_by_target",
        "unattributed_actions",
        "action_meanings",
        # the engagement ladder: every person's rung on each kept day, its counts, movement, rungs
        "ladder",
        "ladder_counts",
        "ladder_movement",
        "ladder_rungs",
        # raw's bookkeeping, copied for readers: raw is never published
        "rejected_rows",
        "loaded_files",
    }


def test_province_or_state_and_country(dbt_warehouse: Path) -> None:
    rows = dict(
        (pid, (prov, country))
        for pid, prov, country in _rows(
            dbt_warehouse, "select person_id, province_or_state, country from marts.people"
        )
    )
    assert rows["p001"] == ("ON", "CA")  # postal code M5V -> Ontario, Canada
    assert rows["p002"] == ("CA", "US")  # state CA is California, ZIP -> US
    assert rows["p003"] == ("NU", "CA")  # X0A -> Nunavut
    assert rows["p004"] == ("NT", "CA")  # X1A -> Northwest Territories
    assert rows["p005"] == ("OH", "US")  # ZIP state
    assert rows["p006"] == (None, None)


def test_funnel_rows(dbt_warehouse: Path) -> None:
    con = duckdb.connect(str(dbt_warehouse))
    try:
        # The funnel carries the person's integer key; marts.people maps it to the uuid.
        cur = con.execute(
            "select p.person_id, f.* exclude (person_key) "
            "from marts.person_campaign_funnel f join marts.people p using (person_key)"
        )
        names = [d[0] for d in cur.description]
        # each row as {column: value} for the non-null first_* times
        rows = {
            (r[0], r[1]): {
                k: v
                for k, v in zip(names[2:], r[2:], strict=True)
                if v is not None and k.startswith("first_")
            }
            for r in cur.fetchall()
        }
    finally:
        con.close()

    # Only matched people with an attributed action; Eve's 10 s call is too short
    # and her RSVP tentative. acted = the first of signed, submitted, rsvped,
    # wrote or called (test_action_meanings.py pins the actions themselves).
    assert set(rows) == {
        ("p001", "pro_act"),
        ("p001", "pro_act_fu"),
        ("p002", "pro_act"),
        ("p002", "pro_act_fu"),
        ("p003", "pro_act"),
        ("p004", "pro_act"),
        ("p004", "pro_act_fu"),
        ("p006", "pro_act"),
    }
    # Ana: the machine open at 10:01 is not first_opened_at; hotline call of
    # 45 s >= 30; her reply counts for both campaigns that texted her.
    assert rows[("p001", "pro_act")] == {
        "first_delivered_at": t("2026-06-02 10:00"),
        "first_opened_at": t("2026-06-02 11:00"),
        "first_opened_any_at": t("2026-06-02 10:01"),
        "first_clicked_at": t("2026-06-02 11:05"),
        "first_texted_at": t("2026-06-02 14:00"),
        "first_replied_at": t("2026-06-10 09:00"),
        "first_called_at": t("2026-06-03 15:00"),
        "first_signed_at": t("2026-06-04 10:00"),
        "first_wrote_at": t("2026-06-06 09:00"),
        "first_acted_at": t("2026-06-03 15:00"),
    }
    assert rows[("p001", "pro_act_fu")] == {
        "first_texted_at": t("2026-06-09 14:00"),
        "first_replied_at": t("2026-06-10 09:00"),
        "first_submitted_at": t("2026-06-06 10:00"),
        "first_wrote_at": t("2026-06-06 09:00"),
        "first_acted_at": t("2026-06-06 09:00"),
    }
    # Bob: only a machine open; his May text is outside both windows; the
    # patch-through child leg reaches the office both campaigns list.
    assert rows[("p002", "pro_act")] == {
        "first_delivered_at": t("2026-06-02 10:00"),
        "first_opened_any_at": t("2026-06-02 10:02"),
        "first_texted_at": t("2026-06-02 14:00"),
        "first_replied_at": t("2026-06-03 08:00"),
        "first_called_at": t("2026-06-09 16:00:20"),
        "first_signed_at": t("2026-06-01 12:00"),
        "first_acted_at": t("2026-06-01 12:00"),
    }
    assert rows[("p002", "pro_act_fu")] == {
        "first_called_at": t("2026-06-09 16:00:20"),
        "first_submitted_at": t("2026-06-10 12:00"),
        "first_acted_at": t("2026-06-09 16:00:20"),
    }
    # Cleo's soft bounce and Dan's hard bounce are both bounces.
    assert rows[("p003", "pro_act")] == {
        "first_bounced_at": t("2026-06-02 10:00"),
        "first_rsvped_at": t("2026-06-05 09:00"),
        "first_acted_at": t("2026-06-05 09:00"),
    }
    assert rows[("p004", "pro_act")] == {
        "first_bounced_at": t("2026-06-02 10:00"),
        "first_wrote_at": t("2026-06-06 08:00"),
        "first_acted_at": t("2026-06-06 08:00"),
    }
    # Dan's 10 s call misses pro_act's 30 s minimum but meets the follow-up's 1 s.
    assert rows[("p004", "pro_act_fu")] == {
        "first_called_at": t("2026-06-10 10:00"),
        "first_wrote_at": t("2026-06-06 08:00"),
        "first_acted_at": t("2026-06-06 08:00"),
    }
    # The shared address resolves to the smaller person_id (p006, not p007).
    assert rows[("p006", "pro_act")] == {"first_unsubscribed_at": t("2026-06-03 09:00")}


def test_reachability(dbt_warehouse: Path) -> None:
    rows = {
        r[0]: r[1:]
        for r in _rows(
            dbt_warehouse,
            """
            select person_id, reachable_email, reachable_sms,
                   email_block_reason, sms_block_reason
            from marts.reachability
            """,
        )
    }
    assert rows == {
        "p001": (True, True, None, None),
        # dropped is not a bounce; stop. -> START -> Arrêt: latest wins, opted out
        "p002": (True, False, None, "opted_out"),
        # blocked is a soft bounce; SMS not subscribed
        "p003": (True, False, None, "not_subscribed"),
        # hard bounce; latest outbound failed 30005 ("stop texting me at work" is no keyword)
        "p004": (False, False, "hard_bounce", "last_text_error_30005"),
        # no valid email; old 21610 superseded by a later 30007
        "p005": (False, True, "no_email", None),
        # unsubscribe then group_resubscribe: an unsubscribe is for good; no valid phone
        "p006": (False, False, "unsubscribe", "no_phone"),
        "p007": (False, False, "not_subscribed", "no_phone"),
    }


def test_unmatched_events_kept_in_touchpoints(dbt_warehouse: Path) -> None:
    unmatched = _rows(
        dbt_warehouse,
        "select touchpoint_id, identifier from marts.touchpoints "
        "where person_key is null order by touchpoint_id",
    )
    assert unmatched == [
        ("an:AN08", "p999"),
        ("sg:sg11", "stranger@example.net"),
        ("sms:SM13", "+12125550000"),
    ]
    total = _rows(dbt_warehouse, "select count(*) from marts.touchpoints")[0][0]
    assert total == 12 + 13 + 6 + 10  # every landed event and action once
    in_actions = _rows(
        dbt_warehouse,
        "select count(*) from marts.campaign_touchpoints where person_key is null",
    )[0][0]
    assert in_actions == 0
