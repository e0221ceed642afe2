"""The outbound HTTP client, against real servers on loopback."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fedi_aid.config import Settings, load_settings
from fedi_aid.federation import http_client as http_client_module
from fedi_aid.federation.http_client import (
    ACTIVITY_ACCEPT,
    FetchError,
    ForbiddenURL,
    GuardedResolver,
    HttpClient,
    HttpResponse,
    parse_retry_after,
    resolve_redirect,
)
from fedi_aid.federation.keys import KeyRef
from fedi_aid.federation.ssrf import check_url as real_check_url

KEY_ID = "https://aid.example/actor#main-key"


# ---- helpers --------------------------------------------------------------------------


def dev_settings(**overrides: Any) -> Settings:
    return load_settings(
        environ={}, base_url="http://localhost:8080", development=True, **overrides
    )


def public_settings(**overrides: Any) -> Settings:
    return load_settings(environ={}, base_url="https://aid.example", development=False, **overrides)


@pytest.fixture(scope="module")
def rsa_key() -> tuple[KeyRef, rsa.RSAPublicKey]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return KeyRef(key_id=KEY_ID, private_key_pem=pem), private.public_key()


def parse_cavage(header: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in header.split('",'):
        name, _, value = part.partition("=")
        fields[name.strip()] = value.strip().strip('"')
    return fields


def verify_cavage(request: web.Request, public_key: rsa.RSAPublicKey) -> dict[str, str]:
    """Check a draft-cavage signature as the receiving server sees the request."""
    fields = parse_cavage(request.headers["Signature"])
    lines = []
    for name in fields["headers"].split():
        if name == "(request-target)":
            lines.append(f"(request-target): {request.method.lower()} {request.raw_path}")
        else:
            lines.append(f"{name}: {request.headers[name]}")
    public_key.verify(
        base64.b64decode(fields["signature"]),
        "\n".join(lines).encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    return fields


class Recorder:
    """A test app that remembers every request it saw."""

    def __init__(self) -> None:
        self.requests: list[web.Request] = []
        self.bodies: list[bytes] = []
        self.app = web.Application()

    def route(self, method: str, path: str, handler: Callable[..., Any]) -> None:
        async def recorded(request: web.Request) -> web.StreamResponse:
            self.requests.append(request)
            self.bodies.append(await request.read())
            return await handler(request)

        self.app.router.add_route(method, path, recorded)


class ConnectionCounter:
    """A raw TCP listener that counts connections: proves a refusal happened before connecting."""

    def __init__(self) -> None:
        self.connections = 0
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            writer.close()

        self.server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


@pytest.fixture
async def counter() -> AsyncIterator[ConnectionCounter]:
    c = ConnectionCounter()
    await c.start()
    yield c
    await c.stop()


class FakeResolver(AbstractResolver):
    """Answers from a table instead of DNS."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"no such host {host}")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.table[host]
        ]

    async def close(self) -> None:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def json_ok(request: web.Request) -> web.Response:
    return web.json_response({"id": str(request.url)}, content_type="application/activity+json")


# ---- basics ---------------------------------------------------------------------------


async def test_get_sends_user_agent_and_accept(aiohttp_server: Any) -> None:
    rec = Recorder()
    rec.route("GET", "/actor", json_ok)
    server = await aiohttp_server(rec.app)
    settings = dev_settings()
    async with HttpClient(settings) as client:
        response = await client.get(str(server.make_url("/actor")))
    assert response.status == 200
    assert isinstance(response, HttpResponse)
    seen = rec.requests[0].headers
    assert seen["User-Agent"] == settings.user_agent
    assert "fedi-aid/" in seen["User-Agent"] and "http://localhost:8080" in seen["User-Agent"]
    assert seen["Accept"] == ACTIVITY_ACCEPT
    assert response.json()["id"].endswith("/actor")


async def test_get_returns_any_status(aiohttp_server: Any) -> None:
    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=410, text="gone")

    rec = Recorder()
    rec.route("GET", "/x", gone)
    server = await aiohttp_server(rec.app)
    async with HttpClient(dev_settings()) as client:
        response = await client.get(str(server.make_url("/x")))
    assert response.status == 410
    assert not response.ok
    assert response.body == b"gone"


