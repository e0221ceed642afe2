"""WebFinger, host-meta, NodeInfo and actor content negotiation on a running instance."""

from __future__ import annotations

import aiohttp
import pytest

from tests.peers import AP


async def _get(url: str, accept: str = "*/*") -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Accept": accept}, allow_redirects=False) as response:
            return response.status, dict(response.headers), await response.text()


@pytest.fixture
async def instance(make_instance):  # type: ignore[no-untyped-def]
    instance = await make_instance()
    await instance.create_group("riverside", display_name="Riverside Mutual Aid")
    return instance


async def test_webfinger_acct_and_url(instance) -> None:
    import json

    for resource in (
        f"acct:riverside@{instance.host}",
        f"acct:RiverSide@{instance.host.upper()}",
        f"{instance.base_url}/users/riverside",
        f"{instance.base_url}/@riverside",
    ):
        status, headers, text = await _get(
            f"{instance.base_url}/.well-known/webfinger?resource={resource}"
        )
        assert status == 200, (resource, text)
        assert headers["Content-Type"].startswith("application/jrd+json")
        assert headers["Access-Control-Allow-Origin"] == "*"
        jrd = json.loads(text)
        assert jrd["subject"] == f"acct:riverside@{instance.host}"
        self_link = next(link for link in jrd["links"] if link["rel"] == "self")
        assert self_link == {
            "rel": "self",
            "type": AP,
            "href": f"{instance.base_url}/users/riverside",
        }


@pytest.mark.parametrize(
    ("resource", "status", "message"),
    [
        ("acct:nobody@{host}", 404, "no such account"),
        ("acct:riverside@other.example", 404, "not this instance"),
        ("acct:riverside", 400, "malformed"),
        ("", 400, "required"),
        ("mailto:x@y", 400, "unsupported resource"),
        ("acct:@{host}", 400, "malformed"),
    ],
)
async def test_webfinger_errors(instance, resource: str, status: int, message: str) -> None:
    import json

    url = (
        f"{instance.base_url}/.well-known/webfinger?resource={resource.format(host=instance.host)}"
    )
    got, headers, text = await _get(url)
    assert got == status
    assert message in json.loads(text)["error"]
    assert headers["Access-Control-Allow-Origin"] == "*"


async def test_host_meta_and_nodeinfo(instance) -> None:
    import json

    status, headers, text = await _get(f"{instance.base_url}/.well-known/host-meta")
    assert (
        status == 200
        and "lrdd" in text
        and headers["Content-Type"].startswith("application/xrd+xml")
    )
    status, _, text = await _get(f"{instance.base_url}/.well-known/nodeinfo")
    links = json.loads(text)["links"]
    assert {link["href"].rsplit("/", 1)[1] for link in links} == {"2.0", "2.1"}
    for link in links:
        status, headers, text = await _get(link["href"])
        doc = json.loads(text)
        assert status == 200 and doc["software"]["name"] == "fedi-aid"
        assert doc["openRegistrations"] is False
        assert doc["usage"]["users"]["total"] == 1
        assert doc["metadata"]["groups"] == 1
        assert "profile=" in headers["Content-Type"]


@pytest.mark.parametrize(
    "accept",
    [AP, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'],
)
async def test_actor_document_by_content_negotiation(instance, accept: str) -> None:
    import json

    status, headers, text = await _get(f"{instance.base_url}/users/riverside", accept)
    assert status == 200 and headers["Content-Type"].startswith("application/activity+json")
    doc = json.loads(text)
    assert doc["type"] == "Group" and doc["preferredUsername"] == "riverside"
    assert doc["endpoints"]["sharedInbox"] == f"{instance.base_url}/inbox"
    assert doc["publicKey"]["owner"] == doc["id"]
    assert "PRIVATE" not in text
    for key in ("inbox", "outbox", "followers", "following", "featured", "url"):
        assert doc[key].startswith(instance.base_url)


async def test_actor_html_for_browsers_and_404(instance) -> None:
    status, headers, text = await _get(f"{instance.base_url}/users/riverside", "text/html")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "Riverside Mutual Aid" in text and f"@riverside@{instance.host}" in text
    status, _, _ = await _get(f"{instance.base_url}/users/nobody", AP)
    assert status == 404


async def test_collections_are_paged(instance, make_instance) -> None:
    import json

    status, _, text = await _get(f"{instance.base_url}/users/riverside/followers", AP)
    doc = json.loads(text)
    assert doc["type"] == "OrderedCollection" and doc["totalItems"] == 0
    status, _, text = await _get(doc["first"], AP)
    page = json.loads(text)
    assert page["type"] == "OrderedCollectionPage" and page["orderedItems"] == []
    status, _, text = await _get(f"{instance.base_url}/users/riverside/outbox", AP)
    assert json.loads(text)["type"] == "OrderedCollection"
    status, _, text = await _get(f"{instance.base_url}/users/riverside/following?page=zero", AP)
    assert status == 400 and "page" in json.loads(text)["error"]


async def test_instance_actor_is_an_application(instance) -> None:
    import json

    status, _, text = await _get(f"{instance.base_url}/actor", AP)
    doc = json.loads(text)
    assert status == 200 and doc["type"] == "Application"
    assert doc["publicKey"]["id"] == f"{instance.base_url}/actor#main-key"
