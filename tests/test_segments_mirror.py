"""Mirror mode: a segment's tag in Action Network follows the segment, each change exactly once.

Real DuckDB files and the local server that behaves like Action Network
(tests/an_server.py, real HTTP): a person enters and is tagged, calls and
loses the tag; another becomes unreachable and loses it; a third's removal
fails with a 500 and succeeds on the next run; a sync killed with SIGKILL at
random points and rerun leaves every tag right, and the server's log shows
nobody added or removed twice. Then the dry run and the removal cap.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines import cli
from pipelines.lib import actionnetwork as an
from pipelines.lib import segments as seg
from tests.an_server import TOKEN, FakeActionNetwork

ROOT = Path(__file__).resolve().parents[1]
TAG = "rollcall: pharmacare-no-call"
MIRROR_SEGMENT = f"""
segments:
  - id: pharmacare-no-call
    name: {{en: "Got the Pharmacare email, has not called", fr: "A reçu le courriel, sans appel"}}
    cohort: {{campaign: pharmacare, did: delivered, did_not: called}}
    channel: email
    holdout: 10
    outcome: {{event: called, within: 7}}
    destinations: [actionnetwork]
    action_network: {{tag: "{TAG}", mode: mirror}}
"""
FAST = {"rate": 500.0, "retries": 3, "backoff": 0.001}
DAY = dt.datetime(2026, 6, 20)


def add_people(con, prefix: str, n: int) -> list[str]:
    """n more people who got the pharmacare email, reachable by email; their person ids."""
    ids = [f"p-{prefix}{i:03d}" for i in range(n)]
    for i, pid in enumerate(ids):
        email = f"{prefix}{i}@example.org"
        con.execute(
            "insert into marts.people (person_id, person_key, first_name, last_name, email, country)"
            " values (?, hash(?), ?, 'Person', ?, 'CA')",
            [pid, pid, f"{prefix}{i}", email],
        )
        con.execute(
            "insert into marts.person_campaign_funnel"
            " (person_key, campaign_key, campaign_id, first_delivered_at)"
            " select hash(?), campaign_key, campaign_id, timestamp '2026-06-01 10:00:00'"
            " from marts.campaigns where campaign_id = 'pharmacare'",
            [pid],
        )
        con.execute(
            "insert into marts.reachability (person_id, person_key, email, reachable_email, reachable_sms)"
            " values (?, hash(?), ?, true, false)",
            [pid, pid, email],
        )
    return ids


def calls(con, person_id: str) -> None:
    con.execute(
        "update marts.person_campaign_funnel set first_called_at = timestamp '2026-06-21 09:00:00'"
        " where person_key = hash(?) and campaign_id = 'pharmacare'",
        [person_id],
    )


def unreachable(con, person_id: str) -> None:
    con.execute("update marts.reachability set reachable_email = false where person_id = ?", [person_id])


def wanted(con, segment) -> dict[str, str]:
    """person_id → email of who should carry the tag now."""
    return {r["person_id"]: r["email"] for r in seg.export_rows(con, segment).to_pylist()}


def state_ids(con, segment, column: str, people) -> list[str]:
    rows = con.execute(
        f"select person_id, {column} from segments.sync_state where segment_id = ?", [segment.id]
    ).fetchall()
    return [value for person, value in rows if person in people]


def treatment(con, segment, ids: list[str]) -> list[str]:
    arms = dict(
        con.execute(
            "select person_id, arm from segments.assignments where segment_id = ?", [segment.id]
        ).fetchall()
    )
    return [p for p in ids if arms.get(p) == "treatment"]


@pytest.fixture
def mirrored(warehouse, tmp_path):
    """A copy of the session warehouse with 40 more people and the mirrored segment built."""
    db = tmp_path / "wh.duckdb"
    shutil.copyfile(warehouse, db)
    path = tmp_path / "segments.yml"
    path.write_text(MIRROR_SEGMENT, encoding="utf-8")
    con = duckdb.connect(str(db))
    ids = add_people(con, "m", 40)
    (segment,) = seg.load(path)
    assert segment.sync_mode == "mirror" and segment.max_remove_pct == seg.DEFAULT_MAX_REMOVE_PCT
    seg.build(con, [segment], now=DAY)
    yield {"db": db, "path": path, "segment": segment, "con": con, "ids": ids}
    con.close()


def test_people_who_leave_or_become_unreachable_lose_the_tag_once_and_a_failed_removal_is_retried(mirrored):
    con, segment = mirrored["con"], mirrored["segment"]
    caller, gone, stubborn = treatment(con, segment, mirrored["ids"])[:3]
    emails = dict(con.sql("select person_id, email from marts.people").fetchall())
    with FakeActionNetwork() as server:
        client = an.Client(server.url, TOKEN, **FAST)
        first = an.sync_segment(con, client, segment)
        tagged = wanted(con, segment)
        assert first.added == len(tagged) >= 30 and not first.removed and not first.failed
        assert server.tag_holders(TAG) == set(tagged.values())

        # A person enters after the first sync; the caller and the stubborn one call; one is lost by email.
        (newcomer,) = add_people(con, "n", 1)
        calls(con, caller)
        calls(con, stubborn)
        unreachable(con, gone)
        seg.build(con, [segment], now=DAY + dt.timedelta(days=1))
        server.fail_removals[emails[stubborn]] = 1  # its DELETE answers 500, not applied
        mark = len(server.requests)
        second = an.sync_segment(con, an.Client(server.url, TOKEN, **FAST), segment)
        assert (second.added, second.removed) == (1 if newcomer in wanted(con, segment) else 0, 2)
        assert [p for p, _ in second.failed] == [stubborn] and "HTTP 500" in second.failed[0][1]
        # Never twice within one run: the stubborn one's DELETE was sent once.
        deletes = [r for r in server.requests[mark:] if r["method"] == "DELETE"]
        assert len(deletes) == 3
        assert emails[stubborn] in server.tag_holders(TAG)
        assert not {emails[caller], emails[gone]} & server.tag_holders(TAG)

        mark = len(server.requests)
        third = an.sync_segment(con, an.Client(server.url, TOKEN, **FAST), segment)
        assert (third.added, third.removed, third.failed) == (0, 1, [])
        # Asked first (the person's taggings), then removed: one DELETE, no signup.
        assert [r["method"] for r in server.requests[mark:] if r["method"] != "GET"] == ["DELETE"]
        fourth = an.sync_segment(con, an.Client(server.url, TOKEN, **FAST), segment)
        assert (fourth.added, fourth.removed, fourth.failed) == (0, 0, [])

        listed = {person for person, _ in an.iter_tag_taggings(client, TAG)}  # GET tags/<id>/taggings
    now_wanted = wanted(con, segment)
    assert server.tag_holders(TAG) == set(now_wanted.values())
    assert listed == set(state_ids(con, segment, "an_person_id", now_wanted))
    assert all(n == 1 for n in server.tagged.values())
    assert dict(server.removed) == {(emails[p], TAG): 1 for p in (caller, gone, stubborn)}
    state = dict(
        con.execute(
            "select person_id, last_action from segments.sync_state where segment_id = ?", [segment.id]
        ).fetchall()
    )
    assert {p: state[p] for p in (caller, gone, stubborn)} == dict.fromkeys(
        (caller, gone, stubborn), "removed"
    )
    assert {state[p] for p in now_wanted} == {"added"}
    ids = con.execute(
        "select count(*) filter (where an_person_id is null), count(*) filter (where tagging_id is null)"
        " from segments.sync_state where segment_id = ? and last_action = 'removed'",
        [segment.id],
    ).fetchone()
    assert ids == (0, 0)  # a removal knows the person and the tagging it removed
    runs = con.execute(
        "select outcome, added, removed, failed from segments.sync_runs order by started_at, finished_at"
    ).fetchall()
    assert [r[2] for r in runs] == [0, 2, 1, 0] and [r[3] for r in runs] == [0, 1, 0, 0]


def test_a_sync_killed_at_random_points_and_rerun_leaves_every_tag_right_and_nobody_changed_twice(mirrored):
    con, segment, db, path = mirrored["con"], mirrored["segment"], mirrored["db"], mirrored["path"]
    rng = random.Random(1818)
    with FakeActionNetwork() as server:
        first = an.sync_segment(con, an.Client(server.url, TOKEN, **FAST), segment)
        assert first.added >= 30
        members = treatment(con, segment, mirrored["ids"])
        leavers = members[:12]
        for p in leavers[:6]:
            calls(con, p)
        for p in leavers[6:]:
            unreachable(con, p)
        add_people(con, "k", 12)  # newcomers
        seg.build(con, [segment], now=DAY + dt.timedelta(days=1))
        target = set(wanted(con, segment).values())
        con.close()

        # Each change is applied 0.15 s before its answer: most kills land between the two.
        server.answer_delay = 0.15
        server.chaos(18, p429=0.05, p500=0.05, pdrop=0.05)
        command = [sys.executable, "-m", "tests.push_child", str(db), str(path), server.url, "sync"]
        kills = 0
        for _ in range(40):
            child = subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=dict(os.environ)
            )
            assert child.stdout.readline().strip() == "ready"
            if kills < 5:
                time.sleep(rng.uniform(0.1, 1.2))
                if child.poll() is None:
                    child.send_signal(signal.SIGKILL)
                    kills += 1
            child.wait(timeout=120)
            child.stdout.close()
            if child.returncode == 0:
                break
        else:
            pytest.fail("the sync never finished")
        assert kills == 5
    assert server.faults_seen["500-after"] or server.faults_seen["drop-after"], server.faults_seen
    assert server.tag_holders(TAG) == target
    assert all(n == 1 for n in server.tagged.values()), server.tagged
    emails = {f"m{int(p[-3:])}@example.org" for p in leavers}
    assert dict(server.removed) == {(e, TAG): 1 for e in emails}
    check = duckdb.connect(str(db), read_only=True)
    try:
        state = dict(
            check.execute(
                "select identifier, last_action from segments.sync_state where segment_id = ?", [segment.id]
            ).fetchall()
        )
    finally:
        check.close()
    assert {e for e, a in state.items() if a == "added"} == target
    assert {e for e, a in state.items() if a == "removed"} == emails


def push(args: list[str], warehouse: Path, path: Path) -> int:
    return cli.main(["segments", "push", "--warehouse", str(warehouse), *args])


def test_dry_run_counts_and_the_cap_refuses_a_build_that_would_strip_the_list(mirrored, monkeypatch, capsys):
    con, segment, db, path = mirrored["con"], mirrored["segment"], mirrored["db"], mirrored["path"]
    monkeypatch.setenv("ROLLCALL_SEGMENTS", str(path))
    with FakeActionNetwork() as server:
        monkeypatch.setenv("ROLLCALL_AN_URL", server.url)
        monkeypatch.setenv("ROLLCALL_AN_TOKEN", TOKEN)
        an.sync_segment(con, an.Client(server.url, TOKEN, **FAST), segment)
        tagged = len(wanted(con, segment))
        # A broken build: most of the list "called".
        leaving = treatment(con, segment, mirrored["ids"])[:15]
        for p in leaving:
            calls(con, p)
        seg.build(con, [segment], now=DAY + dt.timedelta(days=1))
        con.close()
        capsys.readouterr()
        mark = len(server.requests)

        assert push(["--dry-run"], db, path) == 3
        out = capsys.readouterr().out.strip().splitlines()
        assert out == [
            f"pharmacare-no-call: would add 0, remove 15 of {tagged} tagged (mirror, cap 20%); "
            "over the cap: nothing would be sent"
        ]
        assert push(["--dry-run", "--allow-removals"], db, path) == 0
        assert capsys.readouterr().out.strip() == (
            f"pharmacare-no-call: would add 0, remove 15 of {tagged} tagged (mirror, no cap)"
        )
        assert len(server.requests) == mark  # a dry run asks Action Network nothing

        assert push([], db, path) == 3
        captured = capsys.readouterr()
        (line,) = captured.err.strip().splitlines()
        assert (
            line.startswith("rollcall: pharmacare-no-call: refusing to remove 15 of")
            and "--allow-removals" in line
        )
        assert [r for r in server.requests[mark:] if r["method"] != "GET"] == []

        assert push(["--max-remove-pct", "50"], db, path) == 0
        assert "15 removed" in capsys.readouterr().out
        assert push(["--dry-run"], db, path) == 0
        assert "would add 0, remove 0" in capsys.readouterr().out
    build = duckdb.connect(str(db.with_name(db.name + ".build")), read_only=True)
    try:
        runs = build.sql("select outcome, removed from segments.sync_runs order by started_at").fetchall()
    finally:
        build.close()
    assert runs == [("done", 0), ("refused", 0), ("done", 15)]
    assert len(server.removed) == 15
