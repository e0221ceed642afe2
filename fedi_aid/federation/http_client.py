"""The one outbound HTTP client: every fetch and every delivery goes through ``HttpClient``.

What it guarantees (DESIGN.md section 5):
- the SSRF guard on the address actually connected to: ``check_url`` on every hop (the only
  check literal-IP hosts get, since aiohttp connects to them without a resolver), and a resolver
  that drops non-public addresses from every DNS answer;
- redirects followed here, not by aiohttp, so each hop is checked (and re-signed);
- timeouts (connect, read, total) and a response size cap from Settings;
- a User-Agent naming the software and the instance on every request.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from fedi_aid.config import Settings
from fedi_aid.federation.keys import KeyRef
from fedi_aid.federation.signatures import UnsignedRequest, prepare_request, sign_request
from fedi_aid.federation.ssrf import (
    FetchError,
    ForbiddenURL,
    check_url,
    is_forbidden_address,
    parse_ip,
)

__all__ = [
    "ACTIVITY_ACCEPT",
    "FetchError",
    "ForbiddenURL",
    "GuardedResolver",
    "HttpClient",
    "HttpResponse",
    "PreparedPost",
    "is_json_content_type",
    "parse_retry_after",
    "resolve_redirect",
]

log = logging.getLogger(__name__)

ACTIVITY_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
JSON_CONTENT_TYPES = frozenset(
    {
        "application/activity+json",
        "application/ld+json",
        "application/json",
        "application/jrd+json",
    }
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK_SIZE = 64 * 1024


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date); None if unusable.

    A date in the past gives 0.0.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def is_json_content_type(content_type: str) -> bool:
    """True for the JSON media types federation uses (parameters ignored)."""
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime in JSON_CONTENT_TYPES or (
        mime.startswith("application/") and mime.endswith("+json")
    )


def _host_of(url: str | URL) -> str:
    """host[:port] for messages: never userinfo, path or query."""
    try:
        parsed = url if isinstance(url, URL) else URL(url)
        host = parsed.host
    except (ValueError, TypeError):
        return "(malformed URL)"
    if not host:
        return "(no host)"
    if parsed.explicit_port is not None:
        return f"{host}:{parsed.explicit_port}"
    return host


# A URL of this plain shape reads the same to urllib and yarl: ASCII only, no userinfo, no
# backslash, no fragment, a lower-case name or bracketed IPv6 literal and a numeric port. For
# such URLs the SSRF verdict of ``check_url`` depends only on the origin (group 1), so an
# allowed origin is remembered and the next URL on it skips both checks. Anything else takes
# the full path every time. The resolver still judges every address connected to.
_PLAIN_URL = re.compile(
    r"(https?://(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?)"
    r"(?:[/?](?:%[0-9A-Fa-f]{2}|[A-Za-z0-9._~!$&'()*+,;=:@/?-])*)?",
    re.ASCII,
)
_ALLOWED_ORIGINS_MAX = 4096


def _wire_url(
    url: str, *, allow_private: bool, allowed_origins: dict[str, None] | None = None
) -> URL:
    """The URL as aiohttp will send it, after the SSRF check on both spellings.

    Checking yarl's canonical form too (not only the caller's string) means a parser
    disagreement between urllib and yarl cannot smuggle another host past the check.
    ``allowed_origins`` caches origins of plain-shaped URLs that passed (see ``_PLAIN_URL``).
    """
    origin = None
    if allowed_origins is not None:
        plain = _PLAIN_URL.fullmatch(url)
        origin = plain.group(1) if plain is not None else None
        if origin is not None and origin in allowed_origins:
            return URL(url)
    check_url(url, allow_private=allow_private)
    try:
        wire = URL(url).with_fragment(None)
    except (ValueError, TypeError):
        raise ForbiddenURL(f"refused URL on {_host_of(url)}: it is malformed") from None
    check_url(str(wire), allow_private=allow_private)
    if origin is not None and allowed_origins is not None:
        if len(allowed_origins) >= _ALLOWED_ORIGINS_MAX:
            allowed_origins.clear()
        allowed_origins[origin] = None
    return wire


def _failure(exc: BaseException, host: str) -> FetchError:
    """The FetchError (or ForbiddenURL) for a request that raised ``exc``; names only the host."""
    if isinstance(exc, TimeoutError):
        # Before ClientError: aiohttp's ServerTimeoutError is both.
        return FetchError(f"{host}: request timed out")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return FetchError(f"{host}: cannot resolve the host name")
    if isinstance(exc, aiohttp.ClientSSLError):
        return FetchError(f"{host}: TLS handshake or certificate check failed")
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or type(exc.os_error).__name__
        return FetchError(f"{host}: cannot connect ({reason})")
    if isinstance(exc, aiohttp.InvalidURL):
        return ForbiddenURL(f"refused URL on {host}: it is malformed")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return FetchError(f"{host}: server closed the connection")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return FetchError(f"{host}: response body incomplete or corrupt")
    if isinstance(exc, aiohttp.ClientResponseError):
        return FetchError(f"{host}: invalid HTTP response ({exc.message})")
    if isinstance(exc, aiohttp.ClientError):
        return FetchError(f"{host}: request failed ({type(exc).__name__})")
    strerror = exc.strerror if isinstance(exc, OSError) else None
    return FetchError(f"{host}: network error ({strerror or type(exc).__name__})")


def resolve_redirect(base_url: str, location: str, *, allow_private: bool) -> str:
    """The absolute URL a redirect points to; ForbiddenURL if that hop is not allowed."""
    try:
        target = str(URL(base_url).join(URL(location)))
    except (ValueError, TypeError):
        raise ForbiddenURL(f"refused redirect from {_host_of(base_url)}: bad Location") from None
    check_url(target, allow_private=allow_private)
    return target


@dataclass(frozen=True)
class PreparedPost:
    """A POST whose URL passed the SSRF check, not yet signed: `HttpClient.prepare_post`
    makes it, `unsigned()` gives what to sign (just before sending: it holds the Date), and
    `HttpClient.send_post` sends it with the signed headers."""

    url: str
    wire: URL
    body: bytes
    key: KeyRef
    digest: str | None
    content_type: str

    def unsigned(self) -> UnsignedRequest:
        """The headers and signing string as of now; ValueError when the key cannot sign."""
        return prepare_request(
            "POST",
            str(self.wire),
            key=self.key,
            body=self.body,
            digest=self.digest,
            headers={"Content-Type": self.content_type, "Accept": ACTIVITY_ACCEPT},
        )


@dataclass
class HttpResponse:
    status: int
    headers: Mapping[str, str]  # case-insensitive (aiohttp's CIMultiDictProxy)
    body: bytes
    url: str  # final URL after redirects (the caller's exact string when there were none)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        """Media type without parameters, lower case; '' when absent."""
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("Retry-After"))

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise FetchError(
                f"{_host_of(self.url)}: response is not valid JSON", status=self.status
            ) from None


class GuardedResolver(AbstractResolver):
    """Wraps a resolver and removes forbidden addresses from its answers.

    aiohttp connects only to what the resolver returns, so this judges the address actually
    connected to; a name that resolves only to forbidden addresses raises ForbiddenURL.
    """

    def __init__(self, inner: AbstractResolver, *, allow_private: bool = False) -> None:
        self._inner = inner
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self._allow_private:
            return results
        kept: list[ResolveResult] = []
        refused: list[str] = []
        for result in results:
            ip = parse_ip(result["host"])
            # An answer we cannot parse as an address is dropped, never trusted.
            if ip is None or is_forbidden_address(ip):
                refused.append(result["host"])
            else:
                kept.append(result)
        if refused:
            log.info("dropped non-public addresses of %s: %s", host, ", ".join(refused[:5]))
        if not kept:
            raise ForbiddenURL(
                f"refused {host}: it resolves only to non-public addresses "
                f"({', '.join(refused[:3]) or 'none'})"
            )
        return kept

    async def close(self) -> None:
        await self._inner.close()


class HttpClient:
    """One aiohttp session for all outbound traffic. Use ``async with`` or start()/close().

    ``resolver`` replaces aiohttp's default resolver underneath the guard (for tests).
    """

    def __init__(self, settings: Settings, *, resolver: AbstractResolver | None = None) -> None:
        self.settings = settings
        # Development mode allows plain http and loopback/private peers (local test instances).
        self.allow_private = settings.development
        self._inner_resolver = resolver
        self._owns_inner = resolver is None
        self._resolver: GuardedResolver | None = None
        self._session: aiohttp.ClientSession | None = None
        # Origins whose plain-shaped URLs passed check_url (see _wire_url).
        self._allowed_origins: dict[str, None] = {}

    async def start(self) -> None:
        if self._session is not None:
            return
        inner = self._inner_resolver or aiohttp.DefaultResolver()
        self._resolver = GuardedResolver(inner, allow_private=self.allow_private)
        connector = aiohttp.TCPConnector(
            limit=100,
            limit_per_host=16,
            ttl_dns_cache=60,  # the cache holds already-filtered answers
            resolver=self._resolver,
        )
        timeout = aiohttp.ClientTimeout(
            total=self.settings.http_total_timeout,
            sock_connect=self.settings.http_connect_timeout,
            sock_read=self.settings.http_read_timeout,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            headers={"User-Agent": self.settings.user_agent},
            # No cookies: a peer must not be able to set state that rides on later requests.
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,  # no proxies from the environment
        )

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        resolver, self._resolver = self._resolver, None
        # The connector does not close a resolver it was given; close the one we created.
        if resolver is not None and self._owns_inner:
            await resolver.close()

    async def __aenter__(self) -> HttpClient:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ---- public requests ------------------------------------------------------------

    async def get(
        self,
        url: str,
        *,
        accept: str = ACTIVITY_ACCEPT,
        sign_with: KeyRef | None = None,
        max_redirects: int = 5,
    ) -> HttpResponse:
        """GET, following up to ``max_redirects`` redirects, each hop checked (and signed).

        Returns the final response whatever its status; raises FetchError on network errors,
        timeouts, too many redirects, an oversize body, and ForbiddenURL on a refused hop.
        """
        current = url
        redirects = 0
        while True:
            wire = self._checked(current)
            headers: dict[str, str] = {"Accept": accept}
            if sign_with is not None:
                headers = self._sign("GET", str(wire), sign_with, headers=headers)
            response = await self._send("GET", current, wire, headers=headers, follow=True)
            location = response.headers.get("Location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            if redirects >= max_redirects:
                raise FetchError(f"{_host_of(url)}: too many redirects (more than {max_redirects})")
            redirects += 1
            current = resolve_redirect(current, location, allow_private=self.allow_private)

    async def get_json(
        self, url: str, *, sign_with: KeyRef | None = None, accept: str = ACTIVITY_ACCEPT
    ) -> tuple[str, dict[str, Any]]:
        """GET a JSON object: (final URL after redirects, document).

        FetchError on a non-2xx status (with .status and .retry_after), a non-JSON content
        type, invalid JSON, or a document that is not an object.
        """
        response = await self.get(url, accept=accept, sign_with=sign_with)
        host = _host_of(response.url)
        if not response.ok:
            raise FetchError(
                f"{host}: HTTP {response.status}",
                status=response.status,
                retry_after=response.retry_after,
            )
        if not is_json_content_type(response.content_type):
            raise FetchError(
                f"{host}: expected JSON, got content type {response.content_type or '(none)'!r}",
                status=response.status,
            )
        document = response.json()
        if not isinstance(document, dict):
            raise FetchError(f"{host}: expected a JSON object", status=response.status)
        return response.url, document

    async def post(
        self,
        url: str,
        body: bytes,
        *,
        sign_with: KeyRef,
        digest: str | None = None,
        content_type: str = "application/activity+json",
    ) -> HttpResponse:
        """Signed POST (draft-cavage). Never follows redirects; returns any status.

        ``digest`` is the precomputed Digest header value, so fan-out hashes a body once.
        FetchError(status=None) on network errors and timeouts. A response body over the
        cap is truncated rather than failing: the delivery itself has already happened.
        """
        prepared = self.prepare_post(
            url, body, sign_with=sign_with, digest=digest, content_type=content_type
        )
        return await self.send_post(prepared, prepared.unsigned().sign())

    def prepare_post(
        self,
        url: str,
        body: bytes,
        *,
        sign_with: KeyRef,
        digest: str | None = None,
        content_type: str = "application/activity+json",
    ) -> PreparedPost:
        """``post`` up to the signature, so that it can be made elsewhere; ForbiddenURL for a
        refused URL."""
        return PreparedPost(url, self._checked(url), body, sign_with, digest, content_type)

    async def send_post(self, prepared: PreparedPost, headers: Mapping[str, str]) -> HttpResponse:
        """Send a prepared POST with its signed ``headers`` (from ``prepared.unsigned()``)."""
        return await self._send(
            "POST", prepared.url, prepared.wire, headers=headers, data=prepared.body, follow=False
        )

    # ---- internals ------------------------------------------------------------------

    def _checked(self, url: str) -> URL:
        return _wire_url(
            url, allow_private=self.allow_private, allowed_origins=self._allowed_origins
        )

    @staticmethod
    def _sign(
        method: str,
        url: str,
        key: KeyRef,
        *,
        headers: Mapping[str, str],
        body: bytes | None = None,
        digest: str | None = None,
    ) -> dict[str, str]:
        return sign_request(method, url, key=key, body=body, headers=headers, digest=digest)

    async def _send(
        self,
        method: str,
        url: str,
        wire: URL,
        *,
        headers: Mapping[str, str],
        data: bytes | None = None,
        follow: bool,
    ) -> HttpResponse:
        """One request, one response; ``follow`` marks a GET whose redirects we follow."""
        if self._session is None:
            await self.start()
        assert self._session is not None
        try:
            async with self._session.request(
                method, wire, headers=headers, data=data, allow_redirects=False
            ) as resp:
                if follow and resp.status in REDIRECT_STATUSES and "Location" in resp.headers:
                    body = b""  # a redirect's body is never used; don't read it
                else:
                    body = await self._read_body(resp, wire, truncate=not follow)
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("%s %s -> %s", method, _host_of(wire), resp.status)
                return HttpResponse(status=resp.status, headers=resp.headers, body=body, url=url)
        except FetchError:
            raise
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _failure(exc, _host_of(wire)) from None

    async def _read_body(self, resp: aiohttp.ClientResponse, wire: URL, *, truncate: bool) -> bytes:
        """Read at most max_response_bytes; over that, FetchError (or truncate when asked)."""
        cap = self.settings.max_response_bytes
        declared = resp.content_length
        if declared is not None and declared > cap and not truncate:
            resp.close()  # drop the connection instead of draining the body
            raise FetchError(
                f"{_host_of(wire)}: response too large ({declared} bytes, limit {cap})"
            )
        if declared is not None and declared <= cap:
            return await resp.read()  # the usual small answer: no chunk loop
        chunks: list[bytes] = []
        total = 0
        async for chunk in resp.content.iter_chunked(_CHUNK_SIZE):
            if total + len(chunk) > cap:
                resp.close()
                if truncate:
                    chunks.append(chunk[: cap - total])
                    break
                raise FetchError(f"{_host_of(wire)}: response too large (over {cap} bytes)")
            total += len(chunk)
            chunks.append(chunk)
        return b"".join(chunks)
