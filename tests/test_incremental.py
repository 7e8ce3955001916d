"""Incremental daily builds give exactly the full rebuild's marts.

The session warehouse (tests/fixtures/landing) is the day before. A next day
lands files that hit every trap of an incremental build; `run_all` then
builds on top of yesterday's warehouse, and every mart must equal, row for
row, a warehouse built from scratch over the same landing folder.
"""

from __future__ import annotations

import json
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipelines.defs.transform import assets as transform_assets
from pipelines.defs.transform.assets import full_refresh_reason, models_sha256, unchanged_models
from pipelines.defs.transform.project import DBT, DBT_DIR, rollcall_project
from pipelines.lib import warehouse as wh
from pipelines.lib.ingest import load_source
from pipelines.run import run_all
from tests.conftest import copy_built


def key(person: str) -> str:
    """The integer key the facts carry, for a person of the fixture (marts.people maps it)."""
    return f"(select person_key from marts.people where person_id = 'p-{person}')"


MARTS = [
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
    "letters_by_target",
    "unattributed_actions",
    "action_meanings",
    "ladder",
    "ladder_rungs",
    "ladder_counts",
    "ladder_movement",
]
# When a row landed differs between the two warehouses by construction.
LOAD_TIME_COLUMNS = {"loaded_at", "loaded_through"}

NEW_PERSON = (
    "uuid,first_name,last_name,email,can2_phone,zip_code,can2_user_city,can2_state_abbreviated,"
    "can2_country,can2_subscription_status,can2_sms_status,affiliate,language,federal_district,state_district\n"
    # stranger@example.org opened on day one (ev-x1) and +1 312 555 0177 called (CA-x1), both unmatched then
    "p-ivan,Ivan,Ives,stranger@example.org,312-555-0177,60601,Chicago,IL,US,subscribed,subscribed,"
    "Chicago Federation of Labor,en,IL-07,\n"
)
NEXT_DAY_EMAIL = [
    # ev-a1 again, landed a day later with other values: the first loaded copy still counts
    {
        "email": "alice@example.com",
        "timestamp": 1780300000,
        "event": "click",
        "sg_event_id": "ev-a1",
        "campaign_id": "pro-act-2026",
    },
    # late-arriving open, earlier than Alice's known first open (ev-a2, 15:00)
    {
        "email": "alice@example.com",
        "timestamp": 1780410000,
        "event": "open",
        "sg_event_id": "ev-a9",
        "campaign_id": "pro-act-2026",
        "sg_machine_open": False,
    },
    # the new person clicks
    {
        "email": "stranger@example.org",
        "timestamp": 1780420000,
        "event": "click",
        "sg_event_id": "ev-x2",
        "campaign_id": "pro-act-2026",
        "url": "https://example.org/pro-act",
    },
    # Fay unsubscribes from everything
    {
        "email": "fay@example.ca",
        "timestamp": 1780600000,
        "event": "group_unsubscribe",
        "sg_event_id": "ev-f9",
        "campaign_id": "pro-act-2026",
    },
]
NEXT_DAY_TEXTS = (
    "sid,from,to,body,status,direction,date_sent,num_segments,error_code\n"
    # a new STOP reply from Hana: opts her out, and a reply to the PRO Act text
    'SM-n1,+16145550108,+16145550199,STOP,received,inbound,"Sat, 13 Jun 2026 09:00:00 +0000",1,\n'
    # a late reply with an earlier time than Hana's known first reply (SM-h2, 15:30)
    'SM-n2,+16145550108,+16145550199,ok,received,inbound,"Tue, 09 Jun 2026 15:10:00 +0000",1,\n'
    # a late text to the new person, then their reply
    'SM-n3,+16145550199,+13125550177,"Call your Senator",delivered,outbound-api,'
    '"Wed, 10 Jun 2026 10:00:00 +0000",1,\n'
    'SM-n4,+13125550177,+16145550199,done!,received,inbound,"Wed, 10 Jun 2026 11:00:00 +0000",1,\n'
    # the latest outbound text to Gus now fails fatally
    'SM-n5,+16145550199,+16145550107,"Call your Senator",failed,outbound-api,'
    '"Fri, 12 Jun 2026 10:00:00 +0000",1,30003\n'
)
NEXT_DAY_CALLS = (
    "sid,parent_call_sid,from,to,status,direction,start_time,end_time,duration\n"
    # a new hotline call from Fay
    'CA-n1,,+18675550106,+12022243121,completed,inbound,"Thu, 11 Jun 2026 09:00:00 +0000",'
    '"Thu, 11 Jun 2026 09:00:40 +0000",40\n'
    # a patch-through for Bruno whose child leg is listed before its parent
    'CA-n3,CA-n2,+12025550150,+12022243121,completed,outbound-dial,"Thu, 11 Jun 2026 10:00:05 +0000",'
    '"Thu, 11 Jun 2026 10:01:05 +0000",60\n'
    'CA-n2,,+12025550150,+14165550102,completed,outbound-api,"Thu, 11 Jun 2026 10:00:00 +0000",'
    '"Thu, 11 Jun 2026 10:01:10 +0000",70\n'
)