async def test_client_starts_lazily_and_closes_twice(aiohttp_server: Any) -> None:
    rec = Recorder()
    rec.route("GET", "/actor", json_ok)
    server = await aiohttp_server(rec.app)
    client = HttpClient(dev_settings())
    response = await client.get(str(server.make_url("/actor")))
    assert response.status == 200
    await client.close()
    await client.close()


# ---- SSRF -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/actor",
        "https://127.0.0.1:{port}/actor",
        "https://[::ffff:127.0.0.1]:{port}/actor",
        "https://localhost:{port}/actor",
    ],
)
async def test_public_mode_refuses_loopback_without_connecting(
    counter: ConnectionCounter, rsa_key: tuple[KeyRef, Any], template: str
) -> None:
    url = template.format(port=counter.port)
    async with HttpClient(public_settings()) as client:
        with pytest.raises(ForbiddenURL) as info:
            await client.get(url)
        assert info.value.status is None
        with pytest.raises(ForbiddenURL):
            await client.post(url, b"{}", sign_with=rsa_key[0])
        with pytest.raises(ForbiddenURL):
            await client.get_json(url)
    assert counter.connections == 0


async def test_public_mode_refuses_name_resolving_to_loopback(counter: ConnectionCounter) -> None:
    # The name passes check_url; only the resolver sees that it points at 127.0.0.1.
    fake = FakeResolver({"rebind.example": ["127.0.0.1", "::1"]})
    async with HttpClient(public_settings(), resolver=fake) as client:
        with pytest.raises(ForbiddenURL) as info:
            await client.get(f"https://rebind.example:{counter.port}/actor")
    assert fake.asked == ["rebind.example"]
    assert "non-public" in str(info.value)
    assert counter.connections == 0


async def test_guarded_resolver_keeps_only_public_addresses() -> None:
    fake = FakeResolver(
        {
            "mixed.example": ["127.0.0.1", "93.184.216.34", "::ffff:10.0.0.1", "2606:4700::1111"],
            "loopback.example": ["127.0.0.1"],
            "private.example": ["10.0.0.1", "fe80::1%lo", "169.254.169.254"],
            "garbage.example": ["not-an-address"],
        }
    )
    guarded = GuardedResolver(fake, allow_private=False)
    kept = await guarded.resolve("mixed.example", 443)
    assert [r["host"] for r in kept] == ["93.184.216.34", "2606:4700::1111"]
    for name in ("loopback.example", "private.example", "garbage.example"):
        with pytest.raises(ForbiddenURL):
            await guarded.resolve(name, 443)
    # Development mode passes everything through.
    permissive = GuardedResolver(fake, allow_private=True)
    assert len(await permissive.resolve("loopback.example", 80)) == 1


def test_resolve_redirect_checks_each_hop() -> None:
    base = "https://aid.example/users/a"
    assert resolve_redirect(base, "/users/b", allow_private=False) == "https://aid.example/users/b"
    assert (
        resolve_redirect(base, "https://other.example/x?y=1", allow_private=False)
        == "https://other.example/x?y=1"
    )
    for location in (
        "http://aid.example/users/b",  # downgrade to plain http
        "https://169.254.169.254/latest/meta-data/",
        "//10.0.0.1/",
        "https://localhost/",
        "https://[::1]/",
        "https://user:pw@aid.example/",
        "file:///etc/passwd",
    ):
        with pytest.raises(ForbiddenURL):
            resolve_redirect(base, location, allow_private=False)
    assert (
        resolve_redirect("http://127.0.0.1:8080/a", "/b", allow_private=True)
        == "http://127.0.0.1:8080/b"
    )


