"""The pure SSRF address policy."""

from __future__ import annotations

import ipaddress

import pytest

from fedi_aid.federation.ssrf import FetchError, ForbiddenURL, check_url, is_forbidden_address

FORBIDDEN = [
    "10.0.0.1",
    "172.16.5.4",
    "172.31.255.255",
    "192.168.1.1",
    "127.0.0.1",
    "127.255.0.9",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # CGNAT
    "224.0.0.1",  # multicast
    "0.0.0.0",
    "255.255.255.255",
    "240.0.0.1",
    "192.0.2.10",  # documentation
    "198.51.100.7",
    "203.0.113.99",
    "198.18.0.1",  # benchmarking
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "2001:db8::1",  # documentation
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2001::1",  # Teredo
    "::127.0.0.1",  # deprecated IPv4-compatible
]

ALLOWED = [
    "93.184.216.34",
    "1.1.1.1",
    "8.8.8.8",
    "172.32.0.1",  # just outside 172.16/12
    "100.128.0.1",  # just outside 100.64/10
    "2606:4700::1111",
    "2a01:4f8::1",
    "::ffff:93.184.216.34",  # mapped public v4: judged by the embedded address
    "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34
]


@pytest.mark.parametrize("text", FORBIDDEN)
def test_forbidden_addresses(text: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(text)) is True


@pytest.mark.parametrize("text", ALLOWED)
def test_public_addresses(text: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(text)) is False


@pytest.mark.parametrize(
    "url",
    [
        "https://aid.example/users/riverside",
        "https://aid.example:8443/inbox?x=1",
        "https://93.184.216.34/actor",
        "https://[2606:4700::1111]/actor",
        "HTTPS://Aid.Example/",
    ],
)
def test_check_url_accepts_public_https(url: str) -> None:
    check_url(url, allow_private=False)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://aid.example/actor", "plain http"),
        ("ftp://aid.example/x", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://aid.example/", "scheme"),
        ("aid.example/actor", "scheme"),
        ("https://user:secret@aid.example/", "credentials"),
        ("https://aid.example@evil.example/", "credentials"),
        ("https:///path-only", "no host"),
        ("https://", "no host"),
        ("https://localhost/actor", "local host"),
        ("https://LOCALHOST./actor", "local host"),
        ("https://app.localhost/", "local host"),
        ("https://printer.local/", "local host"),
        ("https://metadata.google.internal/", "local host"),
        ("https://metadata/computeMetadata/v1/", "without a domain"),
        ("https://127.0.0.1/", "not a public address"),
        ("https://10.1.2.3:8443/", "not a public address"),
        ("https://169.254.169.254/latest/meta-data/", "not a public address"),
        ("https://[::1]/", "not a public address"),
        ("https://[::ffff:127.0.0.1]/", "not a public address"),
        ("https://[fe80::1%25eth0]/", "not a public address"),
        ("https://0.0.0.0/", "not a public address"),
        ("https://2130706433/", "numeric"),
        ("https://127.1/", "numeric"),
        ("https://0x7f.0x1/", "numeric"),
        ("https://aid.example:99999/", "malformed"),
        ("https://[::1/", "malformed"),
    ],
)
def test_check_url_refuses(url: str, words: str) -> None:
    with pytest.raises(ForbiddenURL) as info:
        check_url(url, allow_private=False)
    assert words in str(info.value)
    assert isinstance(info.value, FetchError)
    assert info.value.status is None


def test_refusal_messages_never_carry_credentials() -> None:
    with pytest.raises(ForbiddenURL) as info:
        check_url("https://alice:hunter2@aid.example/", allow_private=False)
    assert "hunter2" not in str(info.value)
    with pytest.raises(ForbiddenURL) as info:
        check_url("https://alice:hunter2@aid.example:bad/", allow_private=False)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/actor",
        "http://localhost:8081/",
        "https://10.0.0.5/",
        "http://[::1]:9000/",
        "http://metadata/",
    ],
)
def test_development_allows_http_and_local_peers(url: str) -> None:
    check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/",
        "http://user:pw@127.0.0.1/",
        "http:///x",
    ],
)
def test_development_still_refuses_bad_shapes(url: str) -> None:
    with pytest.raises(ForbiddenURL):
        check_url(url, allow_private=True)
