"""Per-IP rate limits on the routes anyone may call unauthenticated: inbox, WebFinger, login.

An in-memory token bucket per process and client address: `rate_limit_per_minute` tokens a
minute, up to `rate_limit_burst` at once. Over the limit: 429 with Retry-After. Behind a proxy
the client address is taken from X-Forwarded-For, but only when the peer is a trusted proxy.
Clients in `rate_limit_exempt` (by default the machine itself) are never limited.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fedi_aid import metrics
from fedi_aid.config import Settings
from fedi_aid.web.paths import is_inbox_post
from fedi_aid.web.responses import error_response

# Where a password is checked: the web login and the Mastodon-API OAuth endpoints.
LOGIN_PATHS = ("/login", "/oauth/authorize", "/oauth/token")
MAX_TRACKED = 50_000  # addresses kept; the least recently seen are forgotten first


def limited_class(method: str, path: str) -> str | None:
    """Which bucket a request draws from, or None when it is not limited."""
    if is_inbox_post(method, path):
        return "inbox"
    if path == "/.well-known/webfinger":
        return "webfinger"
    if method == "POST" and path.rstrip("/") in LOGIN_PATHS:
        return "login"
    return None


@dataclass
class Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(burst, 1))
        self.clock = clock
        self.buckets: dict[tuple[str, str], Bucket] = {}

    def take(self, key: tuple[str, str]) -> float:
        """0 when allowed, else the seconds until a token is available."""
        now = self.clock()
        bucket = self.buckets.pop(key, None) or Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self.buckets[key] = bucket  # re-inserted: dict order is least recently seen first
        if len(self.buckets) > MAX_TRACKED:
            self.buckets.pop(next(iter(self.buckets)))
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate


class Networks:
    """IP networks, and a memo of the addresses already looked up in them: every limited
    request asks twice (trusted proxy? exempt?), and parsing an address each time shows up in
    profiles of the inbox."""

    def __init__(self, networks: list[Any]) -> None:
        self.networks = networks
        self._verdicts: dict[str, bool] = {}

    def __contains__(self, address: str) -> bool:
        verdict = self._verdicts.get(address)
        if verdict is None:
            verdict = in_networks(address, self.networks)
            if len(self._verdicts) >= MAX_TRACKED:
                self._verdicts.clear()
            self._verdicts[address] = verdict
        return verdict


def parse_networks(text: str) -> Networks:
    networks = []
    for part in text.split(","):
        if part.strip():
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
    return Networks(networks)


def in_networks(address: str, networks: list[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: web.Request, trusted: Networks) -> str:
    """The peer address; behind a trusted proxy, the last untrusted X-Forwarded-For hop."""
    peer = request.remote or "unknown"
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return peer


def make_rate_limit_middleware(settings: Settings) -> Any:
    limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    trusted = parse_networks(settings.trusted_proxies)
    exempt = parse_networks(settings.rate_limit_exempt)

    @web.middleware
    async def rate_limit_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        kind = limited_class(request.method, request.path)
        if kind is None or limiter.rate <= 0:
            return await handler(request)
        client = client_address(request, trusted)
        if client in exempt:
            return await handler(request)
        wait = limiter.take((kind, client))
        if wait > 0:
            metrics.count("fedi_aid_rate_limited_total", route=kind)
            return error_response(
                429,
                f"too many {kind} requests from your address; retry later",
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )
        return await handler(request)

    return rate_limit_middleware
