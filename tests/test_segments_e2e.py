"""Segments end to end: the Action Network round trip through the pipeline, and a resumed push.

Against a local server that behaves like Action Network (tests/an_server.py):
real HTTP, 25 a page with a trailing empty page, 429s, a 500 outage mid-push.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import actionnetwork as an
from pipelines.lib import segments as seg
from tests.an_server import TOKEN, FakeActionNetwork, person_resource
from tests.conftest import FIXTURE_LANDING

SEGMENTS_YML = """
segments:
  - id: pro-act-no-call
    name: {en: "Opened the PRO Act email, no call in 7 days", fr: "A ouvert le courriel, sans appel"}
    cohort: {campaign: pro-act, did: opened, did_not: called, within: 7}
    channel: sms
    holdout: 10
    outcome: {campaign: pro-act-text, event: called, within: 7}
    destinations: [csv, parquet, actionnetwork]
"""
SUBSCRIPTION_WORDS = ("status", "subscri")


# A saved segment the push tests share: 20% held out, pushed to Action Network.
PHARMACARE_SEGMENT = """
segments:
  - id: pharmacare-delivered
    name: {en: "Got the Pharmacare email", fr: "A reçu le courriel Assurance médicaments"}
    cohort: {campaign: pharmacare, did: delivered}
    channel: email
    holdout: 20
    outcome: {event: clicked, within: 7}
    destinations: [csv, actionnetwork]
