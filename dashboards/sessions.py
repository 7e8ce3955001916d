"""Signed sessions that survive a reload (F5), and deep links that survive sign-in.

A session is a token `<payload>.<signature>`: the payload (base64 JSON) holds
the user name, an expiry and a fingerprint of the user's password hash; the
signature is HMAC-SHA256 with a secret that is `ROLLCALL_SESSION_SECRET`, or
else generated once (32 random bytes, mode 0600) in a file beside the users
file (`<users file>.session-secret`). A token is honoured only if its
signature matches, it has not expired, and the user is still in the users
file with the same password hash: removing a user, changing a password or
the secret ends their sessions.

The token lives in a cookie (`rollcall_session`; Path=/, SameSite=Strict,
Secure on https). Streamlit reads cookies (`st.context.cookies`) but cannot
set one, so a zero-height component (an iframe of the same origin) writes it
with `document.cookie`. The cookie is therefore not HttpOnly; it is never in
a URL, so a shared deep link never shares a session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

from dashboards import auth

COOKIE = "rollcall_session"
DEFAULT_HOURS = 12.0


def lifetime_seconds() -> int:
    """How long a session lasts: ROLLCALL_SESSION_HOURS (default 12)."""
    try:
        hours = float(os.environ.get("ROLLCALL_SESSION_HOURS", DEFAULT_HOURS))
    except ValueError:
        hours = DEFAULT_HOURS
    return max(60, int(hours * 3600))


def secret_path(users_file: Path) -> Path:
    return users_file.with_name(users_file.name + ".session-secret")


def secret(users_file: Path) -> bytes:
    """ROLLCALL_SESSION_SECRET, or the secret beside the users file (made once, on first use)."""
    given = os.environ.get("ROLLCALL_SESSION_SECRET")
    if given:
        return given.encode()
    path = secret_path(users_file)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    value = path.read_text().strip()
    if len(value) < 32:
        raise auth.UsersFileError(f"{path}: the session secret is too short; delete it to make a new one")
    return value.encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fingerprint(entry: dict) -> str:
    return hashlib.sha256(str(entry.get("password_hash", "")).encode()).hexdigest()[:16]


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def issue(users_file: Path, user: auth.User, now: float | None = None) -> str:
    """A signed token for a user who has just signed in."""
    entry = auth.load(users_file).get(user.username) or {}
    expires = int((now or time.time()) + lifetime_seconds())
    payload = _b64(json.dumps({"u": user.username, "exp": expires, "pw": _fingerprint(entry)}).encode())
    return f"{payload}.{_sign(secret(users_file), payload)}"


def verify(users_file: Path, token: str | None, now: float | None = None) -> auth.User | None:
    """The user a token stands for, or None (bad signature, expired, user gone or password changed)."""
    if not token or token.count(".") != 1:
        return None
    payload, signature = token.split(".")
    try:
        if not hmac.compare_digest(signature, _sign(secret(users_file), payload)):
            return None
        claims = json.loads(_unb64(payload))
        users = auth.load(users_file)
    except (ValueError, auth.UsersFileError):
        return None
    if not isinstance(claims, dict) or int(claims.get("exp", 0)) <= (now or time.time()):
        return None
    entry = users.get(claims.get("u"))
    if not isinstance(entry, dict) or not hmac.compare_digest(str(claims.get("pw")), _fingerprint(entry)):
        return None
    return auth._user(claims["u"], entry)


def cookie_script(token: str | None, secure: bool) -> str:
    """The component's HTML: set the session cookie (or, token None, remove it)."""
    if token is None:
        attrs = "Max-Age=0"
        value = ""
    else:
        attrs = f"Max-Age={lifetime_seconds()}"
        value = token  # base64url and '.': nothing to escape in a cookie or a JS string
    flags = f"Path=/; SameSite=Strict; {attrs}" + ("; Secure" if secure else "")
    return f"<script>document.cookie = {json.dumps(f'{COOKIE}={value}; {flags}')};</script>"