EVENT = "33333333-3333-4333-8333-333333333333"
PETITION = "11111111-1111-4111-8111-111111111111"


def _action(n: int, person: str, created: str, modified: str, page: str, **fields) -> str:
    return json.dumps(
        {
            "identifiers": [f"action_network:a0000000-0000-4000-8000-0000000009{n:02d}"],
            "created_date": created,
            "modified_date": modified,
            "action_network:person_id": person,
            **fields,
            "_links": {"osdi:person": {"href": f"https://actionnetwork.org/api/v2/people/{person}"}},
        }
    )


NEXT_DAY_RSVPS = (
    "\n".join(
        [
            # Hana's tentative RSVP (a…011, day one) is now accepted: the later copy replaces it
            json.dumps(
                {
                    "identifiers": ["action_network:a0000000-0000-4000-8000-000000000011"],
                    "created_date": "2026-06-05T17:00:00Z",
                    "modified_date": "2026-06-12T09:00:00Z",
                    "status": "accepted",
                    "action_network:person_id": "p-hana",
                    "action_network:event_id": EVENT,
                }
            ),
            # the new person RSVPs, then (a later copy in the same file) declines
            _action(1, "p-ivan", "2026-06-11T12:00:00Z", "2026-06-11T12:00:00Z", "event",
                    status="accepted", **{"action_network:event_id": EVENT}),
            _action(1, "p-ivan", "2026-06-11T12:00:00Z", "2026-06-12T12:00:00Z", "event",
                    status="declined", **{"action_network:event_id": EVENT}),
        ]
    )
    + "\n"
)  # fmt: skip
NEXT_DAY_SIGNATURES = (
    # the new person signs the PRO Act petition; someone not in the export signs it too
    _action(2, "p-ivan", "2026-06-11T13:00:00Z", "2026-06-11T13:00:00Z", "petition",
            **{"action_network:petition_id": PETITION})
    + "\n"
    + _action(3, "p-nobody", "2026-06-11T14:00:00Z", "2026-06-11T14:00:00Z", "petition",
              **{"action_network:petition_id": PETITION})
    + "\n"
)  # fmt: skip


def _land_next_day(landing: Path, people: bool = True) -> None:
    if people:
        (landing / "people" / "zz-next-day.csv").write_text(NEW_PERSON)
    (landing / "sendgrid" / "post-004.json").write_text(json.dumps(NEXT_DAY_EMAIL))
    (landing / "twilio_messages" / "next-day.csv").write_text(NEXT_DAY_TEXTS)
    (landing / "twilio_calls" / "next-day.csv").write_text(NEXT_DAY_CALLS)
    actions = landing / "actionnetwork_actions"
    (actions / "attendances" / "rsvps-next-day.ndjson").write_text(NEXT_DAY_RSVPS)
    (actions / "signatures").mkdir(exist_ok=True)
    (actions / "signatures" / "signatures-next-day.ndjson").write_text(NEXT_DAY_SIGNATURES)


@contextmanager
def _decisions():
    """The full-refresh decisions the dbt asset takes while inside (None = incremental)."""
    reasons: list[str | None] = []

    def recorded(con, models=None):
        reasons.append(full_refresh_reason(con, models))
        return reasons[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transform_assets, "full_refresh_reason", recorded)
        yield reasons


