"""`rollcall pull` against a local server that behaves like Action Network: every action lands once."""

from __future__ import annotations

import hashlib
import json
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
from pipelines.lib import ingest, pull
from tests.an_server import TOKEN, FakeActionNetwork, person_resource
from tests.lib.conftest import FIXTURE

ROOT = Path(__file__).resolve().parents[2]
# the pages tests/fixtures/landing/campaigns.yml lists, and one it does not
PETITION = "11111111-1111-4111-8111-111111111111"
FORM = "22222222-2222-4222-8222-222222222222"
EVENT = "33333333-3333-4333-8333-333333333333"
LETTERS = "44444444-4444-4444-8444-444444444444"
UNLISTED = "99999999-9999-4999-8999-999999999999"
FIELD = {
    "petition": "petition_id",
    "form": "form_id",
    "event": "event_id",
    "advocacy_campaign": "advocacy_campaign_id",
}
SIZES = {
    ("petition", PETITION): 130,
    ("form", FORM): 30,
    ("event", EVENT): 26,
    ("advocacy_campaign", LETTERS): 40,
}


def action(page_kind: str, page_id: str, n: int, modified: str = "2026-06-05T12:00:00Z", **extra) -> dict:
    record = {
        "identifiers": [f"action_network:{page_kind[:2]}{n:06d}-0000-4000-8000-{page_id[:12]}"],
        "created_date": f"2026-06-0{1 + n % 5}T10:{n % 60:02d}:00Z",
        "modified_date": modified,
        "action_network:person_id": f"an-{n % 40:03d}",
        f"action_network:{FIELD[page_kind]}": page_id,
        **extra,
    }
    if page_kind == "event":
        record["status"] = "accepted"
    if page_kind == "advocacy_campaign":
        record["type"] = "letter"
        record["targets"] = [
            {"title": "MP", "family_name": "Naqvi", "ocdid": "ocd-division/country:ca/ed:35075"}
        ]
    return record


def serve(server: FakeActionNetwork) -> None:
    for (kind, page_id), size in SIZES.items():
        for n in range(size):
            server.add_action(kind, page_id, action(kind, page_id, n))
    server.add_action("petition", UNLISTED, action("petition", UNLISTED, 1))
    server.people = [
        person_resource({"uuid": f"an-{i:03d}", "email": f"p{i}@example.org"}, "2026-06-01T00:00:00Z")
        for i in range(30)
    ]


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    target = tmp_path / "landing"
    target.mkdir()
    shutil.copyfile(FIXTURE / "campaigns.yml", target / "campaigns.yml")
    return target


def ingest_actions(landing: Path, db: Path) -> list[str]:
    with duckdb.connect(str(db)) as con:
        ingest.load_source(con, landing, "actionnetwork_actions")
        assert con.sql("select count(*) from raw.rejected_rows").fetchall() == [(0,)]
        return [i for (i,) in con.sql("select action_id from raw.actionnetwork_actions").fetchall()]


def listed_ids(server: FakeActionNetwork) -> list[str]:
    return sorted(
        r["identifiers"][0].removeprefix("action_network:")
        for key, records in server.actions.items()
        if key[1] != UNLISTED
        for r in records
    )


def fast_client(server: FakeActionNetwork, **kw) -> an.Client:
    return an.Client(server.url, TOKEN, **{"rate": 200.0, "retries": 8, "backoff": 0.01, **kw})


def test_a_pull_through_429s_and_500s_lands_every_action_once(landing, tmp_path):
    with FakeActionNetwork() as server:
        serve(server)
        server.chaos(5, p429=0.15, p500=0.15, pdrop=0.05)
        summary = pull.pull(landing, fast_client(server))
        assert sum(server.faults_seen.values()) >= 3
    assert (summary.people, summary.pages, summary.records) == (30, 4, sum(SIZES.values()))
    # one file a page body, 25 records a page, named in pull order
    files = sorted((landing / "actionnetwork_actions").rglob("pull-*/*.json"))
    assert [len(next(iter(json.loads(f.read_text())["_embedded"].values()))) for f in files] == [
        25, 25, 25, 25, 25, 5, 25, 5, 25, 1, 25, 15,
    ]  # fmt: skip
    assert [f.name.split("-")[0] for f in files] == [f"{n:06d}" for n in range(1, 13)]
    assert summary.people_file is not None and summary.people_file.parent == landing / "people"
    ids = ingest_actions(landing, tmp_path / "wh.duckdb")
    assert sorted(ids) == listed_ids(server)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        assert ingest.load_source(con, landing, "people").rows_loaded == 30


