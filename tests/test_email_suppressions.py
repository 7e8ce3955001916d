"""Reachable by email follows SendGrid's suppressions, end to end on a hand-made landing folder.

DESIGN, "reachable by email": an address, subscribed, never an unsubscribe,
spam report or hard bounce for the address from any campaign (SendGrid
suppresses those for good: a resubscribe does not undo them), and no
group_unsubscribe that a later group_resubscribe of the same asm_group_id has
not undone. An export for a channel never contains a person unreachable on it.

tests/fixtures/suppressions (its README has the table) is ingested, built
by dbt and exported by the real pipeline, once for the module.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from pipelines.lib import cohorts
from pipelines.lib import segments as seg
from pipelines.lib import warehouse as wh
from pipelines.lib.warehouse import connect_read
from pipelines.run import run_all

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "suppressions"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("suppressions")
    landing = root / "landing"
    shutil.copytree(FIXTURE, landing)
    warehouse = root / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        # run_all points these at its warehouse; give them back afterwards
        for name in ("ROLLCALL_LANDING", "ROLLCALL_WAREHOUSE", "ROLLCALL_BUILD_DB"):
            mp.setenv(name, "")
        mp.delenv("ROLLCALL_SEGMENTS", raising=False)
        mp.delenv("ROLLCALL_EXPORTS", raising=False)
        run_all(landing, warehouse)
    return {"landing": landing, "warehouse": warehouse}


@pytest.fixture(scope="module")
def con(built):
    with connect_read(built["warehouse"]) as connection:
        yield connection


@pytest.fixture(scope="module")
def events(built):
    """The build warehouse, where the raw events are (they are never published)."""
    with wh.connect_build(wh.build_path(built["warehouse"])) as connection:
        yield connection


def reach(con, person: str) -> tuple[bool, str | None]:
    return con.execute(
        "select reachable_email, email_block_reason from marts.reachability where person_id = ?",
        [f"p-{person}"],
    ).fetchall()[0]


def test_every_event_loads_beside_the_fields_sendgrid_adds(events):
    # smtp-id, ip, useragent, tls, cert_err, pool {name, id}, marketing_campaign_id,
    # bounce_classification, url_offset, category as a string or an array: ignored
    assert events.sql("select count(*) from raw.rejected_rows").fetchall() == [(0,)]
    assert events.sql("select count(*) from marts.touchpoints where channel = 'email'").fetchall() == [(36,)]


def test_unsubscribe_then_group_resubscribe_is_unreachable(con):
    assert reach(con, "una") == (False, "unsubscribe")


def test_spamreport_then_group_resubscribe_is_unreachable(con):
    assert reach(con, "sam") == (False, "spamreport")


def test_group_unsubscribe_then_resubscribe_of_the_same_group_is_reachable(con):
    assert reach(con, "gina") == (True, None)


def test_group_unsubscribe_then_resubscribe_of_another_group_is_unreachable(con):
    assert reach(con, "otto") == (False, "group_unsubscribe")


def test_group_resubscribe_before_the_group_unsubscribe_does_not_undo_it(con):
    assert reach(con, "ray") == (False, "group_unsubscribe")


def test_group_unsubscribe_whose_group_is_not_a_number_is_never_undone(con, events):
    # asm_group_id "preferences": kept as null, not rejected, so the unsubscribe stands
    assert events.sql(
        "select asm_group_id from raw.sendgrid_events where sg_event_id = 'gu-nell'"
    ).fetchall() == [(None,)]
    assert reach(con, "nell") == (False, "group_unsubscribe")


def test_hard_bounce_then_anything_is_unreachable(con):
    # a group_resubscribe, then a delivery, an open and a click, all after the bounce
    assert reach(con, "hank") == (False, "hard_bounce")


def test_blocked_is_a_soft_bounce_and_reachable(con):
    assert reach(con, "bea") == (True, None)
    assert reach(con, "vic") == (True, None)


def test_reachable_by_email_cohort_keeps_only_the_reachable(con):
    question = {"campaign": "dues-drive", "did": "delivered"}
    delivered = cohorts.members(con, cohorts.Cohort(**question)).column("person_id").to_pylist()
    assert len(delivered) == 9
    reachable = cohorts.members(con, cohorts.Cohort(**question, reachable="email"))
    assert reachable.column("person_id").to_pylist() == ["p-bea", "p-gina", "p-vic"]


def test_an_email_export_never_contains_a_person_unreachable_by_email(built, con):
    # the saved segment (segments.yml: delivered, channel email, no holdout), as the pipeline exported it
    export = seg.exports_path(built["warehouse"]) / "dues-drive-email.csv"
    with open(export, newline="", encoding="utf-8") as handle:
        emails = sorted(row["email"] for row in csv.DictReader(handle))
    assert emails == ["bea@example.ca", "gina@example.ca", "vic@example.org"]
    members = con.sql(
        "select count(*) from segments.membership where segment_id = 'dues-drive-email' and valid_to is null"
    ).fetchall()
    assert members == [(3,)]
