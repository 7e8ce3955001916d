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

Failed sign-ins are limited per user name (`authenticate`): after
`FREE_FAILURES` wrong passwords in a row the name is locked for
`FIRST_LOCK` seconds, doubling with each further failure up to `MAX_LOCK`;
while it is locked no password is even checked, and a right password ends
the count. The count lives in a file beside the users file
(`<users file>.signins.json`), so a reload or a new session does not reset it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import yaml

DEFAULT_USERS = "data/users.yml"
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further
DEMO_USERS = Path(__file__).resolve().parent / "users.demo.yml"
# Checked when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(rounds=12))


FREE_FAILURES = 5  # wrong passwords in a row before a user name is locked
FIRST_LOCK = 30.0  # seconds; doubles with each further failure …
MAX_LOCK = 3600.0  # … up to an hour
MAX_NAMES = 10_000  # user names remembered at most (the oldest are forgotten first)


class SignInLocked(Exception):
    """Too many failed sign-ins for this user name; `seconds` until it may try again."""

    def __init__(self, seconds: float):
        super().__init__(f"too many failed sign-ins: try again in {seconds:.0f} s")
        self.seconds = seconds

    @property
    def minutes(self) -> int:
        return max(1, -(-int(self.seconds) // 60))


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


def signins_path(users: Path) -> Path:
    """Where failed sign-ins are counted: beside the users file."""
    return users.with_name(users.name + ".signins.json")


def _lock_seconds(failures: int) -> float:
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_LOCK, FIRST_LOCK * 2 ** min(failures - FREE_FAILURES, 20))


class _Signins:
    """The failure counts, read and rewritten under an exclusive lock (sessions sign in at once)."""

    def __init__(self, users: Path):
        self.path = signins_path(users)

    def __enter__(self) -> dict:
        self._handle = open(self.path, "a+", encoding="utf-8")
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX)
        self._handle.seek(0)
        try:
            data = json.loads(self._handle.read() or "{}")
        except ValueError:
            data = {}
        self.data = data if isinstance(data, dict) else {}
        self._before = json.dumps(self.data, sort_keys=True)
        return self.data

    def __exit__(self, *exc) -> None:
        try:
            if json.dumps(self.data, sort_keys=True) != self._before:
                if len(self.data) > MAX_NAMES:
                    for name in sorted(self.data, key=lambda n: self.data[n].get("last", 0))[
                        : len(self.data) - MAX_NAMES
                    ]:
                        del self.data[name]
                self._handle.seek(0)
                self._handle.truncate()
                self._handle.write(json.dumps(self.data, indent=1, sort_keys=True))
                self._handle.flush()
                os.fsync(self._handle.fileno())
        finally:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()


def _key(username: str) -> str:
    return username.strip().casefold()[:200]


def locked_for(path: Path, username: str, now: float | None = None) -> float:
    """Seconds this user name must still wait before a sign-in is checked (0: it may try now)."""
    file = signins_path(path)
    if not file.exists():
        return 0.0
    with _Signins(path) as data:
        entry = data.get(_key(username)) or {}
    now = time.time() if now is None else now
    wait = float(entry.get("last", 0)) + _lock_seconds(int(entry.get("failures", 0))) - now
    return max(0.0, wait)


def _record(path: Path, username: str, ok: bool, now: float) -> None:
    key = _key(username)
    if ok and not signins_path(path).exists():
        return  # nothing to reset
    with _Signins(path) as data:
        if ok:
            data.pop(key, None)
        else:
            entry = data.setdefault(key, {"failures": 0})
            entry["failures"] = int(entry.get("failures", 0)) + 1
            entry["last"] = now
            entry["at"] = dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="seconds")


def authenticate(path: Path, username: str, password: str, now: float | None = None) -> User | None:
    """The user if the name and password match an entry, else None.

    SignInLocked when the name has failed too often lately: nothing is
    checked then, and the attempt does not count.
    """
    users = load(path)
    now = time.time() if now is None else now
    wait = locked_for(path, username, now)
    if wait > 0:
        raise SignInLocked(wait)
    user = _check(users, username, password)
    _record(path, username, user is not None, now)
    return user


def _check(users: dict, username: str, password: str) -> User | None:
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
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise UsersFileError(
            f"a password has at most {MAX_PASSWORD_BYTES} bytes (bcrypt's limit), "
            f"not {len(password.encode())}: choose a shorter one"
        )
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