async def test_redirect_to_forbidden_address_is_refused_without_connecting(
    aiohttp_server: Any, counter: ConnectionCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def to_internal(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://127.0.0.1:{counter.port}/secret")

    async def to_metadata(request: web.Request) -> web.Response:
        raise web.HTTPFound("https://169.254.169.254/latest/meta-data/")

    rec = Recorder()
    rec.route("GET", "/internal", to_internal)
    rec.route("GET", "/metadata", to_metadata)
    server = await aiohttp_server(rec.app)
    entry = f"127.0.0.1:{server.port}"

    # The entry server stands in for a public peer: only URLs on it skip the policy,
    # every other hop is judged by the real check in public mode.
    def check_url(url: str, *, allow_private: bool) -> None:
        real_check_url(url, allow_private=allow_private or entry in url)

    monkeypatch.setattr(http_client_module, "check_url", check_url)
    async with HttpClient(public_settings()) as client:
        for path in ("/internal", "/metadata"):
            with pytest.raises(ForbiddenURL):
                await client.get(f"http://{entry}{path}")
    assert len(rec.requests) == 2
    assert counter.connections == 0


def make_chain(rec: Recorder, length: int) -> None:
    """/hop/0 -> /hop/1 -> ... -> /hop/{length} (which answers JSON): `length` redirects."""

    async def hop(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n < length:
            # Alternate relative and absolute Location headers.
            target = f"/hop/{n + 1}" if n % 2 else str(request.url.with_path(f"/hop/{n + 1}"))
            raise web.HTTPFound(target)
        return await json_ok(request)

    rec.route("GET", "/hop/{n}", hop)


async def test_redirect_chain_of_two_is_followed(aiohttp_server: Any) -> None:
    rec = Recorder()
    make_chain(rec, 2)
    server = await aiohttp_server(rec.app)
    async with HttpClient(dev_settings()) as client:
        final_url, doc = await client.get_json(str(server.make_url("/hop/0")))
    assert final_url == str(server.make_url("/hop/2"))
    assert doc["id"] == final_url
    assert [r.path for r in rec.requests] == ["/hop/0", "/hop/1", "/hop/2"]


async def test_redirect_chain_of_six_fails(aiohttp_server: Any) -> None:
    rec = Recorder()
    make_chain(rec, 6)
    server = await aiohttp_server(rec.app)
    async with HttpClient(dev_settings()) as client:
        response = await client.get(str(server.make_url("/hop/1")))  # 5 redirects: fine
        assert response.status == 200
        with pytest.raises(FetchError) as info:
            await client.get(str(server.make_url("/hop/0")))
    assert "too many redirects" in str(info.value)
    assert info.value.status is None


# ---- limits ---------------------------------------------------------------------------


async def test_oversize_streamed_body_is_refused(aiohttp_server: Any) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # chunked: no Content-Length to reject early
        response.content_type = "application/activity+json"
        await response.prepare(request)
        chunk = b"x" * 65536
        try:
            for _ in range(32):  # 2 MiB
                await response.write(chunk)
        except (ConnectionResetError, ConnectionError):
            pass
        return response

    rec = Recorder()
    rec.route("GET", "/huge", huge)
    server = await aiohttp_server(rec.app)
    async with HttpClient(dev_settings()) as client:
        with pytest.raises(FetchError) as info:
            await client.get(str(server.make_url("/huge")))
    assert "too large" in str(info.value)
    assert info.value.status is None


async def test_declared_content_length_over_cap_is_refused_early(aiohttp_server: Any) -> None:
    async def liar(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 2 * 1024 * 1024
        await response.prepare(request)
        await response.write(b"x" * 1024)
        await asyncio.sleep(5)  # never sends the rest: only an early refusal is quick
        return response

    rec = Recorder()
    rec.route("GET", "/liar", liar)
    server = await aiohttp_server(rec.app)
    async with HttpClient(dev_settings()) as client:
        started = time.monotonic()
        with pytest.raises(FetchError) as info:
            await client.get(str(server.make_url("/liar")))
    assert "too large" in str(info.value)
    assert time.monotonic() - started < 3


async def test_body_exactly_at_cap_passes_one_more_byte_fails(aiohttp_server: Any) -> None:
    async def sized(request: web.Request) -> web.Response:
        return web.Response(body=b"y" * int(request.match_info["n"]))

    rec = Recorder()
    rec.route("GET", "/sized/{n}", sized)
    server = await aiohttp_server(rec.app)
    async with HttpClient(dev_settings(max_response_bytes=1000)) as client:
        response = await client.get(str(server.make_url("/sized/1000")))
        assert len(response.body) == 1000
        with pytest.raises(FetchError):
            await client.get(str(server.make_url("/sized/1001")))


async def test_slow_server_hits_read_timeout(aiohttp_server: Any) -> None:
    async def slow_headers(request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.Response(text="late")

    async def slow_body(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"{")
        await asyncio.sleep(3)
        return response

    rec = Recorder()
    rec.route("GET", "/slow-headers", slow_headers)
    rec.route("GET", "/slow-body", slow_body)
    server = await aiohttp_server(rec.app)
    settings = dev_settings(http_read_timeout=0.3, http_total_timeout=10)
    async with HttpClient(settings) as client:
        for path in ("/slow-headers", "/slow-body"):
            started = time.monotonic()
            with pytest.raises(FetchError) as info:
                await client.get(str(server.make_url(path)))
            assert "timed out" in str(info.value)
            assert info.value.status is None
            assert time.monotonic() - started < 2


async def test_connection_refused(rsa_key: tuple[KeyRef, Any]) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/inbox?token=s3cret-token"
    async with HttpClient(dev_settings()) as client:
        with pytest.raises(FetchError) as info:
            await client.get(url)
        assert info.value.status is None
        assert f"127.0.0.1:{port}" in str(info.value)
        assert "s3cret-token" not in str(info.value)
        with pytest.raises(FetchError) as info:
            await client.post(url, b"{}", sign_with=rsa_key[0])
        assert info.value.status is None


# ---- signatures -----------------------------------------------------------------------


async def test_signed_get_carries_verifiable_signature_on_every_hop(
    aiohttp_server: Any, rsa_key: tuple[KeyRef, rsa.RSAPublicKey]
) -> None:
    key, public_key = rsa_key
    rec = Recorder()
    make_chain(rec, 2)
    server = await aiohttp_server(rec.app)
    async with HttpClient(dev_settings()) as client:
        final_url, _ = await client.get_json(str(server.make_url("/hop/0?q=1")), sign_with=key)
    assert final_url.endswith("/hop/2")
    assert len(rec.requests) == 3
    for request in rec.requests:
        fields = verify_cavage(request, public_key)
        assert fields["keyId"] == KEY_ID
        assert fields["headers"].split() == ["(request-target)", "host", "date"]
        assert request.headers["Accept"] == ACTIVITY_ACCEPT
    assert rec.requests[0].raw_path == "/hop/0?q=1"


async def test_signed_post_carries_signature_and_digest(
    aiohttp_server: Any, rsa_key: tuple[KeyRef, rsa.RSAPublicKey]
) -> None:
    key, public_key = rsa_key

    async def inbox(request: web.Request) -> web.Response:
        return web.Response(status=202)

    rec = Recorder()
    rec.route("POST", "/inbox", inbox)
    server = await aiohttp_server(rec.app)
    body = json.dumps({"type": "Create", "id": "https://aid.example/a/1"}).encode()
    settings = dev_settings()
    async with HttpClient(settings) as client:
        response = await client.post(str(server.make_url("/inbox")), body, sign_with=key)
        assert response.status == 202
        # A precomputed digest (fan-out) is sent as given.
        digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        await client.post(str(server.make_url("/inbox")), body, sign_with=key, digest=digest)
    for request, received in zip(rec.requests, rec.bodies, strict=True):
        assert received == body
        assert request.headers["Digest"] == digest
        assert request.headers["Content-Type"] == "application/activity+json"
        assert request.headers["User-Agent"] == settings.user_agent
        fields = verify_cavage(request, public_key)
        assert fields["keyId"] == KEY_ID
        assert "digest" in fields["headers"].split()


async def test_post_does_not_follow_redirects(
    aiohttp_server: Any, rsa_key: tuple[KeyRef, Any]
) -> None:
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/elsewhere")

    rec = Recorder()
    rec.route("POST", "/inbox", moved)
    rec.route("POST", "/elsewhere", moved)
    server = await aiohttp_server(rec.app)
    async with HttpClient(dev_settings()) as client:
        response = await client.post(str(server.make_url("/inbox")), b"{}", sign_with=rsa_key[0])
    assert response.status == 307
    assert [r.path for r in rec.requests] == ["/inbox"]


async def test_post_truncates_oversize_answer(
    aiohttp_server: Any, rsa_key: tuple[KeyRef, Any]
) -> None:
    async def chatty(request: web.Request) -> web.Response:
        return web.Response(status=202, body=b"z" * 5000)

    rec = Recorder()
    rec.route("POST", "/inbox", chatty)
    server = await aiohttp_server(rec.app)
    async with HttpClient(dev_settings(max_response_bytes=1000)) as client:
        response = await client.post(str(server.make_url("/inbox")), b"{}", sign_with=rsa_key[0])
    assert response.status == 202
    assert len(response.body) == 1000


# ---- Retry-After and get_json ---------------------------------------------------------


def test_parse_retry_after() -> None:
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, now=now) == 90.0
    assert parse_retry_after("Sat, 01 Mar 2025 12:05:00 GMT", now=now) == 300.0
    assert parse_retry_after("Sat, 01 Mar 2025 11:00:00 GMT", now=now) == 0.0  # in the past
    for bad in (None, "", "soon", "-5", "1.5e3"):
        assert parse_retry_after(bad) is None


async def test_get_json_non_2xx_carries_status_and_retry_after(aiohttp_server: Any) -> None:
    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=503, headers={"Retry-After": "120"}, text="busy")

    async def limited(request: web.Request) -> web.Response:
        when = format_datetime(datetime.now(UTC) + timedelta(seconds=600), usegmt=True)
        return web.Response(status=429, headers={"Retry-After": when})

    rec = Recorder()
    rec.route("GET", "/busy", busy)
    rec.route("GET", "/limited", limited)
    server = await aiohttp_server(rec.app)
    async with HttpClient(dev_settings()) as client:
        with pytest.raises(FetchError) as info:
            await client.get_json(str(server.make_url("/busy")))
        assert info.value.status == 503
        assert info.value.retry_after == 120.0
        response = await client.get(str(server.make_url("/busy")))
        assert response.retry_after == 120.0
        with pytest.raises(FetchError) as info:
            await client.get_json(str(server.make_url("/limited")))
        assert info.value.status == 429
        assert info.value.retry_after is not None and 590 <= info.value.retry_after <= 600


@pytest.mark.parametrize(
    ("content_type", "body", "words"),
    [
        ("text/html", b"<html><body>hello</body></html>", "expected JSON"),
        ("application/activity+json", b"[1, 2, 3]", "JSON object"),
        ("application/activity+json", b'{"id": ', "not valid JSON"),
        ("application/json", b"\xff\xfe\x00", "not valid JSON"),
    ],
)
async def test_get_json_refuses_non_objects(
    aiohttp_server: Any, content_type: str, body: bytes, words: str
) -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Type": content_type})

    rec = Recorder()
    rec.route("GET", "/page", page)
    server = await aiohttp_server(rec.app)
    async with HttpClient(dev_settings()) as client:
        with pytest.raises(FetchError) as info:
            await client.get_json(str(server.make_url("/page")))
    assert words in str(info.value)
    assert "127.0.0.1" in str(info.value)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/activity+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/json; charset=utf-8",
        "application/jrd+json",
    ],
)
async def test_get_json_accepts_json_types(aiohttp_server: Any, content_type: str) -> None:
    async def doc(request: web.Request) -> web.Response:
        return web.Response(body=b'{"id": "x"}', headers={"Content-Type": content_type})

    rec = Recorder()
    rec.route("GET", "/doc", doc)
    server = await aiohttp_server(rec.app)
    url = str(server.make_url("/doc"))
    async with HttpClient(dev_settings()) as client:
        assert await client.get_json(url) == (url, {"id": "x"})
