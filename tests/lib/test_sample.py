"""The sample generator writes the vendors' formats, deterministically, with exactly the damage it reports."""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import gzip
import hashlib
import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from pipelines.lib import ingest, sample
from pipelines.lib.phones import to_e164 as e164

SG_EVENTS = set(ingest.SENDGRID_EVENTS)
MSG_CONSOLE = (
    "From,To,Body,Status,SentDate,ApiVersion,NumSegments,ErrorCode,AccountSid,Sid,Direction,Price,PriceUnit"
)
MSG_REST = "sid,from,to,body,status,direction,date_sent,num_segments,error_code"
CALL_CONSOLE = "Sid,ParentCallSid,From,To,Status,Direction,StartTime,EndTime,Duration"
CALL_REST = "sid,parent_call_sid,from,to,status,direction,start_time,end_time,duration"
EMAIL_RE = re.compile(ingest.EMAIL_PATTERN)


def rfc2822(raw: str) -> dt.datetime | None:
    try:
        return email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None


def read_csvs(folder: Path) -> list[tuple[str, list[dict]]]:
    """(header line, rows with lower-cased REST-style keys) per file."""
    rename = {
        "sentdate": "date_sent",
        "numsegments": "num_segments",
        "errorcode": "error_code",
        "parentcallsid": "parent_call_sid",
        "starttime": "start_time",
        "endtime": "end_time",
    }
    out = []
    for f in sorted(folder.glob("*.csv")):
        with open(f, newline="", encoding="utf-8") as fh:
            header = fh.readline().strip()
            fh.seek(0)
            rows = [{rename.get(k.lower(), k.lower()): v for k, v in r.items()} for r in csv.DictReader(fh)]
        out.append((header, rows))
    return out


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    out = tmp_path_factory.mktemp("landing")
    summary = sample.generate(out, people=1500, campaigns=5, seed=11)
    return out, summary


