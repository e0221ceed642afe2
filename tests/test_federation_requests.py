"""Requests of other servers skip the page machinery (session cookie, language); pages keep it."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from fedi_aid.web.paths import is_federation_request

AP = "application/activity+json"


@pytest.mark.parametrize(
    ("method", "path", "accept", "expected"),
    [
        ("POST", "/inbox", "", True),
        ("POST", "/users/riverside/inbox", "", True),
        ("GET", "/.well-known/webfinger", "", True),
        ("GET", "/nodeinfo/2.1", "", True),
        ("GET", "/users/riverside", AP, True),
        ("GET", "/users/riverside/followers", 'application/ld+json; profile="x"', True),
        ("GET", "/actor", AP, True),
        ("GET", "/users/riverside", "text/html", False),
        ("GET", "/admin", AP, False),
        ("GET", "/needs/abc", AP, False),
        ("POST", "/login", "", False),
        ("POST", "/users/riverside", AP, False),
    ],
)
def test_what_counts_as_a_federation_request(
    method: str, path: str, accept: str, expected: bool
) -> None:
    assert is_federation_request(method, path, accept) is expected


async def test_pages_keep_language_and_headers_federation_gets_none(make_instance: Any) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    url = f"{a.base_url}/users/riverside"
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Accept": "text/html", "Accept-Language": "hi"}) as r:
            page = await r.text()
            assert r.status == 200 and "Content-Security-Policy" in r.headers
            assert 'lang="hi"' in page
        async with http.get(url, headers={"Accept": AP, "Accept-Language": "hi"}) as r:
            assert r.status == 200 and (await r.json(content_type=None))["id"] == url
            assert "Content-Security-Policy" not in r.headers and "Set-Cookie" not in r.headers
        # A page asked for as JSON still has its session: the organiser is sent to log in.
        async with http.get(
            f"{a.base_url}/admin", headers={"Accept": AP}, allow_redirects=False
        ) as r:
            assert r.status in (302, 303) and "/login" in r.headers["Location"]
