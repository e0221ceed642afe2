"""HTTP signatures: ours checked against an independent implementation (tests/sigtools.py)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from http_message_signatures import InvalidSignature as HMSInvalidSignature
from multidict import CIMultiDict, CIMultiDictProxy

from fedi_aid.federation import signatures
from fedi_aid.federation.keys import KeyRef, generate_key_pair
from fedi_aid.federation.signatures import (
    ParsedSignature,
    SignatureError,
    content_digest_header,
    digest_header,
    parse_signature,
    sign_request,
    sign_request_rfc9421,
    verify_signature,
)
from tests import sigtools

ACTOR = "https://remote.example/users/alice"
KEY_ID = ACTOR + "#main-key"
INBOX = "https://aid.example/inbox"
BODY = b'{"type":"Create","actor":"https://remote.example/users/alice"}'


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_key_pair()


@pytest.fixture(scope="module")
def other_keys() -> tuple[str, str]:
    return generate_key_pair()


@pytest.fixture(scope="module")
def key(keys: tuple[str, str]) -> KeyRef:
    return KeyRef(key_id=KEY_ID, private_key_pem=keys[0])


def _cavage(keys: tuple[str, str], method: str = "POST", url: str = INBOX, **kw) -> dict[str, str]:
    kw.setdefault("body", BODY if method == "POST" else None)
    return sigtools.cavage_sign(method, url, key_id=KEY_ID, private_key_pem=keys[0], **kw)


def _rfc9421(keys: tuple[str, str], method: str = "POST", url: str = INBOX, **kw) -> dict[str, str]:
    kw.setdefault("body", BODY if method == "POST" else None)
    return sigtools.rfc9421_sign(method, url, key_id=KEY_ID, private_key_pem=keys[0], **kw)


def _check(method: str, url: str, headers, body, public_pem: str, **kw) -> ParsedSignature:
    parsed = parse_signature(method, url, headers, body, **kw)
    verify_signature(parsed, public_pem)
    return parsed


def _error(method: str, url: str, headers, body, public_pem: str, **kw) -> SignatureError:
    with pytest.raises(SignatureError) as info:
        _check(method, url, headers, body, public_pem, **kw)
    assert "BEGIN" not in str(info.value)  # never key material in messages
    return info.value


# --------------------------------------------------------------------------- environment


def test_httpsig_imports() -> None:
    # httpsig 1.3.0 imports pkg_resources at import time; setuptools >= 82 removed it.
    import httpsig

    assert hasattr(httpsig, "HeaderSigner")


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "https://peer.example/inbox", b'{"type":"Follow"}'),
        ("POST", "http://127.0.0.1:8080/users/caf%C3%A9/inbox?x=1", b"{}"),
        ("GET", "https://peer.example/users/alice", None),
        ("GET", "https://peer.example:8443/users/alice?page=2", None),
    ],
)
def test_signer_output_equals_httpsig_byte_for_byte(
    method: str, url: str, body: bytes | None
) -> None:
    """httpsig is the reference draft-cavage signer; ours must produce exactly its header.

    Production signs with `cryptography` directly: httpsig signs about three times slower
    (through pycryptodome) and costs memory and start-up time, which fan-out cannot afford.
    PKCS#1 v1.5 signatures are deterministic, so the two must agree to the byte.
    """
    import httpsig

    private_pem, _ = generate_key_pair()
    key = KeyRef(
        key_id="https://ours.example/users/riverside#main-key", private_key_pem=private_pem
    )
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    ours = sign_request(method, url, key=key, body=body, now=now)
    covered = ["(request-target)", "host", "date"] + (["digest"] if body is not None else [])
    reference = httpsig.HeaderSigner(
        key_id=key.key_id.replace("%", "%%"),
        secret=private_pem,
        algorithm="rsa-sha256",
        headers=covered,
    )
    path = url.split("://", 1)[1]
    path = path[path.index("/") :]
    signed = reference.sign(
        {k: v for k, v in ours.items() if k.lower() != "signature"}, method=method, path=path
    )
    assert signed["authorization"].removeprefix("Signature ") == ours["Signature"]


# --------------------------------------------------------------------------- digests


def test_digest_headers() -> None:
    assert digest_header(b"") == "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    assert content_digest_header(b"") == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"
    assert digest_header(BODY) == sigtools.sha256_digest(BODY)


# --------------------------------------------------------------------------- our signer


def test_our_cavage_post_verified_by_sigtools(keys, key) -> None:
    headers = sign_request(
        "POST",
        INBOX,
        key=key,
        body=BODY,
        headers={"Content-Type": "application/activity+json"},
    )
    assert set(headers) == {"Content-Type", "Host", "Date", "Digest", "Signature"}
    assert headers["Host"] == "aid.example"
    assert headers["Digest"] == sigtools.sha256_digest(BODY)
    params = sigtools.cavage_verify("POST", INBOX, headers, BODY, keys[1])
    assert params["keyId"] == KEY_ID
    assert params["algorithm"] == "rsa-sha256"
    assert params["headers"] == "(request-target) host date digest"
    # and by ourselves
    parsed = _check("POST", INBOX, headers, BODY, keys[1])
    assert parsed.scheme == "cavage"
    assert parsed.covered == ("(request-target)", "host", "date", "digest")


def test_our_cavage_get_verified_by_sigtools(keys, key) -> None:
    url = "https://Remote.Example:8443/users/bob/outbox?page=2"
    headers = sign_request("GET", url, key=key, headers={"Accept": "application/activity+json"})
    assert "Digest" not in headers
    assert headers["Host"] == "remote.example:8443"
    params = sigtools.cavage_verify("GET", url, headers, None, keys[1])
    assert params["headers"] == "(request-target) host date"
    _check("GET", url, headers, None, keys[1])


def test_sign_request_date_host_and_overrides(key) -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    headers = sign_request(
        "POST",
        "https://aid.example:443/inbox",
        key=key,
        body=b"{}",
        now=when,
        headers={"host": "evil.example", "DATE": "yesterday", "X-Other": "kept"},
    )
    assert headers["Date"] == "Tue, 02 Jan 2024 03:04:05 GMT"
    assert headers["Host"] == "aid.example"  # default port dropped
    assert headers["X-Other"] == "kept"
    assert "host" not in headers and "DATE" not in headers
    assert sign_request("GET", "http://[::1]:8080/x", key=key)["Host"] == "[::1]:8080"
    assert sign_request("GET", "http://LOCALHOST:80/x", key=key)["Host"] == "localhost"
    # naive datetimes are taken as UTC
    naive = sign_request("GET", INBOX, key=key, now=when.replace(tzinfo=None))
    assert naive["Date"] == "Tue, 02 Jan 2024 03:04:05 GMT"


def test_sign_request_uses_precomputed_digest(keys, key) -> None:
    precomputed = digest_header(BODY)
    headers = sign_request("POST", INBOX, key=key, body=BODY, digest=precomputed)
    assert headers["Digest"] is precomputed
    sigtools.cavage_verify("POST", INBOX, headers, BODY, keys[1])


def test_signer_objects_are_cached(key) -> None:
    sign_request("POST", INBOX, key=key, body=b"1")
    before = signatures._cavage_signer.cache_info()
    sign_request("POST", "https://other.example/inbox", key=key, body=b"2")
    after = signatures._cavage_signer.cache_info()
    assert after.hits == before.hits + 1
    assert after.misses == before.misses


def test_key_id_with_percent_sign(keys) -> None:
    # httpsig fills keyId into a %-template; a percent-encoded actor URL must survive it.
    ref = KeyRef("https://remote.example/users/caf%C3%A9#main-key", keys[0])
    headers = sign_request("POST", INBOX, key=ref, body=BODY)
    params = sigtools.cavage_verify("POST", INBOX, headers, BODY, keys[1])
    assert params["keyId"] == "https://remote.example/users/caf%C3%A9#main-key"


def test_key_id_with_quote_is_refused(keys) -> None:
    with pytest.raises(ValueError):
        sign_request("GET", INBOX, key=KeyRef('https://x.example/a"b', keys[0]))


def test_bad_private_key_gives_value_error() -> None:
    with pytest.raises(ValueError, match="private key is not a valid PEM RSA key"):
        sign_request("GET", INBOX, key=KeyRef("https://x.example/k", "junk"))


# --------------------------------------------------------------------------- sigtools -> ours


@pytest.mark.parametrize("algorithm", ["rsa-sha256", "hs2019", None])
@pytest.mark.parametrize("key_id", [KEY_ID, ACTOR + "/main-key"])
@pytest.mark.parametrize("authorization", [False, True])
def test_sigtools_cavage_verified_by_ours(keys, algorithm, key_id, authorization) -> None:
    headers = sigtools.cavage_sign(
        "POST",
        INBOX,
        key_id=key_id,
        private_key_pem=keys[0],
        body=BODY,
        algorithm=algorithm,
        authorization=authorization,
    )
    parsed = _check("POST", INBOX, headers, BODY, keys[1])
    assert parsed.key_id == key_id
    assert parsed.algorithm == "rsa-sha256"
    assert parsed.scheme == "cavage"


def test_sigtools_cavage_get_with_query(keys) -> None:
    url = "https://aid.example/users/riverside/outbox?page=true"
    _check("GET", url, _cavage(keys, "GET", url), None, keys[1])
    # some senders leave the query out of (request-target); accepted too
    _check("GET", url, _cavage(keys, "GET", url, include_query=False), None, keys[1])


def test_sigtools_cavage_created_instead_of_date(keys) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    headers = _cavage(
        keys,
        algorithm="hs2019",
        created=int(now.timestamp()),
        covered=["(request-target)", "(created)", "host", "digest"],
    )
    parsed = _check("POST", INBOX, headers, BODY, keys[1], now=now)
    assert parsed.created is not None
    error = _error("POST", INBOX, headers, BODY, keys[1], now=now + timedelta(minutes=70))
    assert str(error) == "signature (created) is 70 minutes old; allowed skew is 60 minutes"


@pytest.mark.parametrize("case", ["lower", "upper", "title", "multidict"])
def test_header_name_capitalisation(keys, case) -> None:
    headers = _cavage(keys)
    if case == "lower":
        variant = {k.lower(): v for k, v in headers.items()}
    elif case == "upper":
        variant = {k.upper(): v for k, v in headers.items()}
    elif case == "title":
        variant = {k.title(): v for k, v in headers.items()}
    else:
        variant = CIMultiDictProxy(CIMultiDict({k.title(): v for k, v in headers.items()}))
    _check("POST", INBOX, variant, BODY, keys[1])


def test_rfc9421_header_capitalisation(keys) -> None:
    headers = _rfc9421(keys)
    _check("POST", INBOX, {k.upper(): v for k, v in headers.items()}, BODY, keys[1])
    _check("POST", INBOX, CIMultiDictProxy(CIMultiDict(headers)), BODY, keys[1])


def test_repeated_header_lines_are_joined(keys) -> None:
    # A field sent twice is signed as "a, b" (both specs); a multidict carries both lines.
    headers = _cavage(
        keys,
        headers={"x-tag": "a, b"},
        covered=["(request-target)", "host", "date", "digest", "x-tag"],
    )
    multi = CIMultiDict((k, v) for k, v in headers.items() if k != "x-tag")
    multi.add("X-Tag", "a")
    multi.add("X-Tag", "b")
    _check("POST", INBOX, CIMultiDictProxy(multi), BODY, keys[1])


# --------------------------------------------------------------------------- RFC 9421


def test_rfc9421_fedify_post_verified_by_ours(keys) -> None:
    headers = _rfc9421(keys)
    assert "content-digest" in headers["Signature-Input"]
    parsed = _check("POST", INBOX, headers, BODY, keys[1])
    assert parsed.scheme == "rfc9421"
    assert parsed.key_id == KEY_ID
    assert parsed.algorithm == "rsa-v1_5-sha256"
    assert parsed.covered == sigtools.RFC9421_FEDIFY + ("content-digest",)
    assert parsed.label == "sig1"


def test_rfc9421_get_all_derived_components(keys) -> None:
    url = "https://aid.example:8443/users/riverside/outbox?page=2&x=%20y"
    covered = (
        "@method",
        "@target-uri",
        "@authority",
        "@scheme",
        "@path",
        "@query",
        "@request-target",
        "host",
        "date",
    )
    headers = _rfc9421(keys, "GET", url, covered=covered)
    parsed = _check("GET", url, headers, None, keys[1])
    assert parsed.covered == covered


@pytest.mark.parametrize("pss", [False, True])
def test_rfc9421_without_alg_and_pss(keys, pss) -> None:
    headers = _rfc9421(keys, pss=pss, include_alg=False)
    assert "alg=" not in headers["Signature-Input"]
    if pss:
        # Without alg we assume rsa-v1_5-sha256, so a PSS signature cannot verify...
        assert "does not verify" in str(_error("POST", INBOX, headers, BODY, keys[1]))
        # ...but with alg="rsa-pss-sha512" it does.
        headers = _rfc9421(keys, pss=True)
        assert _check("POST", INBOX, headers, BODY, keys[1]).algorithm == "rsa-pss-sha512"
    else:
        _check("POST", INBOX, headers, BODY, keys[1])


def test_rfc9421_picks_first_label(keys, other_keys) -> None:
    first = _rfc9421(keys, label="sig1")
    second = sigtools.rfc9421_sign(
        "POST", INBOX, key_id="https://proxy.example/k", private_key_pem=other_keys[0], body=BODY
    )
    combined = dict(first)
    combined["Signature-Input"] = (
        first["Signature-Input"] + ", " + second["Signature-Input"].replace("sig1=", "proxy=", 1)
    )
    combined["Signature"] = (
        first["Signature"] + ", " + second["Signature"].replace("sig1=", "proxy=", 1)
    )
    parsed = _check("POST", INBOX, combined, BODY, keys[1])
    assert parsed.key_id == KEY_ID


def test_our_rfc9421_verified_by_http_message_signatures(keys, key) -> None:
    for method, url, body in (
        ("POST", INBOX, BODY),
        ("GET", "https://remote.example:8443/users/bob?x=1", None),
    ):
        headers = sign_request_rfc9421(method, url, key=key, body=body)
        results = sigtools.rfc9421_verify(
            method, url, headers, body, key_id=KEY_ID, public_key_pem=keys[1]
        )
        assert results[0].label == "sig1"
        assert results[0].parameters["keyid"] == KEY_ID
        assert results[0].parameters["alg"] == "rsa-v1_5-sha256"
        expected = list(sigtools.RFC9421_FEDIFY) + (["content-digest"] if body else [])
        assert [c.strip('"') for c in results[0].covered_components][:-1] == expected
        _check(method, url, headers, body, keys[1])


def test_our_rfc9421_tampered_fails_http_message_signatures(keys, key) -> None:
    headers = sign_request_rfc9421("POST", INBOX, key=key, body=BODY)
    with pytest.raises(HMSInvalidSignature):
        sigtools.rfc9421_verify(
            "POST", INBOX, headers, BODY + b" ", key_id=KEY_ID, public_key_pem=keys[1]
        )
    with pytest.raises(HMSInvalidSignature):
        sigtools.rfc9421_verify(
            "POST",
            "https://aid.example/users/x/inbox",
            headers,
            BODY,
            key_id=KEY_ID,
            public_key_pem=keys[1],
        )


# --------------------------------------------------------------------------- digests on input


@pytest.mark.parametrize(
    "value",
    [
        "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode(),
        "sha-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode(),
        "SHA-512=" + base64.b64encode(hashlib.sha512(BODY).digest()).decode(),
        "MD5=AAAA, SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode(),
    ],
)
def test_digest_variants_accepted(keys, value) -> None:
    headers = sigtools.cavage_sign(
        "POST",
        INBOX,
        key_id=KEY_ID,
        private_key_pem=keys[0],
        body=BODY,
        headers={"Digest": value},
        add_digest=False,
        covered=["(request-target)", "host", "date", "digest"],
    )
    _check("POST", INBOX, headers, BODY, keys[1])


def test_digest_list_with_wrong_entry_rejected(keys) -> None:
    good = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    bad = base64.b64encode(hashlib.sha512(b"other").digest()).decode()
    headers = sigtools.cavage_sign(
        "POST",
        INBOX,
        key_id=KEY_ID,
        private_key_pem=keys[0],
        body=BODY,
        headers={"Digest": f"SHA-256={good},SHA-512={bad}"},
        add_digest=False,
        covered=["(request-target)", "host", "date", "digest"],
    )
    assert str(_error("POST", INBOX, headers, BODY, keys[1])) == (
        "Digest header does not match the body"
    )


def test_content_digest_sha512_with_cavage(keys) -> None:
    value = "sha-512=:" + base64.b64encode(hashlib.sha512(BODY).digest()).decode() + ":"
    headers = sigtools.cavage_sign(
        "POST",
        INBOX,
        key_id=KEY_ID,
        private_key_pem=keys[0],
        body=BODY,
        headers={"Content-Digest": value},
        add_digest=False,
        covered=["(request-target)", "host", "date", "content-digest"],
    )
    _check("POST", INBOX, headers, BODY, keys[1])


def test_digest_without_any_known_algorithm(keys) -> None:
    headers = sigtools.cavage_sign(
        "POST",
        INBOX,
        key_id=KEY_ID,
        private_key_pem=keys[0],
        body=BODY,
        headers={"Digest": "MD5=AAAA"},
        add_digest=False,
        covered=["(request-target)", "host", "date", "digest"],
    )
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error) == "Digest header has no SHA-256 or SHA-512 value"
    assert error.status == 400


# --------------------------------------------------------------------------- negative cases


def test_bad_digest(keys) -> None:
    headers = sigtools.cavage_sign(
        "POST",
        INBOX,
        key_id=KEY_ID,
        private_key_pem=keys[0],
        body=BODY,
        headers={"Digest": sigtools.sha256_digest(b"something else")},
        add_digest=False,
        covered=["(request-target)", "host", "date", "digest"],
    )
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error) == "Digest header does not match the body"
    assert error.status == 401


def test_body_changed_after_signing(keys) -> None:
    headers = _cavage(keys)
    error = _error("POST", INBOX, headers, BODY.replace(b"Create", b"Delete"), keys[1])
    assert str(error) == "Digest header does not match the body"


def test_rfc9421_body_changed_after_signing(keys) -> None:
    headers = _rfc9421(keys)
    error = _error("POST", INBOX, headers, BODY + b"\n", keys[1])
    assert str(error) == "Content-Digest header does not match the body"


def test_date_too_old(keys) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    headers = _cavage(keys, date=now - timedelta(minutes=66))
    error = _error("POST", INBOX, headers, BODY, keys[1], now=now)
    assert str(error) == "Date header is 66 minutes old; allowed skew is 60 minutes"
    assert error.status == 401


def test_date_in_the_future(keys) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    headers = _cavage(keys, date=now + timedelta(minutes=66))
    error = _error("POST", INBOX, headers, BODY, keys[1], now=now)
    assert str(error) == "Date header is 66 minutes in the future; allowed skew is 60 minutes"


def test_date_within_skew_and_custom_skew(keys) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    headers = _cavage(keys, date=now - timedelta(minutes=50))
    _check("POST", INBOX, headers, BODY, keys[1], now=now)
    error = _error("POST", INBOX, headers, BODY, keys[1], now=now, max_skew_seconds=300)
    assert str(error) == "Date header is 50 minutes old; allowed skew is 5 minutes"


def test_missing_date(keys) -> None:
    headers = _cavage(keys)
    del headers["date"]
    assert str(_error("POST", INBOX, headers, BODY, keys[1])) == "Date header is missing"


def test_unparseable_date(keys) -> None:
    headers = _cavage(keys)
    headers["date"] = "last Tuesday"
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error) == "Date header is not a valid HTTP date"
    assert error.status == 400


def test_missing_digest_on_post(keys) -> None:
    headers = _cavage(keys, add_digest=False)
    assert "digest" not in headers
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error) == "POST request has no Digest or Content-Digest header"


def test_digest_not_covered_on_post(keys) -> None:
    headers = _cavage(keys, covered=["(request-target)", "host", "date"])
    assert "digest" in headers
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error) == "signature does not cover the Digest header"


def test_request_target_not_covered(keys) -> None:
    headers = _cavage(keys, covered=["host", "date", "digest"])
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error) == "signature does not cover (request-target)"


def test_host_not_covered(keys) -> None:
    headers = _cavage(keys, covered=["(request-target)", "date", "digest"])
    assert str(_error("POST", INBOX, headers, BODY, keys[1])) == "signature does not cover host"


def test_wrong_key(keys, other_keys) -> None:
    headers = _cavage(keys)
    error = _error("POST", INBOX, headers, BODY, other_keys[1])
    assert str(error) == f"signature does not verify with key {KEY_ID}"
    assert error.status == 401


def test_wrong_key_rfc9421(keys, other_keys) -> None:
    headers = _rfc9421(keys)
    error = _error("POST", INBOX, headers, BODY, other_keys[1])
    assert str(error) == f"signature does not verify with key {KEY_ID}"


def test_tampered_signature(keys) -> None:
    headers = _cavage(keys)
    value = headers["signature"]
    start = value.index('signature="') + len('signature="')
    raw = bytearray(base64.b64decode(value[start : value.index('"', start)]))
    raw[10] ^= 0x01
    headers["signature"] = value[:start] + base64.b64encode(bytes(raw)).decode() + '"'
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error) == f"signature does not verify with key {KEY_ID}"


def test_signed_for_another_path_or_method(keys) -> None:
    headers = _cavage(keys)
    for method, url in (("POST", "https://aid.example/users/x/inbox"), ("PUT", INBOX)):
        error = _error(method, url, headers, BODY, keys[1])
        assert str(error) == f"signature does not verify with key {KEY_ID}"


def test_tampered_covered_header(keys) -> None:
    headers = _rfc9421(keys)
    headers["Host"] = "other.example"
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error) == f"signature does not verify with key {KEY_ID}"


def test_unsigned_request(keys) -> None:
    for headers in ({"Date": "x", "Host": "aid.example"}, {"Authorization": "Bearer abc"}):
        error = _error("POST", INBOX, headers, BODY, keys[1])
        assert str(error) == "request is not signed"
        assert error.status == 401


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("garbage", "Signature header is malformed"),
        ('keyId="k",signature="abc" extra', "Signature header is malformed"),
        ('keyId="https://x.example/k",headers="date"', "Signature header has no signature"),
        ('signature="AAAA",headers="date"', "Signature header has no keyId"),
        ('keyId="k",signature="not base64!!"', "signature is not valid base64"),
    ],
)
def test_malformed_signature_header(keys, value, message) -> None:
    headers = _cavage(keys)
    headers["signature"] = value
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error) == message
    assert error.status == 400


def test_unsupported_algorithm(keys) -> None:
    headers = _cavage(keys, algorithm="hmac-sha256")
    assert str(_error("POST", INBOX, headers, BODY, keys[1])) == (
        "unsupported signature algorithm 'hmac-sha256'"
    )


def test_invalid_public_key_pem(keys) -> None:
    parsed = parse_signature("POST", INBOX, _cavage(keys), BODY)
    with pytest.raises(SignatureError) as info:
        verify_signature(parsed, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
    assert str(info.value) == f"key {KEY_ID} is not a valid RSA public key"


def test_rfc9421_without_target_uri(keys) -> None:
    headers = _rfc9421(keys, covered=("@method", "@authority", "host", "date"))
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error) == "signature does not cover @target-uri"


def test_rfc9421_without_method(keys) -> None:
    headers = _rfc9421(keys, covered=("@target-uri", "date"))
    assert str(_error("POST", INBOX, headers, BODY, keys[1])) == "signature does not cover @method"


def test_rfc9421_post_without_content_digest(keys) -> None:
    # Signed without a body, so no Content-Digest is added or covered; then sent with one.
    headers = _rfc9421(keys, body=None)
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error) == "POST request has no Digest or Content-Digest header"
    headers["Content-Digest"] = content_digest_header(BODY)
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error) == "signature does not cover content-digest"


def test_rfc9421_stale_created(keys) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    headers = _rfc9421(keys, created=now - timedelta(minutes=90), date=now)
    error = _error("POST", INBOX, headers, BODY, keys[1], now=now)
    assert str(error) == "signature (created) is 90 minutes old; allowed skew is 60 minutes"


def test_rfc9421_created_in_future(keys) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    headers = _rfc9421(keys, created=now + timedelta(minutes=61, seconds=30), date=now)
    error = _error("POST", INBOX, headers, BODY, keys[1], now=now)
    assert (
        str(error) == "signature (created) is 61 minutes in the future; allowed skew is 60 minutes"
    )


def test_rfc9421_expired(keys) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    headers = _rfc9421(
        keys,
        created=now - timedelta(minutes=30),
        expires=now - timedelta(minutes=61, seconds=1),
        date=now,
    )
    error = _error("POST", INBOX, headers, BODY, keys[1], now=now)
    assert str(error) == "signature expired 61 minutes ago"


def test_rfc9421_missing_date_when_covered(keys) -> None:
    headers = _rfc9421(keys)
    del headers["Date"]
    assert str(_error("POST", INBOX, headers, BODY, keys[1])) == "Date header is missing"


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        (
            "Signature-Input",
            "sig1=(",
            "Signature-Input header is malformed: unterminated inner list",
        ),
        ("Signature-Input", "sig1=(@method)", "Signature-Input header is malformed"),
        ("Signature", "sig1=:!!:", "Signature header is malformed: invalid base64"),
        ("Signature", "other=:AAAA:", "Signature header has no byte sequence for label sig1"),
    ],
)
def test_rfc9421_malformed(keys, header, value, message) -> None:
    headers = _rfc9421(keys)
    headers[header] = value
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error).startswith(message)
    assert error.status == 400


def test_rfc9421_component_parameters_refused(keys) -> None:
    headers = _rfc9421(keys, covered=("@method", "@target-uri", '"content-digest";sf'))
    error = _error("POST", INBOX, headers, BODY, keys[1])
    assert str(error) == "component parameters are not supported (content-digest)"


def test_parsed_signature_repr_is_short(keys) -> None:
    parsed = parse_signature("POST", INBOX, _cavage(keys), BODY)
    assert "signed_data" not in repr(parsed)
    assert KEY_ID in repr(parsed)


def test_sigtools_rejects_what_it_should(keys, other_keys, key) -> None:
    # Guard the guard: the independent verifier must itself fail on a wrong key / bad body.
    headers = sign_request("POST", INBOX, key=key, body=BODY)
    with pytest.raises(InvalidSignature):
        sigtools.cavage_verify("POST", INBOX, headers, BODY, other_keys[1])
    with pytest.raises(AssertionError):
        sigtools.cavage_verify("POST", INBOX, headers, BODY + b"x", keys[1])


def test_cavage_parameter_parsing_matches_the_plain_grammar() -> None:
    """The parser's quoted-string regex is an unrolled form of "(?:[^"\\]|\\.)*"; both must
    read every header alike (random headers built from the characters that matter)."""
    import random
    import re

    from fedi_aid.federation import signatures

    plain = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^",\s]*)\s*')

    def reference(value: str) -> dict[str, str] | None:
        params: dict[str, str] = {}
        pos, value = 0, value.strip()
        while pos < len(value):
            match = plain.match(value, pos)
            if not match:
                return None
            name, raw = match.group(1).lower(), match.group(2)
            if raw.startswith('"'):
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            params[name] = raw
            pos = match.end()
            if pos < len(value):
                if value[pos] != ",":
                    return None
                pos += 1
        return params

    rng = random.Random(8)
    alphabet = ['"', "\\", ",", "=", " ", "a", "k", "Z", "0", "+", "/", "\n"]
    samples = [
        'keyId="https://a.example/u#k",algorithm="rsa-sha256",headers="a b",signature="x+/=="',
        'keyId="a\\"b",signature="c\\\\d"',
    ]
    for _ in range(5000):
        parts = []
        for _ in range(rng.randint(1, 3)):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
            parts.append(f"k{rng.randint(0, 3)}={text}" if rng.random() < 0.3 else f'k="{text}"')
        samples.append(",".join(parts))
    for sample in samples:
        try:
            ours: dict[str, str] | None = signatures._parse_cavage_params(sample)
        except signatures.SignatureError:
            ours = None
        assert ours == reference(sample), sample