def _tables(con) -> list[str]:
    segments = [
        f"segments.{name}"
        for (name,) in con.sql(
            "select table_name from information_schema.tables where table_schema = 'segments' "
            "and table_name in ('segment_outcomes', 'segment_lift')"
        ).fetchall()
    ]
    return [f"marts.{name}" for name in MARTS] + segments


def _rows(con, table: str) -> tuple[list[str], list[tuple]]:
    columns = [
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema || '.' || table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
        if c not in LOAD_TIME_COLUMNS
    ]
    rows = con.sql(f"select {', '.join(columns)} from {table}").fetchall()
    return columns, sorted(rows, key=repr)


def _assert_same_marts(incremental: Path, full: Path) -> None:
    # On the build files: marts.touchpoints is a view over the raw events, which are never published.
    with (
        wh.connect_build(wh.build_path(incremental)) as inc,
        wh.connect_build(wh.build_path(full)) as ref,
    ):
        assert _tables(inc) == _tables(ref)
        for table in _tables(ref):
            assert _rows(inc, table) == _rows(ref, table), table


def _full_rebuild(landing: Path, root: Path) -> Path:
    warehouse = root / "full" / "warehouse.duckdb"
    run_all(landing, warehouse)
    return warehouse


def test_next_day_builds_incrementally_and_equals_a_full_rebuild(built, tmp_path):
    landing, warehouse = copy_built(built, tmp_path)
    _land_next_day(landing)
    with _decisions() as reasons:
        run_all(landing, warehouse)
    assert reasons == [None]  # new events and a new person: absorbed incrementally
    _assert_same_marts(warehouse, _full_rebuild(landing, tmp_path))

    with wh.connect_build(wh.build_path(warehouse)) as con:
        one = con.sql
        # the repeat of ev-a1 counts once, as first loaded (a delivery)
        assert one(
            "select event_type from marts.touchpoints where touchpoint_id = 'sg:ev-a1'"
        ).fetchall() == [("delivered",)]
        # the new person's earlier unmatched open and call are theirs now
        assert one(
            f"select touchpoint_id from marts.touchpoints where person_key = {key('ivan')} order by 1"
        ).fetchall() == [
            ("an:a0000000-0000-4000-8000-000000000901",),  # the RSVP (declined: no rsvped, still landed)
            ("an:a0000000-0000-4000-8000-000000000902",),  # the signature
            ("call:CA-x1",),
            ("sg:ev-x1",),
            ("sg:ev-x2",),
            ("sms:SM-n3",),
            ("sms:SM-n4",),
        ]
        funnel = one(
            "select first_opened_at, first_called_at from marts.person_campaign_funnel "
            f"where person_key = {key('ivan')} and campaign_id = 'pro-act'"
        ).fetchall()
        assert funnel[0][0] is not None and funnel[0][1] is not None
        # the late open and the late reply move the first times back
        assert (
            str(
                one(
                    "select first_opened_at from marts.person_campaign_funnel "
                    f"where person_key = {key('alice')} and campaign_id = 'pro-act'"
                ).fetchall()[0][0]
            )
            == "2026-06-02 14:20:00"
        )
        assert (
            str(
                one(
                    "select first_replied_at from marts.person_campaign_funnel "
                    f"where person_key = {key('hana')} and campaign_id = 'pro-act-text'"
                ).fetchall()[0][0]
            )
            == "2026-06-09 15:10:00"
        )
        # the patch-through child landed before its parent still counts as Bruno's call
        assert one(
            "select count(*) from marts.campaign_touchpoints where touchpoint_id = 'call:CA-n3' "
            f"and person_key = {key('bruno')} and action = 'called'"
        ).fetchall() == [(2,)]
        assert one(
            "select sms_block_reason from marts.reachability "
            "where person_id in ('p-hana', 'p-gus') order by 1"
        ).fetchall() == [("last_text_error_30003",), ("opted_out",)]
        # actions: Hana's RSVP accepted a day later counts (at its created_date);
        # Ivan signed and his RSVP, declined in a later copy, does not count
        assert (
            str(
                one(
                    "select first_rsvped_at from marts.person_campaign_funnel "
                    f"where person_key = {key('hana')} and campaign_id = 'pro-act-text'"
                ).fetchall()[0][0]
            )
            == "2026-06-05 17:00:00"
        )
        assert one(
            "select campaign_id from marts.person_campaign_funnel "
            f"where person_key = {key('ivan')} and first_signed_at is not null"
        ).fetchall() == [("pro-act",)]
        assert one(
            "select count(*) from marts.person_campaign_funnel "
            f"where person_key = {key('ivan')} and first_rsvped_at is not null"
        ).fetchall() == [(0,)]