@pytest.fixture(scope="module")
def people(landing):
    out, _ = landing
    with open(out / "people" / "activists.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = sample.generate(tmp_path / "a", people=400, campaigns=3, seed=5)
    b = sample.generate(tmp_path / "b", people=400, campaigns=3, seed=5)
    sample.generate(tmp_path / "c", people=400, campaigns=3, seed=6)
    assert {k: v for k, v in a.items() if k != "out_dir"} == {k: v for k, v in b.items() if k != "out_dir"}
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    assert tree_digest(tmp_path / "a") != tree_digest(tmp_path / "c")


def test_gzip_writes_the_same_bulk_exports_compressed(tmp_path):
    sample.generate(tmp_path / "plain", people=400, campaigns=3, seed=5)
    sample.generate(tmp_path / "packed", people=400, campaigns=3, seed=5, gzip=True)
    plain = {
        p.relative_to(tmp_path / "plain").as_posix(): p.read_bytes()
        for p in (tmp_path / "plain").rglob("*.*")
    }
    packed = {}
    for p in (tmp_path / "packed").rglob("*.*"):
        name = p.relative_to(tmp_path / "packed").as_posix()
        packed[name.removesuffix(".gz")] = (
            gzip.decompress(p.read_bytes()) if name.endswith(".gz") else p.read_bytes()
        )
    assert packed == plain
    compressed = [p.name for p in (tmp_path / "packed").rglob("*.gz")]
    assert any(n.endswith(".ndjson.gz") for n in compressed) and any(
        n.endswith(".csv.gz") for n in compressed
    )
    assert not any(n.endswith(".json.gz") or n == "activists.csv.gz" for n in compressed)


def test_people_export_shape_and_mess(landing, people):
    _, summary = landing
    assert list(people[0]) == list(ingest.PEOPLE_COLUMNS)
    assert len(people) == summary["rows"]["people"] == 1500
    assert len({p["uuid"] for p in people}) == len(people)
    countries = Counter(p["can2_country"] for p in people)
    assert 0.4 < countries["US"] / len(people) < 0.6 and 0.4 < countries["CA"] / len(people) < 0.6
    assert sum(p["language"] == "fr" for p in people) > 0.05 * len(people)
    assert any(p["can2_state_abbreviated"] == "" for p in people)
    zips = [p["zip_code"] for p in people]
    assert any(re.fullmatch(r"[a-z]\d[a-z]\d[a-z]\d", z) for z in zips)  # m5v2t6
    assert any(
        z[:3] in ("X0A", "X0B", "X0C") or z[:3].upper() in ("X0A", "X0B", "X0C") for z in zips
    )  # Nunavut
    assert any(z[:3].upper() in ("X1A", "X0E") for z in zips)  # Northwest Territories
    assert any(e != e.strip() for e in (p["email"] for p in people))
    assert any(e.strip() != e.strip().lower() for e in (p["email"] for p in people))
    phones = [p["can2_phone"] for p in people]
    assert any(re.fullmatch(r"\(\d{3}\) \d{3}-\d{4}", x) for x in phones)
    assert any(re.fullmatch(r"\d{3}\.\d{3}\.\d{4}", x) for x in phones)
    assert any(re.fullmatch(r"\+1 \d{3} \d{3} \d{4}", x) for x in phones)
    assert any(re.fullmatch(r"\d{10}", x) for x in phones)
    # a US ZIP belongs to the state it claims
    import zipcodes

    for p in people[:300]:
        if p["can2_country"] == "US" and p["can2_state_abbreviated"]:
            z = zipcodes.matching(p["zip_code"][:5])
            assert z and z[0]["state"] == p["can2_state_abbreviated"].upper()
    # normalised emails and valid phones are unique per person (matching is unambiguous)
    emails = [p["email"].strip().lower() for p in people if EMAIL_RE.match(p["email"].strip())]
    assert len(emails) == len(set(emails))
    valid = [e164(p["can2_phone"]) for p in people if e164(p["can2_phone"])]
    assert len(valid) == len(set(valid))


def test_people_planted_counts(landing, people):
    _, summary = landing
    bad_phone = sum(1 for p in people if p["can2_phone"].strip() and e164(p["can2_phone"]) is None)
    bad_email = sum(1 for p in people if p["email"].strip() and not EMAIL_RE.match(p["email"].strip()))
    assert summary["planted"]["people"] == {"invalid_phone": bad_phone, "invalid_email": bad_email}
    assert bad_phone > 0 and bad_email > 0


def test_sendgrid_planted_duplicates_unmatched(landing, people):
    out, summary = landing
    files = sorted((out / "sendgrid").iterdir())
    assert any(f.suffix == ".json" for f in files) and any(f.suffix == ".ndjson" for f in files)
    events, bad_json = [], 0
    for f in files:
        if f.suffix == ".json":
            batch = json.loads(f.read_text(encoding="utf-8"))  # a webhook post is always whole
            assert isinstance(batch, list) and 1 <= len(batch) < 3300
            events += batch
        else:
            for line in f.read_text(encoding="utf-8").splitlines():
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:
                    bad_json += 1
    unknown = sum(e["event"] not in SG_EVENTS for e in events)
    assert summary["planted"]["sendgrid"] == {"bad_json": bad_json, "unknown_event": unknown}
    assert bad_json >= 1 and unknown >= 1
    assert summary["rows"]["sendgrid"] == len(events) + bad_json

    ids = Counter(e["sg_event_id"] for e in events)
    extra_copies = sum(n - 1 for n in ids.values())
    assert extra_copies == summary["duplicates"]["sendgrid"]["events"] > 0
    assert summary["loadable"]["sendgrid"] == len(ids) - unknown

    known = {p["email"].strip().lower() for p in people}
    first = {}
    for e in events:
        first.setdefault(e["sg_event_id"], e)
    unmatched = sum(e["email"].strip().lower() not in known for e in first.values())
    assert unmatched == summary["unmatched"]["sendgrid"] > 0

    kinds = Counter(e["event"] for e in first.values())
    assert set(kinds) >= SG_EVENTS
    assert any(e.get("sg_machine_open") is True for e in events)
    assert {e.get("type") for e in events if e["event"] == "bounce"} == {"bounce", "blocked"}
    assert any(isinstance(e.get("category"), list) for e in events)
    assert any(isinstance(e.get("category"), str) for e in events)
    assert all(isinstance(e["timestamp"], int) and e.get("campaign_id") for e in events)
    # every group event names its unsubscribe group; some who unsubscribed from
    # everything later resubscribe to the group (which does not undo the unsubscribe)
    groups = [e for e in first.values() if e["event"] in ("group_unsubscribe", "group_resubscribe")]
    assert groups and all(isinstance(e.get("asm_group_id"), int) for e in groups)
    unsubscribed = {
        (e["email"], e["campaign_id"]): e["timestamp"] for e in first.values() if e["event"] == "unsubscribe"
    }
    assert any(
        unsubscribed.get((e["email"], e["campaign_id"]), e["timestamp"]) < e["timestamp"]
        for e in groups
        if e["event"] == "group_resubscribe"
    )


def test_twilio_both_spellings(landing):
    out, _ = landing
    assert {h for h, _ in read_csvs(out / "twilio_messages")} == {MSG_CONSOLE, MSG_REST}
    assert {h for h, _ in read_csvs(out / "twilio_calls")} == {CALL_CONSOLE, CALL_REST}


def test_twilio_messages_planted_and_unmatched(landing, people):
    out, summary = landing
    rows = [r for _, rs in read_csvs(out / "twilio_messages") for r in rs]
    assert len(rows) == summary["rows"]["twilio_messages"]
    bad_date = [r for r in rows if rfc2822(r["date_sent"]) is None]
    bad_phone = [r for r in rows if e164(r["from"]) is None or e164(r["to"]) is None]
    assert summary["planted"]["twilio_messages"] == {"bad_date": len(bad_date), "bad_phone": len(bad_phone)}
    assert not {id(r) for r in bad_date} & {id(r) for r in bad_phone}
    assert len({r["sid"] for r in rows}) == len(rows)
    good = [r for r in rows if r not in bad_date and r not in bad_phone]
    assert summary["loadable"]["twilio_messages"] == len(good)

    phones = {e164(p["can2_phone"]) for p in people} - {None}
    person_side = [r["to"] if r["direction"] == "outbound-api" else r["from"] for r in good]
    assert sum(e164(x) not in phones for x in person_side) == summary["unmatched"]["twilio_messages"] > 0

    statuses = Counter(r["status"] for r in good)
    assert {"delivered", "undelivered", "failed", "received"} <= set(statuses)
    assert {"30003", "30006"} <= {r["error_code"] for r in good}
    bodies = {r["body"] for r in good if r["direction"] == "inbound"}
    assert any(
        b.strip(" .!").upper() in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "ARRET", "ARRÊT", "ARRETE")
        for b in bodies
    )
    assert any(b.upper() in ("START", "YES", "UNSTOP") for b in bodies)
    assert all(r["date_sent"].endswith("+0000") for r in good)


