"""Every kind of damage the sample generator plants lands in raw.rejected_rows, and nothing else is lost."""

from __future__ import annotations

import re

import duckdb
import pytest

from pipelines.lib import ingest, sample

# reason in raw.rejected_rows → the generator's name for that damage
KINDS = [
    (r"^invalid phone", "invalid_phone"),
    (r"^invalid email", "invalid_email"),
    (r"^bad JSON", "bad_json"),
    (r'^unknown event "', "unknown_event"),
    (r'^unparsable date "', "bad_date"),
    (r'^not a phone number "', "bad_phone"),
    (r"^missing created_date$", "missing_created_date"),
    (r"^missing action_network:person_id$", "missing_person_id"),
]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    summary = sample.generate(root / "landing", people=3000, campaigns=6, seed=11)
    con = duckdb.connect(str(root / "wh.duckdb"))
    for source in ingest.SOURCES:
        ingest.load_source(con, root / "landing", source)
    yield summary, con
    con.close()


def test_each_planted_damage_is_rejected_with_its_reason(loaded):
    summary, con = loaded
    found: dict[str, dict[str, int]] = {}
    rows = con.sql("select source, reason, count(*) from raw.rejected_rows group by all").fetchall()
    for source, reason, n in rows:
        kind = next(k for pattern, k in KINDS if re.match(pattern, reason))
        found.setdefault(source, {})
        found[source][kind] = found[source].get(kind, 0) + n
    planted = {s: {k: n for k, n in kinds.items() if n} for s, kinds in summary["planted"].items()}
    assert found == {s: kinds for s, kinds in planted.items() if kinds}


def test_nothing_else_is_lost(loaded):
    summary, con = loaded
    counts = {
        "people": "select count(*) from raw.people",
        "sendgrid": "select count(distinct sg_event_id) from raw.sendgrid_events",
        "twilio_messages": "select count(distinct sid) from raw.twilio_messages",
        "twilio_calls": "select count(distinct sid) from raw.twilio_calls",
        # one row per action (re-pulled and superseded copies are not kept)
        "actionnetwork_actions": "select count(*) from raw.actionnetwork_actions",
    }
    assert {s: con.sql(q).fetchall()[0][0] for s, q in counts.items()} == summary["loadable"]
