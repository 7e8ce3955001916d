"""Action Network actions: both shapes, each rejection reason, one copy per action whatever the order."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import ingest

SOURCE = "actionnetwork_actions"
PETITION = "11111111-1111-4111-8111-111111111111"
EVENT = "33333333-3333-4333-8333-333333333333"
LETTERS = "44444444-4444-4444-8444-444444444444"


def action_id(n: int) -> str:
    return f"b0000000-0000-4000-8000-{n:012d}"


def record(n: int, page_field: str = "petition_id", page: str = PETITION, **fields) -> dict:
    base = {
        "identifiers": [f"action_network:{action_id(n)}", f"osdi_sample_system:{n}"],
        "created_date": "2026-06-03T15:00:00Z",
        "modified_date": "2026-06-03T15:00:00Z",
        "action_network:person_id": f"p-{n}",
        f"action_network:{page_field}": page,
    }
    return {k: v for k, v in {**base, **fields}.items() if v is not None}


def page_body(key: str, records: list) -> str:
    return json.dumps(
        {"page": 1, "per_page": 25, "_links": {}, "_embedded": {f"osdi:{key}": records}}, indent=1
    )


def land(landing: Path, name: str, text: str) -> Path:
    path = landing / SOURCE / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def ndjson(records: list) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def rejected(con) -> list[tuple]:
    return rows(
        con,
        "select regexp_extract(file, '[^/]+$'), line, reason from raw.rejected_rows "
        "where source = 'actionnetwork_actions' order by all",
    )


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty"


def test_both_shapes_load_with_their_kinds_pages_and_lines(con, empty):
    land(empty, "pull-1/petition-p1.json", page_body("signatures", [record(1), record(2)]))
    land(
        empty,
        "attendances/rsvps.ndjson",
        ndjson(
            [
                record(3, "event_id", EVENT, status="Needs Action"),
                "",
                record(4, "event_id", EVENT.upper(), status="accepted", modified_date=None),
            ]
        ),
    )
    result = ingest.load_source(con, empty, SOURCE)
    assert (result.files_loaded, result.rows_loaded, result.rows_rejected) == (2, 4, 0)
    assert rows(
        con,
        "select action_id, kind, page_kind, page_id, person_id, acted_at::varchar, modified_at::varchar, "
        "status, outreach_type, regexp_extract(_source_file, '[^/]+$'), _line from raw.actionnetwork_actions "
        "order by action_id",
    ) == [
        (action_id(1), "signature", "petition", PETITION, "p-1", "2026-06-03 15:00:00", "2026-06-03 15:00:00",
         None, None, "petition-p1.json", 1),
        (action_id(2), "signature", "petition", PETITION, "p-2", "2026-06-03 15:00:00", "2026-06-03 15:00:00",
         None, None, "petition-p1.json", 2),
        # NDJSON: the physical line (a blank line counts); status lower-case; a page id lower-case
        (action_id(3), "attendance", "event", EVENT, "p-3", "2026-06-03 15:00:00", "2026-06-03 15:00:00",
         "needs action", None, "rsvps.ndjson", 1),
        (action_id(4), "attendance", "event", EVENT, "p-4", "2026-06-03 15:00:00", None,
         "accepted", None, "rsvps.ndjson", 3),
    ]  # fmt: skip


def test_ndjson_lines_keep_their_numbers_in_utf8_and_in_cp1252(con, empty):
    # UTF-8: a line of Unicode spaces (no-break, ideographic) is blank as a person sees it and
    # is skipped, still counted; a CRLF line keeps its record; accented text stays as written.
    utf8 = land(empty, "signatures/utf8.ndjson", "")
    utf8.write_bytes(
        (
            json.dumps(record(1, comments="Gaétan"), ensure_ascii=False)
            + "\r\n\u00a0\u3000 \n"
            + json.dumps(record(2), ensure_ascii=False)
            + "\n"
        ).encode("utf-8")
    )
    # Not UTF-8: read as cp1252, the same lines.
    legacy = land(empty, "signatures/legacy.ndjson", "")
    legacy.write_bytes(
        (
            json.dumps(record(3, comments="Gaétan"), ensure_ascii=False)
            + "\n\n"
            + json.dumps(record(4))
            + "\n"
        ).encode("cp1252")
    )
    result = ingest.load_source(con, empty, SOURCE)
    assert (result.rows_loaded, result.rows_rejected) == (4, 0)
    assert rows(
        con,
        "select action_id, regexp_extract(_source_file, '[^/]+$'), _line from raw.actionnetwork_actions "
        "order by action_id",
    ) == [
        (action_id(1), "utf8.ndjson", 1),
        (action_id(2), "utf8.ndjson", 3),
        (action_id(3), "legacy.ndjson", 1),
        (action_id(4), "legacy.ndjson", 3),
    ]


def test_dates_with_offsets_are_utc_and_ids_may_come_from_the_links(con, empty):
    linked = record(5, created_date="2026-06-03T11:00:00-04:00", modified_date="2026-06-04T10:00:00.250Z")
    del linked["action_network:person_id"], linked["action_network:petition_id"]
    linked["_links"] = {
        "osdi:person": {"href": "https://actionnetwork.org/api/v2/people/p-linked"},
        "osdi:petition": {"href": f"https://actionnetwork.org/api/v2/petitions/{PETITION}"},
    }
    land(empty, "page.json", page_body("signatures", [linked]))
    ingest.load_source(con, empty, SOURCE)
    assert rows(
        con,
        "select person_id, page_id, acted_at::varchar, modified_at::varchar from raw.actionnetwork_actions",
    ) == [("p-linked", PETITION, "2026-06-03 15:00:00", "2026-06-04 10:00:00.25")]


def test_a_one_record_ndjson_file_that_embeds_its_person_is_a_record_not_a_page(con, empty):
    embedded = {**record(7), "_embedded": {"osdi:person": {"given_name": "Ana"}}}
    land(empty, "signatures/one.ndjson", json.dumps(embedded) + "\n")
    assert ingest.load_source(con, empty, SOURCE).rows_loaded == 1
    assert rows(con, "select action_id, _line from raw.actionnetwork_actions") == [(action_id(7), 1)]


def test_each_rejection_reason_with_file_and_line(con, empty):
    no_created = record(1, created_date=None)
    blank_created = record(2, created_date=" ")
    land(
        empty,
        "submissions/forms.ndjson",
        ndjson(
            [
                record(10, "form_id"),
                {**record(11, "form_id"), "created_date": None},  # modified_date is never used instead
                record(12, "form_id", created_date="sometime in June"),
                record(13, "form_id", created_date="1970-01-01T00:00:00Z"),
                record(14, "form_id", identifiers=["osdi_sample_system:14"]),
                record(15, "form_id", **{"action_network:person_id": ""}),
                record(16, "form_id", page=None),
                '{"identifiers": ["action_network:x"',
                "[1, 2]",
            ]
        ),
    )
    land(empty, "page.json", page_body("signatures", [no_created, blank_created, record(3), 42]))
    result = ingest.load_source(con, empty, SOURCE)
    assert (result.rows_loaded, result.rows_rejected) == (2, 11)
    assert rejected(con) == [
        ("forms.ndjson", 2, "missing created_date"),
        ("forms.ndjson", 3, 'unparsable created_date "sometime in June"'),
        ("forms.ndjson", 4, 'created_date out of range "1970-01-01T00:00:00Z"'),
        ("forms.ndjson", 5, "missing action_network: identifier"),
        ("forms.ndjson", 6, "missing action_network:person_id"),
        ("forms.ndjson", 7, "missing action_network:form_id"),
        ("forms.ndjson", 8, "bad JSON"),
        ("forms.ndjson", 9, "not a JSON object"),
        # a page body: the record's place in its `_embedded` list
        ("page.json", 1, "missing created_date"),
        ("page.json", 2, "missing created_date"),
        ("page.json", 4, "not a JSON object"),
    ]
    assert rows(
        con, "select raw_value from raw.rejected_rows where line = 8 and file like '%forms.ndjson'"
    ) == [('{"identifiers": ["action_network:x"',)]
    assert rows(
        con, "select rows_loaded, rows_rejected from raw.loaded_files where file like '%page.json'"
    ) == [(1, 3)]


def test_a_later_modified_date_replaces_whatever_the_load_order(con, empty, tmp_path):
    accepted = record(1, "event_id", EVENT, status="accepted", modified_date="2026-06-05T10:00:00Z")
    declined = record(1, "event_id", EVENT, status="declined", modified_date="2026-06-10T10:00:00Z")

    def status(c) -> list[tuple]:
        return rows(c, "select status, regexp_extract(_source_file, '[^/]+$') from raw.actionnetwork_actions")

    # the older copy first, then the newer: replaced, and the row's _loaded_at is the later load's
    land(empty, "attendances/a.ndjson", ndjson([accepted]))
    ingest.load_source(con, empty, SOURCE)
    first = rows(con, "select _loaded_at from raw.actionnetwork_actions")[0][0]
    land(empty, "attendances/b.ndjson", ndjson([declined]))
    ingest.load_source(con, empty, SOURCE)
    assert status(con) == [("declined", "b.ndjson")]
    assert rows(con, "select _loaded_at > ? from raw.actionnetwork_actions", [first]) == [(True,)]

    # the newer copy first, then an older re-pull landing later (and sorting later): the newer stays
    other = tmp_path / "other"
    con2 = duckdb.connect(str(tmp_path / "other.duckdb"))
    land(other, "attendances/a.ndjson", ndjson([declined]))
    ingest.load_source(con2, other, SOURCE)
    kept = rows(con2, "select _loaded_at from raw.actionnetwork_actions")
    land(other, "attendances/z-repull.ndjson", ndjson([accepted]))
    assert ingest.load_source(con2, other, SOURCE).rows_loaded == 1
    assert status(con2) == [("declined", "a.ndjson")]
    assert rows(con2, "select _loaded_at from raw.actionnetwork_actions") == kept

    # both copies in one load, the newer in the file read first: still the newer
    third = tmp_path / "third"
    con3 = duckdb.connect(str(tmp_path / "third.duckdb"))
    land(third, "attendances/a.ndjson", ndjson([declined]))
    land(third, "attendances/b.ndjson", ndjson([accepted]))
    ingest.load_source(con3, third, SOURCE)
    assert status(con3) == [("declined", "a.ndjson")]
    for c in (con2, con3):
        c.close()


def test_a_tie_keeps_the_first_landed_copy(con, empty):
    land(empty, "b.json", page_body("signatures", [record(1)]))
    ingest.load_source(con, empty, SOURCE)
    land(empty, "a.json", page_body("signatures", [{**record(1), "comments": "re-pulled"}]))
    land(empty, "signatures/c.ndjson", ndjson([record(1), record(1)]))
    ingest.load_source(con, empty, SOURCE)
    # the earlier load wins the tie, though a.json sorts first
    assert rows(
        con, "select regexp_extract(_source_file, '[^/]+$'), _line from raw.actionnetwork_actions"
    ) == [("b.json", 1)]
    # within one load: file name, then line
    land(empty, "signatures/d.ndjson", ndjson([record(2, modified_date="2026-06-09T00:00:00Z")] * 2))
    land(empty, "signatures/e.ndjson", ndjson([record(2, modified_date="2026-06-09T00:00:00Z")]))
    ingest.load_source(con, empty, SOURCE)
    assert rows(
        con,
        "select regexp_extract(_source_file, '[^/]+$'), _line from raw.actionnetwork_actions "
        "where action_id = ?",
        [action_id(2)],
    ) == [("d.ndjson", 1)]


def test_targets_are_replaced_with_their_action(con, empty):
    mp = {
        "title": "MP",
        "given_name": "Yasir",
        "family_name": "Naqvi",
        "ocdid": "ocd-division/country:ca/ed:35075",
    }
    senator = {"title": "Senator", "given_name": "Sherrod", "family_name": "Brown"}
    first = record(1, "advocacy_campaign_id", LETTERS, type="letter", targets=[mp, senator])
    land(empty, "outreaches/day1.ndjson", ndjson([first]))
    ingest.load_source(con, empty, SOURCE)
    assert rows(con, "select outreach_type from raw.actionnetwork_actions") == [("letter",)]
    assert rows(
        con, "select target_index, title, family_name, ocdid from raw.actionnetwork_action_targets order by 1"
    ) == [(1, "MP", "Naqvi", "ocd-division/country:ca/ed:35075"), (2, "Senator", "Brown", None)]
    # an older copy with other targets changes nothing; a newer one replaces them all
    older = {**first, "modified_date": "2026-06-01T00:00:00Z", "targets": [senator]}
    newer = {**first, "modified_date": "2026-06-09T00:00:00Z", "type": "email", "targets": [mp]}
    land(empty, "outreaches/day2.ndjson", ndjson([older]))
    ingest.load_source(con, empty, SOURCE)
    assert rows(con, "select count(*) from raw.actionnetwork_action_targets") == [(2,)]
    land(empty, "outreaches/day3.ndjson", ndjson([newer]))
    ingest.load_source(con, empty, SOURCE)
    assert rows(con, "select outreach_type from raw.actionnetwork_actions") == [("email",)]
    assert rows(con, "select target_index, family_name from raw.actionnetwork_action_targets") == [
        (1, "Naqvi")
    ]
    loaded = rows(
        con,
        "select count(*) from raw.actionnetwork_actions a join raw.actionnetwork_action_targets t "
        "using (action_id, _loaded_at)",
    )
    assert loaded == [(1,)]


def test_a_second_load_changes_nothing(con, landing):
    ingest.load_source(con, landing, SOURCE)
    tables = ("actionnetwork_actions", "actionnetwork_action_targets", "rejected_rows", "loaded_files")
    before = {t: rows(con, f"select * from raw.{t} order by all") for t in tables}
    again = ingest.load_source(con, landing, SOURCE)
    assert (again.files_loaded, again.rows_loaded, again.files_skipped) == (0, 0, 7)
    assert {t: rows(con, f"select * from raw.{t} order by all") for t in tables} == before


def test_the_fixture_keeps_unmatched_people_and_unlisted_pages(con, landing):
    for source in ("people", SOURCE, "campaigns"):
        ingest.load_source(con, landing, source)
    # p-nobody is in no people export; page 99999999 is listed by no campaign: both kept
    assert rows(
        con,
        "select count(*) filter (where person_id not in (select person_id from raw.people)), "
        "count(*) filter (where page_id not in (select page_id from raw.campaign_actions)) "
        "from raw.actionnetwork_actions",
    ) == [(1, 1)]
    assert rows(con, "select status from raw.actionnetwork_actions where person_id = 'p-fay'") == [
        ("declined",)
    ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("people.csv", "uuid,email\np-1,a@example.com\n", r"people\.csv: not Action Network actions"),
        ("signatures/x.ndjson", "not json at all\n", r"x\.ndjson: not Action Network actions"),
        ("page.json", '{"_embedded": {"osdi:people": [{}]}}', r"page\.json: an API page of osdi:people"),
        ("page.json", '{"page": 1, "_embedded": ', r"page\.json: not an Action Network API page body \(bad"),
        ("record.json", json.dumps(record(1)), r"record\.json: not an Action Network API page body"),
    ],
)  # fmt: skip
def test_a_file_not_in_the_format_fails_naming_it_and_loads_nothing(con, empty, name, text, message):
    land(empty, "a-good.json", page_body("signatures", [record(1)]))
    land(empty, name, text)
    with pytest.raises(ingest.IngestError, match=message) as failure:
        ingest.load_source(con, empty, SOURCE)
    assert "\n" not in str(failure.value)
    for table in ("actionnetwork_actions", "rejected_rows", "loaded_files"):
        assert rows(con, f"select count(*) from raw.{table}") == [(0,)]
