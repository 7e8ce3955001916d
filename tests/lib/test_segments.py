"""Saved segments on a copy of the fixture warehouse: validation, stable holdouts, history, exports."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import segments as seg

T0 = dt.datetime(2026, 6, 20, 12, 0)
T1 = dt.datetime(2026, 6, 21, 12, 0)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "segments.yml"
    path.write_text(text, encoding="utf-8")
    return path


def segment(**overrides) -> dict:
    entry = {
        "id": "pro-act-openers",
        "name": {"en": "Opened the PRO Act email", "fr": "A ouvert le courriel PRO Act"},
        "cohort": {"campaign": "pro-act", "did": "opened"},
        "channel": "email",
        "holdout": 10,
        "outcome": {"event": "called"},
    }
    entry.update(overrides)
    return entry


def one(**overrides) -> seg.Segment:
    import yaml

    path = Path("segments.yml")
    return seg._parse_segment(yaml.safe_load(yaml.safe_dump(segment(**overrides))), path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("segments: 3", "expected a list under `segments:`"),
        ("segments: [{name: x}]", "every segment needs an `id`"),
        ("segments: [{id: a, name: {en: A}}]", "segment 'a': needs `name: {en: …, fr: …}`"),
        ("segments: [{id: 'A b'}]", "`id` must be lower-case"),
        ("segments: [{id: a, colour: red}]", "unknown key 'colour'"),
        ("segments: [{id: a, name: {en: A, fr: A}, channel: fax}]", "`channel` must be email or sms"),
        ("segments: [{id: a, name: {en: A, fr: A}, channel: sms, holdout: 90}]", "`holdout` must be"),
        (
            "segments: [{id: a, name: {en: A, fr: A}, channel: sms,"
            " cohort: {campaign: c, did: opened, within: 7}}]",
            "cohort: within needs did_not",
        ),
        (
            "segments: [{id: a, name: {en: A, fr: A}, channel: sms, cohort: {campaign: c, did: opened}}]",
            "needs `outcome: {event: …}`",
        ),
        ("segments: [: bad", "not valid YAML"),
    ],
)
def test_a_bad_segments_file_fails_with_one_line_naming_it(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(seg.SegmentError) as info:
        seg.load(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_no_file_means_no_segments(tmp_path):
    assert seg.load(tmp_path / "segments.yml") == []


def test_defaults_outcome_is_the_did_not_and_reachability_is_the_channel():
    s = one(cohort={"campaign": "pro-act", "did": "opened", "did_not": "called", "within": 7}, outcome=None)
    assert (s.outcome_campaign, s.outcome_event, s.outcome_days) == ("pro-act", "called", 7)
    assert s.cohort.reachable == "email"
    assert s.tag == "rollcall: pro-act-openers"
    assert s.destinations == ("csv", "parquet")


def test_the_action_network_destination_mirrors_by_default_and_add_only_stays_available(tmp_path):
    s = one()  # a segment written before modes existed: mirrored, 20% removal cap
    assert (s.tag, s.sync_mode, s.max_remove_pct) == ("rollcall: pro-act-openers", "mirror", 20)
    s = one(action_network={"tag": "rollcall: openers", "mode": "add_only", "max_remove_pct": 5})
    assert (s.tag, s.sync_mode, s.max_remove_pct) == ("rollcall: openers", "add_only", 5)
    assert one(tag="rollcall: old").tag == "rollcall: old"  # the top-level key is still read
    for bad, message in (
        ({"mode": "sync"}, "must be mirror or add_only"),
        ({"max_remove_pct": 101}, "max_remove_pct` must be a whole percent"),
        ({"colour": "red"}, "unknown key action_network.colour"),
    ):
        with pytest.raises(seg.SegmentError, match=message):
            one(action_network=bad)
    with pytest.raises(seg.SegmentError, match="differ"):
        one(tag="a", action_network={"tag": "b"})
    # What the builder and `segments add` save: mirror, written out, read back the same.
    entry = seg.define(
        s.cohort, name_en="Openers", name_fr="Ouvreurs", channel="email", outcome_event="called", push=True
    )
    saved = seg.save(tmp_path / "segments.yml", entry)
    assert (saved.sync_mode, saved.tag) == ("mirror", "rollcall: openers")
    assert seg.load(tmp_path / "segments.yml") == [saved]


def test_holdout_is_a_stable_hash_of_segment_and_person():
    # sha256("s:p") is fixed: the same bucket on every machine, in every run.
    assert (
        seg.bucket("s", "p")
        == seg.bucket("s", "p")
        == int(__import__("hashlib").sha256(b"s:p").hexdigest(), 16) % 100
    )
    s = one(holdout=10)
    arms = [s.arm(f"p-{i}") for i in range(10_000)]
    assert 0.08 < arms.count("control") / len(arms) < 0.12
    # another segment shuffles people independently
    other = one(id="other", holdout=10)
    assert [other.arm(f"p-{i}") for i in range(200)] != arms[:200]


@pytest.fixture
def con(warehouse, tmp_path):
    copy = tmp_path / "wh.duckdb"
    shutil.copyfile(warehouse, copy)
    connection = duckdb.connect(str(copy))
    yield connection
    connection.close()


def current(con, segment_id: str) -> dict[str, str]:
    return dict(
        con.execute(
            "select person_id, arm from segments.membership where segment_id = ? and valid_to is null",
            [segment_id],
        ).fetchall()
    )


def test_members_are_the_cohort_reachable_on_the_channel(con):
    (result,) = seg.build(con, [one(holdout=0)], now=T0)
    # opened pro-act: alice chloe dana fay gus hana; reachable by email: alice chloe fay
    assert current(con, "pro-act-openers") == {p: "treatment" for p in ("p-alice", "p-chloe", "p-fay")}
    assert (result.members, result.entered, result.exited) == (3, 3, 0)


def test_rebuild_after_new_data_keeps_every_assignment_and_records_who_entered_and_left(con):
    first = one(holdout=34)
    seg.build(con, [first], now=T0)
    before = current(con, "pro-act-openers")
    assert before == {p: first.arm(p) for p in ("p-alice", "p-chloe", "p-fay")}

    # New data: Chloé reports spam (no longer reachable by email); Ian opened and is reachable.
    con.execute("update marts.reachability set reachable_email = false where person_id = 'p-chloe'")
    con.execute(
        "insert into marts.people (person_id, person_key, first_name, email, country) "
        "values ('p-ian', hash('p-ian'), 'Ian', 'ian@example.org', 'CA')"
    )
    con.execute(
        "insert into marts.person_campaign_funnel (person_key, campaign_key, campaign_id, first_opened_at) "
        "select hash('p-ian'), campaign_key, campaign_id, timestamp '2026-06-03 09:00:00' "
        "from marts.campaigns where campaign_id = 'pro-act'"
    )
    con.execute(
        "insert into marts.reachability (person_id, person_key, email, reachable_email, reachable_sms) "
        "values ('p-ian', hash('p-ian'), 'ian@example.org', true, false)"
    )
    # Even a changed holdout percent reshuffles nobody already assigned.
    second = one(holdout=50)
    (result,) = seg.build(con, [second], now=T1)
    after = current(con, "pro-act-openers")
    assert {p: after[p] for p in ("p-alice", "p-fay")} == {p: before[p] for p in ("p-alice", "p-fay")}
    assert after["p-ian"] == second.arm("p-ian")
    assert (result.entered, result.exited) == (1, 1)

    history = con.execute(
        "select person_id, valid_from, valid_to from segments.membership order by person_id, valid_from"
    ).fetchall()
    assert history == [
        ("p-alice", T0, None),
        ("p-chloe", T0, T1),
        ("p-fay", T0, None),
        ("p-ian", T1, None),
    ]
    # Chloé comes back: a second stay, in the same arm.
    con.execute("update marts.reachability set reachable_email = true where person_id = 'p-chloe'")
    seg.build(con, [second], now=T1 + dt.timedelta(days=1))
    stays = con.execute(
        "select arm, valid_to is null from segments.membership"
        " where person_id = 'p-chloe' order by valid_from"
    ).fetchall()
    assert stays == [(before["p-chloe"], False), (before["p-chloe"], True)]


def test_unknown_campaign_fails_before_anything_changes(con):
    with pytest.raises(seg.SegmentError, match="unknown campaign 'nope'"):
        seg.build(con, [one(cohort={"campaign": "nope", "did": "opened"})], now=T0)


def test_exports_carry_treatment_members_reachable_now_in_the_upload_shape(con, tmp_path):
    s = one(holdout=50)
    seg.build(con, [s], now=T0)
    members = current(con, s.id)
    treatment = sorted(p for p, arm in members.items() if arm == "treatment")
    # After the build, one treatment member becomes unreachable: never exported.
    gone = treatment[0]
    con.execute("update marts.reachability set reachable_email = false where person_id = ?", [gone])
    result = seg.export(con, s, tmp_path / "out")
    assert sorted(f.name for f in (tmp_path / "out").iterdir()) == [f"{s.id}.csv", f"{s.id}.parquet"]
    with open(tmp_path / "out" / f"{s.id}.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["email", "first_name", "last_name", "zip_code", "tag"]
    emails = con.execute(
        "select email from marts.people where list_contains(?, person_id)", [treatment[1:]]
    ).fetchall()
    assert sorted(r["email"] for r in rows) == sorted(e for (e,) in emails)
    assert all(r["tag"] == s.tag for r in rows)
    assert result.rows == len(rows) == len(treatment) - 1
    assert seg.not_sent(con, s) == {
        "held_out": sum(arm == "control" for arm in members.values()),
        "unreachable": 1,
    }