def test_a_day_without_people_folds_the_summaries_and_equals_a_full_rebuild(built, tmp_path):
    # No person changed: weekly_activity and unmatched_identifiers add the
    # day to the rows held (macros/fold.sql) instead of recounting history.
    landing, warehouse = copy_built(built, tmp_path)
    _land_next_day(landing, people=False)
    with _decisions() as reasons:
        run_all(landing, warehouse)
    assert reasons == [None]
    _assert_same_marts(warehouse, _full_rebuild(landing, tmp_path))
    with wh.connect_read(warehouse) as con:
        # the stranger's new click and texts are unmatched events, folded in
        assert con.sql(
            "select events from marts.unmatched_identifiers where identifier = 'stranger@example.org'"
        ).fetchall() == [(2,)]


# SendGrid's suppressions across days: the unsubscribes land one day, the
# preference-centre resubscribes the next (DESIGN, "reachable by email").
SUPPRESSIONS_DAY = [
    # Alice unsubscribes from everything (06-05 09:00)
    {"email": "alice@example.com", "timestamp": 1780650000, "event": "unsubscribe",
     "sg_event_id": "ev-a7", "campaign_id": "pro-act-2026"},
    # Bruno and Fay leave unsubscribe group 4821
    {"email": "bruno@example.ca", "timestamp": 1780650000, "event": "group_unsubscribe",
     "asm_group_id": 4821, "sg_event_id": "ph-b7", "campaign_id": "pharmacare"},
    {"email": "fay@example.ca", "timestamp": 1780650000, "event": "group_unsubscribe",
     "asm_group_id": 4821, "sg_event_id": "ph-f7", "campaign_id": "pharmacare"},
]  # fmt: skip
RESUBSCRIBES_DAY = [
    # the next day (06-06 09:00): Alice and Bruno resubscribe to group 4821, Fay to group 5120
    {"email": "alice@example.com", "timestamp": 1780736400, "event": "group_resubscribe",
     "asm_group_id": 4821, "sg_event_id": "gr-a8"},
    {"email": "bruno@example.ca", "timestamp": 1780736400, "event": "group_resubscribe",
     "asm_group_id": 4821, "sg_event_id": "gr-b8"},
    {"email": "fay@example.ca", "timestamp": 1780736400, "event": "group_resubscribe",
     "asm_group_id": 5120, "sg_event_id": "gr-f8"},
]  # fmt: skip


def _email_reach(warehouse: Path) -> dict[str, tuple]:
    with wh.connect_read(warehouse) as con:
        return dict(
            (person, (reachable, reason))
            for person, reachable, reason in con.sql(
                "select person_id, reachable_email, email_block_reason from marts.reachability "
                "where person_id in ('p-alice', 'p-bruno', 'p-fay')"
            ).fetchall()
        )


def test_a_group_resubscribe_a_day_after_the_unsubscribe_equals_a_full_rebuild(built, tmp_path):
    landing, warehouse = copy_built(built, tmp_path)
    assert _email_reach(warehouse) == {p: (True, None) for p in ("p-alice", "p-bruno", "p-fay")}
    with _decisions() as reasons:
        (landing / "sendgrid" / "post-101.json").write_text(json.dumps(SUPPRESSIONS_DAY))
        run_all(landing, warehouse)
        assert _email_reach(warehouse) == {
            "p-alice": (False, "unsubscribe"),
            "p-bruno": (False, "group_unsubscribe"),
            "p-fay": (False, "group_unsubscribe"),
        }
        (landing / "sendgrid" / "post-102.json").write_text(json.dumps(RESUBSCRIBES_DAY))
        run_all(landing, warehouse)
    assert reasons == [None, None]  # both days absorbed incrementally
    _assert_same_marts(warehouse, _full_rebuild(landing, tmp_path))
    assert _email_reach(warehouse) == {
        "p-alice": (False, "unsubscribe"),  # an unsubscribe is for good
        "p-bruno": (True, None),  # the same group's resubscribe undoes it
        "p-fay": (False, "group_unsubscribe"),  # another group's does not
    }