def test_twilio_calls_planted_shapes_and_unmatched(landing, people):
    out, summary = landing
    rows = [r for _, rs in read_csvs(out / "twilio_calls") for r in rs]
    assert len(rows) == summary["rows"]["twilio_calls"]
    bad_date = [r for r in rows if rfc2822(r["start_time"]) is None]
    bad_phone = [r for r in rows if e164(r["from"]) is None or e164(r["to"]) is None]
    assert summary["planted"]["twilio_calls"] == {"bad_date": len(bad_date), "bad_phone": len(bad_phone)}
    good = [r for r in rows if r not in bad_date and r not in bad_phone]
    assert summary["loadable"]["twilio_calls"] == len(good)
    assert len({r["sid"] for r in rows}) == len(rows)

    by_sid = {r["sid"]: r for r in good}
    children = [r for r in good if r["parent_call_sid"]]
    assert children and all(r["direction"] == "outbound-dial" for r in children)
    assert all(
        by_sid[r["parent_call_sid"]]["direction"] == "outbound-api"
        for r in children
        if r["parent_call_sid"] in by_sid
    )
    assert any(r["direction"] == "inbound" for r in good)
    assert {"completed", "busy", "no-answer", "failed"} <= {r["status"] for r in good}

    phones = {e164(p["can2_phone"]) for p in people} - {None}

    def person_number(r):
        if r["direction"] == "inbound":
            return r["from"]
        if r["direction"] == "outbound-api":
            return r["to"]
        parent = by_sid.get(r["parent_call_sid"])
        return parent["to"] if parent else None

    assert sum(e164(person_number(r)) not in phones for r in good) == summary["unmatched"]["twilio_calls"] > 0


def test_campaigns_yml(landing):
    out, summary = landing
    reg = yaml.safe_load((out / "campaigns.yml").read_text(encoding="utf-8"))
    camps = reg["campaigns"]
    assert len(camps) == summary["campaigns"] == 5
    by_id = {c["id"]: c for c in camps}
    assert len(by_id) == len(camps)
    sg_ids = set()
    for f in (out / "sendgrid").glob("*.json"):
        sg_ids |= {e["campaign_id"] for e in json.loads(f.read_text(encoding="utf-8"))}
    for c in camps:
        assert c["name"]["en"].strip() and c["name"]["fr"].strip() and c["name"]["en"] != c["name"]["fr"]
        assert c["ask"] in ("call", "click")
        assert isinstance(c["starts"], dt.date)
        assert c["email"]["campaign_id"] in sg_ids
        for n in c.get("call_numbers", []):
            assert e164(str(n)), n
        if "sms" in c:
            start, end = c["sms"]["sent_between"]
            assert start < end and e164(str(c["sms"]["from"]))
        if "follow_up_of" in c:
            parent = by_id[c["follow_up_of"]]
            assert parent["starts"] < c["starts"] and "sms" in c
            assert {e164(str(n)) for n in c["call_numbers"]} == {e164(str(n)) for n in parent["call_numbers"]}
            assert c["call_numbers"] != parent["call_numbers"]  # same numbers, written differently
        if c["ask"] == "call":
            assert c["min_call_seconds"] >= 1
    assert any("follow_up_of" in c for c in camps) and any("sms" not in c for c in camps)

    # every outbound text of a campaign's number falls inside one of that number's windows
    windows = {}
    for c in camps:
        if "sms" in c:
            windows.setdefault(e164(str(c["sms"]["from"])), []).append(c["sms"]["sent_between"])
    for _, rows in read_csvs(out / "twilio_messages"):
        for r in rows:
            t = rfc2822(r["date_sent"])
            if r["direction"] == "outbound-api" and t and e164(r["from"]):
                naive = t.replace(tzinfo=None)
                assert any(a <= naive < b for a, b in windows[e164(r["from"])])


