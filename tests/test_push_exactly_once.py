"""An Action Network push is exactly-once as Action Network sees it, whatever goes wrong.

Against the local server (tests/an_server.py, real HTTP): 429s, 500s and
dropped connections — half of them *after* the tagging was applied, so the
answer is lost — and a real `kill -9` of a push process at random points
(while the server has tagged someone and not yet answered), each followed by
a rerun. The server counts every person's signups and taggings: each
treatment member is tagged exactly once, nobody else at all.
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

from pipelines.lib import actionnetwork as an
from pipelines.lib import segments as seg
from tests.an_server import TOKEN, FakeActionNetwork
from tests.test_segments_e2e import PHARMACARE_SEGMENT, add_people

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def built_segment(warehouse, tmp_path):
    """A copy of the session warehouse with 40 more people and the segment built: (db, yml, emails)."""
    db = tmp_path / "wh.duckdb"
    shutil.copyfile(warehouse, db)
    path = tmp_path / "segments.yml"
    path.write_text(PHARMACARE_SEGMENT, encoding="utf-8")
    con = duckdb.connect(str(db))
    try:
        add_people(con, 40)
        (segment,) = seg.load(path)
        seg.build(con, [segment], now=dt.datetime(2026, 6, 20))
        treatment = set(seg.export_rows(con, segment).column("email").to_pylist())
    finally:
        con.close()
    assert len(treatment) >= 20
    return db, path, segment, treatment


def test_429s_500s_and_dropped_connections_tag_everyone_exactly_once(built_segment):
    db, _, segment, treatment = built_segment
    con = duckdb.connect(str(db))
    with FakeActionNetwork() as server:
        server.chaos(13, p429=0.15, p500=0.2, pdrop=0.2)
        client = an.Client(server.url, TOKEN, rate=500.0, retries=3, backoff=0.001)
        for _ in range(30):  # reruns after each stop, as an operator (or the schedule) would
            try:
                summary = an.push_segment(con, client, segment)
                break
            except an.PushAborted:
                continue
        else:
            pytest.fail("the push never finished")
    con.close()
    # The attack happened: answers were lost after the tagging was done.
    assert server.faults_seen["500-after"] and server.faults_seen["drop-after"], server.faults_seen
    assert dict(server.tagged) == {(e, segment.tag): 1 for e in treatment}
    assert set(server.signups) == treatment
    assert not summary.failed


def test_a_push_killed_at_random_points_and_rerun_tags_everyone_exactly_once(built_segment):
    db, path, segment, treatment = built_segment
    rng = random.Random(1313)
    command = [sys.executable, "-m", "tests.push_child", str(db), str(path)]
    kills = 0
    with FakeActionNetwork() as server:
        # A tagging is done 0.15 s before its answer: most kills land between the two.
        server.answer_delay = 0.15
        server.chaos(7, p429=0.05, p500=0.05, pdrop=0.05)
        for _ in range(40):
            child = subprocess.Popen(
                [*command, server.url], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=dict(os.environ)
            )
            assert child.stdout.readline().strip() == "ready"
            if kills < 6:
                # Killed at a random point of its work, not of the clock: once 0-2 more
                # people are tagged, then within an answer's wait (room for one tagging
                # more at most). Six kills let at most 18 of the 20+ people be tagged,
                # so the push cannot finish before the sixth, however fast the machine.
                target = len(server.tagged) + rng.randint(0, 2)
                deadline = time.monotonic() + 60
                while len(server.tagged) < target and child.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.005)
                time.sleep(rng.uniform(0.0, server.answer_delay))
                if child.poll() is None:
                    child.send_signal(signal.SIGKILL)
                    kills += 1
            child.wait(timeout=120)
            child.stdout.close()
            if child.returncode == 0:
                break
        else:
            pytest.fail("the push never finished")
        assert kills == 6
    assert dict(server.tagged) == {(e, segment.tag): 1 for e in treatment}
    con = duckdb.connect(str(db), read_only=True)
    try:
        pushed = con.sql(
            "select count(distinct person_id) from segments.push_log where status = 'pushed'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert pushed == len(treatment)
