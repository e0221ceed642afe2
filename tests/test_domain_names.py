"""Domain blocks cover subdomains; never a whole top-level domain or part of an IP address."""

from __future__ import annotations

import pytest

from fedi_aid.domain_names import covering_domains, is_covered_by


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("example.com", ("example.com",)),
        ("Social.Example.com.", ("social.example.com", "example.com")),
        (
            "a.b.example.com:8443",
            ("a.b.example.com:8443", "a.b.example.com", "b.example.com", "example.com"),
        ),
        ("localhost:8080", ("localhost:8080", "localhost")),
        ("127.0.0.1:8080", ("127.0.0.1:8080", "127.0.0.1")),
        ("10.1.2.3", ("10.1.2.3",)),
        ("[::1]:8080", ("[::1]:8080", "::1")),
    ],
)
def test_covering_domains(domain: str, expected: tuple[str, ...]) -> None:
    assert covering_domains(domain) == expected


def test_a_block_covers_subdomains_but_not_lookalikes() -> None:
    assert is_covered_by("spam.example.com", "example.com")
    assert is_covered_by("x.spam.example.com:443", "spam.example.com")
    assert not is_covered_by("notexample.com", "example.com")
    assert not is_covered_by("example.com", "spam.example.com")
    assert not is_covered_by("example.com", "com")
    assert not is_covered_by("10.1.2.3", "2.3")
