"""HTTP message signatures: draft-cavage (signing and verifying) and RFC 9421 (both too).

Pure code: no I/O. Verification is split in two so the caller can fetch the signer's key in
between, and refetch it once if the first attempt fails::

    parsed = parse_signature(method, url, request.headers, body)   # SignatureError on bad input
    pem = await keys_cache.get(parsed.key_id)
    verify_signature(parsed, pem)                                  # SignatureError if invalid

`parse_signature` checks everything that does not need the key: which components are covered,
Digest / Content-Digest against the body, Date and `created` against the clock. It returns the
exact bytes that were signed, so `verify_signature` is only the RSA check.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import functools
import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fedi_aid.federation.keys import KeyRef, load_private_key, load_public_key

__all__ = [
    "ParsedSignature",
    "SignatureError",
    "UnsignedRequest",
    "content_digest_header",
    "digest_header",
    "parse_signature",
    "prepare_request",
    "rsa_sha256",
    "sign_request",
    "sign_request_rfc9421",
    "verify_signature",
]

# The components Fedify and Mastodon 4.5 cover in RFC 9421 requests (content-digest is added
# when there is a body).
RFC9421_COMPONENTS: tuple[str, ...] = ("@method", "@target-uri", "@authority", "host", "date")

_DEFAULT_PORTS = {"http": 80, "https": 443}
_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


class SignatureError(Exception):
    """A request's signature is missing, malformed or invalid.

    `status` is the HTTP status to answer with: 401 for a signature that is absent or does not
    hold, 400 for headers that cannot be parsed at all. Messages name the problem and never
    contain key material.
    """

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


class _Malformed(SignatureError):
    def __init__(self, message: str) -> None:
        super().__init__(message, status=400)


@dataclass(frozen=True)
class ParsedSignature:
    """What `parse_signature` found: who signed, how, and the exact bytes to check."""

    key_id: str
    scheme: str  # "cavage" | "rfc9421"
    algorithm: str  # normalised: "rsa-sha256", "rsa-sha512", "rsa-v1_5-sha256", "rsa-pss-sha512"
    covered: tuple[str, ...]
    signed_data: bytes = field(repr=False)
    signature: bytes = field(repr=False)
    created: datetime | None = None
    label: str | None = None  # RFC 9421 signature label
    # Further signing strings accepted as well: a draft-cavage (request-target) without the
    # query string, which some servers sign for GETs with a query.
    alternatives: tuple[bytes, ...] = field(default=(), repr=False)


# --------------------------------------------------------------------------- digests


def digest_header(body: bytes) -> str:
    """The draft-cavage era `Digest` header value: ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    """The RFC 9530 `Content-Digest` header value: ``sha-256=:<base64>:``."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def _check_digest(value: str, body: bytes) -> None:
    """Legacy `Digest` (RFC 3230): comma-separated ``alg=base64``; algorithms any case."""
    checked = False
    for entry in value.split(","):
        name, sep, encoded = entry.strip().partition("=")
        hasher = _DIGESTS.get(name.strip().lower())
        if not sep or hasher is None:
            continue  # unknown algorithms (MD5, SHA, ...) are ignored
        expected = _b64decode(encoded.strip(), "Digest header")
        if not hmac.compare_digest(expected, hasher(body).digest()):
            raise SignatureError("Digest header does not match the body")
        checked = True
    if not checked:
        raise _Malformed("Digest header has no SHA-256 or SHA-512 value")


def _check_content_digest(value: str, body: bytes) -> None:
    """RFC 9530 `Content-Digest`: a structured dictionary of byte sequences."""
    members = _SFParser(value, "Content-Digest").dictionary()
    checked = False
    for name, (digest, _params) in members.items():
        hasher = _DIGESTS.get(name)
        if hasher is None:
            continue
        if not isinstance(digest, bytes):
            raise _Malformed(f"Content-Digest member {name} is not a byte sequence")
        if not hmac.compare_digest(digest, hasher(body).digest()):
            raise SignatureError("Content-Digest header does not match the body")
        checked = True
    if not checked:
        raise _Malformed("Content-Digest header has no sha-256 or sha-512 value")


def _check_body(
    method: str,
    headers: Mapping[str, str],
    body: bytes | None,
    covered: Iterable[str],
    scheme: str,
) -> None:
    body = body or b""
    present = [name for name in ("digest", "content-digest") if name in headers]
    if method == "POST" or body:
        if not present:
            raise SignatureError(f"{method} request has no Digest or Content-Digest header")
        if not set(present) & set(covered):
            name = "the Digest header" if scheme == "cavage" else "content-digest"
            raise SignatureError(f"signature does not cover {name}")
    # Every digest that is present must match, covered or not: a mismatch means the body is
    # not the one that was sent.
    if "digest" in headers:
        _check_digest(headers["digest"], body)
    if "content-digest" in headers:
        _check_content_digest(headers["content-digest"], body)


# --------------------------------------------------------------------------- small helpers


def _b64decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Malformed(f"{what} is not valid base64") from None


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def _http_date(now: datetime) -> str:
    # The header has whole seconds, and a fan-out signs many requests in each one.
    return _http_date_of_second(math.floor(now.timestamp()))


@functools.lru_cache(maxsize=4)
def _http_date_of_second(seconds: int) -> str:
    return email.utils.format_datetime(datetime.fromtimestamp(seconds, UTC), usegmt=True)


def _duration(seconds: float) -> str:
    seconds = int(abs(seconds))
    if seconds >= 120:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"


def _short(text: str, limit: int = 200) -> str:
    # Key ids come from the network; keep error messages bounded and on one line.
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[:limit] + "..."


def _check_time(what: str, when: datetime, now: datetime, max_skew: int) -> None:
    age = (now - when).total_seconds()
    if age > max_skew:
        raise SignatureError(
            f"{what} is {_duration(age)} old; allowed skew is {_duration(max_skew)}"
        )
    if -age > max_skew:
        raise SignatureError(
            f"{what} is {_duration(age)} in the future; allowed skew is {_duration(max_skew)}"
        )


def _check_date_header(headers: Mapping[str, str], now: datetime, max_skew: int) -> None:
    value = headers.get("date")
    if value is None:
        raise SignatureError("Date header is missing")
    _check_time("Date header", _http_date_value(value), now, max_skew)


@functools.lru_cache(maxsize=256)
def _http_date_value(value: str) -> datetime:
    """A Date header's moment, memoised: the requests of one second carry the same string."""
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise _Malformed("Date header is not a valid HTTP date") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _timestamp(value: Any, what: str) -> datetime:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Malformed(f"signature parameter {what} is not an integer")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise _Malformed(f"signature parameter {what} is out of range") from None


