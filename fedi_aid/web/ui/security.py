"""Sessions in encrypted cookies, CSRF tokens, and the login rate limit.

The session cookie is encrypted and authenticated with Fernet; its key is a file in the data
directory, made on first start (mode 0600) and never logged. Every form carries the session's
CSRF token; a POST without it, or with another, is answered 403 before its handler runs.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from aiohttp_session import Session, get_session
from cryptography.fernet import Fernet

SESSION_KEY_FILE = "session-secret.key"
SESSION_COOKIE = "fedi_aid_session"
SESSION_MAX_AGE = 14 * 24 * 3600
CSRF_FIELD = "csrf"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def load_session_key(data_dir: str) -> Fernet:
    """The Fernet key in data_dir, created on first use; only the owner may read it."""
    path = Path(data_dir) / SESSION_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
    try:
        return Fernet(path.read_bytes().strip())
    except ValueError:
        raise ValueError(
            f"{path} does not hold a valid session key; delete it to make a new one "
            "(everyone will have to log in again)"
        ) from None


def csrf_token(session: Session) -> str:
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session[CSRF_FIELD] = token
    return token


class CsrfRejected(Exception):
    pass


async def checked_form(request: web.Request) -> dict[str, str]:
    """The posted form, after its CSRF token matched the session's; CsrfRejected otherwise."""
    form = await request.post()
    session = await get_session(request)
    expected = session.get(CSRF_FIELD)
    given = form.get(CSRF_FIELD)
    if (
        not isinstance(expected, str)
        or not isinstance(given, str)
        or not hmac.compare_digest(expected.encode(), given.encode())
    ):
        raise CsrfRejected()
    return {k: v for k, v in form.items() if isinstance(v, str)}


class LoginLimiter:
    """At most `per_name` failed logins per user name and `per_address` per client address in
    a sliding window. Kept in memory: a restart forgets, which only helps the rightful user."""

    def __init__(self, per_name: int = 5, per_address: int = 20, window: float = 900.0) -> None:
        self.per_name = per_name
        self.per_address = per_address
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, name: str, address: str, now: float | None = None) -> int:
        """Seconds until another try is allowed; 0 when it is allowed now."""
        now = time.monotonic() if now is None else now
        waits = [0.0]
        for key, limit in (
            (f"n:{name.lower()}", self.per_name),
            (f"a:{address}", self.per_address),
        ):
            times = self._recent(key, now)
            if len(times) >= limit:
                waits.append(times[0] + self.window - now)
        return int(max(waits)) + (1 if max(waits) > 0 else 0)

    def failed(self, name: str, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for key in (f"n:{name.lower()}", f"a:{address}"):
            self._recent(key, now).append(now)
        if len(self._failures) > 10_000:  # forget the oldest keys rather than grow forever
            for key in list(self._failures)[:5_000]:
                del self._failures[key]

    def succeeded(self, name: str) -> None:
        self._failures.pop(f"n:{name.lower()}", None)


LIMITER_KEY = web.AppKey("login_limiter", LoginLimiter)
