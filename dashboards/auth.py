"""Who may see what: a users file with bcrypt hashes.

The file (YAML) is `ROLLCALL_USERS`, default `data/users.yml`:

    users:
      maria:
        name: Maria Lopez
        password_hash: $2b$12$...        # bcrypt, never the password
        role: admin                      # sees every affiliate
      ohio:
        name: Ohio AFL-CIO staff
        password_hash: $2b$12$...
        affiliate: Ohio AFL-CIO          # sees only people whose affiliate is exactly this

A user with neither `role: admin` nor `affiliate:` is refused (fail closed).
Add users with `rollcall users add NAME --admin` or `--affiliate "Ohio AFL-CIO"`.
`dashboards/users.demo.yml` is the DEMO file `rollcall demo` uses: its
passwords are public (admin / admin-demo, ohio / ohio-demo, ftq / ftq-demo).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import yaml

DEFAULT_USERS = "data/users.yml"
DEMO_USERS = Path(__file__).resolve().parent / "users.demo.yml"
# Checked when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(rounds=12))


class UsersFileError(RuntimeError):
    """The users file is missing or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class User:
    username: str
    name: str
    admin: bool
    affiliate: str | None

    @property
    def scope(self) -> str | None:
        """The affiliate every query is limited to; None for an admin (everyone)."""
        return None if self.admin else self.affiliate


def users_path(value: str | os.PathLike | None = None) -> Path:
    return Path(value or os.environ.get("ROLLCALL_USERS", DEFAULT_USERS)).resolve()


def load(path: Path) -> dict[str, dict]:
    if not path.exists():
        raise UsersFileError(
            f"no users file at {path}: add a user with `rollcall users add NAME --admin` "
            f"(or set ROLLCALL_USERS; the demo uses {DEMO_USERS.name})"
        )
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    users = data.get("users") or {}
    if not isinstance(users, dict):
        raise UsersFileError(f"{path}: `users:` must map user names to their entries")
    return users


def _user(username: str, entry: dict) -> User | None:
    admin = entry.get("role") == "admin"
    affiliate = entry.get("affiliate")
    if not admin and not (isinstance(affiliate, str) and affiliate.strip()):
        return None  # neither admin nor scoped: refuse rather than guess
    return User(username, str(entry.get("name") or username), admin, None if admin else affiliate.strip())


def authenticate(path: Path, username: str, password: str) -> User | None:
    """The user if the name and password match an entry, else None."""
    users = load(path)
    entry = users.get(username) if username else None
    stored = (entry or {}).get("password_hash")
    hashed = stored.encode() if isinstance(stored, str) else _DUMMY_HASH
    try:
        ok = bcrypt.checkpw(password.encode(), hashed)
    except ValueError:
        ok = False
    if not ok or entry is None or stored is None:
        return None
    return _user(username, entry)


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=12)).decode()


def add_user(
    path: Path,
    username: str,
    password: str,
    *,
    admin: bool = False,
    affiliate: str | None = None,
    name: str | None = None,
) -> None:
    """Add or replace a user in the users file (written atomically)."""
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise UsersFileError(f"a user name is letters, digits, '-', '_' or '.', not {username!r}")
    if admin == bool(affiliate):
        raise UsersFileError("a user is either --admin or --affiliate NAME")
    if len(password) < 8:
        raise UsersFileError("a password has at least 8 characters")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    data = data or {}
    data.setdefault("users", {})
    entry: dict = {"name": name or username, "password_hash": hash_password(password)}
    if admin:
        entry["role"] = "admin"
    else:
        entry["affiliate"] = affiliate
    data["users"][username] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    os.replace(tmp, path)
