"""Users file: `rollcall users add` writes bcrypt hashes; sign-in checks them; no role, no entry."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from dashboards import auth
from tests.dashboards.conftest import ROOT


def add(path, *args: str, password: str = "a-long-password") -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pipelines.cli", "users", "add", *args, "--file", str(path)]
    return subprocess.run(
        [*command, "--password-stdin"], input=password + "\n", cwd=ROOT, capture_output=True, text=True
    )


def test_users_add_stores_a_hash_and_the_role(tmp_path):
    path = tmp_path / "users.yml"
    assert add(path, "maria", "--admin", "--name", "Maria Lopez").returncode == 0
    assert add(path, "ohio", "--affiliate", "Ohio AFL-CIO").returncode == 0
    text = path.read_text(encoding="utf-8")
    assert "a-long-password" not in text
    users = yaml.safe_load(text)["users"]
    assert users["maria"]["role"] == "admin" and users["ohio"]["affiliate"] == "Ohio AFL-CIO"
    assert auth.authenticate(path, "maria", "a-long-password") == auth.User(
        "maria", "Maria Lopez", True, None
    )
    assert auth.authenticate(path, "ohio", "a-long-password").scope == "Ohio AFL-CIO"
    assert auth.authenticate(path, "ohio", "wrong-password") is None
    assert auth.authenticate(path, "nobody", "a-long-password") is None
    # adding again replaces: a password change
    assert add(path, "ohio", "--affiliate", "Ohio AFL-CIO", password="another-password").returncode == 0
    assert auth.authenticate(path, "ohio", "a-long-password") is None
    assert auth.authenticate(path, "ohio", "another-password") is not None


def test_users_add_refuses_bad_input_with_one_line(tmp_path):
    path = tmp_path / "users.yml"
    short = add(path, "x", "--admin", password="short")
    assert short.returncode == 2 and "at least 8" in short.stderr
    both = add(path, "x", "--admin", "--affiliate", "FTQ")
    assert both.returncode == 2
    bad_name = add(path, "x y", "--admin")
    assert bad_name.returncode == 2 and "user name" in bad_name.stderr
    assert not path.exists()


def test_missing_users_file_says_how_to_add_one(tmp_path):
    with pytest.raises(auth.UsersFileError, match="rollcall users add"):
        auth.load(tmp_path / "absent.yml")


def test_demo_users_file_is_marked_and_works():
    assert "DEMO" in auth.DEMO_USERS.read_text(encoding="utf-8")
    assert auth.authenticate(auth.DEMO_USERS, "admin", "admin-demo").admin
    assert auth.authenticate(auth.DEMO_USERS, "ohio", "ohio-demo").scope == "Ohio AFL-CIO"
