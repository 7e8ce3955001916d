"""Hostile command lines and crashed runs: one line, exit 2 (bad input) or 1, and nothing else lost.

Real subprocesses on real files: `rollcall` as a person runs it, a run
killed with SIGKILL while dbt works, a second run taking over its lock.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_LANDING

ROOT = Path(__file__).resolve().parents[1]
ROLLCALL = [sys.executable, "-m", "pipelines.cli"]
COHORT = ["cohort", "--campaign", "pro-act", "--did", "opened", "--did-not", "called"]
SEGMENTS_YML = """
segments:
  - id: openers
    name: {en: "Opened", fr: "A ouvert"}
    cohort: {campaign: pro-act, did: opened}
    channel: email
    outcome: {event: called}
    destinations: [csv, actionnetwork]
"""


def rollcall(*args: str, env: dict | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ROLLCALL, *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        input=stdin,
        env={**os.environ, **(env or {})},
    )


def one_line(done: subprocess.CompletedProcess, code: int) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code and len(lines) == 1, (done.returncode, done.stderr[-3000:])
    assert lines[0].startswith("rollcall: ")
    return lines[0]


@pytest.fixture
def copied(warehouse, tmp_path) -> Path:
    target = tmp_path / "w.duckdb"
    shutil.copyfile(warehouse, target)
    return target


def test_hostile_cohort_values_are_one_line(warehouse, tmp_path):
    line = one_line(rollcall(*COHORT, "--within", "99999999999", "--warehouse", str(warehouse)), 2)
    assert "--within" in line and "100 years" in line
    missing = tmp_path / "no" / "such" / "folder" / "out.csv"
    line = one_line(rollcall(*COHORT, "--out", str(missing), "--warehouse", str(warehouse)), 2)
    assert "no folder" in line and not missing.parent.exists()
    folder = tmp_path / "a-folder"
    folder.mkdir()
    line = one_line(rollcall(*COHORT, "--out", str(folder), "--warehouse", str(warehouse)), 2)
    assert "is a folder" in line and list(folder.iterdir()) == []
    fake = tmp_path / "notes.duckdb"
    fake.write_text("these are my notes, not a warehouse\n" * 10)
    line = one_line(rollcall(*COHORT, "--count", "--warehouse", str(fake)), 2)
    assert "not a DuckDB warehouse" in line and str(fake) in line
    assert fake.read_text() == "these are my notes, not a warehouse\n" * 10


def test_a_password_over_bcrypts_72_bytes_is_one_line(tmp_path):
    path = tmp_path / "users.yml"
    command = ["users", "add", "maria", "--admin", "--file", str(path), "--password-stdin"]
    line = one_line(rollcall(*command, stdin="é" * 50 + "\n"), 2)  # 50 characters, 100 bytes
    assert "72 bytes" in line and not path.exists()
    assert rollcall(*command, stdin="a-good-password\n").returncode == 0


HOLDER = """
import sys, time, contextlib, duckdb
from pathlib import Path
from pipelines.lib import warehouse as wh
w = Path(sys.argv[1])
lock = wh.run_lock(w) if hasattr(wh, "run_lock") else contextlib.nullcontext()
with lock:
    con = duckdb.connect(str(wh.build_path(w)))  # a run writes the working file
    print("held", flush=True)
    sys.stdin.read()
    con.close()
"""


def test_a_push_or_run_during_a_run_is_one_line(copied, built, tmp_path):
    shutil.copyfile(copied, Path(str(copied) + ".build"))
    segments = tmp_path / "segments.yml"
    segments.write_text(SEGMENTS_YML, encoding="utf-8")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(copied)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        env = {
            "ROLLCALL_AN_TOKEN": "t",
            "ROLLCALL_AN_URL": "http://127.0.0.1:9/",
            "ROLLCALL_SEGMENTS": str(segments),
        }
        push = rollcall("segments", "push", "--warehouse", str(copied), env=env)
        line = one_line(push, 1)
        assert "another run holds the warehouse since" in line and f"(pid {holder.pid}" in line
        run = rollcall("run", "--landing", str(built["landing"]), "--warehouse", str(copied))
        assert "another run holds the warehouse since" in one_line(run, 1)
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


def test_a_failed_run_prints_one_line_naming_its_log(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURE_LANDING, landing)
    registry = landing / "campaigns.yml"
    registry.write_text(
        registry.read_text(encoding="utf-8").replace("starts: 2026-06-02", "starts: 2026-13-02")
    )
    warehouse = tmp_path / "w.duckdb"
    done = rollcall("run", "--landing", str(landing), "--warehouse", str(warehouse))
    line = one_line(done, 1)
    assert done.stdout == ""
    assert "campaigns.yml: campaign 'pro-act': `starts` is not a date" in line
    log = Path(line.rsplit("full log: ", 1)[1].rstrip(")"))
    assert log.exists() and "campaigns.yml" in log.read_text(encoding="utf-8")
    assert not warehouse.exists()  # nothing published


def _children(pid: int) -> list[tuple[int, bytes]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if int(stat[1]) == pid:
            found.append((int(entry.name), cmdline))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_a_run_killed_while_dbt_works_is_cleaned_up_by_the_next_run(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURE_LANDING, landing)
    warehouse = tmp_path / "w.duckdb"
    command = [*ROLLCALL, "run", "--landing", str(landing), "--warehouse", str(warehouse)]
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dbt = client = None
    try:
        deadline = time.monotonic() + 300
        while dbt is None and time.monotonic() < deadline and run.poll() is None:
            # The dbt step's executable (rollcall-dbt), which hands dbt's work to a fork of the
            # warm dbt the run started (pipelines/lib/warm_dbt.py): that fork is the dbt at work.
            children = _children(run.pid)
            client = next((p for p, cmd in children if b"rollcall-dbt\0build" in cmd), None)
            server = next((p for p, cmd in children if b"pipelines.lib.warm_dbt" in cmd), None)
            if client is not None and server is not None:
                dbt = next((p for p, _ in _children(server)), None)
            time.sleep(0.02)
        assert dbt is not None, "the run never started dbt"
        # dbt keeps working (stopped here so that it cannot finish first) while its parent dies.
        os.kill(dbt, signal.SIGSTOP)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
        assert _alive(dbt)
        # And a copy of the working file it was making left a temporary copy (72 MB in the field).
        leftover = tmp_path / f".w.duckdb.{run.pid}.tmp"
        leftover.write_bytes(b"\0" * 1_000_000)

        # The run exits without Python's teardown (pipelines.cli.leave), and leaves nothing in
        # the temporary folder: Dagster's folder and the warm dbt's socket are gone.
        scratch = tmp_path / "tmp"
        scratch.mkdir()
        done = rollcall(
            "run", "--landing", str(landing), "--warehouse", str(warehouse), env={"TMPDIR": str(scratch)}
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.startswith("published ")
        assert list(scratch.iterdir()) == []
        assert not _alive(dbt), "the killed run's dbt is still running"
        assert not _alive(client), "the killed run's dbt step is still waiting"
        assert not leftover.exists()
        assert Path(str(warehouse) + ".lock").read_text() == ""  # a clean finish leaves an empty lock
    finally:
        if run.poll() is None:
            run.kill()
        for left in (dbt, client):
            if left is not None and _alive(left):
                os.kill(left, signal.SIGKILL)
