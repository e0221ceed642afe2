"""Every captured document in tests/fixtures/ goes through normalize() and its schema.

Fixtures are named `<software>-<activity>-<detail>.json` and keep the exact shape the software
sends (hosts rewritten to example domains). Activities go through `validate_incoming`; actor
documents through `actor`, key documents through `key`, WebFinger answers through `webfinger`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fedi_aid.activitypub.normalize import is_public, normalize
from fedi_aid.activitypub.validate import validate, validate_incoming
from fedi_aid.activitypub.vocab import ACTOR_TYPES, PUBLIC, PUBLIC_ALIASES

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FILES = sorted(FIXTURES.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def schema_for_fixture(path: Path, doc: dict[str, Any]) -> str | None:
    """The schema a fixture is checked against; None means validate_incoming."""
    if "publickey" in path.stem:
        return "key"
    if "subject" in doc and "links" in doc:
        return "webfinger"
    if doc.get("type") in ACTOR_TYPES:
        return "actor"
    return None


def audience_values(doc: dict[str, Any]) -> list[Any]:
    values: list[Any] = []
    for field in ("to", "cc", "bto", "bcc", "audience"):
        values.extend(doc.get(field, []))
    return values


def embedded_chain(doc: dict[str, Any]) -> list[dict[str, Any]]:
    chain = [doc]
    while isinstance(chain[-1].get("object"), dict):
        chain.append(chain[-1]["object"])
    return chain


def test_the_expected_fixtures_exist() -> None:
    names = {path.stem for path in FILES}
    assert {
        "mastodon-person-actor",
        "mastodon-follow",
        "mastodon-undo-follow",
        "mastodon-accept-follow",
        "mastodon-create-note",
        "mastodon-delete-actor",
        "mastodon-update-person",
        "gotosocial-person-actor",
        "gotosocial-follow",
        "gotosocial-delete-no-id",
        "gotosocial-announce",
        "lemmy-group-actor",
        "lemmy-announce-create",
        "lemmy-follow",
        "misskey-create-note",
        "pleroma-create-note",
        "mitra-accept-follow",
        "fedify-create-note",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_fixture_is_accepted(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    before = copy.deepcopy(raw)
    doc = normalize(raw)
    assert raw == before, "normalize() must not modify its input"
    schema = schema_for_fixture(path, doc)
    if schema is None:
        validate_incoming(doc)
    else:
        validate(doc, schema)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_fixture_is_normalised(path: Path) -> None:
    doc = normalize(json.loads(path.read_text(encoding="utf-8")))
    for node in embedded_chain(doc):
        for field in ("to", "cc", "bto", "bcc", "audience", "tag", "attachment"):
            if field in node:
                assert isinstance(node[field], list), f"{field} should be a list"
        for value in audience_values(node):
            assert isinstance(value, str)
            assert value == PUBLIC or value not in PUBLIC_ALIASES, "public alias left short"
        for field in ("actor", "attributedTo"):
            if field in node:
                assert isinstance(node[field], str), f"{field} should be an id string"
        if "type" in node:
            assert isinstance(node["type"], str)


def test_mastodon_create_note_keeps_its_extras_untouched() -> None:
    raw = load("mastodon-create-note")
    doc = normalize(raw)
    assert doc["@context"] == raw["@context"]
    assert doc["signature"] == raw["signature"]
    assert doc["signature"]["type"] == "RsaSignature2017"
    note = doc["object"]
    assert note["atomUri"] == note["id"]
    assert note["conversation"].startswith("tag:mastodon.example,")
    assert [tag["type"] for tag in note["tag"]] == ["Mention", "Hashtag"]
    assert is_public(doc) and is_public(note)


def test_gotosocial_single_values_become_lists() -> None:
    raw = load("gotosocial-delete-no-id")
    assert isinstance(raw["to"], str) and isinstance(raw["cc"], str)
    assert "id" not in raw
    doc = normalize(raw)
    assert doc["to"] == [PUBLIC]
    assert doc["cc"] == ["https://gts.example/users/bob/followers"]
    announce = normalize(load("gotosocial-announce"))
    assert announce["to"] == ["https://gts.example/users/bob/followers"]
    assert is_public(announce)  # public through cc


def test_fedify_as_public_becomes_the_full_uri() -> None:
    raw = load("fedify-create-note")
    assert raw["to"] == "as:Public" and raw["object"]["to"] == "as:Public"
    doc = normalize(raw)
    assert doc["to"] == [PUBLIC]
    assert doc["object"]["to"] == [PUBLIC]
    assert doc["object"]["tag"] == [raw["object"]["tag"]]
    assert doc["proof"] == raw["proof"]


def test_lemmy_announce_audience_and_context() -> None:
    raw = load("lemmy-announce-create")
    assert raw["@context"][0] == "https://join-lemmy.org/context.json"
    doc = normalize(raw)
    create = doc["object"]
    page = create["object"]
    assert create["type"] == "Create" and page["type"] == "Page"
    assert create["audience"] == ["https://lemmy.example/c/riverside_aid"]
    assert page["audience"] == ["https://lemmy.example/c/riverside_aid"]
    assert is_public(doc) and is_public(create) and is_public(page)


def test_software_specific_extras_are_kept_but_not_interpreted() -> None:
    misskey = normalize(load("misskey-create-note"))
    assert misskey["object"]["_misskey_content"].startswith("Riverside")
    pleroma = normalize(load("pleroma-create-note"))
    assert pleroma["context_id"] == 4812
    assert pleroma["object"]["sensitive"] is None


def test_accept_follow_shapes() -> None:
    assert isinstance(normalize(load("mastodon-accept-follow"))["object"], dict)
    assert isinstance(normalize(load("mitra-accept-follow"))["object"], str)
    offer = normalize(load("mitra-accept-offer"))
    assert offer["to"] == ["https://aid.example/groups/riverside"]
    assert offer["result"]["type"] == "Agreement"


def test_key_ids_of_both_forms() -> None:
    assert load("mastodon-person-actor")["publicKey"]["id"].endswith("#main-key")
    assert load("gotosocial-person-actor")["publicKey"]["id"].endswith("/main-key")