def test_a_day_of_email_alone_leaves_the_models_no_new_file_reaches_and_equals_a_full_rebuild(
    built, tmp_path
):
    # One SendGrid export lands, nothing else: the people, call, text and action
    # models read nothing new and dbt leaves them (and their tests) as they are.
    landing, warehouse = copy_built(built, tmp_path)
    left: list[list[str]] = []

    def recorded(manifest, changed):
        left.append([uid.split(".")[-1] for uid in unchanged_models(manifest, changed)])
        return [f"model.rollcall.{name}" for name in left[-1]]

    source_tests: list[list[str]] = []
    leave_source_tests = transform_assets.unchanged_source_tests

    def recorded_tests(manifest, changed):
        uids = leave_source_tests(manifest, changed)
        source_tests.append([manifest["nodes"][uid]["name"] for uid in uids])
        return uids

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transform_assets, "unchanged_models", recorded)
        mp.setattr(transform_assets, "unchanged_source_tests", recorded_tests)
        (landing / "sendgrid" / "post-101.json").write_text(json.dumps(SUPPRESSIONS_DAY))
        run_all(landing, warehouse)
    [names] = left
    # the raw tables no row was loaded into keep their tests' last verdict; SendGrid's run
    [tests_left] = source_tests
    assert {"source_unique_raw_people_person_id", "source_not_null_raw_twilio_calls_sid"} <= set(tests_left)
    assert "source_not_null_raw_sendgrid_events_sg_event_id" not in tests_left
    assert {
        "people",
        "stg_twilio__calls",
        "int_call_legs",
        "int_sms_messages",
        "int_action_network_actions",
        "unattributed_actions",  # actions, pages, people: none changed (nor campaigns.yml)
        "letters_by_target",
    } <= set(names)
    assert not {
        "stg_sendgrid__events",
        "campaign_touchpoints",
        "person_campaign_funnel",
        "reachability",
        # built again, into themselves, for the relationships tests of the touchpoints and
        # the ladder rebuilt today: left, they would take those tests with them
        "campaigns",
        "ladder_rungs",
    } & set(names)
    _assert_same_marts(warehouse, _full_rebuild(landing, tmp_path))
    assert _email_reach(warehouse)["p-alice"] == (False, "unsubscribe")


def test_a_changed_person_or_campaigns_yml_rebuilds_fully_and_equals_a_full_rebuild(built, tmp_path):
    landing, warehouse = copy_built(built, tmp_path)
    _land_next_day(landing)
    # Gus's 31-second call stops counting; the text campaign's window shrinks
    registry = (landing / "campaigns.yml").read_text()
    registry = registry.replace(
        "min_call_seconds: 30\n  - id: pro-act-text", "min_call_seconds: 35\n  - id: pro-act-text"
    )
    registry = registry.replace(
        "sent_between: [2026-06-09, 2026-06-16]", "sent_between: [2026-06-09, 2026-06-10]"
    )
    (landing / "campaigns.yml").write_text(registry)
    _change_alices_email(landing)
    with _decisions() as reasons:
        run_all(landing, warehouse)
    assert reasons == ["campaigns.yml changed"]
    _assert_same_marts(warehouse, _full_rebuild(landing, tmp_path))


