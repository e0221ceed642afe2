"""Operations: health and readiness, Prometheus metrics, per-IP rate limits, JSON logs."""

from __future__ import annotations

import json
import logging
import sys

import aiohttp

from fedi_aid import metrics
from fedi_aid.logs import JsonFormatter, redact
from fedi_aid.web.ratelimit import RateLimiter, client_address, parse_networks
from tests.peers import MastodonPeer


def metric_lines(text: str, name: str) -> dict[str, float]:
    found = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            series, _, number = line.rpartition(" ")
            found[series] = float(number)
    return found


async def test_health_and_rate_limit(make_instance) -> None:
    # The test client is on loopback, exempt by default: not here.
    a = await make_instance(rate_limit_per_minute=30, rate_limit_burst=2, rate_limit_exempt="")
    await a.create_group("riverside")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{a.base_url}/healthz") as r:
            assert (r.status, await r.json()) == (200, {"status": "ok"})
        async with http.get(f"{a.base_url}/readyz") as r:
            assert (r.status, await r.json()) == (200, {"status": "ready"})

        finger = f"{a.base_url}/.well-known/webfinger?resource=acct:riverside@{a.host}"
        statuses = []
        for _ in range(3):
            async with http.get(finger) as r:
                statuses.append(r.status)
                retry_after, answer = r.headers.get("Retry-After"), await r.json()
        assert statuses == [200, 200, 429]
        assert retry_after is not None and int(retry_after) >= 1
        assert "too many webfinger requests" in answer["error"]

        inbox = []
        for _ in range(3):  # the inbox has its own bucket; a limited POST is not even read
            async with http.post(f"{a.base_url}/inbox", data=b"{}") as r:
                inbox.append(r.status)
        assert inbox == [415, 415, 429]
        # Health and pages are never limited.
        for _ in range(3):
            async with http.get(f"{a.base_url}/healthz") as r:
                assert r.status == 200
        async with http.get(f"{a.base_url}/metrics") as r:
            text = await r.text()
    assert (
        metric_lines(text, "fedi_aid_rate_limited_total")[
            'fedi_aid_rate_limited_total{route="webfinger"}'
        ]
        >= 1
    )
    key = 'fedi_aid_http_requests_total{method="GET",route="/.well-known/webfinger",status="429"}'
    assert metric_lines(text, "fedi_aid_http_requests_total")[key] >= 1


async def test_the_machine_itself_is_not_limited_by_default(make_instance) -> None:
    a = await make_instance(rate_limit_per_minute=1, rate_limit_burst=1)
    await a.create_group("riverside")
    finger = f"{a.base_url}/.well-known/webfinger?resource=acct:riverside@{a.host}"
    async with aiohttp.ClientSession() as http:
        for _ in range(3):
            async with http.get(finger) as r:
                assert r.status == 200
        # Through a trusted proxy (loopback) for a remote client: limited.
        statuses = []
        for _ in range(2):
            async with http.get(finger, headers={"X-Forwarded-For": "203.0.113.9"}) as r:
                statuses.append(r.status)
    assert statuses == [200, 429]


async def test_metrics(make_instance) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    peer = MastodonPeer()
    alice = peer.add_actor("alice")
    await peer.start()
    misses = metrics.value("fedi_aid_key_cache_total", result="miss")
    hits = metrics.value("fedi_aid_key_cache_total", result="hit")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{a.base_url}/inbox",
                data=b'{"type":"Follow","actor":"http://x.test/u","id":"http://x.test/1"}',
                headers={"Content-Type": "application/activity+json"},
            ) as r:
                assert r.status == 401  # unsigned
        for _ in range(2):  # a fresh id each time: one key fetch, then the cache
            follow = peer.follow_activity(alice, f"{a.base_url}/users/riverside")
            status, _ = await peer.post(alice, f"{a.base_url}/users/riverside/inbox", follow)
            assert status == 202
        await a.follow("riverside", alice.uri)  # a pending delivery for the queue gauges
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{a.base_url}/metrics") as r:
                assert r.status == 200
                assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
                text = await r.text()
    finally:
        await peer.stop()

    assert "# TYPE fedi_aid_http_requests_total counter" in text
    requests = metric_lines(text, "fedi_aid_http_requests_total")
    key = 'fedi_aid_http_requests_total{method="POST",route="/users/{name}/inbox",status="202"}'
    assert requests[key] >= 2
    inbox = metric_lines(text, "fedi_aid_inbox_activities_total")
    assert inbox['fedi_aid_inbox_activities_total{result="signature"}'] >= 1
    assert inbox['fedi_aid_inbox_activities_total{result="accepted"}'] >= 2
    assert (
        metric_lines(text, "fedi_aid_signature_failures_total")["fedi_aid_signature_failures_total"]
        >= 1
    )
    assert metrics.value("fedi_aid_key_cache_total", result="miss") >= misses + 1
    assert metrics.value("fedi_aid_key_cache_total", result="hit") >= hits + 1
    assert 'fedi_aid_key_cache_total{result="hit"}' in text
    depth = metric_lines(text, "fedi_aid_queue_depth")
    assert depth['fedi_aid_queue_depth{queue="deliveries"}'] == 1
    assert depth['fedi_aid_queue_depth{queue="inbox"}'] == 2
    ages = metric_lines(text, "fedi_aid_queue_oldest_age_seconds")
    assert ages['fedi_aid_queue_oldest_age_seconds{queue="inbox"}'] >= 0
    assert metric_lines(text, "fedi_aid_deliveries") == {'fedi_aid_deliveries{state="pending"}': 1}
    assert metric_lines(text, "fedi_aid_database_up") == {"fedi_aid_database_up": 1.0}


def test_token_bucket_refills_and_is_per_address() -> None:
    now = [100.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.take(("inbox", "10.0.0.1")) for _ in range(2)] == [0.0, 0.0]
    assert limiter.take(("inbox", "10.0.0.1")) == 1.0
    assert limiter.take(("inbox", "10.0.0.2")) == 0.0  # another address has its own bucket
    assert limiter.take(("webfinger", "10.0.0.1")) == 0.0  # and another route
    now[0] += 1.0
    assert limiter.take(("inbox", "10.0.0.1")) == 0.0


def test_client_address_believes_only_trusted_proxies() -> None:
    class Request:
        def __init__(self, remote: str, forwarded: str) -> None:
            self.remote = remote
            self.headers = {"X-Forwarded-For": forwarded}

    trusted = parse_networks("127.0.0.1,::1,10.1.0.0/16")
    # Behind nginx: the last hop that is not a trusted proxy.
    assert client_address(Request("127.0.0.1", "203.0.113.9, 10.1.2.3"), trusted) == "203.0.113.9"
    # A client cannot choose its address by sending the header itself.
    assert client_address(Request("198.51.100.7", "203.0.113.9"), trusted) == "198.51.100.7"


def test_json_logs_carry_no_secrets() -> None:
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----"
    message = (
        "loaded %s from postgresql+asyncpg://fedi:hunter2@db/fedi with "
        "Authorization: Bearer abc.def-123 and password=swordfish"
    )
    record = logging.LogRecord("fedi_aid.x", logging.WARNING, __file__, 1, message, (key,), None)
    secret = "s3cr3t"
    try:
        raise ValueError("token=" + secret)
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["level"] == "warning" and entry["logger"] == "fedi_aid.x"
    for secret in ("MIIEvQIBADANBg", "hunter2", "abc.def-123", "swordfish", "s3cr3t"):
        assert secret not in line
    assert "[private key redacted]" in entry["message"] and "ValueError" in entry["exception"]
    assert redact("nothing secret here") == "nothing secret here"
