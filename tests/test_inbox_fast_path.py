"""The inbox's fast path: checks answered from memory, group commit, the compiled validator.

Each shortcut must give the answers the slow path gave: blocks honoured (at once when made in
this process, within the TTL when made by another), duplicates still duplicates, a database
failure still a 503 for every request it touched, and no document accepted that jsonschema
would refuse.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from fedi_aid.activitypub import validate as validation
from fedi_aid.activitypub.normalize import normalize
from fedi_aid.activitypub.to_as import aid_item_to_as_note
from fedi_aid.db.inbox_items import count_inbox_items
from fedi_aid.db.models import Actor, Domain, InboxItem
from fedi_aid.inbox import batch_store
from fedi_aid.inbox.batch_store import InboxWriter
from fedi_aid.moderation import block_actor, block_domain
from tests.peers import MastodonPeer
from tests.test_aid_convert import SAMPLES

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
async def peer(make_peer: Any) -> Any:
    return await make_peer("alice", "mallory")


async def _follow(peer: MastodonPeer, instance: Any, name: str = "alice") -> tuple[int, str]:
    actor = peer.actors[name]
    group_uri = f"{instance.base_url}/users/riverside"
    return await peer.post(
        actor, f"{instance.base_url}/inbox", peer.follow_activity(actor, group_uri)
    )


def _after_ttl(cache: Any) -> None:
    real_clock = cache.clock
    cache.clock = lambda: real_clock() + cache.ttl + 0.1


# --------------------------------------------------------------------------- blocks from memory


async def test_an_in_process_block_counts_at_once(make_instance: Any, peer: MastodonPeer) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    assert (await _follow(peer, a))[0] == 202  # the snapshot is loaded now
    await block_actor(a.ctx, peer.actors["alice"].uri)
    status, text = await _follow(peer, a)
    assert status == 403 and peer.actors["alice"].uri in text
    await block_domain(a.ctx, peer.host)
    status, text = await _follow(peer, a, "mallory")
    assert status == 403 and "domain" in text


async def test_a_block_by_another_process_counts_within_the_ttl(
    make_instance: Any, peer: MastodonPeer
) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    assert (await _follow(peer, a))[0] == 202
    # A Core statement on a plain connection: what no session event sees, like `fedi-aid block`
    # run by another process.
    async with a.ctx.engine.begin() as connection:
        await connection.execute(
            Domain.__table__.insert().values(
                domain=peer.host, blocked=True, unavailable=False, silenced=False
            )
        )
    _after_ttl(a.ctx.moderation)
    status, text = await _follow(peer, a)
    assert status == 403 and "blocked" in text


def _cli(instance: Any, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m fedi_aid ARGS...` in another process, on the instance's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDI_AID_")}
    settings = instance.settings
    env.update(
        FEDI_AID_BASE_URL=settings.base_url,
        FEDI_AID_DATA_DIR=settings.data_dir,
        FEDI_AID_DATABASE_URL=settings.database_url,
        FEDI_AID_DATABASE_SCHEMA=settings.database_schema,
        FEDI_AID_DEVELOPMENT="true",
    )
    return subprocess.run(
        [sys.executable, "-m", "fedi_aid", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_a_block_by_the_cli_in_another_process_counts_within_the_ttl(
    make_instance: Any, peer: MastodonPeer
) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    assert (await _follow(peer, a))[0] == 202
    result = await asyncio.to_thread(_cli, a, "block", "domain", peer.host)
    assert result.returncode == 0, result.stderr
    _after_ttl(a.ctx.moderation)
    status, text = await _follow(peer, a, "mallory")
    assert status == 403 and "blocked" in text


async def test_a_signed_request_clears_the_unavailable_mark(
    make_instance: Any, peer: MastodonPeer
) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    async with a.ctx.sessions.begin() as session:
        session.add(Domain(domain=peer.host, unavailable=True, blocked=False))
    assert (await _follow(peer, a))[0] == 202
    async with a.ctx.sessions() as session:
        assert (await session.get(Domain, peer.host)).unavailable is False  # type: ignore[union-attr]
    assert peer.host not in (await a.ctx.moderation.current()).unavailable_domains


# --------------------------------------------------------------------------- verified keys


async def test_a_verified_key_is_remembered_until_the_actor_changes(
    make_instance: Any, peer: MastodonPeer
) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    alice = peer.actors["alice"]
    key_id = f"{alice.uri}#main-key"
    assert (await _follow(peer, a))[0] == 202
    remembered = a.ctx.verified_keys.get(key_id)
    assert remembered is not None and remembered.uri == alice.uri
    # Deleted in this process (what the worker does for Delete{Person}): forgotten at once.
    async with a.ctx.sessions.begin() as session:
        await session.execute(update(Actor).where(Actor.uri == alice.uri).values(summary="x"))
    assert a.ctx.verified_keys.get(key_id) is None
    # And the next request goes the long way again, and is accepted.
    assert (await _follow(peer, a))[0] == 202
    assert a.ctx.verified_keys.get(key_id) is not None


async def test_a_remembered_key_that_no_longer_verifies_is_refetched(
    make_instance: Any, peer: MastodonPeer
) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    assert (await _follow(peer, a))[0] == 202
    peer.fetched.clear()
    peer.add_actor("alice")  # a new key pair, served from now on
    assert (await _follow(peer, a))[0] == 202
    assert peer.fetched == ["/users/alice"]


# --------------------------------------------------------------------------- group commit


async def test_one_batch_stores_each_id_once(make_instance: Any, monkeypatch: Any) -> None:
    a = await make_instance()
    writer = InboxWriter(a.ctx.engine)
    batches: list[int] = []
    real = batch_store.store_incoming_batch

    async def counting(connection: Any, rows: Any, now: Any) -> set[str]:
        batches.append(len(rows))
        return await real(connection, rows, now)

    monkeypatch.setattr(batch_store, "store_incoming_batch", counting)

    def row(uri: str) -> dict[str, Any]:
        body = {"id": uri, "type": "Like", "actor": "https://peer.example/users/alice"}
        return dict(
            activity_uri=uri,
            actor_uri=body["actor"],
            type_="Like",
            body=body,
            recipient_id=None,
        )

    assert await writer.store(**row("https://peer.example/1")) is True
    results = await asyncio.gather(
        *(
            writer.store(**row(uri))
            for uri in (
                "https://peer.example/1",  # stored before: a duplicate
                "https://peer.example/2",
                "https://peer.example/2",  # the same id twice in one batch
                "https://peer.example/3",
            )
        )
    )
    assert results == [False, True, False, True]
    assert batches == [1, 3]  # the four concurrent requests: one statement, three rows
    async with a.ctx.sessions() as session:
        uris = (await session.execute(select(InboxItem.activity_uri))).scalars().all()
    assert sorted(uris) == [f"https://peer.example/{n}" for n in (1, 2, 3)]


async def test_a_failed_commit_answers_every_waiter_503(
    make_instance: Any, peer: MastodonPeer, monkeypatch: Any
) -> None:
    a = await make_instance()
    await a.create_group("riverside")
    assert (await _follow(peer, a))[0] == 202  # keys and snapshot are in memory now

    async def failing(*_args: Any) -> set[str]:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(batch_store, "store_incoming_batch", failing)
    answers = await asyncio.gather(*(_follow(peer, a, name) for name in ("alice", "mallory") * 3))
    assert {status for status, _text in answers} == {503}
    assert all("try again later" in text for _status, text in answers)
    async with a.ctx.sessions() as session:
        assert await count_inbox_items(session) == 1

    monkeypatch.undo()
    assert (await _follow(peer, a))[0] == 202  # the writer recovers


# --------------------------------------------------------------------------- compiled validator


def _documents() -> list[tuple[Any, list[str]]]:
    """(document, schemas to check it against): fixture activities, the notes of needs and
    offers, and variants of each broken one field at a time."""
    cases: list[tuple[Any, list[str]]] = []
    for path in sorted(FIXTURES.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and isinstance(doc.get("type"), str):
            doc = normalize(doc)
            names = [validation.schema_for(doc["type"]), "activity", "object", "actor"]
            cases.append((doc, names))
    for item in SAMPLES.values():
        cases.append((normalize(aid_item_to_as_note(item)), ["aid-note", "note", "object"]))
    wrong_values: list[Any] = [None, 1, 2.5, True, "", "not a url", "ftp://x.example/", [], {}]
    wrong_values.append("DELETE")
    variants = []
    for doc, names in cases:
        for number, path in enumerate(_paths(doc)):
            # Three of the wrong values per field, a different three for the next field.
            for offset in range(3):
                variant = copy.deepcopy(doc)
                _set(variant, path, wrong_values[(number + offset * 4) % len(wrong_values)])
                variants.append((variant, names))
    return cases + variants


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths: list[tuple[Any, ...]] = []
    items = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    )
    for key, value in items:
        paths.append((*prefix, key))
        paths += _paths(value, (*prefix, key))
    return paths


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    if value == "DELETE" and isinstance(doc, dict):
        del doc[path[-1]]
    else:
        doc[path[-1]] = value


def test_the_compiled_validator_agrees_with_jsonschema() -> None:
    checked = 0
    for doc, names in _documents():
        for name in names:
            slow = validation._validator(name).is_valid(doc)
            fast = validation._fast_check(name)(doc)
            assert fast == slow, (name, doc)
            checked += 1
    assert checked > 15_000


def test_the_messages_still_come_from_jsonschema() -> None:
    doc = normalize(json.loads((FIXTURES / "mastodon-create-note.json").read_text()))
    doc["object"]["id"] = "not a url"
    with pytest.raises(validation.ValidationError) as error:
        validation.validate_incoming(doc)
    assert str(error.value) == "object.id: 'not a url' is not a 'uri'"


def test_plain_http_urls_taken_without_the_full_check_are_uris() -> None:
    """The shortcut for `format: uri` accepts only what the full checker accepts."""
    rng = random.Random(8)
    pchars = "ABCXYZabcxyz0189._~!$&'()*+,;=:@/-"
    checker = Draft202012Validator.FORMAT_CHECKER

    def part(chars: str, most: int) -> str:
        return "".join(rng.choice(chars) for _ in range(rng.randint(0, most)))

    taken = 0
    for _ in range(3000):
        url = rng.choice(["http://", "https://"]) + part("abz09.-", 12) + rng.choice(["a", "9"])
        url += rng.choice(["", f":{rng.randint(0, 99999)}", ":"])
        url += rng.choice(["", "/" + part(pchars, 30)])
        url += rng.choice(["", "?" + part(pchars + "?", 20)])
        url += rng.choice(["", "#" + part(pchars + "?", 20)])
        if validation._PLAIN_HTTP_URL.fullmatch(url):
            assert checker.conforms(url, "uri"), url
            taken += 1
    assert taken > 1000


async def test_a_row_the_database_refuses_fails_alone(make_instance: Any) -> None:
    a = await make_instance()
    writer = InboxWriter(a.ctx.engine)

    def row(uri: str, type_: str = "Like") -> dict[str, Any]:
        body = {"id": uri, "type": type_, "actor": "https://peer.example/users/alice"}
        return dict(
            activity_uri=uri, actor_uri=body["actor"], type_=type_, body=body, recipient_id=None
        )

    # Too long for its column on PostgreSQL, not encodable on SQLite: refused either way.
    bad = row("https://peer.example/bad", "Like" * 10 + "\ud800")
    results = await asyncio.gather(
        writer.store(**row("https://peer.example/1")),
        writer.store(**bad),
        writer.store(**row("https://peer.example/2")),
        return_exceptions=True,
    )
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], Exception)
    async with a.ctx.sessions() as session:
        assert await count_inbox_items(session) == 2
