"""Create a small DuckDB warehouse with the raw.* tables of docs/contract.md.

The rows are hand-made so every meaning in DESIGN.md has a case, and the marts
can be computed by hand (see test_dbt_build.py for the expected values):

- people: Toronto (postal code only -> ON), California (state CA, ZIP 90210 ->
  country US), Iqaluit X0A (NU), Yellowknife X1A (NT), Ohio without an email,
  two people sharing one email address (events go to the smaller person_id).
- campaign ``pro_act`` (email, texts 1-8 June, hotline and office numbers,
  min_call_seconds 30) and its follow-up ``pro_act_fu`` (texts 8-15 June, lists
  the same office number, default min_call_seconds).
- email: machine vs human opens, soft (blocked) vs hard bounce, dropped,
  unsubscribe then group_resubscribe (still unsubscribed: a group's
  resubscribe does not undo a global unsubscribe), one unmatched address.
- texts: a reply after texts of both campaigns, a text outside every window,
  stop. / START / Arret (latest wins), "stop texting me at work", error 30005
  on the latest outbound, an old 21610 followed by a harmless 30007.
- calls: a hotline call, a patch-through (parent + child leg), a too-short call,
  a short call that is enough for the follow-up's default minimum, a busy call.
- Action Network actions (pages listed in CAMPAIGN_ACTIONS): signatures on
  pro_act's petition, submissions of the follow-up's form (Ana 2 days, Bob 9
  days after signing: the cross-campaign window), an accepted and a tentative
  RSVP, letters to two MPs on a page both campaigns list, a signature on a
  page no campaign lists and one from a person in no export.

Usage: ``uv run python tests/dbt/make_raw_fixture.py /tmp/dbtdev/wh.duckdb``
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import duckdb

from pipelines.lib import ingest, segments
from pipelines.lib import warehouse as wh

LOADED_AT = datetime(2026, 6, 20, 12, 0, 0)

DDL = {
    "people": """
        person_id varchar, first_name varchar, last_name varchar, email varchar,
        email_norm varchar, phone varchar, phone_e164 varchar, zip_code varchar,
        postal_code varchar, zip_state varchar, city varchar, state_abbr varchar,
        country varchar, subscription_status varchar, sms_status varchar,
        affiliate varchar, language varchar, federal_district varchar,
        state_district varchar, _source_file varchar, _loaded_at timestamp
    """,
    "sendgrid_events": """
        sg_event_id varchar, event varchar, email_norm varchar, email_as_logged varchar,
        event_at timestamp, campaign_id varchar, machine_open boolean,
        bounce_type varchar, asm_group_id integer, _source_file varchar, _loaded_at timestamp,
        _id_hash bigint
    """,
    "twilio_messages": """
        sid varchar, direction varchar, status varchar, from_number varchar,
        to_number varchar, from_e164 varchar, to_e164 varchar, body varchar,
        sent_at timestamp, num_segments integer, error_code integer,
        _source_file varchar, _line integer, _loaded_at timestamp,
        keyword varchar, keyword_action varchar
    """,
    "twilio_calls": """
        sid varchar, parent_call_sid varchar, direction varchar, status varchar,
        from_number varchar, to_number varchar, from_e164 varchar, to_e164 varchar,
        started_at timestamp, ended_at timestamp, duration_seconds integer,
        _source_file varchar, _line integer, _loaded_at timestamp
    """,
    "campaigns": """
        campaign_id varchar, name_en varchar, name_fr varchar, ask varchar,
        starts date, email_campaign_id varchar, sms_from_e164 varchar,
        sms_sent_from timestamp, sms_sent_until timestamp,
        min_call_seconds integer, follow_up_of varchar
    """,
    "campaign_call_numbers": "campaign_id varchar, number_e164 varchar",
    "actionnetwork_actions": """
        action_id varchar, kind varchar, page_kind varchar, page_id varchar,
        person_id varchar, acted_at timestamp, modified_at timestamp, status varchar,
        outreach_type varchar, _source_file varchar, _line integer, _loaded_at timestamp
    """,
    "actionnetwork_action_targets": """
        action_id varchar, target_index integer, title varchar, given_name varchar,
        family_name varchar, ocdid varchar, _loaded_at timestamp
    """,
    "campaign_actions": "campaign_id varchar, page_kind varchar, page_id varchar",
    "rejected_rows": """
        source varchar, file varchar, line integer, reason varchar,
        raw_value varchar, loaded_at timestamp
    """,
    "loaded_files": """
        source varchar, file varchar, sha256 varchar, rows_loaded integer,
        rows_rejected integer, loaded_at timestamp
    """,
}

ANA, BOB, CLEO, DAN, EVE = (
    "+14165550101",
    "+13105550102",
    "+18675550103",
    "+18675550104",
    "+16145550105",
)
SENDER = "+12025550100"
HOTLINE = "+12025550199"
OFFICE = "+12025550188"
STRANGER = "+12125550000"


def keyword(direction: str, body: str) -> tuple[str | None, str | None]:
    """raw.twilio_messages' keyword columns, as the ingest classifies them (one owner of the rule)."""
    found = ingest.keyword_of(body) if direction == "inbound" else None
    return found or (None, None)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


