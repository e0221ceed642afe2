"""Signed POSTs to a real instance: each accepted or rejected with the right status."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from fedi_aid.db.inbox_items import count_inbox_items
from tests import sigtools
from tests.peers import AP, MastodonPeer, signed_headers


@pytest.fixture
async def peer():  # type: ignore[no-untyped-def]
    peer = MastodonPeer()
    peer.add_actor("alice")
    peer.add_actor("mallory")
    await peer.start()
    yield peer
    await peer.stop()


async def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=body, headers=headers) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text else {})


async def _stored(instance) -> int:  # type: ignore[no-untyped-def]
    async with instance.ctx.sessions() as session:
        return await count_inbox_items(session)


def _follow(peer: MastodonPeer, group_uri: str, name: str = "alice") -> bytes:
    return json.dumps(peer.follow_activity(peer.actors[name], group_uri)).encode()


@pytest.mark.parametrize("scheme", ["rsa-sha256", "hs2019", "rfc9421"])
async def test_valid_signatures_are_accepted(make_instance, peer, scheme: str) -> None:
    b = await make_instance()
    group = await b.create_group("beta")
    inbox = f"{b.base_url}/inbox"
    body = _follow(peer, group.uri)
    status, _ = await _post(
        inbox, body, signed_headers(peer.actors["alice"], inbox, body, scheme=scheme)
    )
    assert status == 202
    assert await _stored(b) == 1


async def test_no_algorithm_and_gotosocial_style_key_id(make_instance, peer) -> None:
    b = await make_instance()
    group = await b.create_group("beta")
    inbox = f"{b.base_url}/users/beta/inbox"
    body = _follow(peer, group.uri)
    alice = peer.actors["alice"]
    headers = sigtools.cavage_sign(
        "POST",
        inbox,
        key_id=f"{alice.uri}#main-key",
        private_key_pem=alice.private_pem,
        body=body,
        headers={"Content-Type": AP},
        algorithm=None,
    )
    status, _ = await _post(inbox, body, headers)
    assert status == 202


async def test_repeated_activity_is_stored_once(make_instance, peer) -> None:
    b = await make_instance()
    group = await b.create_group("beta")
    inbox = f"{b.base_url}/inbox"
    body = _follow(peer, group.uri)
    for _ in range(3):
        headers = signed_headers(peer.actors["alice"], inbox, body)
        status, _ = await _post(inbox, body, headers)
        assert status == 202
    assert await _stored(b) == 1


def _stale(**kwargs):  # type: ignore[no-untyped-def]
    return kwargs


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("bad digest", 401, "Digest"),
        ("body changed after signing", 401, "Digest"),
        ("date 66 minutes old", 401, "66 minutes"),
        ("key owner is not the actor", 401, "not to the actor"),
        ("unknown key id", 401, "cannot verify the signature"),
        ("unsigned", 401, "not signed"),
        ("tampered signature", 401, "does not verify"),
        ("rfc9421 body changed", 401, "Content-Digest"),
    ],
)
async def test_bad_signatures_are_refused(
    make_instance, peer, case: str, status: int, message: str
) -> None:
    b = await make_instance()
    group = await b.create_group("beta")
    inbox = f"{b.base_url}/inbox"
    alice, mallory = peer.actors["alice"], peer.actors["mallory"]
    body = _follow(peer, group.uri)
    if case == "bad digest":
        headers = signed_headers(alice, inbox, body)
        headers["digest"] = sigtools.sha256_digest(b"something else")
    elif case == "body changed after signing":
        headers = signed_headers(alice, inbox, body)
        body = body.replace(b"Follow", b"Block ")
    elif case == "date 66 minutes old":
        headers = signed_headers(alice, inbox, body, date=datetime.now(UTC) - timedelta(minutes=66))
    elif case == "key owner is not the actor":
        # Signed correctly by mallory, but the activity claims to be alice's.
        headers = signed_headers(mallory, inbox, body)
    elif case == "unknown key id":
        ghost = peer.add_actor("ghost")
        del peer.actors["ghost"]
        body = json.dumps(peer.follow_activity(ghost, group.uri)).encode()
        headers = signed_headers(ghost, inbox, body)
    elif case == "unsigned":
        headers = {"Content-Type": AP}
    elif case == "tampered signature":
        headers = signed_headers(alice, inbox, body)
        sig = headers["signature"]
        start = sig.index('signature="') + len('signature="')
        flipped = "A" if sig[start] != "A" else "B"
        headers["signature"] = sig[:start] + flipped + sig[start + 1 :]
    elif case == "rfc9421 body changed":
        headers = signed_headers(alice, inbox, body, scheme="rfc9421")
        body = body.replace(b"Follow", b"Block ")
    got, answer = await _post(inbox, body, headers)
    assert got == status, answer
    assert message in answer["error"]
    assert await _stored(b) == 0


async def test_wrong_content_type_and_oversize_and_junk(make_instance, peer) -> None:
    b = await make_instance()
    await b.create_group("beta")
    inbox = f"{b.base_url}/inbox"
    status, answer = await _post(inbox, b"{}", {"Content-Type": "text/plain"})
    assert status == 415 and "content type" in answer["error"]
    status, answer = await _post(inbox, b"x" * (1024 * 1024 + 10), {"Content-Type": AP})
    assert status == 413
    status, answer = await _post(inbox, b"{not json", {"Content-Type": AP})
    assert status == 400 and "not valid JSON" in answer["error"]
    status, answer = await _post(inbox, b'{"type":"Follow"}', {"Content-Type": AP})
    assert status == 400 and "actor" in answer["error"]
    assert await _stored(b) == 0


async def test_delete_from_unknown_actor_is_202_without_fetching(make_instance, peer) -> None:
    b = await make_instance()
    await b.create_group("beta")
    inbox = f"{b.base_url}/inbox"
    body = json.dumps(
        {
            "id": "http://127.0.0.1:1/users/gone#delete",
            "type": "Delete",
            "actor": "http://127.0.0.1:1/users/gone",
            "object": "http://127.0.0.1:1/users/gone",
        }
    ).encode()
    # Port 1: nothing listens there; a fetch would fail and give 401, not 202.
    status, _ = await _post(
        inbox,
        body,
        {
            "Content-Type": AP,
            "Signature": 'keyId="http://127.0.0.1:1/users/gone#main-key",headers="(request-target)",signature="AAAA"',
        },
    )
    assert status == 202
    assert await _stored(b) == 0


async def test_schema_violation_is_400_naming_the_field(make_instance, peer) -> None:
    b = await make_instance()
    await b.create_group("beta")
    inbox = f"{b.base_url}/inbox"
    alice = peer.actors["alice"]
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.base}/x1",
        "type": "Follow",
        "actor": alice.uri,
    }
    body = json.dumps(activity).encode()
    status, answer = await _post(inbox, body, signed_headers(alice, inbox, body))
    assert status == 400 and "object" in answer["error"]
    assert await _stored(b) == 0


async def test_key_rotation_refetches_once(make_instance, peer) -> None:
    b = await make_instance()
    group = await b.create_group("beta")
    inbox = f"{b.base_url}/inbox"
    alice = peer.actors["alice"]
    body = _follow(peer, group.uri)
    assert (await _post(inbox, body, signed_headers(alice, inbox, body)))[0] == 202
    # alice rotates her key; b has the old one cached.
    rotated = peer.add_actor("alice")
    body = json.dumps(peer.follow_activity(rotated, group.uri)).encode()
    status, answer = await _post(inbox, body, signed_headers(rotated, inbox, body))
    assert status == 202, answer
