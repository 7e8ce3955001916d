"""Issue 13: hostile exports, each case as found, on real files into a real DuckDB file.

Nothing lost (a Latin-1 export, a quoted newline, a duplicated uuid) and no
opt-out lost (look-alike keywords, ISO dates, a STOP with a bad field).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.lib import ingest

PEOPLE_HEADER = ",".join(ingest.PEOPLE_COLUMNS)
MESSAGES_HEADER = "sid,from,to,body,status,direction,date_sent,num_segments,error_code"
CALLS_HEADER = "sid,parent_call_sid,from,to,status,direction,start_time,end_time,duration"
OUR_NUMBER = "+16145550199"


def land(landing: Path, source: str, name: str, content: str | bytes) -> Path:
    path = landing / source / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def person(uuid: str, first: str = "Ann", last: str = "Lee", email: str = "", city: str = "Ottawa") -> str:
    email = email or f"{uuid}@example.org"
    return f"{uuid},{first},{last},{email},,K1A 0B1,{city},ON,CA,subscribed,subscribed,CLC,fr,,"


def rejected(con, source: str) -> list[tuple]:
    return con.execute(
        "select regexp_extract(file, '[^/]+$'), line, reason from raw.rejected_rows where source = ? "
        "order by all",
        [source],
    ).fetchall()


# --- item 3: encodings -------------------------------------------------------


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_a_latin1_people_export_keeps_every_accented_person(con, tmp_path, encoding):
    rows = [
        person("p1", "Chloé", "Côté", city="Montréal"),
        person("p2", "Zoë", "Ørsted"),
        person("p3", "Ann", "Lee"),
        person("p4", "Renée", "L'Écuyer" if encoding == "latin-1" else "L’Écuyer"),
    ]
    land(tmp_path, "people", "export.csv", ("\r\n".join([PEOPLE_HEADER, *rows]) + "\r\n").encode(encoding))
    result = ingest.load_source(con, tmp_path, "people")
    assert (result.rows_loaded, result.rows_rejected) == (4, 0)
    names = con.sql("select person_id, first_name, last_name, city from raw.people order by 1").fetchall()
    assert names[0] == ("p1", "Chloé", "Côté", "Montréal")
    assert names[1][1:3] == ("Zoë", "Ørsted")
    assert names[3][2] == ("L'Écuyer" if encoding == "latin-1" else "L’Écuyer")


def test_a_utf8_export_with_a_byte_order_mark_loads_whole(con, tmp_path):
    land(tmp_path, "people", "bom.csv", "\ufeff" + PEOPLE_HEADER + "\n" + person("p1", "Chloé") + "\n")
    assert ingest.load_source(con, tmp_path, "people").rows_loaded == 1
    assert con.sql("select first_name from raw.people").fetchall() == [("Chloé",)]


# --- item 7: line numbers, one reject per bad row, duplicated uuids ----------


def test_lines_after_a_quoted_newline_are_the_physical_lines(con, tmp_path):
    land(
        tmp_path,
        "people",
        "export.csv",
        "\n".join(
            [
                PEOPLE_HEADER,  # 1
                person("p1", city='"Saint-Jean\nsur-Richelieu"'),  # 2-3
                person("p2"),  # 4
                person("p3", email="not-an-email"),  # 5
            ]
        )
        + "\n",
    )
    land(
        tmp_path,
        "twilio_messages",
        "log.csv",
        "\n".join(
            [
                MESSAGES_HEADER,  # 1
                f'SM1,{OUR_NUMBER},+16135550101,"Line one\nline two",delivered,outbound-api,'
                '"Tue, 02 Jun 2026 14:00:00 +0000",1,',  # 2-3
                f"SM2,{OUR_NUMBER},+16135550102,hi,delivered,outbound-api,"
                '"Tue, 02 Jun 2026 14:00:00 +0000",1,',  # 4
                f"SM3,{OUR_NUMBER},+16135550103,hi,delivered,outbound-api,last week,1,",  # 5
            ]
        )
        + "\n",
    )
    ingest.load_source(con, tmp_path, "people")
    ingest.load_source(con, tmp_path, "twilio_messages")
    assert rejected(con, "people") == [("export.csv", 5, "invalid email (left empty on the person)")]
    assert con.sql("select city from raw.people where person_id = 'p1'").fetchall() == [
        ("Saint-Jean\nsur-Richelieu",)
    ]
    assert rejected(con, "twilio_messages") == [("log.csv", 5, 'unparsable date "last week"')]
    assert con.sql("select sid, _line from raw.twilio_messages order by 1").fetchall() == [
        ("SM1", 2),
        ("SM2", 4),
    ]


def test_a_row_with_too_many_fields_is_rejected_once_at_its_line(con, tmp_path):
    land(
        tmp_path,
        "people",
        "export.csv",
        "\n".join([PEOPLE_HEADER, person("p1"), person("p2") + ",extra,more", "", person("p3")]) + "\n",
    )
    result = ingest.load_source(con, tmp_path, "people")
    assert rejected(con, "people") == [("export.csv", 3, "malformed CSV row: expected 15 fields, found 17")]
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert con.sql("select person_id from raw.people order by 1").fetchall() == [("p1",), ("p3",)]


def test_a_duplicated_uuid_names_the_line_that_superseded_it(con, tmp_path):
    land(
        tmp_path,
        "people",
        "export.csv",
        "\n".join([PEOPLE_HEADER, person("p1", email="old@example.org"), person("p2"), person("p1")]) + "\n",
    )
    ingest.load_source(con, tmp_path, "people")
    assert rejected(con, "people") == [("export.csv", 2, "duplicate uuid, superseded by line 4")]
    assert con.sql("select email_norm from raw.people where person_id = 'p1'").fetchall() == [
        ("p1@example.org",)
    ]


# --- item 1: no opt-out lost ---------------------------------------------------


def message(sid: str, body: str, date: str = '"Tue, 02 Jun 2026 14:00:00 +0000"', **kw) -> str:
    sender = kw.get("sender", "+16135550101")
    direction = kw.get("direction", "inbound")
    to = kw.get("to", OUR_NUMBER)
    return f"{sid},{sender},{to},{body},received,{direction},{date},1,{kw.get('error', '')}"


def test_opt_out_keywords_match_after_unicode_normalisation(con, tmp_path):
    land(
        tmp_path,
        "twilio_messages",
        "replies.csv",
        "\n".join(
            [
                MESSAGES_HEADER,
                message("SM1", "ARRE\u0302T"),  # Ê as E + combining circumflex (NFD)
                message("SM2", "ＳＴＯＰ"),  # full width
                message("SM3", " stop. "),
                message("SM4", "Stop texting me at work"),
                message("SM5", "\u200bUnStop!"),
                message("SM6", "arrête"),
                message("SM7", "STOP", direction="outbound-api"),
                message("SM8", "ｙｅｓ"),
            ]
        )
        + "\n",
    )
    ingest.load_source(con, tmp_path, "twilio_messages")
    assert con.sql("select sid, keyword_action from raw.twilio_messages order by sid").fetchall() == [
        ("SM1", "opt_out"),
        ("SM2", "opt_out"),
        ("SM3", "opt_out"),
        ("SM4", None),
        ("SM5", "opt_in"),
        ("SM6", "opt_out"),
        ("SM7", None),
        ("SM8", "opt_in"),
    ]


ISO_AND_RFC = [
    "2026-06-02T14:03:11.000Z",
    "2026-06-02T10:03:11-04:00",
    "2026-06-02 14:03:11",
    '"Tue, 02 Jun 2026 14:03:11 +0000"',
    '"Tue, 02 Jun 2026 10:03:11 -0400"',
]


def test_iso_dates_with_fractions_and_offsets_and_rfc_2822_dates_read_as_utc(con, tmp_path):
    con.execute("set TimeZone = 'America/Toronto'")  # the session's zone plays no part
    land(
        tmp_path,
        "twilio_messages",
        "log.csv",
        "\n".join([MESSAGES_HEADER] + [message(f"SM{i}", "STOP", d) for i, d in enumerate(ISO_AND_RFC)])
        + "\n",
    )
    land(
        tmp_path,
        "twilio_calls",
        "log.csv",
        "\n".join(
            [CALLS_HEADER]
            + [
                f"CA{i},,+16135550101,{OUR_NUMBER},completed,inbound,{d},{d},0"
                for i, d in enumerate(ISO_AND_RFC)
            ]
        )
        + "\n",
    )
    ingest.load_source(con, tmp_path, "twilio_messages")
    ingest.load_source(con, tmp_path, "twilio_calls")
    moment = dt.datetime(2026, 6, 2, 14, 3, 11)
    assert rejected(con, "twilio_messages") == rejected(con, "twilio_calls") == []
    assert con.sql("select distinct sent_at from raw.twilio_messages").fetchall() == [(moment,)]
    assert con.sql("select distinct started_at, ended_at from raw.twilio_calls").fetchall() == [
        (moment, moment)
    ]


def test_an_opt_out_is_kept_when_another_field_is_bad(con, tmp_path):
    land(
        tmp_path,
        "twilio_messages",
        "replies.csv",
        "\n".join(
            [
                MESSAGES_HEADER,
                message("SM1", "STOP", "not a date", sender="+16135550101"),
                message("SM2", "STOP", to="nowhere", sender="+16135550102"),
                message("", "Stop.", sender="+16135550103"),
                message("SM4", "STOP", error="x9", sender="+16135550104"),
                message("SM5", "hello", "not a date", sender="+16135550105"),
                message("SM6", "START", "not a date", sender="+16135550106"),
            ]
        )
        + "\n",
    )
    result = ingest.load_source(con, tmp_path, "twilio_messages")
    loaded_at = con.sql("select max(loaded_at) from raw.loaded_files").fetchall()[0][0]
    kept = con.sql(
        "select from_e164, sent_at, to_e164, error_code, keyword_action, sid like 'no-sid-%' "
        "from raw.twilio_messages order by from_e164"
    ).fetchall()
    assert kept == [
        ("+16135550101", loaded_at, OUR_NUMBER, None, "opt_out", False),  # dated when loaded
        ("+16135550102", dt.datetime(2026, 6, 2, 14), None, None, "opt_out", False),
        ("+16135550103", dt.datetime(2026, 6, 2, 14), OUR_NUMBER, None, "opt_out", True),
        ("+16135550104", dt.datetime(2026, 6, 2, 14), OUR_NUMBER, None, "opt_out", False),
    ]
    assert rejected(con, "twilio_messages") == [
        ("replies.csv", 2, 'unparsable date "not a date" (opt-out kept, dated when loaded)'),
        ("replies.csv", 3, 'not a phone number "nowhere" (opt-out kept)'),
        ("replies.csv", 4, "missing Sid (opt-out kept)"),
        ("replies.csv", 5, 'unparsable error code "x9" (opt-out kept)'),
        ("replies.csv", 6, 'unparsable date "not a date"'),
        ("replies.csv", 7, 'unparsable date "not a date"'),
    ]
    assert (result.rows_loaded, result.rows_rejected) == (4, 6)


def test_an_old_warehouse_gets_the_keyword_columns_filled_in(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as old:
        # the layout before raw had a file of its own: a raw schema in the warehouse file
        old.execute("create schema raw")
        old.execute(ingest.RAW_DDL.replace(",\n    keyword varchar, keyword_action varchar", ""))
        old.execute(
            "insert into raw.twilio_messages (sid, direction, body) values "
            "('SM1', 'inbound', 'ＳＴＯＰ'), ('SM2', 'outbound-api', 'STOP'), ('SM3', 'inbound', 'yes')"
        )
        assert "keyword_action" not in [
            c for (c,) in old.sql("select column_name from (describe raw.twilio_messages)").fetchall()
        ]
    with duckdb.connect(str(path)) as con:
        ingest.ensure_raw_schema(con)
        assert con.sql("select sid, keyword_action from raw.twilio_messages order by 1").fetchall() == [
            ("SM1", "opt_out"),
            ("SM2", None),
            ("SM3", "opt_in"),
        ]


def test_a_date_outside_the_sane_window_is_a_rejected_row(con, tmp_path):
    # A START dated year 9999 would be the phone's latest keyword reply forever.
    land(
        tmp_path,
        "twilio_messages",
        "log.csv",
        "\n".join(
            [
                MESSAGES_HEADER,
                message("SM1", "START", "9999-12-31T23:59:59Z"),
                message("SM2", "STOP", "1970-01-01 00:00:00", sender="+16135550102"),
            ]
        )
        + "\n",
    )
    land(
        tmp_path,
        "twilio_calls",
        "log.csv",
        f"{CALLS_HEADER}\nCA1,,+16135550101,{OUR_NUMBER},completed,inbound,1999-12-31 23:59:59,,0\n",
    )
    ingest.load_source(con, tmp_path, "twilio_messages")
    ingest.load_source(con, tmp_path, "twilio_calls")
    assert rejected(con, "twilio_messages") == [
        ("log.csv", 2, 'date out of range "9999-12-31T23:59:59Z"'),
        ("log.csv", 3, 'date out of range "1970-01-01 00:00:00" (opt-out kept, dated when loaded)'),
    ]
    assert con.sql("select sid, keyword_action from raw.twilio_messages").fetchall() == [("SM2", "opt_out")]
    assert rejected(con, "twilio_calls") == [("log.csv", 2, 'date out of range "1999-12-31 23:59:59"')]


# --- SendGrid: item 2 (timestamps) and item 3 (truncated array, BOM) -----------


def event(n: int, timestamp="1780408800", **extra) -> str:
    fields = {
        "email": f"m{n}@example.org",
        "timestamp": timestamp,
        "event": "delivered",
        "sg_event_id": f"ev{n}",
    }
    fields.update(extra)
    return (
        "{"
        + ", ".join(f'"{k}": {v}' if k == "timestamp" else f'"{k}": "{v}"' for k, v in fields.items())
        + "}"
    )


def test_a_bad_sendgrid_timestamp_is_a_rejected_row_and_the_rest_loads(con, tmp_path):
    bad = ["1e15", '"NaN"', '"inf"', "-5", "1780408800000", "253402300800"]
    land(
        tmp_path,
        "sendgrid",
        "post-1.ndjson",
        "\n".join([event(1)] + [event(10 + i, t) for i, t in enumerate(bad)] + [event(2, "1780408800.5")])
        + "\n",
    )
    land(
        tmp_path,
        "sendgrid",
        "post-2.json",
        "[\n" + ",\n".join([event(3), event(4, '"NaN"'), event(5)]) + "\n]\n",
    )
    land(tmp_path, "sendgrid", "post-3.json", "[\n" + ",\n".join([event(6), event(7)]) + "\n]\n")
    result = ingest.load_source(con, tmp_path, "sendgrid")
    assert sorted(i for (i,) in con.sql("select sg_event_id from raw.sendgrid_events").fetchall()) == [
        "ev1", "ev2", "ev3", "ev5", "ev6", "ev7"
    ]  # fmt: skip
    reasons = rejected(con, "sendgrid")
    assert [(f, line) for f, line, _ in reasons] == [("post-1.ndjson", 2 + i) for i in range(len(bad))] + [
        ("post-2.json", 3)
    ]
    assert all(why.startswith("timestamp out of range") for _, _, why in reasons), reasons
    assert (result.rows_loaded, result.rows_rejected) == (6, 7)


def test_several_exports_with_rows_to_reject_each_keep_their_lines(con, tmp_path):
    # Their rows to reject are found two files at a time, each on a cursor of its own; the
    # load writes them. One export has an empty line too, so the bulk read skipped a line:
    # it is taken out and read line by line. A row lands or is rejected exactly once.
    land(tmp_path, "sendgrid", "a.ndjson", "\n".join([event(1), "{not json", event(2)]) + "\n")
    land(tmp_path, "sendgrid", "b.ndjson", "\n".join([event(3, event="opened_twice"), event(4)]) + "\n")
    land(tmp_path, "sendgrid", "c.ndjson", "\n".join([event(5), event(6, email=" ")]) + "\n")
    land(tmp_path, "sendgrid", "d.ndjson", "\n".join([event(7), "", '["a list"]', event(8)]) + "\n")
    land(tmp_path, "sendgrid", "e.ndjson", "\n".join([event(9), event(10)]) + "\n")
    result = ingest.load_source(con, tmp_path, "sendgrid")
    landed = "select sg_event_id, regexp_extract(_source_file, '[^/]+$') from raw.sendgrid_events"
    assert sorted(con.sql(landed).fetchall()) == [
        ("ev1", "a.ndjson"), ("ev10", "e.ndjson"), ("ev2", "a.ndjson"), ("ev4", "b.ndjson"),
        ("ev5", "c.ndjson"), ("ev7", "d.ndjson"), ("ev8", "d.ndjson"), ("ev9", "e.ndjson"),
    ]  # fmt: skip
    assert rejected(con, "sendgrid") == [
        ("a.ndjson", 2, "bad JSON"),
        ("b.ndjson", 1, 'unknown event "opened_twice"'),
        ("c.ndjson", 2, "missing email"),
        ("d.ndjson", 3, "not a JSON object"),
    ]
    kept = (
        "select raw_value from raw.rejected_rows where regexp_matches(file, '[ad][.]ndjson$') order by file"
    )
    assert con.sql(kept).fetchall() == [("{not json",), ('["a list"]',)]
    assert (result.rows_loaded, result.rows_rejected) == (8, 4)


def test_a_truncated_json_array_keeps_every_complete_event(con, tmp_path):
    body = "[\n" + ",\n".join(event(i) for i in range(1, 11)) + "\n]\n"
    land(tmp_path, "sendgrid", "post-1.json", body[: body.index('"ev10"') - 5])
    land(tmp_path, "sendgrid", "post-2.json", "[\n" + event(11) + "\n]\n")
    result = ingest.load_source(con, tmp_path, "sendgrid")
    assert result.rows_loaded == 10
    assert con.sql(
        "select count(*) from raw.sendgrid_events where _source_file like '%post-1.json'"
    ).fetchall() == [(9,)]
    assert [(f, line) for f, line, _ in rejected(con, "sendgrid")] == [("post-1.json", 11)]


def test_clean_exports_land_in_one_read_and_one_with_a_row_to_reject_is_read_by_line(con, tmp_path):
    # Every line of both files is a JSON object: both are tried in the one bulk read. The
    # second holds an event that must be rejected, so its rows are taken out again and it
    # is read line by line, which rejects that event at its line and keeps the rest.
    land(tmp_path, "sendgrid", "a-clean.ndjson", "\n".join(event(i) for i in range(1, 4)) + "\n")
    land(
        tmp_path,
        "sendgrid",
        "b-one-bad.ndjson",
        "\n".join([event(4), event(5, event="opened_twice"), event(6)]) + "\n",
    )
    result = ingest.load_source(con, tmp_path, "sendgrid")
    assert sorted(i for (i,) in con.sql("select sg_event_id from raw.sendgrid_events").fetchall()) == [
        "ev1", "ev2", "ev3", "ev4", "ev6"
    ]  # fmt: skip
    assert rejected(con, "sendgrid") == [("b-one-bad.ndjson", 2, 'unknown event "opened_twice"')]
    assert (result.rows_loaded, result.rows_rejected) == (5, 1)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_an_ndjson_export_rejects_its_bad_lines_at_their_line_whoever_reads_it(con, tmp_path, newline):
    # A plain file is numbered by DuckDB, one with carriage returns by Python:
    # the same lines land and the same lines are rejected, at the same numbers.
    lines = [
        event(1),
        "",
        event(2)[:30],  # cut mid-event
        "[1, 2]",
        "   ",
        event(3, event="opened_twice"),
        '"just text"',
        event(4),
        "{}",
        event(5),
    ]
    land(tmp_path, "sendgrid", "post-1.ndjson", newline.join(lines) + newline)
    result = ingest.load_source(con, tmp_path, "sendgrid")
    assert sorted(i for (i,) in con.sql("select sg_event_id from raw.sendgrid_events").fetchall()) == [
        "ev1", "ev4", "ev5"
    ]  # fmt: skip
    assert [(line, why) for _, line, why in rejected(con, "sendgrid")] == [
        (3, "bad JSON"),
        (4, "not a JSON object"),
        (6, 'unknown event "opened_twice"'),
        (7, "not a JSON object"),
        (9, "missing sg_event_id"),
    ]
    assert (result.rows_loaded, result.rows_rejected) == (3, 5)


def test_an_export_with_no_empty_line_lands_with_the_others_and_rejects_its_bad_lines_at_their_line(
    con, tmp_path
):
    # No empty line: DuckDB's typed reader gives each file one row a line, so
    # both land in one read with the clean export and only their rejects are
    # found again, numbered, each at its line with its reason.
    bad = [
        event(1),
        event(2)[:30],  # cut mid-event
        "[1, 2]",
        event(3, event="opened_twice"),
        '"just text"',
        event(4),
        "{}",
    ]
    land(tmp_path, "sendgrid", "a-bad-lines.ndjson", "\n".join(bad) + "\n")
    land(tmp_path, "sendgrid", "b-trailing-comma.ndjson", f"{event(5)}\n{event(6)},\n{event(7)}\n")
    land(tmp_path, "sendgrid", "c-clean.ndjson", f"{event(8)}\n{event(9)}\n")
    # a line of spaces only: the typed reader skips it, so this one is read line by line
    land(tmp_path, "sendgrid", "d-spaces.ndjson", f"{event(10)}\n   \n{event(11)}\n")
    result = ingest.load_source(con, tmp_path, "sendgrid")
    landed = con.sql("select sg_event_id, regexp_extract(_source_file, '[^/]+$') from raw.sendgrid_events")
    assert sorted(landed.fetchall()) == [
        ("ev1", "a-bad-lines.ndjson"), ("ev10", "d-spaces.ndjson"), ("ev11", "d-spaces.ndjson"),
        ("ev4", "a-bad-lines.ndjson"), ("ev5", "b-trailing-comma.ndjson"),
        ("ev7", "b-trailing-comma.ndjson"), ("ev8", "c-clean.ndjson"), ("ev9", "c-clean.ndjson"),
    ]  # fmt: skip
    assert rejected(con, "sendgrid") == [
        ("a-bad-lines.ndjson", 2, "bad JSON"),
        ("a-bad-lines.ndjson", 3, "not a JSON object"),
        ("a-bad-lines.ndjson", 4, 'unknown event "opened_twice"'),
        ("a-bad-lines.ndjson", 5, "not a JSON object"),
        ("a-bad-lines.ndjson", 7, "missing sg_event_id"),
        ("b-trailing-comma.ndjson", 2, "bad JSON"),
    ]
    assert (result.rows_loaded, result.rows_rejected) == (8, 6)


# Lines that are not a JSON object, and objects DuckDB could be lenient with.
NOT_AN_OBJECT = [
    "[1, 2]",
    '[{"sg_event_id": "z", "event": "open"}]',
    '"just text"',
    "42",
    "null",
    '{"sg_event_id": "y", "event": "open"} {"sg_event_id": "y2", "event": "open"}',
    '{"sg_event_id": "x", "event": "open"},',
    '{"sg_event_id": "w", "event": "open"',
    '{"sg_event_id": "v", "event": "open"}}',
    '{"sg_event_id": "e", "event": "open", /*c*/ "x": 1}',
    '{"sg_event_id": "h\x01", "event": "open"}',
    "{'sg_event_id': 'i', 'event': 'open'}",
    '{sg_event_id: "j", "event": "open"}',
    '{"sg_event_id": "k", "event": "open"} // c',
    '{"sg_event_id": "q", "event": "op\\x"}',
]
OBJECTS = [
    "{}",
    '{"sg_event_id": "n", "event": "open", "x": [1, 2,]}',
    '{"sg_event_id": ["a"], "event": "open"}',
    '{"sg_event_id": "f", "event": "open", "timestamp": NaN}',
    '  {"sg_event_id": "m", "event": "open"}  ',
]


def test_the_typed_reader_gives_a_row_of_nulls_exactly_for_each_line_that_is_not_a_json_object(tmp_path):
    # What `_sendgrid_numbered_rejects` relies on: the typed read alone says which
    # rows to reject (a line that is not a JSON object is a row of nulls, rejected
    # as missing its sg_event_id), and only their text gives the reason.
    lines = NOT_AN_OBJECT + OBJECTS
    path = land(tmp_path, "sendgrid", "x.ndjson", "\n".join(lines) + "\n")
    with duckdb.connect() as con:
        ingest._sendgrid_typed_rows(con, str(path))
        typed = con.execute(
            "select k, sg_event_id is null and event is null from _sg_typed order by k"
        ).fetchall()
        shape = con.execute(
            f"select row_number() over () as line, {ingest.IS_OBJECT} from {ingest._lines_of('$path')}",
            {"path": str(path)},
        ).fetchall()
    assert len(typed) == len(shape) == len(lines)
    # json_valid and the reader agree on every line: not an object ...
    assert [is_object for _, is_object in shape] == [False] * len(NOT_AN_OBJECT) + [True] * len(OBJECTS)
    # ... and a row of nulls for each of those, and for no object that has the fields
    assert [nulls for _, nulls in typed] == [True] * len(NOT_AN_OBJECT) + [line == "{}" for line in OBJECTS]


def test_an_export_that_is_not_utf8_is_read_as_cp1252_beside_a_utf8_one_read_in_bulk(con, tmp_path):
    # The line count taken with the file's digest finds the byte that is not
    # UTF-8: that export goes to Python (cp1252), the UTF-8 one (é as two
    # bytes) to DuckDB's one read, and no event of either is lost or garbled.
    latin = event(1, email="renée@example.org") + "\n"
    land(tmp_path, "sendgrid", "a-cp1252.ndjson", latin.encode("cp1252"))
    land(tmp_path, "sendgrid", "b-utf8.ndjson", event(2, email="josée@example.org") + "\n" + event(3) + "\n")
    result = ingest.load_source(con, tmp_path, "sendgrid")
    assert sorted(con.sql("select sg_event_id, email_norm from raw.sendgrid_events").fetchall()) == [
        ("ev1", "renée@example.org"), ("ev2", "josée@example.org"), ("ev3", "m3@example.org")
    ]  # fmt: skip
    assert (result.rows_loaded, result.rows_rejected) == (3, 0)


def test_a_character_cut_by_the_digests_read_is_still_utf8_and_a_stray_byte_is_not():
    # The digest reads a file 16 MB at a time: an "é" (two bytes) can fall across two
    # reads, which is still UTF-8; a lone byte that starts a character and ends the file is not.
    def shape(*chunks: bytes):
        counter = ingest._LineCounter()
        for chunk in chunks:
            counter.add(chunk)
        return counter.shape()

    accented = '{"email": "josée@example.org"}\n'.encode()
    cut = accented.index(b"\xa9")  # between the two bytes of é
    assert shape(accented[:cut], accented[cut:]) == ingest._LineShape(lines=1, plain=True)
    assert not shape(accented, b"\xc3").plain
    assert not shape(b"ascii\n", "renée\n".encode("cp1252")).plain


@settings(max_examples=400, deadline=None)
@given(
    pieces=st.lists(st.one_of(st.text().map(str.encode), st.binary(max_size=6)), max_size=12),
    size=st.integers(min_value=4, max_value=40),
)
def test_the_utf8_check_read_in_chunks_agrees_with_pythons_decoder(pieces, size):
    # Arrow checks each chunk (ingest._Utf8Check): whatever the bytes and wherever the
    # reads cut them, the answer is Python's own.
    data = b"".join(pieces)
    check = ingest._Utf8Check()
    for start in range(0, len(data), size):
        check.add(data[start : start + size])
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert not check.final()
    else:
        assert check.final()


def test_an_ndjson_file_with_a_byte_order_mark_keeps_its_first_line(con, tmp_path):
    land(tmp_path, "sendgrid", "post-1.ndjson", "\ufeff" + event(1) + "\r\n" + event(2) + "\r\n")
    assert ingest.load_source(con, tmp_path, "sendgrid").rows_loaded == 2
    assert rejected(con, "sendgrid") == []


def test_a_log_cut_inside_a_quoted_field_keeps_its_rows(con, tmp_path):
    # Found by `make fuzz`: DuckDB's CSV reader failed the whole load on it.
    land(
        tmp_path,
        "twilio_calls",
        "log.csv",
        f"{CALLS_HEADER}\nCA1,,+16135550101,{OUR_NUMBER},completed,inbound,2026-06-02 14:00:00,,0\n"
        f'CA2,,+16135550101,{OUR_NUMBER},completed,inbound,"Tue, 02 Jun ',
    )
    assert ingest.load_source(con, tmp_path, "twilio_calls").rows_loaded == 1
    assert [(f, line) for f, line, _ in rejected(con, "twilio_calls")] == [("log.csv", 3)]