"""


def fixture_people() -> list[dict]:
    with open(FIXTURE_LANDING / "people" / "activists.csv", newline="", encoding="utf-8") as handle:
        return [person_resource(row) for row in csv.DictReader(handle)]


def keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def people_mart(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql("select * from marts.people order by person_id").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def pulled(tmp_path_factory):
    """A full run whose people come from the API (no CSV), with a segment pushed to the API."""
    from pipelines.run import run_all

    root = tmp_path_factory.mktemp("pulled")
    landing = root / "landing"
    shutil.copytree(FIXTURE_LANDING, landing, ignore=shutil.ignore_patterns("people"))
    (landing / "segments.yml").write_text(SEGMENTS_YML, encoding="utf-8")
    warehouse = root / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as mp, FakeActionNetwork(fixture_people()) as server:
        server.throttle_every = 4  # a 429 (Retry-After: 0) now and then
        for name in ("ROLLCALL_LANDING", "ROLLCALL_WAREHOUSE", "ROLLCALL_BUILD_DB", "ROLLCALL_EXPORTS"):
            mp.setenv(name, "")  # restored afterwards: run_all sets them for the process
        mp.delenv("ROLLCALL_EXPORTS")
        mp.setenv("ROLLCALL_AN_URL", server.url)
        mp.setenv("ROLLCALL_AN_TOKEN", TOKEN)
        summary = run_all(landing, warehouse)
    return {"root": root, "warehouse": warehouse, "server": server, "summary": summary}


def test_people_pulled_from_the_api_make_the_same_people_mart_as_the_csv(pulled, warehouse):
    assert people_mart(pulled["warehouse"]) == people_mart(warehouse)
    gets = [r for r in pulled["server"].requests if r["method"] == "GET" and r["status"] == 200]
    assert [len(r["query"].get("page", ["1"])) for r in gets] == [1, 1]  # one page, then the empty one


def test_the_pipeline_exports_and_pushes_only_treatment_members_reachable_by_sms(pulled):
    con = duckdb.connect(str(pulled["warehouse"]), read_only=True)
    try:
        members = con.sql(
            "select person_id, arm from segments.membership where valid_to is null order by 1"
        ).fetchall()
        phones = dict(con.sql("select person_id, phone from marts.people").fetchall())
        lift = con.sql("select segment_id, n_treatment + n_control from segments.segment_lift").fetchall()
    finally:
        con.close()
    # opened pro-act, no call within 7 days: chloe dana fay hana; reachable by SMS: fay hana
    assert [p for p, _ in members] == ["p-fay", "p-hana"]
    assert lift == [("pro-act-no-call", 2)]
    sent = {phones[p] for p, arm in members if arm == "treatment"}
    with open(pulled["root"] / "exports" / "pro-act-no-call.csv", newline="", encoding="utf-8") as handle:
        assert {r["phone"] for r in csv.DictReader(handle)} == sent
    server = pulled["server"]
    assert dict(server.tagged) == {(phone, "rollcall: pro-act-no-call"): 1 for phone in sent}
    assert not any(word in k for body in server.bodies() for k in keys(body) for word in SUBSCRIPTION_WORDS)


# --- the done criterion: build, export, push, crash half-way, resume ------------------------


def add_people(con, n: int) -> None:
    """n more people who got the pharmacare email; every 7th unsubscribed from email."""
    con.execute(
        """
        insert into marts.people (person_id, person_key, first_name, last_name, email, zip_code, country)
        select id, hash(id), 'X' || i, 'Person', 'x' || i || '@example.org',
               'M5V 2T6', 'CA'
        from (select i, 'p-x' || lpad(i::varchar, 3, '0') as id from range(?) t(i))
        """,
        [n],
    )
    con.execute(
        """
        insert into marts.person_campaign_funnel (person_key, campaign_key, campaign_id, first_delivered_at)
        select hash(id), (select campaign_key from marts.campaigns where campaign_id = 'pharmacare'),
               'pharmacare', timestamp '2026-06-01 10:00:00'
        from (select i, 'p-x' || lpad(i::varchar, 3, '0') as id from range(?) t(i))
        """,
        [n],
    )
    con.execute(
        """
        insert into marts.reachability (person_id, person_key, email, reachable_email, reachable_sms)
        select id, hash(id), 'x' || i || '@example.org', i % 7 <> 3, false
        from (select i, 'p-x' || lpad(i::varchar, 3, '0') as id from range(?) t(i))
        """,
        [n],
    )


def test_push_crashes_half_way_resumes_and_tags_every_treatment_member_exactly_once(warehouse, tmp_path):
    copy = tmp_path / "wh.duckdb"
    shutil.copyfile(warehouse, copy)
    con = duckdb.connect(str(copy))
    add_people(con, 40)
    path = tmp_path / "segments.yml"
    path.write_text(PHARMACARE_SEGMENT, encoding="utf-8")
    (segment,) = seg.load(path)
    seg.build(con, [segment], now=dt.datetime(2026, 6, 20))
    members = dict(
        con.sql("select person_id, arm from segments.membership where valid_to is null").fetchall()
    )
    emails = dict(con.sql("select person_id, email from marts.people").fetchall())
    # After the build one treatment member reports spam: unreachable now, so never sent.
    late = sorted(p for p, arm in members.items() if arm == "treatment")[0]
    con.execute("update marts.reachability set reachable_email = false where person_id = ?", [late])
    treatment = {emails[p] for p, arm in members.items() if arm == "treatment" and p != late}
    control = {emails[p] for p, arm in members.items() if arm == "control"}
    unreachable = {
        emails[p]
        for (p,) in con.sql("select person_id from marts.reachability where not reachable_email").fetchall()
    }
    assert len(treatment) >= 20 and control  # the plan has something to prove

    exported = seg.export(con, segment, tmp_path / "exports")
    with open(exported.files[0], newline="", encoding="utf-8") as handle:
        assert {r["email"] for r in csv.DictReader(handle)} == treatment

    with FakeActionNetwork() as server:
        server.throttle_every = 5
        server.outage_after_signups, server.outage_requests = 9, 1000  # down after 9 signups
        fast = {"rate": 200.0, "retries": 3, "backoff": 0.01}
        with pytest.raises(an.PushAborted) as crash:
            an.push_segment(con, an.Client(server.url, TOKEN, **fast), segment)
        assert crash.value.summary.pushed == 9 and "after 4 tries" in crash.value.summary.aborted
        assert [r["status"] for r in server.requests].count(500) >= 3

        server.outage_requests = 0  # back up
        summary = an.push_segment(con, an.Client(server.url, TOKEN, **fast), segment)

    assert summary.skipped == 9 and summary.pushed == len(treatment) - 9 and not summary.failed
    assert summary.held_out == len(control) and summary.unreachable == 1
    assert dict(server.tagged) == {(e, segment.tag): 1 for e in treatment}
    sent = {a["address"] for body in server.bodies() for a in body["person"]["email_addresses"]}
    assert not sent & control and not sent & unreachable
    assert all(set(body) == {"person", "add_tags"} for body in server.bodies())
    assert not any(word in k for body in server.bodies() for k in keys(body) for word in SUBSCRIPTION_WORDS)
    assert con.sql("select count(*) from segments.push_log where status = 'pushed'").fetchall() == [
        (len(treatment),)
    ]
    con.close()


def test_a_refused_person_is_reported_with_the_reason_and_the_rest_go_through(warehouse, tmp_path):
    copy = tmp_path / "wh.duckdb"
    shutil.copyfile(warehouse, copy)
    con = duckdb.connect(str(copy))
    segment = seg._parse_segment(
        {
            "id": "openers",
            "name": {"en": "Opened", "fr": "A ouvert"},
            "cohort": {"campaign": "pro-act", "did": "opened"},
            "channel": "email",
            "outcome": {"event": "called"},
        },
        Path("segments.yml"),
    )
    seg.build(con, [segment])
    with FakeActionNetwork() as server:
        server.reject = {"fay@example.ca"}
        summary = an.push_segment(con, an.Client(server.url, TOKEN, rate=200.0), segment)
    assert summary.pushed == 2 and summary.failed == [
        ("p-fay", "HTTP 400: invalid identifier fay@example.ca")
    ]
    assert summary.metadata()["failed: HTTP 400: invalid identifier fay@example.ca"] == 1
    con.close()