def test_a_person_who_moves_affiliate_moves_their_funnel_rows_and_equals_a_full_rebuild(built, tmp_path):
    # The funnel carries the person's affiliate (campaign_summary counts it alone): a
    # person exported again with another affiliate has every funnel row recomputed.
    landing, warehouse = copy_built(built, tmp_path)
    people = (landing / "people" / "activists.csv").read_text().splitlines()
    alice = next(line for line in people if line.startswith("p-alice"))
    (landing / "people" / "zz-next-day.csv").write_text(
        people[0] + "\n" + alice.replace("Ohio AFL-CIO", "Columbus CLC") + "\n"
    )
    summary = (
        "select affiliate, delivered, opened from marts.campaign_summary "
        "where campaign_id = 'pro-act' and affiliate in ('Ohio AFL-CIO', 'Columbus CLC') order by 1"
    )
    with wh.connect_build(wh.build_path(warehouse)) as con:
        before = con.sql(summary).fetchall()
        alices = con.sql(
            "select count(first_delivered_at), count(first_opened_at) from marts.person_campaign_funnel "
            f"where person_key = {key('alice')} and campaign_id = 'pro-act'"
        ).fetchall()[0]
    assert alices != (0, 0) and [row[0] for row in before] == ["Ohio AFL-CIO"]
    with _decisions() as reasons:
        run_all(landing, warehouse)
    assert reasons == [None]  # no matched email or phone changed: absorbed incrementally
    _assert_same_marts(warehouse, _full_rebuild(landing, tmp_path))
    with wh.connect_build(wh.build_path(warehouse)) as con:
        assert con.sql(
            f"select distinct affiliate from marts.person_campaign_funnel where person_key = {key('alice')}"
        ).fetchall() == [("Columbus CLC",)]
        after = {row[0]: row[1:] for row in con.sql(summary).fetchall()}
    assert after["Columbus CLC"] == alices
    old = before[0][1:]
    assert after.get("Ohio AFL-CIO", (0, 0)) == (old[0] - alices[0], old[1] - alices[1])


def test_a_person_whose_matched_email_changed_forces_a_full_refresh(built, tmp_path):
    # Alice's events to her old address are no longer hers: not absorbable.
    landing, warehouse = copy_built(built, tmp_path)
    _change_alices_email(landing)
    with wh.connect_build(wh.build_path(warehouse)) as con:
        assert full_refresh_reason(con) is None
        load_source(con, landing, "people")
        assert full_refresh_reason(con) == "a person's email or phone changed under already-matched events"


def test_changed_dbt_models_force_a_full_refresh(built, tmp_path):
    # Tables built by other model code cannot be added to: the log keeps the models' digest.
    _, warehouse = copy_built(built, tmp_path)
    with wh.connect_build(wh.build_path(warehouse)) as con:
        assert full_refresh_reason(con, models_sha256()) is None
        assert full_refresh_reason(con, "another version of the models") == "the dbt models changed"


# Email events are kept once by ingest (tests/lib/test_ingest.py); int_email_events is a view over them.
DAILY_UNIQUE_MODELS = ("int_sms_messages", "campaign_touchpoints")


def _dbt_on(build: Path, root: Path, *args: str) -> subprocess.CompletedProcess:
    """dbt `args` on a build file, in a process of its own, its target and logs under `root`.

    In a process of its own: dbt-duckdb keeps the file open in the process
    that ran it, with settings the test's own connection lacks.
    """
    return subprocess.run(
        [
            DBT,
            *args,
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(root / "target"),
            "--log-path",
            str(root / "logs"),
        ],
        env={**os.environ, "ROLLCALL_BUILD_DB": str(build)},
        capture_output=True,
    )


def _daily_unique_tests(build: Path, root: Path) -> list[str]:
    """Run the event models' daily unique tests on a build file; the failing tests' names."""
    _dbt_on(
        build,
        root,
        "test",
        "--select",
        # the unique_combination tests with new_rows_only, on the stored event models
        *(f"test_name:unique_combination,{model}" for model in DAILY_UNIQUE_MODELS),
    )
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    tests = [r for r in results if r["unique_id"].startswith("test.")]
    assert len(tests) == len(DAILY_UNIQUE_MODELS), [r["unique_id"] for r in tests]
    assert {r["status"] for r in tests} <= {"pass", "fail"}, tests
    return [r["unique_id"] for r in tests if r["status"] == "fail"]


def test_a_new_event_repeating_a_held_id_fails_the_daily_unique_test(built, tmp_path):
    # A daily build checks only the keys of rows loaded since the last build,
    # against every row held: a new row repeating an old key is caught.
    _, warehouse = copy_built(built, tmp_path)
    build = wh.build_path(warehouse)
    assert _daily_unique_tests(build, tmp_path) == []
    with wh.connect_build(build) as con:
        con.sql(
            "insert into intermediate.int_sms_messages "
            "select * replace (now()::timestamp as loaded_at) from intermediate.int_sms_messages limit 1"
        )
    failed = _daily_unique_tests(build, tmp_path)
    assert len(failed) == 1 and "int_sms_messages" in failed[0], failed


