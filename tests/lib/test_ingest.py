"""Ingest on real files into a real DuckDB file: rejects, dedupe, idempotence, atomicity."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import ingest
from tests.lib.conftest import FIXTURE


def load_all(con, landing) -> dict[str, ingest.LoadResult]:
    return {s: ingest.load_source(con, landing, s) for s in ingest.SOURCES}


def count(con, sql: str) -> int:
    return con.sql(sql).fetchall()[0][0]


def test_every_kind_of_damage_lands_in_rejected_rows_with_a_reason(con, landing):
    load_all(con, landing)
    rejected = con.sql(
        "select source, regexp_extract(file, '[^/]+$'), line, reason from raw.rejected_rows order by all"
    ).fetchall()
    assert rejected == [
        (
            "actionnetwork_actions",
            "advocacy-44444444-page-1.json",
            3,
            "missing action_network:advocacy_campaign_id",
        ),
        (
            "actionnetwork_actions",
            "advocacy-44444444-page-1.json",
            4,
            'unparsable created_date "last Tuesday"',
        ),
        ("actionnetwork_actions", "forms-0606.ndjson", 3, "missing action_network:person_id"),
        ("actionnetwork_actions", "forms-0606.ndjson", 4, "bad JSON"),
        ("actionnetwork_actions", "pull1-petition-11111111-page-1.json", 4, "missing created_date"),
        ("actionnetwork_actions", "rsvps-0605.ndjson", 3, "missing action_network: identifier"),
        ("people", "activists.csv", 5, "invalid phone (left empty on the person)"),
        ("people", "activists.csv", 6, "invalid email (left empty on the person)"),
        ("sendgrid", "post-002.ndjson", 10, 'unknown event "opened_twice"'),
        ("sendgrid", "post-002.ndjson", 11, "bad JSON"),
        ("twilio_calls", "console-export.csv", 6, 'unparsable date "yesterday"'),
        ("twilio_messages", "console-export.csv", 14, 'unparsable date "yesterday afternoon"'),
        ("twilio_messages", "rest-export.csv", 6, 'not a phone number "not-a-phone"'),
    ]


def test_nothing_else_is_lost(con, landing):
    load_all(con, landing)
    # 8 people, all kept (the bad phone and bad email are left empty, not dropped)
    assert count(con, "select count(*) from raw.people") == 8
    assert con.sql("select phone_e164 from raw.people where person_id = 'p-dana'").fetchall() == [(None,)]
    assert con.sql("select email_norm from raw.people where person_id = 'p-eli'").fetchall() == [(None,)]
    # 9 + 9 array events and 11 NDJSON lines less 2 bad; the byte-identical retry post is skipped,
    # and the event repeated across posts (ev-d2) is kept once.
    assert count(con, "select count(*) from raw.sendgrid_events") == 9 + 9 + 9 - 1
    # 13 + 5 message rows less 2 bad (SM-c1 is in both exports)
    assert count(con, "select count(*) from raw.twilio_messages") == 16
    assert count(con, "select count(*) from raw.twilio_calls") == 9
    assert count(con, "select count(*) from raw.campaign_call_numbers") == 3
    # 18 action records less 6 bad; Alice's re-pulled signature and Fay's accepted RSVP (replaced
    # by her later `declined`) are kept once each; Dana's unlisted page and p-nobody are kept
    assert count(con, "select count(*) from raw.actionnetwork_actions") == 10
    assert count(con, "select count(*) from raw.actionnetwork_action_targets") == 3
    assert count(con, "select count(*) from raw.campaign_actions") == 4


def test_a_second_load_changes_nothing(con, landing):
    load_all(con, landing)
    tables = [
        "people", "sendgrid_events", "twilio_messages", "twilio_calls", "rejected_rows", "campaigns",
        "actionnetwork_actions", "actionnetwork_action_targets", "campaign_actions",
    ]  # fmt: skip
    before = {t: count(con, f"select count(*) from raw.{t}") for t in tables}
    again = load_all(con, landing)
    assert all(r.files_loaded == 0 and r.rows_loaded == 0 for r in again.values())
    assert {t: count(con, f"select count(*) from raw.{t}") for t in tables} == before


def test_a_later_run_reads_only_the_files_that_changed(con, landing, monkeypatch):
    load_all(con, landing)
    files = sum(len(ingest.source_files(landing, s)) for s in ingest.SOURCES)
    assert count(con, "select count(*) from raw.file_digests") == files
    read: list[str] = []
    digest = ingest.file_sha256
    monkeypatch.setattr(ingest, "file_sha256", lambda path: read.append(path.name) or digest(path))
    post = landing / "sendgrid" / "post-002.ndjson"
    post.write_text(
        '{"email":"dana@example.com","timestamp":1780412500,"event":"click","sg_event_id":"ev-rewritten"}\n'
    )
    again = load_all(con, landing)
    # Only the rewritten post is hashed again, and its new content loads.
    assert read == ["post-002.ndjson"]
    assert (again["sendgrid"].files_loaded, again["sendgrid"].rows_loaded) == (1, 1)
    assert count(con, "select count(*) from raw.sendgrid_events where sg_event_id = 'ev-rewritten'") == 1


def test_a_new_export_replaces_only_the_people_who_changed(con, landing):
    load_all(con, landing)
    before = dict(con.sql("select person_id, _loaded_at from raw.people").fetchall())
    export = (landing / "people" / "activists.csv").read_text()
    # Tomorrow's export: the whole list again, Bruno with a new email.
    (landing / "people" / "activists-day2.csv").write_text(
        export.replace("bruno@example.ca", "bruno.new@example.ca") + "\n"
    )
    assert ingest.load_source(con, landing, "people").rows_loaded == 8
    after = dict(con.sql("select person_id, _loaded_at from raw.people").fetchall())
    assert sorted(p for p in after if after[p] != before[p]) == ["p-bruno"]
    assert con.sql("select email_norm from raw.people where person_id = 'p-bruno'").fetchall() == [
        ("bruno.new@example.ca",)
    ]


def test_a_new_post_of_seen_events_is_loaded_as_landed(con, landing):
    load_all(con, landing)
    (landing / "sendgrid" / "post-009.ndjson").write_text(
        '{"email":"dana@example.com","timestamp":1780412400,"event":"open","sg_event_id":"ev-d2"}\n'
        '{"email":"dana@example.com","timestamp":1780412500,"event":"click","sg_event_id":"ev-d3"}\n'
    )
    result = ingest.load_source(con, landing, "sendgrid")
    assert (result.files_loaded, result.rows_loaded) == (1, 2)
    # counted once: see tests/test_meanings.py::test_an_event_landed_twice_counts_once


def test_phones_are_e164_and_emails_lower_case(con, landing):
    load_all(con, landing)
    rows = dict(con.sql("select person_id, phone_e164 from raw.people").fetchall())
    assert rows["p-alice"] == "+16145550101"  # (614) 555-0101
    assert rows["p-bruno"] == "+14165550102"  # 416.555.0102
    assert rows["p-chloe"] == "+15145550103"  # +1 514 555 0103
    assert con.sql("select email_norm from raw.people where person_id = 'p-alice'").fetchall() == [
        ("alice@example.com",)
    ]
    assert con.sql("select postal_code from raw.people where person_id = 'p-chloe'").fetchall() == [
        ("H2X 1Y4",)
    ]


def test_both_twilio_header_spellings_load(con, landing):
    load_all(con, landing)
    files = con.sql(
        "select distinct regexp_extract(_source_file, '[^/]+$') from raw.twilio_calls order by 1"
    ).fetchall()
    assert files == [("console-export.csv",), ("rest-export.csv",)]
    assert con.sql(
        "select parent_call_sid, direction from raw.twilio_calls where sid = 'CA-c1'"
    ).fetchall() == [("CA-p1", "outbound-dial")]


def test_a_file_not_in_the_format_fails_naming_it_and_loads_nothing(con, landing):
    load_all(con, landing)
    before = count(con, "select count(*) from raw.twilio_messages")
    (landing / "twilio_messages" / "zz-new.csv").write_text(
        "sid,from,to,body,status,direction,date_sent,num_segments,error_code\n"
        'SM-new,+16145550199,+16145550108,hi,delivered,outbound-api,"Tue, 09 Jun 2026 15:00:00 +0000",1,\n'
    )
    (landing / "twilio_messages" / "zz-orders.csv").write_text("order_id,amount\n1,20\n")
    with pytest.raises(ingest.IngestError, match=r"zz-orders\.csv: not a Twilio message log"):
        ingest.load_source(con, landing, "twilio_messages")
    # the good new file in the same load was rolled back too: nothing half-loaded
    assert count(con, "select count(*) from raw.twilio_messages") == before
    assert count(con, "select count(*) from raw.loaded_files where file like '%zz-new.csv'") == 0


def test_gzipped_exports_load_as_the_files_they_hold(tmp_path, landing):
    plain = duckdb.connect(str(tmp_path / "plain.duckdb"))
    load_all(plain, landing)
    for path in [p for p in landing.rglob("*") if p.is_file() and p.name != "campaigns.yml"]:
        # no name or time in the gzip header: the byte-identical retry stays byte-identical
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes(), mtime=0))
        path.unlink()
    packed = duckdb.connect(str(tmp_path / "packed.duckdb"))
    load_all(packed, landing)

    def rows(con, table: str) -> list[tuple]:
        # the same rows, rejects and line numbers; only the file names differ
        return con.sql(
            f"select * exclude (_loaded_at) replace (regexp_replace(_source_file, '^.*/|[.]gz$', '', 'g') "
            f"as _source_file) from raw.{table} order by all"
        ).fetchall()

    for table in ("people", "sendgrid_events", "twilio_messages", "twilio_calls", "actionnetwork_actions"):
        assert rows(packed, table) == rows(plain, table), table
    rejected = (
        "select source, regexp_replace(file, '^.*/|[.]gz$', '', 'g'), line, reason from raw.rejected_rows"
    )
    assert sorted(packed.sql(rejected).fetchall()) == sorted(plain.sql(rejected).fetchall())
    assert len(packed.sql(rejected).fetchall()) == 13
    plain.close()
    packed.close()


def test_a_damaged_gzip_file_fails_naming_it_and_loads_nothing(con, landing):
    (landing / "sendgrid" / "post-900.ndjson.gz").write_bytes(b"\x1f\x8b\x08 not really gzip")
    with pytest.raises(ingest.IngestError, match=r"post-900\.ndjson\.gz: not a readable gzip file"):
        ingest.load_source(con, landing, "sendgrid")
    assert count(con, "select count(*) from raw.sendgrid_events") == 0


def test_a_sendgrid_file_that_is_not_json_fails_naming_it(con, landing):
    (landing / "sendgrid" / "notes.txt").write_text("hello")
    with pytest.raises(ingest.IngestError, match=r"notes\.txt: not a SendGrid event webhook file"):
        ingest.load_source(con, landing, "sendgrid")
    assert count(con, "select count(*) from raw.sendgrid_events") == 0


def test_a_bad_campaign_registry_fails_naming_the_file(con, landing):
    (landing / "campaigns.yml").write_text("campaigns:\n  - id: x\n    ask: call\n")
    with pytest.raises(ingest.IngestError, match=r"campaigns\.yml: campaign 'x': needs `name"):
        ingest.load_source(con, landing, "campaigns")


def _post(path: Path, *events: tuple[str, str, int]) -> None:
    """A webhook post of (sg_event_id, event, timestamp) for dana@example.com."""
    path.write_text(
        "\n".join(
            f'{{"email":"Dana@Example.com","timestamp":{ts},"event":"{event}","sg_event_id":"{sid}",'
            f'"campaign_id":"pro-act-2026"}}'
            for sid, event, ts in events
        )
        + "\n"
    )


def test_an_event_landed_twice_counts_once(con, tmp_path):
    """The same sg_event_id in two posts, in one load or across loads, is one event: the first landed."""
    landing = tmp_path / "twice"
    (landing / "sendgrid").mkdir(parents=True)
    _post(landing / "sendgrid" / "post-2.ndjson", ("a", "open", 1780412400), ("b", "click", 1780412401))
    _post(landing / "sendgrid" / "post-1.ndjson", ("a", "open", 1780412399))
    ingest.load_source(con, landing, "sendgrid")
    assert con.sql(
        "select sg_event_id, event_at, regexp_extract(_source_file, '[^/]+$') from raw.sendgrid_events "
        "order by all"
    ).fetchall() == [
        # post-1 sorts first: its copy of "a" is the first landed
        ("a", dt.datetime(2026, 6, 2, 14, 59, 59), "post-1.ndjson"),
        ("b", dt.datetime(2026, 6, 2, 15, 0, 1), "post-2.ndjson"),
    ]
    # A later load repeating "b" (a retried post, not byte-identical) adds only what is new.
    _post(landing / "sendgrid" / "post-3.ndjson", ("b", "click", 1780412401), ("c", "delivered", 1780412402))
    result = ingest.load_source(con, landing, "sendgrid")
    assert result.files_loaded == 1
    per_id = "select sg_event_id, count(*) from raw.sendgrid_events group by 1 order by 1"
    assert con.sql(per_id).fetchall() == [
        ("a", 1),
        ("b", 1),
        ("c", 1),
    ]
    assert con.sql(
        "select regexp_extract(_source_file, '[^/]+$') from raw.sendgrid_events where sg_event_id = 'b'"
    ).fetchall() == [("post-2.ndjson",)]


def test_events_hashed_by_an_earlier_hash_are_hashed_again_and_still_count_once(con, tmp_path):
    """A warehouse whose `_id_hash` came from DuckDB's hash() (before ingest.ID_HASH) is hashed
    again once, whole, so a later post repeating one of its events still lands it once."""
    landing = tmp_path / "rehash"
    (landing / "sendgrid").mkdir(parents=True)
    _post(landing / "sendgrid" / "post-1.ndjson", ("a", "open", 1780412399), ("b", "click", 1780412401))
    ingest.load_source(con, landing, "sendgrid")
    con.execute("update raw.sendgrid_events set _id_hash = cast(hash(sg_event_id) >> 1 as bigint)")
    _post(landing / "sendgrid" / "post-2.ndjson", ("b", "click", 1780412401), ("c", "delivered", 1780412402))
    ingest.load_source(con, landing, "sendgrid")
    per_id = "select sg_event_id, count(*) from raw.sendgrid_events group by 1 order by 1"
    assert con.sql(per_id).fetchall() == [("a", 1), ("b", 1), ("c", 1)]
    stale = f"select count(*) from raw.sendgrid_events where _id_hash is distinct from {ingest.ID_HASH}"
    assert count(con, stale) == 0


def test_a_row_to_reject_in_a_file_of_json_objects_keeps_its_line_and_text(con, tmp_path):
    """Every line a JSON object, one of them not an event: the good rows land in the bulk read,
    the other is rejected with its physical line and its text."""
    landing = tmp_path / "objects"
    (landing / "sendgrid").mkdir(parents=True)
    _post(
        landing / "sendgrid" / "export.ndjson",
        ("a", "open", 1780412399),
        ("b", "bogus", 1780412400),
        ("c", "click", 1780412401),
    )
    result = ingest.load_source(con, landing, "sendgrid")
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert con.sql("select sg_event_id from raw.sendgrid_events order by 1").fetchall() == [("a",), ("c",)]
    line_2 = (landing / "sendgrid" / "export.ndjson").read_text().splitlines()[1]
    assert con.sql("select line, reason, raw_value from raw.rejected_rows").fetchall() == [
        (2, 'unknown event "bogus"', line_2)
    ]


def test_a_dedupe_a_crash_interrupted_is_finished_by_the_next_load(con, tmp_path, monkeypatch):
    """A load commits its rows, then deletes repeated copies in a second transaction: if that one
    never commits, the next SendGrid load finishes it before reading anything, even with nothing new."""
    landing = tmp_path / "crash"
    (landing / "sendgrid").mkdir(parents=True)
    _post(landing / "sendgrid" / "post-1.ndjson", ("a", "open", 1780412399))
    _post(landing / "sendgrid" / "post-2.ndjson", ("a", "open", 1780412400), ("b", "click", 1780412401))
    real = ingest._keep_first_landed_copies

    def crash(con, now):
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest, "_keep_first_landed_copies", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest.load_source(con, landing, "sendgrid")
    per_id = "select sg_event_id, count(*) from raw.sendgrid_events group by 1 order by 1"
    assert con.sql(per_id).fetchall() == [("a", 2), ("b", 1)]
    assert count(con, "select count(*) from raw.sendgrid_loads_to_dedupe") == 1
    monkeypatch.setattr(ingest, "_keep_first_landed_copies", real)
    result = ingest.load_source(con, landing, "sendgrid")
    assert (result.files_loaded, result.files_skipped) == (0, 2)
    assert con.sql(per_id).fetchall() == [("a", 1), ("b", 1)]
    assert con.sql(
        "select regexp_extract(_source_file, '[^/]+$') from raw.sendgrid_events where sg_event_id = 'a'"
    ).fetchall() == [("post-1.ndjson",)]
    assert count(con, "select count(*) from raw.sendgrid_loads_to_dedupe") == 0


def test_raw_keeps_only_what_the_warehouse_reads(con, landing):
    """The payload nothing reads (message ids, categories, urls, reasons) stays in the landed files."""
    load_all(con, landing)
    columns = [c for (c,) in con.sql("select column_name from (describe raw.sendgrid_events)").fetchall()]
    assert columns == [
        "sg_event_id",
        "event",
        "email_norm",
        "email_as_logged",
        "event_at",
        "campaign_id",
        "machine_open",
        "bounce_type",
        "asm_group_id",
        "_source_file",
        "_loaded_at",
        "_id_hash",  # the dedupe's integer (a hash of sg_event_id)
    ]
    # An address kept as logged only where it did not normalise.
    assert count(con, "select count(*) from raw.sendgrid_events where email_as_logged is not null") == count(
        con, "select count(*) from raw.sendgrid_events where email_norm is null"
    )


WEBHOOK_EXAMPLES = FIXTURE.parent / "sendgrid-webhook-examples.json"


def _examples_landed(landing: Path, shape: str) -> None:
    """SendGrid's documented example of every event type, landed as one post in `shape`."""
    shutil.rmtree(landing / "sendgrid")
    (landing / "sendgrid").mkdir()
    events = json.loads(WEBHOOK_EXAMPLES.read_text())
    if shape == "array":
        (landing / "sendgrid" / "examples.json").write_text(WEBHOOK_EXAMPLES.read_text())
    else:
        (landing / "sendgrid" / "examples.ndjson").write_text("".join(json.dumps(e) + "\n" for e in events))