def _check_created_expires(
    created: datetime | None, expires: datetime | None, now: datetime, max_skew: int
) -> None:
    if created is not None:
        _check_time("signature (created)", created, now, max_skew)
    if expires is not None and (now - expires).total_seconds() > max_skew:
        raise SignatureError(f"signature expired {_duration((now - expires).total_seconds())} ago")


def _normalise_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lowercase names; repeated fields (a multidict) are joined with ", " as both specs say."""
    result: dict[str, str] = {}
    items = headers.items()
    for name, value in items:
        key = name.lower()
        value = value.strip()
        result[key] = f"{result[key]}, {value}" if key in result else value
    return result


@dataclass(frozen=True)
class _Target:
    scheme: str
    authority: str  # lowercase host, port only when not the scheme's default
    path: str
    query: str | None

    @classmethod
    def from_url(cls, url: str) -> _Target:
        return _target_of(url)

    @classmethod
    def parse(cls, url: str) -> _Target:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise _Malformed("request URL is not valid") from None
        scheme = parts.scheme.lower()
        host = parts.hostname
        if scheme not in _DEFAULT_PORTS or not host:
            raise _Malformed("request URL must be an absolute http(s) URL")
        if ":" in host:
            host = f"[{host}]"
        authority = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
        query = parts.query if parts.query or url.split("#", 1)[0].endswith("?") else None
        return cls(scheme, authority, parts.path or "/", query)

    @property
    def request_target(self) -> str:
        return self.path if self.query is None else f"{self.path}?{self.query}"

    @property
    def uri(self) -> str:
        return f"{self.scheme}://{self.authority}{self.request_target}"


@functools.lru_cache(maxsize=256)
def _target_of(url: str) -> _Target:
    """Memoised: an inbox receives at a handful of URLs, over and over."""
    return _Target.parse(url)


# --------------------------------------------------------------------------- structured fields
# A small RFC 8941 parser/serialiser: enough for Signature-Input, Signature and Content-Digest.
# Written here so production code does not depend on a test-only package.


class _Token(str):
    """An sf-token (serialised bare), as opposed to an sf-string (serialised quoted)."""


_SFItem = tuple[Any, dict[str, Any]]  # (bare value or list of items, parameters)

_KEY_FIRST = set("abcdefghijklmnopqrstuvwxyz*")
_KEY_CHARS = _KEY_FIRST | set("0123456789_-.")
_TOKEN_CHARS = set("!#$%&'*+-.^_`|~:/") | set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)
_SF_NUMBER = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,3})?")
_B64_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


class _SFParser:
    def __init__(self, text: str, what: str) -> None:
        self.text = text.strip(" \t")
        self.pos = 0
        self.what = what

    def fail(self, problem: str) -> SignatureError:
        return _Malformed(f"{self.what} header is malformed: {problem}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.pos += 1

    def dictionary(self) -> dict[str, _SFItem]:
        result: dict[str, _SFItem] = {}
        while self.pos < len(self.text):
            key = self.key()
            if self.peek() == "=":
                self.pos += 1
                member = self.item_or_inner_list()
            else:
                member = (True, self.params())
            result[key] = member
            self.skip(" \t")
            if self.pos >= len(self.text):
                return result
            if self.peek() != ",":
                raise self.fail(f"expected ',' at position {self.pos}")
            self.pos += 1
            self.skip(" \t")
            if self.pos >= len(self.text):
                raise self.fail("trailing comma")
        return result

    def item_or_inner_list(self) -> _SFItem:
        if self.peek() == "(":
            return self.inner_list()
        return self.bare_item(), self.params()

    def inner_list(self) -> _SFItem:
        self.pos += 1
        items: list[_SFItem] = []
        while self.pos < len(self.text):
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return items, self.params()
            items.append((self.bare_item(), self.params()))
            if self.peek() not in (" ", ")"):
                raise self.fail(f"unexpected character in inner list at position {self.pos}")
        raise self.fail("unterminated inner list")

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            key = self.key()
            value: Any = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            params[key] = value
        return params

    def key(self) -> str:
        start = self.pos
        if self.peek() not in _KEY_FIRST or not self.peek():
            raise self.fail(f"expected a key at position {self.pos}")
        while self.peek() and self.peek() in _KEY_CHARS:
            self.pos += 1
        return self.text[start : self.pos]

    def bare_item(self) -> Any:
        ch = self.peek()
        if ch == "-" or ch.isdigit():
            return self.number()
        if ch == '"':
            return self.string()
        if ch == ":":
            return self.byte_sequence()
        if ch == "?":
            value = self.text[self.pos + 1 : self.pos + 2]
            if value not in ("0", "1"):
                raise self.fail("bad boolean")
            self.pos += 2
            return value == "1"
        if ch and (ch.isascii() and ch.isalpha() or ch == "*"):
            start = self.pos
            while self.peek() and self.peek() in _TOKEN_CHARS:
                self.pos += 1
            return _Token(self.text[start : self.pos])
        raise self.fail(f"unexpected character at position {self.pos}")

    def number(self) -> int | float:
        match = _SF_NUMBER.match(self.text, self.pos)
        if not match:
            raise self.fail("bad number")
        self.pos = match.end()
        text = match.group()
        if match.group(1):
            if len(text.lstrip("-").split(".")[0]) > 12:
                raise self.fail("decimal too long")
            return float(text)
        return int(text)

    def string(self) -> str:
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            self.pos += 1
            if ch == "\\":
                nxt = self.peek()
                if nxt not in ('"', "\\") or not nxt:
                    raise self.fail("bad escape in string")
                out.append(nxt)
                self.pos += 1
            elif ch == '"':
                return "".join(out)
            elif not (" " <= ch <= "~"):
                raise self.fail("invalid character in string")
            else:
                out.append(ch)
        raise self.fail("unterminated string")

    def byte_sequence(self) -> bytes:
        end = self.text.find(":", self.pos + 1)
        if end < 0:
            raise self.fail("unterminated byte sequence")
        encoded = self.text[self.pos + 1 : end]
        if not set(encoded) <= _B64_CHARS:
            raise self.fail("invalid base64 in byte sequence")
        self.pos = end + 1
        try:
            # RFC 8941 lets parsers accept missing padding.
            return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise self.fail("invalid base64 in byte sequence") from None


def _sf_bare(value: Any) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{round(value, 3):.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, _Token):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    raise TypeError(f"cannot serialise {type(value).__name__} as a structured field")


def _sf_params(params: Mapping[str, Any]) -> str:
    return "".join(
        f";{key}" if value is True else f";{key}={_sf_bare(value)}" for key, value in params.items()
    )


def _sf_inner_list(items: Iterable[_SFItem], params: Mapping[str, Any]) -> str:
    inner = " ".join(_sf_bare(value) + _sf_params(p) for value, p in items)
    return f"({inner}){_sf_params(params)}"


# --------------------------------------------------------------------------- draft-cavage


# The quoted string as "unrolled loop" (runs of plain characters, then one escape): the same
# language as "(?:[^"\\]|\\.)*", without a regex step per character (a base64 signature is 344).
_CAVAGE_PARAM = re.compile(
    r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*("[^"\\]*(?:\\.[^"\\]*)*"|[^",\s]*)\s*'
)
_ESCAPED = re.compile(r"\\(.)")


def _parse_cavage_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos = 0
    value = value.strip()
    while pos < len(value):
        match = _CAVAGE_PARAM.match(value, pos)
        if not match:
            raise _Malformed("Signature header is malformed")
        name, raw = match.group(1).lower(), match.group(2)
        if raw.startswith('"'):
            raw = raw[1:-1]
            if "\\" in raw:
                raw = _ESCAPED.sub(r"\1", raw)
        params[name] = raw
        pos = match.end()
        if pos < len(value):
            if value[pos] != ",":
                raise _Malformed("Signature header is malformed")
            pos += 1
    return params


def _cavage_algorithm(declared: str | None) -> str:
    name = (declared or "").strip().lower()
    # hs2019 means "whatever the key is": for the RSA keys the fediverse uses (and Mastodon
    # sends) that is rsa-sha256. An absent algorithm is treated the same way.
    if name in ("", "hs2019", "rsa-sha256"):
        return "rsa-sha256"
    if name == "rsa-sha512":
        return "rsa-sha512"
    raise SignatureError(f"unsupported signature algorithm {_short(name, 40)!r}")


def _parse_cavage(
    value: str,
    method: str,
    target: _Target,
    headers: Mapping[str, str],
    body: bytes | None,
    now: datetime,
    max_skew: int,
) -> ParsedSignature:
    params = _parse_cavage_params(value)
    key_id = params.get("keyid")
    if not key_id:
        raise _Malformed("Signature header has no keyId")
    if not params.get("signature"):
        raise _Malformed("Signature header has no signature")
    signature = _b64decode(params["signature"], "signature")
    algorithm = _cavage_algorithm(params.get("algorithm"))
    covered = tuple(params.get("headers", "(created)").lower().split())
    if not covered:
        raise _Malformed("Signature header has an empty headers list")

    if "(request-target)" not in covered:
        raise SignatureError("signature does not cover (request-target)")
    if "host" not in covered:
        raise SignatureError("signature does not cover host")
    if "date" not in covered and "(created)" not in covered:
        raise SignatureError("signature covers neither date nor (created)")

    created = _timestamp(params["created"], "created") if "created" in params else None
    expires = _timestamp(params["expires"], "expires") if "expires" in params else None
    if "(created)" in covered and created is None:
        raise _Malformed("signature covers (created) but has no created parameter")
    if "(expires)" in covered and expires is None:
        raise _Malformed("signature covers (expires) but has no expires parameter")
    if "date" in covered:
        _check_date_header(headers, now, max_skew)
    _check_created_expires(created, expires, now, max_skew)
    _check_body(method, headers, body, covered, "cavage")

    def signing_string(request_target: str) -> bytes:
        lines = []
        for name in covered:
            if name == "(request-target)":
                lines.append(f"(request-target): {method.lower()} {request_target}")
            elif name == "(created)":
                lines.append(f"(created): {params['created']}")
            elif name == "(expires)":
                lines.append(f"(expires): {params['expires']}")
            elif name == "host":
                lines.append(f"host: {headers.get('host', target.authority)}")
            elif name in headers:
                lines.append(f"{name}: {headers[name]}")
            else:
                raise SignatureError(
                    f"signed header {_short(name, 60)} is missing from the request"
                )
        # aiohttp decodes header bytes as UTF-8 with surrogateescape; this gives them back.
        return "\n".join(lines).encode("utf-8", "surrogateescape")

    alternatives: tuple[bytes, ...] = ()
    if target.query is not None:
        # Some senders (older Mastodon among them) leave the query out of (request-target).
        alternatives = (signing_string(target.path),)
    return ParsedSignature(
        key_id=key_id,
        scheme="cavage",
        algorithm=algorithm,
        covered=covered,
        signed_data=signing_string(target.request_target),
        signature=signature,
        created=created,
        alternatives=alternatives,
    )


# --------------------------------------------------------------------------- RFC 9421

_RFC9421_ALGORITHMS = {"rsa-v1_5-sha256", "rsa-pss-sha512"}


def _derived_component(name: str, method: str, target: _Target) -> str:
    if name == "@method":
        return method
    if name == "@target-uri":
        return target.uri
    if name == "@authority":
        return target.authority
    if name == "@scheme":
        return target.scheme
    if name == "@path":
        return target.path
    if name == "@query":
        return "?" + (target.query or "")
    if name == "@request-target":
        return target.request_target
    raise SignatureError(f"unsupported derived component {_short(name, 40)}")


def _signature_base(
    components: list[_SFItem],
    params: Mapping[str, Any],
    method: str,
    target: _Target,
    headers: Mapping[str, str],
) -> bytes:
    """The RFC 9421 section 2.5 signature base for the given covered components."""
    lines = []
    for name, _component_params in components:
        if name.startswith("@"):
            value = _derived_component(name, method, target)
        elif name in headers:
            value = headers[name]
        else:
            raise SignatureError(f"covered header {_short(name, 60)} is missing from the request")
        if "\n" in value or "\r" in value:
            raise _Malformed(f"covered component {_short(name, 60)} contains a line break")
        lines.append(f"{_sf_bare(name)}: {value}")
    lines.append(f'"@signature-params": {_sf_inner_list(components, params)}')
    return "\n".join(lines).encode("utf-8", "surrogateescape")


def _parse_rfc9421(
    method: str,
    target: _Target,
    headers: Mapping[str, str],
    body: bytes | None,
    now: datetime,
    max_skew: int,
) -> ParsedSignature:
    inputs = _SFParser(headers["signature-input"], "Signature-Input").dictionary()
    if "signature" not in headers:
        raise _Malformed("Signature-Input header present but no Signature header")
    signatures = _SFParser(headers["signature"], "Signature").dictionary()
    if not inputs:
        raise _Malformed("Signature-Input header is empty")
    # Several signatures may be present (e.g. one added by a proxy); the first is the sender's.
    label = next(iter(inputs))
    members, params = inputs[label]
    if not isinstance(members, list):
        raise _Malformed(f"Signature-Input member {label} is not an inner list")
    signature_item = signatures.get(label)
    if signature_item is None or not isinstance(signature_item[0], bytes):
        raise _Malformed(f"Signature header has no byte sequence for label {label}")

    names: list[str] = []
    for value, component_params in members:
        if not isinstance(value, str) or isinstance(value, _Token):
            raise _Malformed("Signature-Input components must be strings")
        if component_params:
            raise SignatureError(f"component parameters are not supported ({_short(value, 40)})")
        if value != value.lower() or value in names:
            raise _Malformed(
                f"Signature-Input component {_short(value, 40)} is invalid or repeated"
            )
        names.append(value)

    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise _Malformed("Signature-Input has no keyid")
    alg = params.get("alg", "rsa-v1_5-sha256")
    if alg not in _RFC9421_ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {_short(str(alg), 40)!r}")

    for required in ("@method", "@target-uri"):
        if required not in names:
            raise SignatureError(f"signature does not cover {required}")
    created = _timestamp(params["created"], "created") if "created" in params else None
    expires = _timestamp(params["expires"], "expires") if "expires" in params else None
    if created is None and "date" not in names:
        raise SignatureError("signature has no created parameter and does not cover date")
    if "date" in names:
        _check_date_header(headers, now, max_skew)
    _check_created_expires(created, expires, now, max_skew)
    _check_body(method, headers, body, names, "rfc9421")

    return ParsedSignature(
        key_id=key_id,
        scheme="rfc9421",
        algorithm=alg,
        covered=tuple(names),
        signed_data=_signature_base(members, params, method, target, headers),
        signature=signature_item[0],
        created=created,
        label=label,
    )


# --------------------------------------------------------------------------- verification


def parse_signature(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    now: datetime | None = None,
    max_skew_seconds: int = 3600,
) -> ParsedSignature:
    """Check a request's signature headers, digests and clocks; return what to verify.

    `url` is the absolute URL the request was addressed to; `headers` may use any case (a plain
    dict or aiohttp's CIMultiDictProxy). Raises SignatureError naming the first problem found.
    """
    normalised = _normalise_headers(headers)
    target = _Target.from_url(url)
    method = method.upper()
    moment = _utc(now)
    if "signature-input" in normalised:
        return _parse_rfc9421(method, target, normalised, body, moment, max_skew_seconds)
    if "signature" in normalised:
        value = normalised["signature"]
    else:
        scheme, _, value = normalised.get("authorization", "").partition(" ")
        if scheme.lower() != "signature":
            raise SignatureError("request is not signed")
    return _parse_cavage(value, method, target, normalised, body, moment, max_skew_seconds)


def verify_signature(parsed: ParsedSignature, public_key_pem: str) -> None:
    """Raise SignatureError unless `parsed` was signed by the private half of the given key."""
    try:
        key = load_public_key(public_key_pem)
    except ValueError:
        raise SignatureError(f"key {_short(parsed.key_id)} is not a valid RSA public key") from None
    pad: padding.AsymmetricPadding
    algorithm: hashes.HashAlgorithm
    if parsed.algorithm in ("rsa-sha256", "rsa-v1_5-sha256"):
        pad, algorithm = padding.PKCS1v15(), hashes.SHA256()
    elif parsed.algorithm == "rsa-sha512":
        pad, algorithm = padding.PKCS1v15(), hashes.SHA512()
    elif parsed.algorithm == "rsa-pss-sha512":
        pad = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=padding.PSS.AUTO)
        algorithm = hashes.SHA512()
    else:
        raise SignatureError(f"unsupported signature algorithm {_short(parsed.algorithm, 40)!r}")
    for data in (parsed.signed_data, *parsed.alternatives):
        try:
            key.verify(parsed.signature, data, pad, algorithm)
            return
        except InvalidSignature:
            continue
    raise SignatureError(f"signature does not verify with key {_short(parsed.key_id)}")


# --------------------------------------------------------------------------- signing

_REPLACED_HEADERS = {"host", "date", "digest", "content-digest", "signature", "signature-input"}


def _check_key_id(key_id: str) -> None:
    if (
        not key_id
        or not key_id.isascii()
        or not key_id.isprintable()
        or any(c in key_id for c in '"\\')
    ):
        raise ValueError("key id must be printable ASCII without quotes or backslashes")


def _base_headers(
    url: str, headers: Mapping[str, str] | None, now: datetime | None
) -> tuple[_Target, dict[str, str]]:
    try:
        target = _Target.from_url(url)
    except SignatureError as exc:
        raise ValueError(str(exc)) from None
    result = {k: v for k, v in (headers or {}).items() if k.lower() not in _REPLACED_HEADERS}
    result["Host"] = target.authority
    result["Date"] = _http_date(_utc(now))
    return target, result


class _CavageSigner:
    """Signs draft-cavage signing strings with one key over one list of covered headers.

    Written on `cryptography` directly. It replaced an `httpsig.HeaderSigner`, whose output it
    reproduces byte for byte (same signing string, same parameter order in the header; RSA
    PKCS#1 v1.5 signatures are deterministic): httpsig signs through pycryptodome at about a
    third of the speed, and importing it costs ~8 MB of resident memory (pkg_resources).
    """

    __slots__ = ("_key", "_template_head", "_template_tail", "covered")

    def __init__(self, key_id: str, private_key_pem: str, covered: tuple[str, ...]) -> None:
        self._key = load_private_key(private_key_pem)  # ValueError on a bad key
        self.covered = covered
        self._template_head = f'keyId="{key_id}",algorithm="rsa-sha256",signature="'
        self._template_tail = f'",headers="{" ".join(covered)}"'

    def signing_string(
        self, values: Mapping[str, str], *, method: str, request_target: str
    ) -> bytes:
        """The bytes to sign; `values` holds the covered headers, lower-case names."""
        lines = []
        for name in self.covered:
            if name == "(request-target)":
                lines.append(f"(request-target): {method.lower()} {request_target}")
            else:
                lines.append(f"{name}: {values[name]}")
        # ASCII, as on the wire; a non-ASCII value raises UnicodeEncodeError (a ValueError).
        return "\n".join(lines).encode("ascii")

    def raw_signature(self, data: bytes) -> bytes:
        return rsa_sha256(self._key, data)

    def header(self, raw: bytes) -> str:
        """The Signature header value around a raw RSA signature."""
        return self._template_head + base64.b64encode(raw).decode("ascii") + self._template_tail

    def sign(self, values: Mapping[str, str], *, method: str, request_target: str) -> str:
        """The Signature header value; `values` holds the covered headers, lower-case names."""
        data = self.signing_string(values, method=method, request_target=request_target)
        return self.header(self.raw_signature(data))


def rsa_sha256(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    """The raw RSASSA-PKCS1-v1_5 SHA-256 signature draft-cavage `rsa-sha256` uses."""
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


@functools.lru_cache(maxsize=1024)
def _cavage_signer(key_id: str, private_key_pem: str, covered: tuple[str, ...]) -> _CavageSigner:
    # One signer per key and header list; the key itself is parsed once (keys.load_private_key
    # is memoised too), since loading a PEM key costs tens of milliseconds.
    return _CavageSigner(key_id, private_key_pem, covered)


class UnsignedRequest:
    """A draft-cavage request with everything but its signature: sign now, or elsewhere.

    `data` is the signing string. `sign()` signs in this process; `signed(raw)` takes a
    signature made elsewhere over `data` with `key` (e.g. in a signing process).
    """

    __slots__ = ("_signer", "data", "headers", "key")

    def __init__(
        self, key: KeyRef, signer: _CavageSigner, headers: dict[str, str], data: bytes
    ) -> None:
        self.key = key
        self.headers = headers
        self.data = data
        self._signer = signer

    def signed(self, raw: bytes) -> dict[str, str]:
        """Every header to send, with the Signature made from `raw`."""
        result = dict(self.headers)
        result["Signature"] = self._signer.header(raw)
        return result

    def sign(self) -> dict[str, str]:
        return self.signed(self._signer.raw_signature(self.data))


def prepare_request(
    method: str,
    url: str,
    *,
    key: KeyRef,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
    digest: str | None = None,
) -> UnsignedRequest:
    """Everything `sign_request` does except the RSA operation; ValueError on a bad key or URL."""
    _check_key_id(key.key_id)
    target, result = _base_headers(url, headers, now)
    covered: tuple[str, ...] = ("(request-target)", "host", "date")
    signable = {"host": result["Host"], "date": result["Date"]}
    if body is not None:
        result["Digest"] = digest or digest_header(body)
        signable["digest"] = result["Digest"]
        covered += ("digest",)
    signer = _cavage_signer(key.key_id, key.private_key_pem, covered)
    data = signer.signing_string(
        signable, method=method.upper(), request_target=target.request_target
    )
    return UnsignedRequest(key, signer, result, data)


def sign_request(
    method: str,
    url: str,
    *,
    key: KeyRef,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
    digest: str | None = None,
) -> dict[str, str]:
    """Sign a request draft-cavage style (rsa-sha256); return every header to send.

    The result holds `headers` plus Host, Date, Digest (when there is a body; pass a
    precomputed `digest` to reuse it across inboxes) and Signature.
    """
    return prepare_request(
        method, url, key=key, body=body, headers=headers, now=now, digest=digest
    ).sign()


def sign_request_rfc9421(
    method: str,
    url: str,
    *,
    key: KeyRef,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
    content_digest: str | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """Sign a request the RFC 9421 way, in the shape Fedify and Mastodon 4.5 send.

    Covers @method, @target-uri, @authority, host, date and (with a body) content-digest with
    rsa-v1_5-sha256; returns every header to send.
    """
    _check_key_id(key.key_id)
    moment = _utc(now)
    target, result = _base_headers(url, headers, moment)
    names = list(RFC9421_COMPONENTS)
    if body is not None:
        result["Content-Digest"] = content_digest or content_digest_header(body)
        names.append("content-digest")
    components: list[_SFItem] = [(name, {}) for name in names]
    params = {"keyid": key.key_id, "alg": "rsa-v1_5-sha256", "created": int(moment.timestamp())}
    base = _signature_base(components, params, method.upper(), target, _normalise_headers(result))
    signature = load_private_key(key.private_key_pem).sign(
        base, padding.PKCS1v15(), hashes.SHA256()
    )
    result["Signature-Input"] = f"{label}={_sf_inner_list(components, params)}"
    result["Signature"] = f"{label}={_sf_bare(signature)}"
    return result