def test_short_calls_below_minimum_exist(landing):
    out, _ = landing
    reg = yaml.safe_load((out / "campaigns.yml").read_text(encoding="utf-8"))
    minimum = {
        e164(str(n)): c["min_call_seconds"] for c in reg["campaigns"] for n in c.get("call_numbers", [])
    }
    rows = [r for _, rs in read_csvs(out / "twilio_calls") for r in rs]
    reached = [r for r in rows if e164(r["to"]) in minimum and r["status"] == "completed"]
    assert any(int(r["duration"]) < minimum[e164(r["to"])] for r in reached)
    assert any(int(r["duration"]) >= minimum[e164(r["to"])] for r in reached)


def test_openers_call_more(tmp_path):
    """Behaviour worth building cohorts on: human openers of a call campaign call more than the rest."""
    out = tmp_path / "l"
    sample.generate(out, people=6000, campaigns=1, seed=3)
    with open(out / "people" / "activists.csv", newline="", encoding="utf-8") as fh:
        ppl = list(csv.DictReader(fh))
    phone_of_email = {p["email"].strip().lower(): e164(p["can2_phone"]) for p in ppl}
    opened, delivered = set(), set()
    for f in (out / "sendgrid").iterdir():
        lines = (
            json.loads(f.read_text())
            if f.suffix == ".json"
            else [json.loads(x) for x in f.read_text().splitlines() if x.endswith("}")]
        )
        for e in lines:
            key = phone_of_email.get(e["email"].strip().lower())
            if e["event"] == "delivered":
                delivered.add(key)
            if e["event"] == "open" and not e.get("sg_machine_open"):
                opened.add(key)
    callers = set()
    for _, rows in read_csvs(out / "twilio_calls"):
        for r in rows:
            callers.add(e164(r["from"]) if r["direction"] == "inbound" else e164(r["to"]))
    delivered.discard(None)
    rate_open = len(callers & opened) / len(opened)
    rate_rest = len(callers & (delivered - opened)) / len(delivered - opened)
    assert rate_open > 3 * rate_rest


def test_cli_prints_summary(tmp_path, capsys):
    assert (
        sample.main(["--out", str(tmp_path / "cli"), "--people", "200", "--campaigns", "2", "--seed", "1"])
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["people"] == 200 and summary["campaigns"] == 2
    assert set(summary["planted"]) == {
        "people", "sendgrid", "twilio_messages", "twilio_calls", "actionnetwork_actions",
    }  # fmt: skip


def test_small_scale_is_fast(tmp_path):
    t = time.perf_counter()
    sample.generate(tmp_path / "fast", people=500, campaigns=3)
    assert time.perf_counter() - t < 20


def test_actions_in_both_shapes_with_a_real_pulls_mess(landing):
    out, summary = landing
    folder = out / "actionnetwork_actions"
    bodies = sorted(folder.glob("pull-*/*.json"))
    records = sorted(folder.glob("*/*.ndjson"))
    assert bodies and records
    assert all(len(json.loads(b.read_text())["_embedded"].popitem()[1]) <= 25 for b in bodies)
    assert {p.parent.name for p in records} <= {"signatures", "submissions", "attendances", "outreaches"}
    reg = yaml.safe_load((out / "campaigns.yml").read_text(encoding="utf-8"))
    listed = {(a["kind"], a["id"]) for c in reg["campaigns"] for a in c.get("actions", [])}
    assert {kind for kind, _ in listed} == {"petition", "form", "event", "advocacy_campaign"}
    mess = summary["actions"]
    assert all(mess[k] > 0 for k in ("unlisted", "unmatched", "changed", "declined", "repulled")), mess
    text = "".join(p.read_text(encoding="utf-8") for p in [*bodies, *records])
    assert '"ocdid": "ocd-division/country:ca/ed:' in text
    assert '"ocdid": "ocd-division/country:us/state:' in text
    assert '"status": "declined"' in text