@pytest.mark.parametrize("shape", ["array", "ndjson"])
def test_sendgrids_documented_example_of_every_event_loads_with_the_right_types(con, landing, shape):
    # Beside our fields a real webhook carries smtp-id, ip, useragent, tls, cert_err,
    # pool {name, id}, marketing_campaign_id/_name, bounce_classification,
    # sg_content_type, attempt, response, status, url_offset {index, type}, and
    # category as a string or an array: all ignored (they stay in the landed file), nothing rejected.
    _examples_landed(landing, shape)
    result = ingest.load_source(con, landing, "sendgrid")
    assert (result.rows_loaded, result.rows_rejected) == (13, 0)
    assert count(con, "select count(*) from raw.rejected_rows") == 0
    rows = con.sql(
        """
        select event, email_norm, event_at, campaign_id, machine_open, bounce_type, asm_group_id
        from raw.sendgrid_events order by sg_event_id
        """
    ).fetchall()
    at = dt.datetime(2017, 12, 15, 0, 59, 29)  # 1513299569
    mail = "example@test.com"
    assert sorted(rows, key=repr) == sorted(
        [
            ("processed", mail, at, None, False, None, None),
            ("dropped", mail, at, None, False, None, None),
            ("delivered", mail, at, "pro-act-2026", False, None, None),
            ("deferred", mail, at, None, False, None, None),
            ("bounce", mail, at, None, False, "bounce", None),
            ("bounce", mail, at, None, False, "blocked", None),
            ("open", mail, at, "pro-act-2026", False, None, None),
            ("open", mail, at, None, True, None, None),
            ("click", mail, at, None, False, None, None),
            ("spamreport", mail, at, None, False, None, None),
            ("unsubscribe", mail, at, None, False, None, None),
            ("group_unsubscribe", mail, at, None, False, None, 10),
            ("group_resubscribe", mail, at, None, False, None, 10),
        ],
        key=repr,
    )
    types = dict(
        con.sql(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'sendgrid_events'"
        ).fetchall()
    )
    assert (types["event_at"], types["machine_open"], types["asm_group_id"]) == (
        "TIMESTAMP",
        "BOOLEAN",
        "INTEGER",
    )


