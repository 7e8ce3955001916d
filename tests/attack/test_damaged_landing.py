"""Issue 13: damaged landing files, generated from good ones, and the invariant.

Every good row lands exactly once, every bad row is in raw.rejected_rows with
its true file and line (once), and no one whose latest keyword reply was an
opt-out is reachable by text. Each example is a real landing folder and a
real DuckDB file, loaded by `ingest.load_source`.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from pipelines.lib import ingest
from tests.attack import landing as lf
from tests.attack.landing import Record

CASES = Counter()  # examples tried, per property (test_fuzz.py reports them)


def _people_records(draw, file_no: int, utf8_only: bool) -> list[Record]:
    records: list[Record] = []
    header = list(ingest.PEOPLE_COLUMNS)
    for i in range(draw(st.integers(0, 6))):
        uuid = f"p{file_no}-{i}"
        values = {
            "uuid": uuid,
            "first_name": draw(lf.free_text(10)),
            "last_name": draw(lf.free_text(10)),
            "email": f"{uuid}@example.org",
            "can2_phone": draw(st.sampled_from(["", *lf.MEMBERS])),
            "zip_code": "K1A 0B1",
            "can2_country": "CA",
            "can2_subscription_status": "subscribed",
            "can2_sms_status": "subscribed",
        }
        kind = draw(
            st.sampled_from(["good", "good", "good", "no_uuid", "bad_email", "bad_phone", "duplicate"])
        )
        if kind == "no_uuid":
            values["uuid"] = ""
            records.append(Record("bad", "", None, values))
        elif kind == "bad_email":
            values["email"] = draw(st.sampled_from(["not-an-email", "a@b", "@example.org"]))
            records.append(Record("kept_and_reported", "", uuid, values))
        elif kind == "bad_phone":
            values["can2_phone"] = draw(st.sampled_from(["12", "not a phone", "555-0000"]))
            records.append(Record("kept_and_reported", "", uuid, values))
        elif kind == "duplicate":
            # the same uuid twice: the earlier row is superseded (reported), the later one lands
            older = dict(values, email=f"old-{uuid}@example.org")
            records.append(Record("superseded", "", uuid, older))
            records.append(Record("good", "", uuid, values))
        else:
            records.append(Record("good", "", uuid, values))
    for record in records:
        record.text = lf.csv_line([record.values.get(c, "") for c in header])
    return records


@st.composite
def people_files(draw, folder: Path) -> list[lf.Landed]:
    header = list(ingest.PEOPLE_COLUMNS)
    landed = []
    for file_no in range(draw(st.integers(1, 2))):
        records, how = draw(lf.damage(_people_records(draw, file_no, False), header, len(header)))
        if records and records[-1].key in {r.key for r in records if r.kind == "superseded"}:
            how["truncate_at"] = None  # a later copy cut short would leave the earlier one standing
        landed.append(lf.write(folder / "people", f"export-{file_no}.csv", header, records, how))
    return landed


@st.composite
def message_files(draw, folder: Path) -> list[lf.Landed]:
    landed = []
    minute = 0
    for file_no in range(draw(st.integers(1, 2))):
        spelling = draw(st.sampled_from(["rest", "console"]))
        header = lf.MESSAGE_HEADERS[spelling]
        records: list[Record] = []
        for i in range(draw(st.integers(0, 8))):
            minute += 1
            member = draw(st.sampled_from(sorted(lf.MEMBERS)))
            inbound = draw(st.booleans())
            moment = lf.BASE_TIME + lf.dt.timedelta(minutes=minute)
            action = None
            if inbound and draw(st.booleans()):
                body, action = draw(lf.keyword_body())
            else:
                body = draw(st.one_of(lf.chatter(), st.just("STOP")) if not inbound else lf.chatter())
            values = {
                "sid": f"SM{file_no}-{i}",
                "from_number": member if inbound else lf.OUR_NUMBER,
                "to_number": lf.OUR_NUMBER if inbound else member,
                "body": body,
                "status": "received" if inbound else "delivered",
                "direction": "inbound" if inbound else "outbound-api",
                "sent": lf.date_text(moment, draw(lf.DATE_STYLES)),
                "num_segments": "1",
                "error_code": "",
            }
            expect = {"sid": values["sid"], "action": action, "phone": lf.MEMBERS[member], "at": moment}
            kind = draw(
                st.sampled_from(["good", "good", "good", "bad_date", "bad_phone", "no_sid", "bad_error"])
            )
            if kind != "good":
                if kind == "bad_date":
                    values["sent"] = draw(lf.BAD_DATES)
                    expect["at"] = None  # an opt-out kept is dated when loaded
                elif kind == "bad_phone":
                    values["to_number" if inbound else "from_number"] = "not-a-phone"
                elif kind == "no_sid":
                    values["sid"] = expect["sid"] = ""
                else:
                    values["error_code"] = draw(lf.EXTREME_INTEGERS)
                kind = "kept_and_reported" if action == "opt_out" else "bad"
            record = Record(kind, "", values["sid"], expect)
            record.text = lf.csv_line(lf.row(header, ingest.MESSAGE_COLUMNS, values))
            records.append(record)
        records, how = draw(lf.damage(records, header, len(header)))
        if how["truncate_at"] is not None and records and records[-1].values.get("action"):
            how["truncate_at"] = None  # a keyword reply cut short is a rejected row, not a reply
        landed.append(lf.write(folder / "twilio_messages", f"log-{file_no}.csv", header, records, how))
    return landed


@st.composite
def call_files(draw, folder: Path) -> list[lf.Landed]:
    landed = []
    for file_no in range(draw(st.integers(1, 2))):
        header = lf.CALL_HEADERS[draw(st.sampled_from(["rest", "console"]))]
        records: list[Record] = []
        for i in range(draw(st.integers(0, 6))):
            moment = lf.BASE_TIME + lf.dt.timedelta(hours=i)
            values = {
                "sid": f"CA{file_no}-{i}",
                "from_number": draw(st.sampled_from(sorted(lf.MEMBERS))),
                "to_number": lf.OUR_NUMBER,
                "status": "completed",
                "direction": "inbound",
                "started": lf.date_text(moment, draw(lf.DATE_STYLES)),
                "ended": draw(st.sampled_from(["", lf.date_text(moment, "iso_ms_z")])),
                "duration": str(draw(st.integers(0, 7200))),
            }
            kind = draw(st.sampled_from(["good", "good", "bad_start", "bad_end", "bad_duration", "no_sid"]))
            if kind == "bad_start":
                values["started"] = draw(lf.BAD_DATES)
            elif kind == "bad_end":
                values["ended"] = draw(lf.BAD_DATES.filter(bool))
            elif kind == "bad_duration":
                values["duration"] = draw(lf.EXTREME_INTEGERS)
            elif kind == "no_sid":
                values["sid"] = ""
            record = Record("good" if kind == "good" else "bad", "", values["sid"], {"sid": values["sid"]})
            record.text = lf.csv_line(lf.row(header, ingest.CALL_COLUMNS, values))
            records.append(record)
        records, how = draw(lf.damage(records, header, len(header)))
        landed.append(lf.write(folder / "twilio_calls", f"log-{file_no}.csv", header, records, how))
    return landed


# --- the invariant -------------------------------------------------------------


def _rejected_lines(con, source: str) -> Counter:
    return Counter(
        con.execute("select file, line from raw.rejected_rows where source = ?", [source]).fetchall()
    )


def check_lines(landed: list[lf.Landed], rows: Counter, rejected: Counter) -> None:
    """Each record where its kind says, at its line, once; nothing else rejected."""
    expected_rejects = set()
    for file in landed:
        name = str(file.path)
        for r in file.records:
            at = (name, r.line)
            where = {"landed": rows[at], "rejected": rejected[at]}
            if r.kind == "good":
                assert where == {"landed": 1, "rejected": 0}, (r, where)
            elif r.kind in ("bad", "superseded"):
                assert where == {"landed": 0, "rejected": 1}, (r, where)
            elif r.kind == "kept_and_reported":
                assert where == {"landed": 1, "rejected": 1}, (r, where)
            elif r.kind == "blank":
                assert where == {"landed": 0, "rejected": 0}, (r, where)
            elif r.kind == "truncated":
                assert rows[at] + rejected[at] == 1, (r, where)
            if r.kind != "good":
                expected_rejects.add(at)
    extra = {at for at in rejected if at not in expected_rejects}
    assert not extra, f"rejected rows at lines no bad row is on: {sorted(extra)}"


@given(data=st.data())
def test_damaged_people_exports(data):
    CASES["people"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        landed = data.draw(people_files(root / "landing"))
        with duckdb.connect(str(root / "wh.duckdb")) as con:
            result = ingest.load_source(con, root / "landing", "people")
            people = dict(con.sql("select person_id, _source_file from raw.people").fetchall())
            # raw.people has no line: a person's row is found by uuid (unique per file here)
            rows = Counter()
            for file in landed:
                for r in file.records:
                    if r.key and r.kind != "superseded" and people.get(r.key) == str(file.path):
                        rows[(str(file.path), r.line)] += 1
            check_lines(landed, rows, _rejected_lines(con, "people"))
            assert result.rows_loaded == len(people)
            # every name arrives as written, whatever the encoding (trimmed, empty = null)
            names = dict(con.sql("select person_id, first_name from raw.people").fetchall())
            for file in landed:
                for r in file.records:
                    if r.kind in ("good", "kept_and_reported"):
                        want = con.execute("select nullif(trim(?), '')", [r.values["first_name"]]).fetchall()[
                            0
                        ][0]
                        assert names[r.key] == want, (r.key, names[r.key], want)


@given(data=st.data())
def test_damaged_twilio_message_logs_and_no_opt_out_lost(data):
    CASES["twilio_messages"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        landed = data.draw(message_files(root / "landing"))
        with duckdb.connect(str(root / "wh.duckdb")) as con:
            result = ingest.load_source(con, root / "landing", "twilio_messages")
            raw = con.sql(
                "select _source_file, _line, sid, keyword_action from raw.twilio_messages"
            ).fetchall()
            rows = Counter((file, line) for file, line, _, _ in raw)
            check_lines(landed, rows, _rejected_lines(con, "twilio_messages"))
            assert result.rows_loaded == len(raw)
            # each landed reply carries the keyword it was written as
            actions = {(file, line): (sid, action) for file, line, sid, action in raw}
            for file in landed:
                for r in file.records:
                    if r.kind in ("good", "kept_and_reported"):
                        sid, action = actions[(str(file.path), r.line)]
                        assert action == r.values["action"], (r, action)
                        assert sid == r.values["sid"] or (not r.values["sid"] and sid.startswith("no-sid-"))
            # the reachability rule: a phone whose latest keyword reply is an opt-out is opted out
            opted_out = {
                phone
                for (phone,) in con.sql(
                    """
                    select from_e164 from (
                        select from_e164, keyword_action, row_number() over (
                            partition by from_e164 order by sent_at desc nulls last, sid desc) as recency
                        from raw.twilio_messages
                        where direction = 'inbound' and keyword_action is not null
                    ) where recency = 1 and keyword_action = 'opt_out'
                    """
                ).fetchall()
            }
            latest: dict[str, tuple] = {}
            for file in landed:
                for r in file.records:
                    if r.kind in ("good", "kept_and_reported") and r.values["action"]:
                        order = (r.values["at"] is None, r.values["at"] or lf.BASE_TIME)
                        if r.values["phone"] not in latest or order >= latest[r.values["phone"]][0]:
                            latest[r.values["phone"]] = (order, r.values["action"])
            assert opted_out == {p for p, (_, action) in latest.items() if action == "opt_out"}


@given(data=st.data())
def test_damaged_twilio_call_logs(data):
    CASES["twilio_calls"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        landed = data.draw(call_files(root / "landing"))
        with duckdb.connect(str(root / "wh.duckdb")) as con:
            result = ingest.load_source(con, root / "landing", "twilio_calls")
            raw = con.sql("select _source_file, _line, sid from raw.twilio_calls").fetchall()
            check_lines(
                landed, Counter((f, line) for f, line, _ in raw), _rejected_lines(con, "twilio_calls")
            )
            assert result.rows_loaded == len(raw)
            sids = {(f, line): sid for f, line, sid in raw}
            for file in landed:
                for r in file.records:
                    if r.kind == "good":
                        assert sids[(str(file.path), r.line)] == r.values["sid"]


# --- SendGrid ------------------------------------------------------------------

GOOD_TIMES = st.one_of(
    st.integers(1_780_000_000, 1_790_000_000).map(str),
    st.floats(1_780_000_000, 1_790_000_000).map(repr),
)
BAD_TIMES = st.sampled_from(
    ["1e15", '"NaN"', '"inf"', '"-inf"', "-5", "0", "1780408800000", "253402300800", '"soon"', "true", "null"]
)
NOT_OBJECTS = st.sampled_from(["42", '"an event"', "[1, 2]", "null", "true"])


def _sg_event(sid: str, draw, bad: str | None) -> tuple[str, dict]:
    import json

    fields = {
        "email": f"{sid}@example.org",
        "timestamp": None,
        "event": draw(st.sampled_from(ingest.SENDGRID_EVENTS)),
        "sg_event_id": sid,
        "campaign_id": draw(lf.free_text(8)),
    }
    timestamp = draw(GOOD_TIMES)
    if bad == "timestamp":
        timestamp = draw(BAD_TIMES)
    elif bad == "no_id":
        del fields["sg_event_id"]
    elif bad == "event":
        fields["event"] = "opened_twice"
    elif bad == "no_email":
        fields["email"] = " "
    parts = [f"{json.dumps(k)}: {timestamp if k == 'timestamp' else json.dumps(v, ensure_ascii=False)}"
             for k, v in fields.items()]  # fmt: skip
    return "{" + ", ".join(parts) + "}", fields


@st.composite
def sendgrid_files(draw, folder: Path) -> list[lf.Landed]:
    landed = []
    for file_no in range(draw(st.integers(1, 3))):
        array = draw(st.booleans())
        records: list[Record] = []
        for i in range(draw(st.integers(0, 8))):
            sid = f"ev{file_no}-{i}"
            kind = draw(
                st.sampled_from(["good", "good", "good", "timestamp", "no_id", "event", "no_email", "odd"])
            )
            if kind == "odd":
                records.append(Record("bad", draw(NOT_OBJECTS)))
                continue
            text, fields = _sg_event(sid, draw, None if kind == "good" else kind)
            records.append(Record("good" if kind == "good" else "bad", text, sid, fields))
        if not array:
            for _ in range(draw(st.integers(0, 2))):
                garbage = draw(st.sampled_from(["", '{"sg_event_id": "x', "not json at all", "}{"]))
                records.insert(
                    draw(st.integers(0, len(records))), Record("blank" if not garbage else "bad", garbage)
                )
        if not array and records and not records[0].text.startswith("{"):
            # a file that does not start like JSON is not a webhook file at all (IngestError)
            text, fields = _sg_event(f"ev{file_no}-first", draw, None)
            records.insert(0, Record("good", text, f"ev{file_no}-first", fields))
        eol = draw(st.sampled_from(["\n", "\r\n"]))
        if draw(st.booleans()) and records and len(records[-1].text) > 1:
            last = records[-1]
            cut = draw(st.integers(1, len(last.text) - 1))
            records[-1] = Record("bad", last.text[:cut], last.key, last.values)  # a post cut short
            truncated = True
        else:
            truncated = False
        first = 2 if array else 1
        line = first
        for record in records:
            record.line = line
            line += record.text.count("\n") + 1
        if array:
            text = (
                "[" + eol + ("," + eol).join(r.text for r in records) + ("" if truncated else eol + "]" + eol)
            )
        else:
            text = eol.join(r.text for r in records) + ("" if truncated else eol)
        if not text.strip():
            continue  # an empty post is no file
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
        data = text.encode(encoding if lf.encodable(text, "cp1252") or encoding == "utf-8-sig" else "utf-8")
        name = f"post-{file_no}.{'json' if array else 'ndjson'}"
        if draw(st.booleans()):
            name += ".gz"
            data = lf.gzip.compress(data, mtime=0)
        path = folder / "sendgrid" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        landed.append(lf.Landed(path, records))
    return landed


@given(data=st.data())
def test_damaged_sendgrid_posts(data):
    CASES["sendgrid"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        landed = data.draw(sendgrid_files(root / "landing"))
        with duckdb.connect(str(root / "wh.duckdb")) as con:
            result = ingest.load_source(con, root / "landing", "sendgrid")
            events = {
                sid: (file, campaign)
                for sid, file, campaign in con.sql(
                    "select sg_event_id, _source_file, campaign_id from raw.sendgrid_events"
                ).fetchall()
            }
            assert (
                result.rows_loaded
                == len(events)
                == con.sql("select count(*) from raw.sendgrid_events").fetchall()[0][0]
            )
            rows = Counter()
            for file in landed:
                for r in file.records:
                    if r.key and events.get(r.key, (None,))[0] == str(file.path):
                        rows[(str(file.path), r.line)] += 1
            check_lines(landed, rows, _rejected_lines(con, "sendgrid"))
            for file in landed:
                for r in file.records:
                    if r.kind == "good":
                        written = r.values["campaign_id"]  # as written, whatever the encoding
                        assert events[r.key][1] in (written, written or None), (r, events[r.key])
