"""The sign-in page is not an open door: this machine only by default, and failed sign-ins are limited.

AppTest for the page (EN and FR), the real `rollcall dashboard` for the
interface it listens on (read from the kernel's socket table).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import bcrypt
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from dashboards import auth
from tests.dashboards.conftest import APP, ROOT, free_port

PASSWORD = "maria-test-pw"


@pytest.fixture
def users(tmp_path, warehouse, monkeypatch) -> Path:
    """A users file of its own (its failure counts must not lock other tests' users)."""
    path = tmp_path / "users.yml"
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    path.write_text(
        yaml.safe_dump({"users": {"maria": {"name": "Maria", "password_hash": hashed, "role": "admin"}}})
    )
    monkeypatch.setenv("ROLLCALL_USERS", str(path))
    monkeypatch.setenv("ROLLCALL_WAREHOUSE", str(warehouse))
    return path


def attempt(password: str, lang: str = "en", username: str = "maria") -> AppTest:
    """A fresh page (as after a reload) and one sign-in."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_failed_sign_ins_lock_the_user_name_and_a_reload_does_not_reset_it(users):
    for _ in range(auth.FREE_FAILURES):
        at = attempt("wrong-password")
        assert "do not match" in at.error[0].value
    # Now even the right password is refused, with the reason, in English and in French.
    at = attempt(PASSWORD)
    assert "user" not in at.session_state
    assert "Too many failed sign-ins for this user name" in at.error[0].value and "1 min" in at.error[0].value
    at = attempt(PASSWORD, lang="fr")
    assert "user" not in at.session_state
    assert "Trop de tentatives de connexion échouées" in at.error[0].value
    # Another spelling of the name is the same name.
    assert "Too many" in attempt(PASSWORD, username=" MARIA ").error[0].value
    counts = json.loads(auth.signins_path(users).read_text())
    assert counts["maria"]["failures"] == auth.FREE_FAILURES  # refused attempts do not count

    # When the lock has run out (the last failure an hour ago), the right password gets in.
    counts["maria"]["last"] -= 3600
    auth.signins_path(users).write_text(json.dumps(counts))
    at = attempt(PASSWORD)
    assert isinstance(at.session_state["user"], auth.User)
    assert not json.loads(auth.signins_path(users).read_text())  # a success ends the count


def test_the_lock_grows_with_each_further_failure(users):
    t = 1_000_000.0
    for _ in range(auth.FREE_FAILURES):
        assert auth.authenticate(users, "maria", "wrong-password", now=t) is None
    assert auth.locked_for(users, "maria", now=t) == auth.FIRST_LOCK
    with pytest.raises(auth.SignInLocked):
        auth.authenticate(users, "maria", PASSWORD, now=t + auth.FIRST_LOCK - 1)
    t += auth.FIRST_LOCK + 1
    assert auth.authenticate(users, "maria", "wrong-password", now=t) is None
    assert auth.locked_for(users, "maria", now=t) == 2 * auth.FIRST_LOCK
    t += 2 * auth.FIRST_LOCK + 1
    assert auth.authenticate(users, "maria", "wrong-password", now=t) is None
    assert auth.locked_for(users, "maria", now=t) == 4 * auth.FIRST_LOCK
    # Another user name is not affected.
    assert auth.locked_for(users, "ohio", now=t) == 0


def _listening(port: int) -> list[str]:
    """The local addresses (hex, as /proc/net shows them) of the sockets listening on `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as handle:
            next(handle)
            for line in handle:
                fields = line.split()
                address, hex_port = fields[1].rsplit(":", 1)
                if int(hex_port, 16) == port and fields[3] == "0A":  # LISTEN
                    found.append(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}


def test_the_dashboard_listens_on_this_machine_only_unless_asked(users):
    port = free_port()
    env = dict(os.environ, ROLLCALL_DASHBOARD_PORT=str(port), STREAMLIT_SERVER_HEADLESS="true")
    env.pop("ROLLCALL_DASHBOARD_ADDRESS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "dashboard"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # rollcall and the streamlit it starts: one group, stopped together
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("the dashboard did not start")
        addresses = _listening(port)
        assert addresses and set(addresses) <= LOOPBACK, addresses
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
