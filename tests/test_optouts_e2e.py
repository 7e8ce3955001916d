"""Issue 13, item 1, end to end: an SMS export held 3 people who had texted STOP.

Four replies the warehouse used to miss, landed beside the hand-made fixture:
ARRÊT typed as E + combining accent (NFD), a full-width ＳＴＯＰ, a STOP dated
in ISO 8601 with milliseconds, and a STOP whose date cannot be read at all.
After a full run none of the four is reachable by text: not in marts.reachability,
not in a cohort `--reachable sms`, not in an SMS segment export.
"""

from __future__ import annotations

import shutil

import pytest

from pipelines.lib import cohorts
from pipelines.lib.warehouse import connect_read
from tests.conftest import FIXTURE_LANDING

OUR_NUMBER = "+14165550100"
REPLIES = (
    "sid,from,to,body,status,direction,date_sent,num_segments,error_code\n"
    f'SM-x1,+18675550106,{OUR_NUMBER},ARRE\u0302T,received,inbound,"Sun, 14 Jun 2026 14:00:00 +0000",1,\n'
    f"SM-x2,+16145550108,{OUR_NUMBER},ＳＴＯＰ,received,inbound,2026-06-14 14:00:00,1,\n"
    f"SM-x3,+16145550107,{OUR_NUMBER},STOP,received,inbound,2026-06-02T14:03:11.000Z,1,\n"
    f"SM-x4,+14165550102,{OUR_NUMBER},STOP,received,inbound,the 14th,1,\n"
)
STOPPED = ["bruno", "fay", "gus", "hana"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from pipelines.run import run_all

    root = tmp_path_factory.mktemp("optouts")
    landing = root / "landing"
    shutil.copytree(FIXTURE_LANDING, landing)
    (landing / "twilio_messages" / "replies-0614.csv").write_text(REPLIES, encoding="utf-8")
    run_all(landing, root / "warehouse.duckdb")
    return root / "warehouse.duckdb"


def test_no_one_who_texted_stop_is_reachable_by_text(warehouse):
    with connect_read(warehouse) as con:
        reach = dict(
            con.sql(
                "select regexp_replace(person_id, '^p-', ''), sms_block_reason from marts.reachability"
            ).fetchall()
        )
        assert {p: reach[p] for p in STOPPED} == dict.fromkeys(STOPPED, "opted_out")
        # the unreadable date is reported, the opt-out kept
        assert con.sql(
            "select line, reason from marts.rejected_rows where file like '%replies-0614.csv'"
        ).fetchall() == [(5, 'unparsable date "the 14th" (opt-out kept, dated when loaded)')]
        for did in cohorts.EVENTS:
            members = cohorts.members(con, cohorts.Cohort(campaign="pro-act", did=did, reachable="sms"))
            assert not {p.removeprefix("p-") for p in members.column("person_id").to_pylist()} & set(STOPPED)