# fmt: off
# person_id, first, last, email, email_norm, phone, phone_e164, zip_code,
# postal_code, zip_state, city, state_abbr, country, subscription, sms, affiliate,
# language, federal_district, state_district
PEOPLE = [
    ("p001", "Ana", "Tremblay", " Ana@Example.org", "ana@example.org",
     "(416) 555-0101", ANA, "m5v2t6", "M5V 2T6", None, "Toronto", None, None,
     "subscribed", "subscribed", "ofl", "fr", "Spadina—Harbourfront", None),
    ("p002", "Bob", "Garcia", "bob@example.com", "bob@example.com",
     "310.555.0102", BOB, "90210", "90210", "CA", "Beverly Hills", "CA", None,
     "subscribed", "subscribed", "california labor fed", "en", "CA-30", "CA-AD51"),
    ("p003", "Cleo", "Akavak", "cleo@example.org", "cleo@example.org",
     "+1 867 555 0103", CLEO, "X0A 0H0", "X0A 0H0", None, "Iqaluit", None, "CA",
     "subscribed", "unsubscribed", None, "en", "Nunavut", None),
    ("p004", "Dan", "Beaulieu", "dan@example.org", "dan@example.org",
     "867-555-0104", DAN, "x1a2p4", "X1A 2P4", None, "Yellowknife", None, None,
     "subscribed", "subscribed", None, "fr", "Northwest Territories", None),
    ("p005", "Eve", "Kowalski", "not an email", None,
     "614 555 0105", EVE, "43215", "43215", "OH", "Columbus", None, "US",
     "subscribed", "subscribed", "ohio afl-cio", "en", "OH-3", None),
    ("p006", "Finn", "Olsen", "shared@example.org", "shared@example.org",
     "12", None, "", None, None, None, None, None,
     "subscribed", "subscribed", None, "en", None, None),
    ("p007", "Gus", "Olsen", "Shared@Example.org", "shared@example.org",
     None, None, None, None, None, None, None, None,
     "unsubscribed", None, None, "en", None, None),
]

# sg_event_id, event, email_norm, event_at, campaign_id, url, machine_open, bounce_type
SENDGRID = [
    ("sg01", "delivered", "ana@example.org", "2026-06-02 10:00:00", "pro-act-1", None, False, None),
    ("sg02", "open", "ana@example.org", "2026-06-02 10:01:00", "pro-act-1", None, True, None),
    ("sg03", "open", "ana@example.org", "2026-06-02 11:00:00", "pro-act-1", None, False, None),
    ("sg04", "click", "ana@example.org", "2026-06-02 11:05:00", "pro-act-1", "https://x.org/a", False, None),
    ("sg05", "delivered", "bob@example.com", "2026-06-02 10:00:00", "pro-act-1", None, False, None),
    ("sg06", "open", "bob@example.com", "2026-06-02 10:02:00", "pro-act-1", None, True, None),
    ("sg07", "bounce", "cleo@example.org", "2026-06-02 10:00:00", "pro-act-1", None, False, "blocked"),
    ("sg08", "bounce", "dan@example.org", "2026-06-02 10:00:00", "pro-act-1", None, False, "bounce"),
    ("sg09", "unsubscribe", "shared@example.org", "2026-06-03 09:00:00", "pro-act-1", None, False, None),
    ("sg10", "group_resubscribe", "shared@example.org", "2026-06-04 09:00:00", None, None, False, None),
    ("sg11", "delivered", "stranger@example.net", "2026-06-02 10:00:00", "pro-act-1", None, False, None),
    ("sg12", "dropped", "bob@example.com", "2026-06-01 09:00:00", "older-blast", None, False, None),
]
# sg_event_id -> asm_group_id (the unsubscribe group of a group event)
ASM_GROUPS = {"sg10": 4821}