def test_a_completed_build_has_read_every_row_loaded_before_it_to_the_microsecond(built, tmp_path):
    # The build log's built_at is when dbt started, and changed_sources calls a raw table
    # changed when it holds a row stamped later. The run's ingest stamps its rows moments
    # before dbt starts, often within the same second: built_at cut to the second was
    # earlier than those rows, and the next day's build took the people (and every model
    # they reach) for changed. Nothing was wrong, only rebuilt; a full suite caught it once.
    manifest = json.loads(rollcall_project.manifest_path.read_text())
    _, warehouse = copy_built(built, tmp_path)
    with wh.connect_build(wh.build_path(warehouse)) as con:
        [(built_at,)] = con.execute("select max(built_at) from intermediate.dbt_build_log").fetchall()
        stamps = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_catalog = 'raw' and column_name in ('_loaded_at', 'loaded_at')"
        ).fetchall()
        loaded = [con.execute(f'select max("{c}") from raw."{t}"').fetchone()[0] for t, c in stamps]
        changed = transform_assets.changed_since_last_build(con, manifest)
    # (the segment tables are the segments asset's, built after this one)
    assert {uid for uid in changed if manifest["sources"][uid]["source_name"] == "raw"} == set()
    assert loaded and all(stamp is None or stamp < built_at for stamp in loaded)


def test_a_daily_build_reads_its_watermark_from_the_build_log(built, tmp_path):
    # The event models' watermark is the last completed build's (intermediate.dbt_build_log).
    # Named without its database, the log was never found in dbt's relation cache: every
    # watermark fell back to 1900 and each daily build redid every event (still equal to a
    # full build, so no other test saw it; as slow as one at 1M). The model reads it as a
    # literal (macros/incremental.sql, constant_of), which the engine prunes on.
    _, warehouse = copy_built(built, tmp_path)
    build = wh.build_path(warehouse)
    with wh.connect_build(build) as con:
        [(through,)] = con.execute(
            "select max(events_loaded_through) from intermediate.dbt_build_log"
        ).fetchall()
    compile_run = _dbt_on(build, tmp_path, "compile", "--select", "person_campaign_funnel")
    compile_run.check_returncode()
    compiled = (
        tmp_path / "target" / "compiled" / "rollcall" / "models" / "marts" / "person_campaign_funnel.sql"
    ).read_text()
    assert through.year > 1900
    assert f"loaded_at > cast('{through:%Y-%m-%d %H:%M:%S.%f}' as timestamp)" in compiled


def _change_alices_email(landing: Path) -> None:
    people = (landing / "people" / "activists.csv").read_text().splitlines()
    alice = next(line for line in people if line.startswith("p-alice"))
    # a name after activists.csv: a build from scratch loads both at once, the later name winning
    (landing / "people" / "zz-next-day.csv").write_text(
        NEW_PERSON + alice.replace(" Alice@Example.COM ", "alice.adams@example.com") + "\n"
    )


def test_a_patch_through_whose_legs_land_on_different_days_equals_a_full_rebuild(built, tmp_path):
    # Issue 13, item 6: the child leg lands a day before its parent. Until the
    # parent lands the child has no activist, so no identifier: it is no
    # unmatched identifier, and a daily build keeps no phantom (call, NULL) row.
    landing, warehouse = copy_built(built, tmp_path)
    header, _, child, parent = NEXT_DAY_CALLS.splitlines()
    with _decisions() as reasons:
        (landing / "twilio_calls" / "day-1-child.csv").write_text(f"{header}\n{child}\n")
        run_all(landing, warehouse)
        (landing / "twilio_calls" / "day-2-parent.csv").write_text(f"{header}\n{parent}\n")
        run_all(landing, warehouse)
    assert reasons == [None, None]
    _assert_same_marts(warehouse, _full_rebuild(landing, tmp_path))
    with wh.connect_read(warehouse) as con:
        assert con.sql(
            "select count(*) from marts.unmatched_identifiers where channel = 'call' and identifier is null"
        ).fetchall() == [(0,)]
