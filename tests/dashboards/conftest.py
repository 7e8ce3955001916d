"""Dashboard fixtures: the session's real warehouse, a users file, AppTest and a live Streamlit server."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import bcrypt
import pytest
import yaml

from dashboards.auth import User
from tests.conftest import FIXTURE_LANDING

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboards" / "app.py"
ARTIFACTS = ROOT / "tests" / "artifacts" / "dashboards"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PASSWORDS = {"admin": "admin-test-pw", "ohio": "ohio-test-pw", "ftq": "ftq-test-pw"}
ADMIN = User("admin", "Test admin", True, None)
OHIO = User("ohio", "Ohio staff", False, "Ohio AFL-CIO")


@pytest.fixture(scope="session")
def users_file(tmp_path_factory) -> Path:
    """Three users; bcrypt at 4 rounds so tests stay quick (the app checks any cost)."""

    def hashed(password: str) -> str:
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()

    path = tmp_path_factory.mktemp("users") / "users.yml"
    users = {
        "admin": {"name": "Test admin", "password_hash": hashed(PASSWORDS["admin"]), "role": "admin"},
        "ohio": {
            "name": "Ohio staff",
            "password_hash": hashed(PASSWORDS["ohio"]),
            "affiliate": "Ohio AFL-CIO",
        },
        "ftq": {"name": "FTQ", "password_hash": hashed(PASSWORDS["ftq"]), "affiliate": "FTQ"},
        "nobody": {"name": "No role", "password_hash": hashed("nobody-test-pw")},
    }
    path.write_text(yaml.safe_dump({"users": users}), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def dash_env(warehouse, users_file):
    """Point the app (in this process) at the fixture warehouse and users file."""
    old = {k: os.environ.get(k) for k in ("ROLLCALL_WAREHOUSE", "ROLLCALL_USERS")}
    os.environ["ROLLCALL_WAREHOUSE"] = str(warehouse)
    os.environ["ROLLCALL_USERS"] = str(users_file)
    yield {"warehouse": warehouse, "users": users_file}
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run dashboards/app.py` on a free loopback port, stopped by `stop()`."""

    def __init__(self, warehouse: Path, users: Path, log: Path, landing: Path | None = None):
        self.port = free_port()
        self.warehouse = warehouse
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, ROLLCALL_WAREHOUSE=str(warehouse), ROLLCALL_USERS=str(users))
        if landing is not None:  # segments.yml, for "save as a segment"
            env["ROLLCALL_LANDING"] = str(landing)
        self.log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(self.port),
                "--server.address", "127.0.0.1", "--server.headless", "true",
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            ],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not start; see {log}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


# The fixture landing's events all fall in June 2026: its ladder is kept on one day (today,
# 06-13) and has no movement. The Ladder page's tests add a spring of Pharmacare emails, so
# the ladder is kept on 03-31, 04-30, 05-31 and today (window of 05-31: 03-03 … 05-31; of
# today: 03-16 … 06-13). Between 05-31 and today: Gus and Bruno opener → repeat actor, Hana
# clicker → actor (up); Alice and Chloé listed → repeat actor, Fay listed → opener (up);
# Eli listed → listed (same); Dana clicker (03-10, out of today's window) → opener (down).
SPRING = [
    ("bruno@example.ca", "open", "2026-03-05 14:00:00"),
    ("dana@example.com", "click", "2026-03-10 15:00:00"),
    ("gus@example.com", "open", "2026-04-20 13:00:00"),
    ("hana@example.com", "click", "2026-05-25 16:00:00"),
]


def _spring_events() -> str:
    lines = []
    for i, (email, event, at) in enumerate(SPRING, start=1):
        ts = int(datetime.fromisoformat(at).replace(tzinfo=UTC).timestamp())
        lines.append(
            json.dumps(
                {
                    "email": email,
                    "timestamp": ts,
                    "event": event,
                    "sg_event_id": f"spring-{i}",
                    "campaign_id": "pharmacare",
                }
            )
        )
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def ladder_built(tmp_path_factory) -> dict:
    """The fixture landing plus SPRING, built once (ingest → dbt → publish): a ladder with movement."""
    from pipelines.run import run_all

    root = tmp_path_factory.mktemp("ladder_built")
    landing = root / "landing"
    shutil.copytree(FIXTURE_LANDING, landing)
    (landing / "sendgrid" / "post-000-spring.ndjson").write_text(_spring_events(), encoding="utf-8")
    warehouse = root / "warehouse.duckdb"
    # run_all points this process's ROLLCALL_* at what it builds: the app's warehouse
    # (dash_env, maybe set up already) must stay the session's
    saved = dict(os.environ)
    try:
        run_all(landing, warehouse)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"landing": landing, "warehouse": warehouse}


@pytest.fixture
def ladder_env(ladder_built, users_file, monkeypatch):
    """Point the app (in this process) at the spring warehouse, for one test."""
    monkeypatch.setenv("ROLLCALL_WAREHOUSE", str(ladder_built["warehouse"]))
    monkeypatch.setenv("ROLLCALL_USERS", str(users_file))
    return {"warehouse": ladder_built["warehouse"], "users": users_file}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: run `make setup` (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    # A shared 2-core machine running the suite on two workers can take more than
    # Playwright's 5 s default to draw a page: every browser assertion waits up to 30 s.
    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def server(dash_env, artifacts):
    s = Server(dash_env["warehouse"], dash_env["users"], artifacts / "streamlit.log")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def ladder_server(ladder_built, users_file, artifacts):
    s = Server(ladder_built["warehouse"], users_file, artifacts / "streamlit-ladder.log")
    yield s
    s.stop()


def copy_built(built: dict, into: Path) -> dict:
    """A private copy of the session's landing folder and warehouse (for tests that rebuild)."""
    landing = into / "landing"
    shutil.copytree(built["landing"], landing)
    warehouse = into / "warehouse.duckdb"
    shutil.copyfile(built["warehouse"], warehouse)
    return {"landing": landing, "warehouse": warehouse}