def test_an_asm_group_id_that_is_not_a_whole_number_is_kept_as_null_not_rejected(con, landing):
    # Rejecting the row would drop a group_unsubscribe, and so email someone who left:
    # kept with no group, nothing undoes it (int_email_blocked_addresses).
    (landing / "sendgrid" / "post-010.ndjson").write_text(
        '{"email":"fay@example.ca","timestamp":1780495200,"event":"group_unsubscribe","sg_event_id":"g1",'
        '"asm_group_id":"4821"}\n'
        '{"email":"fay@example.ca","timestamp":1780495200,"event":"group_unsubscribe","sg_event_id":"g2",'
        '"asm_group_id":"preferences"}\n'
        '{"email":"fay@example.ca","timestamp":1780495200,"event":"group_unsubscribe","sg_event_id":"g3",'
        '"asm_group_id":12.5}\n'
        '{"email":"fay@example.ca","timestamp":1780495200,"event":"group_unsubscribe","sg_event_id":"g4"}\n'
    )
    ingest.load_source(con, landing, "sendgrid")
    assert con.sql(
        "select sg_event_id, asm_group_id from raw.sendgrid_events where sg_event_id like 'g_' order by 1"
    ).fetchall() == [("g1", 4821), ("g2", None), ("g3", None), ("g4", None)]
    assert count(con, "select count(*) from raw.rejected_rows where file like '%post-010%'") == 0