# sid, direction, status, from_e164, to_e164, body, sent_at, error_code
MESSAGES = [
    ("SM01", "outbound-api", "delivered", SENDER, ANA, "Call your Senator!", "2026-06-02 14:00:00", None),
    ("SM02", "outbound-api", "delivered", SENDER, BOB, "Call your Senator!", "2026-06-02 14:00:00", None),
    ("SM03", "outbound-api", "delivered", SENDER, ANA, "Did you call?", "2026-06-09 14:00:00", None),
    ("SM04", "inbound", "received", ANA, SENDER, "Yes, I called!", "2026-06-10 09:00:00", None),
    ("SM05", "outbound-api", "delivered", SENDER, BOB, "Old blast", "2026-05-20 14:00:00", None),
    ("SM06", "inbound", "received", BOB, SENDER, "stop.", "2026-06-03 08:00:00", None),
    ("SM07", "inbound", "received", BOB, SENDER, "START", "2026-06-04 08:00:00", None),
    ("SM08", "inbound", "received", BOB, SENDER, " Arrêt ", "2026-06-05 08:00:00", None),
    ("SM09", "outbound-api", "failed", SENDER, DAN, "Call your Senator!", "2026-06-02 14:00:00", 30005),
    ("SM10", "inbound", "received", DAN, SENDER, "stop texting me at work", "2026-06-02 15:00:00", None),
    ("SM11", "outbound-api", "undelivered", SENDER, EVE, "Call your Senator!", "2026-06-02 14:00:00", 30007),
    ("SM12", "outbound-api", "failed", "+12025550111", EVE, "Older", "2026-05-01 14:00:00", 21610),
    ("SM13", "inbound", "received", STRANGER, SENDER, "hello?", "2026-06-02 16:00:00", None),
]

# sid, parent, direction, status, from_e164, to_e164, started_at, duration
CALLS = [
    ("CA01", None, "inbound", "completed", ANA, HOTLINE, "2026-06-03 15:00:00", 45),
    ("CA02", None, "outbound-api", "completed", SENDER, BOB, "2026-06-09 16:00:00", 120),
    ("CA03", "CA02", "outbound-dial", "completed", SENDER, OFFICE, "2026-06-09 16:00:20", 100),
    ("CA04", None, "inbound", "completed", EVE, HOTLINE, "2026-06-03 15:00:00", 10),
    ("CA05", None, "inbound", "completed", DAN, OFFICE, "2026-06-10 10:00:00", 10),
    ("CA06", None, "inbound", "busy", CLEO, HOTLINE, "2026-06-03 15:00:00", 0),
]

CAMPAIGNS = [
    ("pro_act", "Call your Senator about the PRO Act",
     "Appelez votre sénateur au sujet du PRO Act", "call", date(2026, 6, 1),
     "pro-act-1", SENDER, ts("2026-06-01 00:00:00"), ts("2026-06-08 00:00:00"), 30, None),
    ("pro_act_fu", "PRO Act follow-up", "Suivi PRO Act", "call", date(2026, 6, 8),
     None, SENDER, ts("2026-06-08 00:00:00"), ts("2026-06-15 00:00:00"), 1, "pro_act"),
]

CALL_NUMBERS = [
    ("pro_act", HOTLINE),
    ("pro_act", OFFICE),
    ("pro_act_fu", OFFICE),
]

# campaigns.yml `actions:`: the letter page ADV1 is listed by both campaigns;
# PET2 by none (its signatures are unattributed).
CAMPAIGN_ACTIONS = [
    ("pro_act", "petition", "PET1"),
    ("pro_act", "event", "EV1"),
    ("pro_act", "advocacy_campaign", "ADV1"),
    ("pro_act_fu", "form", "FORM1"),
    ("pro_act_fu", "advocacy_campaign", "ADV1"),
]