def test_a_second_pull_asks_only_for_what_changed_since(landing, tmp_path):
    with FakeActionNetwork() as server:
        serve(server)
        pull.pull(landing, fast_client(server))
        before = ingest_actions(landing, tmp_path / "wh.duckdb")
        server.requests.clear()
        nothing = pull.pull(landing, fast_client(server))
        assert (nothing.files, nothing.people_file) == (0, None)
        filters = {r["path"]: r["query"].get("filter") for r in server.requests}
        assert filters[f"/api/v2/events/{EVENT}/attendances"] == ["modified_date gt '2026-06-05T12:00:00Z'"]
        # an RSVP declined, a new signature: only they come, and the declined replaces the accepted
        changed = action("event", EVENT, 3, "2026-06-10T08:00:00Z")
        changed["status"] = "declined"
        server.add_action("event", EVENT, changed)
        server.add_action("petition", PETITION, action("petition", PETITION, 500, "2026-06-11T00:00:00Z"))
        again = pull.pull(landing, fast_client(server))
        assert (again.records, again.files) == (2, 2)
    after = ingest_actions(landing, tmp_path / "wh.duckdb")
    assert len(after) == len(before) + 1 == len(set(after))
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        ingest.ensure_raw_schema(con)
        assert con.execute(
            "select status from raw.actionnetwork_actions where action_id = ?",
            [changed["identifiers"][0].removeprefix("action_network:")],
        ).fetchall() == [("declined",)]


def test_a_pull_killed_mid_way_and_rerun_lands_every_action_once(landing, tmp_path):
    rng = random.Random(15)
    command = [sys.executable, "-m", "tests.pull_child", str(landing)]
    kills = 0
    with FakeActionNetwork() as server:
        serve(server)
        server.actions_delay = 0.05  # each page of actions takes a while: kills land mid-collection
        server.chaos(9, p429=0.1, p500=0.1, pdrop=0.05)
        for _ in range(20):
            child = subprocess.Popen(
                [*command, server.url], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=dict(os.environ)
            )
            assert child.stdout.readline().strip() == "ready"
            if kills < 3:
                time.sleep(rng.uniform(0.2, 0.6))
                if child.poll() is None:
                    child.send_signal(signal.SIGKILL)
                    kills += 1
            child.wait(timeout=120)
            child.stdout.close()
            if child.returncode == 0 and kills == 3:
                break
        else:
            pytest.fail("the pull never finished")
        ids = listed_ids(server)
    assert not list(landing.rglob("*.pulling"))
    state = json.loads((landing / "actionnetwork_actions" / pull.STATE_FILE).read_text())
    assert sorted(state["pages"]) == sorted(f"{k}/{p}" for k, p in SIZES)
    assert all(set(entry) == {"modified_since"} for entry in state["pages"].values())
    landed = ingest_actions(landing, tmp_path / "wh.duckdb")
    assert sorted(landed) == ids
    # a page body written again after a kill is the same bytes: ingest reads it once (by digest)
    files = list((landing / "actionnetwork_actions").rglob("pull-*/*.json"))
    digests = {hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    assert len(files) - len(digests) <= kills


def test_the_command_needs_a_token_and_says_so_in_one_line(landing, monkeypatch, capsys):
    monkeypatch.delenv("ROLLCALL_AN_TOKEN", raising=False)
    assert cli.main(["pull", "--landing", str(landing)]) == 1
    assert capsys.readouterr().err.strip().count("\n") == 0
    with FakeActionNetwork() as server:
        serve(server)
        monkeypatch.setenv("ROLLCALL_AN_TOKEN", TOKEN)
        monkeypatch.setenv("ROLLCALL_AN_URL", server.url)
        del server.actions[("form", FORM)]  # a form deleted in Action Network: reported, not fatal
        assert cli.main(["pull", "--landing", str(landing)]) == 0
        out = capsys.readouterr().out
        assert f"not found: form/{FORM}" in out and "30 people" in out
        monkeypatch.setenv("ROLLCALL_AN_TOKEN", "wrong")
        assert cli.main(["pull", "--landing", str(landing)]) == 1
        err = capsys.readouterr().err
        assert "HTTP 401" in err and err.strip().count("\n") == 0
