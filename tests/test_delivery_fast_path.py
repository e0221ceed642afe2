"""The delivery fast path: SSRF verdicts cached per origin, signing in a helper process, fan-out."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from fedi_aid.db.models import Delivery
from fedi_aid.delivery.fanout import FanOut
from fedi_aid.delivery.sign_process import SigningProcess, SigningUnavailable
from fedi_aid.delivery.worker import run_once
from fedi_aid.federation import http_client as http_client_module
from fedi_aid.federation.http_client import ForbiddenURL, HttpClient, _wire_url
from fedi_aid.federation.keys import KeyRef, generate_key_pair, load_private_key
from fedi_aid.federation.signatures import (
    UnsignedRequest,
    digest_header,
    parse_signature,
    prepare_request,
    rsa_sha256,
    sign_request,
    verify_signature,
)
from fedi_aid.outbox.queue import queue_activity
from tests.test_http_client import ConnectionCounter, FakeResolver, public_settings

NOW = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def key() -> KeyRef:
    private_pem, _public_pem = generate_key_pair()
    return KeyRef("https://aid.example/users/g#main-key", private_pem)


@pytest.fixture
async def counter() -> Any:
    c = ConnectionCounter()
    await c.start()
    yield c
    await c.stop()


def _forced_process() -> SigningProcess:
    process = SigningProcess()
    process.enabled = True  # even on a one-CPU machine: these tests are about correctness
    return process


# ---- the SSRF verdict per origin ---------------------------------------------------------


def test_only_allowed_plain_origins_are_remembered() -> None:
    origins: dict[str, None] = {}
    _wire_url("https://a.example/users/x/inbox", allow_private=False, allowed_origins=origins)
    assert list(origins) == ["https://a.example"]
    for refused in (
        "https://127.0.0.1/inbox",
        "https://metadata/inbox",
        "http://b.example/inbox",
        "https://a.example@127.0.0.1/inbox",
        "https://a.example\\@127.0.0.1/inbox",
    ):
        with pytest.raises(ForbiddenURL):
            _wire_url(refused, allow_private=False, allowed_origins=origins)
    # Not plain (upper case, userinfo-like or non-ASCII): checked in full, never remembered.
    _wire_url("https://A.example/inbox", allow_private=False, allowed_origins=origins)
    _wire_url("https://a.example/caf\u00e9", allow_private=False, allowed_origins=origins)
    assert list(origins) == ["https://a.example"]


def test_remembered_origin_skips_the_checks_for_its_urls(monkeypatch: Any) -> None:
    calls: list[str] = []
    real = http_client_module.check_url

    def counting(url: str, *, allow_private: bool) -> None:
        calls.append(url)
        real(url, allow_private=allow_private)

    monkeypatch.setattr(http_client_module, "check_url", counting)
    origins: dict[str, None] = {}
    first = _wire_url("https://a.example/u/1/inbox", allow_private=False, allowed_origins=origins)
    checked = len(calls)
    second = _wire_url("https://a.example/u/2/inbox", allow_private=False, allowed_origins=origins)
    assert checked == 2 and len(calls) == 2  # both spellings once, then nothing
    assert str(first) == "https://a.example/u/1/inbox"
    assert str(second) == "https://a.example/u/2/inbox"
    # Another port is another origin.
    _wire_url("https://a.example:8443/inbox", allow_private=False, allowed_origins=origins)
    assert len(calls) == 4


async def test_cached_origin_still_refuses_a_name_resolving_to_loopback(
    key: KeyRef, counter: ConnectionCounter
) -> None:
    # The name passes check_url (so its origin is remembered); the resolver refuses every time.
    fake = FakeResolver({"rebind.example": ["127.0.0.1"]})
    url = f"https://rebind.example:{counter.port}/inbox"
    async with HttpClient(public_settings(), resolver=fake) as client:
        for _ in range(2):
            with pytest.raises(ForbiddenURL, match="non-public"):
                await client.post(url, b"{}", sign_with=key)
        assert f"https://rebind.example:{counter.port}" in client._allowed_origins
    assert fake.asked == ["rebind.example", "rebind.example"]
    assert counter.connections == 0


# ---- signing elsewhere ----------------------------------------------------------------


def test_prepared_request_signs_like_sign_request(key: KeyRef) -> None:
    url = "https://b.example/users/f/inbox?x=1"
    body = b'{"type":"Create"}'
    unsigned = prepare_request("POST", url, key=key, body=body, now=NOW)
    raw = rsa_sha256(load_private_key(key.private_key_pem), unsigned.data)
    assert unsigned.signed(raw) == sign_request("POST", url, key=key, body=body, now=NOW)
    assert unsigned.sign() == sign_request("POST", url, key=key, body=body, now=NOW)


async def test_signing_process_signs_byte_for_byte_like_this_one(key: KeyRef) -> None:
    process = _forced_process()
    assert await process.start()
    try:
        data = [f"(request-target): post /u/{n}/inbox\nhost: b.example".encode() for n in range(5)]
        remote = await process.sign(key.private_key_pem, data)
        here = [rsa_sha256(load_private_key(key.private_key_pem), item) for item in data]
        assert remote == here
        # A key the process cannot load is reported, not fatal: the next request still works.
        with pytest.raises(SigningUnavailable):
            await process.sign("not a key", data[:1])
        assert await process.sign(key.private_key_pem, data[:1]) == here[:1]
    finally:
        await process.close()
    assert not process.running
    with pytest.raises(SigningUnavailable):
        await process.sign(key.private_key_pem, [b"x"])
    assert not await process.start()  # closed for good


async def test_disabled_signing_process_is_never_started() -> None:
    process = SigningProcess(enabled=False)
    assert not await process.start()
    assert not process.running
    await process.close()


@dataclass(frozen=True)
class _Post:
    """A request to sign at a fixed moment, so signatures can be compared."""

    key: KeyRef
    url: str

    def unsigned(self) -> UnsignedRequest:
        body = b'{"type":"Create"}'
        return prepare_request(
            "POST", self.url, key=self.key, body=body, digest=digest_header(body), now=NOW
        )


def _requests(key: KeyRef, count: int) -> list[_Post]:
    return [_Post(key, f"https://h{n % 3}.example/users/{n}/inbox") for n in range(count)]


async def _fan_out(requests: list[_Post], process: SigningProcess | None) -> dict[int, Any]:
    seen: dict[int, Any] = {}

    async def send(index: int, headers: Any) -> None:
        await asyncio.sleep(0)
        seen[index] = headers

    await asyncio.wait_for(FanOut(requests, process).run(send, senders=5), 60)
    return seen


@pytest.mark.parametrize("with_process", [False, True])
async def test_fan_out_signs_every_request_once(key: KeyRef, with_process: bool) -> None:
    requests = _requests(key, 70)
    process = _forced_process() if with_process else None
    if process is not None:
        assert await process.start()
    try:
        seen = await _fan_out(requests, process)
    finally:
        if process is not None:
            await process.close()
    assert sorted(seen) == list(range(70))
    for index, request in enumerate(requests):
        assert seen[index] == request.unsigned().sign()


async def test_fan_out_signs_here_when_the_signing_process_dies(key: KeyRef) -> None:
    requests = _requests(key, 50)
    process = _forced_process()
    assert await process.start()
    try:
        assert process._process is not None
        process._process.kill()
        seen = await _fan_out(requests, process)
    finally:
        await process.close()
    assert sorted(seen) == list(range(50))
    assert all(seen[i] == r.unsigned().sign() for i, r in enumerate(requests))


# ---- the worker with its signing process -------------------------------------------------


async def test_large_fan_out_through_the_signing_process_is_verifiable(
    make_instance: Any, aiohttp_server: Any
) -> None:
    instance = await make_instance()
    group = await instance.create_group("fan")
    received: list[web.Request] = []
    bodies: list[bytes] = []

    async def inbox(request: web.Request) -> web.Response:
        received.append(request)
        bodies.append(await request.read())
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/users/{name}/inbox", inbox)
    servers = [await aiohttp_server(app) for _ in range(3)]
    inboxes = [f"http://127.0.0.1:{servers[n % 3].port}/users/f{n}/inbox" for n in range(60)]
    activity = {
        "id": f"{group.uri}/activities/1",
        "type": "Create",
        "actor": group.uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"id": f"{group.uri}/notes/1", "type": "Note", "content": "hello"},
    }
    async with instance.ctx.sessions.begin() as session:
        await queue_activity(session, group, activity, inboxes)
    process = _forced_process()
    try:
        assert await run_once(instance.ctx, signer=process) == 60
        assert process.running  # a fan-out this large started it
    finally:
        await process.close()

    async with instance.ctx.sessions() as session:
        rows = (await session.execute(select(Delivery.state, Delivery.tries))).all()
    assert sorted(set(rows)) == [("sent", 1)] and len(rows) == 60
    assert len(received) == 60
    for request, body in zip(received, bodies, strict=True):
        parsed = parse_signature(request.method, str(request.url), request.headers, body)
        verify_signature(parsed, group.public_key_pem)


@pytest.mark.parametrize("with_process", [False, True])
async def test_fan_out_hands_over_requests_that_cannot_be_signed(
    key: KeyRef, with_process: bool
) -> None:
    bad = KeyRef('https://aid.example/"quoted"#key', key.private_key_pem)
    requests = _requests(key, 40)
    requests[5] = _Post(bad, "https://h0.example/users/5/inbox")
    requests[33] = _Post(KeyRef(key.key_id, "not a key"), "https://h0.example/users/33/inbox")
    process = _forced_process() if with_process else None
    if process is not None:
        assert await process.start()
    try:
        seen = await _fan_out(requests, process)
    finally:
        if process is not None:
            await process.close()
    assert sorted(seen) == list(range(40))
    assert isinstance(seen[5], ValueError) and isinstance(seen[33], ValueError)
    assert all(isinstance(seen[i], dict) for i in range(40) if i not in (5, 33))


async def test_idle_signing_process_is_stopped_and_restarts_on_demand(key: KeyRef) -> None:
    process = _forced_process()
    assert await process.start()
    try:
        await process.stop_if_idle(idle_seconds=3600)
        assert process.running  # used just now
        await process.stop_if_idle(idle_seconds=-1)
        assert not process.running
        assert await process.start()  # stopped, not closed: the next fan-out starts it again
        raw = await process.sign(key.private_key_pem, [b"data"])
        assert raw == [rsa_sha256(load_private_key(key.private_key_pem), b"data")]
    finally:
        await process.close()