# action_id, kind, page_kind, page_id, person_id, acted_at, status, outreach_type
ACTIONS = [
    ("AN01", "signature", "petition", "PET1", "p001", "2026-06-04 10:00:00", None, None),
    ("AN02", "submission", "form", "FORM1", "p002", "2026-06-10 12:00:00", None, None),
    ("AN03", "attendance", "event", "EV1", "p003", "2026-06-05 09:00:00", "accepted", None),
    ("AN04", "attendance", "event", "EV1", "p005", "2026-06-05 10:00:00", "tentative", None),
    ("AN05", "outreach", "advocacy_campaign", "ADV1", "p004", "2026-06-06 08:00:00", None, "email"),
    ("AN06", "outreach", "advocacy_campaign", "ADV1", "p001", "2026-06-06 09:00:00", None, "letter"),
    # a page no campaign lists: unattributed
    ("AN07", "signature", "petition", "PET2", "p002", "2026-06-07 10:00:00", None, None),
    # a person in no people export: unmatched
    ("AN08", "signature", "petition", "PET1", "p999", "2026-06-04 11:00:00", None, None),
    ("AN09", "submission", "form", "FORM1", "p001", "2026-06-06 10:00:00", None, None),
    ("AN10", "signature", "petition", "PET1", "p002", "2026-06-01 12:00:00", None, None),
]
MP_ROY = ("Member of Parliament", "Jean", "Roy", "ocd-division/country:ca/ed:35075")
MP_LEE = ("Member of Parliament", "Mary", "Lee", "ocd-division/country:ca/ed:35024")
# action_id, target_index, (title, given_name, family_name, ocdid)
ACTION_TARGETS = [
    ("AN05", 0, MP_ROY),
    ("AN05", 1, MP_LEE),
    ("AN06", 0, MP_ROY),
]
# fmt: on


def build(path: str | Path) -> Path:
    """Create (or replace) the raw.* tables in the DuckDB file at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        # raw.* live in the raw file beside the warehouse file, as ingest writes them
        wh.attach_raw(con)
        for table, columns in DDL.items():
            con.execute(f"create or replace table raw.{table} ({columns})")
        # No saved segments: models/segments build on the empty segment tables.
        segments.ensure_schema(con)

        con.executemany(
            "insert into raw.people values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'people.csv', ?)",
            [(*row, LOADED_AT) for row in PEOPLE],
        )
        con.executemany(
            "insert into raw.sendgrid_events values "
            "(?, ?, ?, null, ?, ?, ?, ?, ?, 'sendgrid/post.json', ?, cast(md5_number(?) >> 65 as bigint))",
            [
                (
                    sid,
                    event,
                    email,
                    ts(at),
                    campaign,
                    machine,
                    bounce_type,
                    ASM_GROUPS.get(sid),
                    LOADED_AT,
                    sid,
                )
                for (sid, event, email, at, campaign, _url, machine, bounce_type) in SENDGRID
            ],
        )
        con.executemany(
            "insert into raw.twilio_messages values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, 'messages.csv', ?, ?, ?, ?)",
            [
                (
                    sid,
                    direction,
                    status,
                    frm,
                    to,
                    frm,
                    to,
                    body,
                    ts(at),
                    error,
                    line,
                    LOADED_AT,
                    *keyword(direction, body),
                )
                for line, (sid, direction, status, frm, to, body, at, error) in enumerate(MESSAGES, start=2)
            ],
        )
        con.executemany(
            "insert into raw.twilio_calls values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'calls.csv', ?, ?)",
            [
                (sid, parent, direction, status, frm, to, frm, to, ts(at), None, duration, line, LOADED_AT)
                for line, (sid, parent, direction, status, frm, to, at, duration) in enumerate(CALLS, start=2)
            ],
        )
        con.executemany(
            "insert into raw.campaigns values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            CAMPAIGNS,
        )
        con.executemany("insert into raw.campaign_call_numbers values (?, ?)", CALL_NUMBERS)
        con.executemany("insert into raw.campaign_actions values (?, ?, ?)", CAMPAIGN_ACTIONS)
        con.executemany(
            "insert into raw.actionnetwork_actions values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, 'actions.ndjson', ?, ?)",
            [
                (aid, kind, page_kind, page, person, ts(at), ts(at), status, otype, line, LOADED_AT)
                for line, (aid, kind, page_kind, page, person, at, status, otype) in enumerate(ACTIONS, 1)
            ],
        )
        con.executemany(
            "insert into raw.actionnetwork_action_targets values (?, ?, ?, ?, ?, ?, ?)",
            [(aid, index, *target, LOADED_AT) for aid, index, target in ACTION_TARGETS],
        )
        con.execute(
            "insert into raw.rejected_rows values "
            "('twilio_messages', 'messages.csv', 99, 'unparsable date', 'yesterday', ?)",
            [LOADED_AT],
        )
        con.execute(
            "insert into raw.loaded_files values ('people', 'people.csv', 'abc123', 7, 0, ?)",
            [LOADED_AT],
        )
    finally:
        con.close()
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_raw_fixture.py WAREHOUSE.duckdb")
    print(build(sys.argv[1]))
