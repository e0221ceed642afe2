"""An independent second implementation of HTTP signatures, used only by tests.

draft-cavage: signer and verifier written from the draft directly on `cryptography`, sharing no
code with fedi_aid.federation.signatures (or httpsig). RFC 9421: the `http_message_signatures`
package, driven through a minimal request object.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlparse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    MappingKeyResolver,
    algorithms,
)

RFC9421_FEDIFY = ("@method", "@target-uri", "@authority", "host", "date")


def http_date(when: datetime) -> str:
    # strftime with fixed English names (the C locale is what tests run under).
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", when.astimezone(UTC).timetuple())


def host_of(url: str) -> str:
    parts = urlparse(url)
    host = parts.hostname or ""
    default = {"http": 80, "https": 443}[parts.scheme]
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def sha256_digest(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def _private(pem: str):
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _public(pem: str):
    return serialization.load_pem_public_key(pem.encode())


# --------------------------------------------------------------------------- draft-cavage


def cavage_sign(
    method: str,
    url: str,
    *,
    key_id: str,
    private_key_pem: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    algorithm: str | None = "rsa-sha256",
    covered: list[str] | None = None,
    date: datetime | None = None,
    created: int | None = None,
    authorization: bool = False,
    include_query: bool = True,
    add_digest: bool = True,
) -> dict[str, str]:
    """Sign like Mastodon/GoToSocial do; returns all headers (lowercase names)."""
    out = {k.lower(): v for k, v in (headers or {}).items()}
    out["host"] = host_of(url)
    out["date"] = http_date(date or datetime.now(UTC))
    if body is not None and add_digest:
        out["digest"] = sha256_digest(body)
    if covered is None:
        covered = ["(request-target)", "host", "date"] + (["digest"] if "digest" in out else [])
    parts = urlparse(url)
    path = parts.path or "/"
    if include_query and parts.query:
        path += "?" + parts.query
    lines = []
    for name in covered:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path}")
        elif name == "(created)":
            lines.append(f"(created): {created}")
        else:
            lines.append(f"{name}: {out[name]}")
    signing_string = "\n".join(lines).encode()
    raw = _private(private_key_pem).sign(signing_string, padding.PKCS1v15(), hashes.SHA256())
    params = [f'keyId="{key_id}"']
    if algorithm is not None:
        params.append(f'algorithm="{algorithm}"')
    if created is not None:
        params.append(f"created={created}")
    params.append(f'headers="{" ".join(covered)}"')
    params.append(f'signature="{base64.b64encode(raw).decode()}"')
    value = ",".join(params)
    if authorization:
        out["authorization"] = "Signature " + value
    else:
        out["signature"] = value
    return out


_PARAM = re.compile(r'(\w+)="([^"]*)"')


def cavage_verify(
    method: str, url: str, headers: dict[str, str], body: bytes | None, public_key_pem: str
) -> dict[str, str]:
    """Verify a draft-cavage signature; raise AssertionError / InvalidSignature if wrong.

    Returns the parsed Signature parameters.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    value = lower.get("signature") or lower["authorization"].removeprefix("Signature ")
    params = dict(_PARAM.findall(value))
    assert params.get("algorithm", "rsa-sha256") in ("rsa-sha256", "hs2019"), params
    parts = urlparse(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = []
    for name in params["headers"].split(" "):
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path}")
        else:
            lines.append(f"{name}: {lower[name]}")
    _public(public_key_pem).verify(
        base64.b64decode(params["signature"]),
        "\n".join(lines).encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    if body is not None:
        assert "digest" in params["headers"].split(" ")
        assert lower["digest"] == sha256_digest(body)
    return params


# --------------------------------------------------------------------------- RFC 9421


@dataclass
class Request:
    """The message interface http_message_signatures needs: method, url and headers."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def rfc9421_sign(
    method: str,
    url: str,
    *,
    key_id: str,
    private_key_pem: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    covered: tuple[str, ...] = RFC9421_FEDIFY,
    created: datetime | None = None,
    expires: datetime | None = None,
    date: datetime | None = None,
    label: str = "sig1",
    pss: bool = False,
    include_alg: bool = True,
) -> dict[str, str]:
    """Sign with http_message_signatures (Fedify's shape by default); return all headers."""
    request = Request(method.upper(), url, dict(headers or {}))
    request.headers["Host"] = host_of(url)
    request.headers["Date"] = http_date(date or datetime.now(UTC))
    algorithm = algorithms.RSA_PSS_SHA512 if pss else algorithms.RSA_V1_5_SHA256
    signer = HTTPMessageSigner(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(
            public_keys={}, private_keys={key_id: private_key_pem.encode()}
        ),
    )
    signer.sign(
        request,
        key_id=key_id,
        created=created or datetime.now(UTC),
        expires=expires,
        label=label,
        include_alg=include_alg,
        covered_component_ids=covered,
        body=body,  # adds Content-Digest and covers it
    )
    return request.headers


def rfc9421_verify(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    *,
    key_id: str,
    public_key_pem: str,
    pss: bool = False,
):
    """Verify with http_message_signatures; raises InvalidSignature when it does not hold."""
    algorithm = algorithms.RSA_PSS_SHA512 if pss else algorithms.RSA_V1_5_SHA256
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithm,
        key_resolver=MappingKeyResolver(
            public_keys={key_id: public_key_pem.encode()}, private_keys={}
        ),
    )
    return verifier.verify(
        Request(method.upper(), url, dict(headers)),
        body=body,
        require_components=("@method", "@target-uri"),
    )
