"""validate() / validate_incoming(): bad documents are refused with a message naming the field."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from fedi_aid.activitypub.normalize import normalize
from fedi_aid.activitypub.validate import (
    INCOMING_SCHEMAS,
    SCHEMA_BASE_URI,
    SCHEMA_DIR,
    ValidationError,
    schema_for,
    schema_names,
    validate,
    validate_incoming,
)
from fedi_aid.activitypub.vocab import PUBLIC

ALICE = "https://mastodon.example/users/alice"
GROUP = "https://aid.example/groups/riverside"
NOTE_ID = f"{ALICE}/statuses/1"


def create_note() -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{NOTE_ID}/activity",
        "type": "Create",
        "actor": ALICE,
        "published": "2024-11-28T14:02:11Z",
        "to": [PUBLIC],
        "cc": [f"{ALICE}/followers"],
        "object": {
            "id": NOTE_ID,
            "type": "Note",
            "attributedTo": ALICE,
            "content": "<p>I can bring 5 blankets</p>",
            "published": "2024-11-28T14:02:11Z",
            "to": [PUBLIC],
            "cc": [f"{ALICE}/followers"],
            "tag": [],
        },
    }


def follow() -> dict[str, Any]:
    return {
        "id": "https://mastodon.example/6e1f3a52",
        "type": "Follow",
        "actor": ALICE,
        "object": GROUP,
    }


def refused(doc: dict[str, Any], schema: str | None = None) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        if schema is None:
            validate_incoming(doc)
        else:
            validate(doc, schema)
    return caught.value


def changed(doc: dict[str, Any], change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    change(doc)
    return doc


# -- the cases from the brief ----------------------------------------------------------------


def test_good_documents_pass() -> None:
    validate_incoming(create_note())
    validate_incoming(follow())


def test_missing_actor() -> None:
    error = refused(changed(follow(), lambda d: d.pop("actor")))
    assert str(error) == "actor: required property missing"
    assert error.path == "actor"
    assert error.schema == "follow"


def test_actor_not_a_uri() -> None:
    error = refused(changed(follow(), lambda d: d.update(actor="not a url")))
    assert str(error) == "actor: 'not a url' is not a 'uri'"


def test_actor_not_http() -> None:
    error = refused(changed(follow(), lambda d: d.update(actor="acct:alice@mastodon.example")))
    assert str(error) == "actor: 'acct:alice@mastodon.example' is not an http(s) URL"


def test_follow_without_object() -> None:
    error = refused(changed(follow(), lambda d: d.pop("object")))
    assert str(error) == "object: required property missing"


def test_follow_with_object_of_wrong_kind() -> None:
    error = refused(changed(follow(), lambda d: d.update(object=5)))
    assert str(error) == "object: 5 is not a string or an object"


def test_follow_with_embedded_object_without_id() -> None:
    error = refused(changed(follow(), lambda d: d.update(object={"type": "Group"})))
    assert str(error) == "object.id: required property missing"


def test_create_whose_object_has_no_id() -> None:
    error = refused(changed(create_note(), lambda d: d["object"].pop("id")))
    assert str(error) == "object.id: required property missing"


def test_create_whose_object_id_is_not_a_uri() -> None:
    error = refused(changed(create_note(), lambda d: d["object"].update(id="not a url")))
    assert str(error) == "object.id: 'not a url' is not a 'uri'"


def test_create_with_object_as_a_bare_uri() -> None:
    error = refused(changed(create_note(), lambda d: d.update(object=NOTE_ID)))
    assert error.path == "object"
    assert "is not of type 'object'" in error.problem


def test_wrong_type_for_to_items() -> None:
    error = refused(changed(create_note(), lambda d: d.update(to=[PUBLIC, 5])))
    assert str(error) == "to[1]: 5 is not of type 'string'"


def test_to_not_normalised_is_refused() -> None:
    # validate_incoming expects normalize() output: a bare string is not a list.
    error = refused(changed(create_note(), lambda d: d.update(to=PUBLIC)))
    assert error.path == "to"
    assert "is not of type 'array'" in error.problem
    validate_incoming(normalize(changed(create_note(), lambda d: d.update(to=PUBLIC))))


def test_bad_date_time_in_published() -> None:
    error = refused(changed(create_note(), lambda d: d["object"].update(published="yesterday")))
    assert str(error) == "object.published: 'yesterday' is not a 'date-time'"
    error = refused(changed(create_note(), lambda d: d.update(published="2024-11-28 14:02:11")))
    assert str(error) == "published: '2024-11-28 14:02:11' is not a 'date-time'"


def test_published_without_offset_is_refused() -> None:
    error = refused(changed(create_note(), lambda d: d.update(published="2024-11-28T14:02:11")))
    assert error.path == "published"


# -- more shapes -----------------------------------------------------------------------------


def test_id_is_required_except_for_delete() -> None:
    error = refused(changed(follow(), lambda d: d.pop("id")))
    assert str(error) == "id: required property missing"
    # GoToSocial sends Delete without an id.
    validate_incoming({"type": "Delete", "actor": ALICE, "object": NOTE_ID, "to": [PUBLIC]})


def test_delete_object_forms() -> None:
    base = {"type": "Delete", "actor": ALICE, "id": f"{ALICE}#delete"}
    validate_incoming({**base, "object": ALICE})
    validate_incoming({**base, "object": {"type": "Person", "id": ALICE}})
    validate_incoming({**base, "object": {"type": "Tombstone", "id": NOTE_ID}})
    assert (
        str(refused({**base, "object": {"type": "Tombstone"}}))
        == "object.id: required property missing"
    )


def test_accept_object_forms() -> None:
    base = {"id": f"{ALICE}#accepts/follows/1", "type": "Accept", "actor": ALICE}
    validate_incoming({**base, "object": "https://aid.example/follows/1"})  # Mitra
    validate_incoming({**base, "object": {**follow(), "actor": GROUP, "object": ALICE}})
    error = refused({**base, "object": {"type": "Follow", "actor": GROUP, "object": ALICE}})
    assert str(error) == "object.id: required property missing"
    error = refused({**base, "object": {"id": "https://aid.example/follows/1"}})
    assert str(error) == "object.type: required property missing"


def test_accept_with_result_must_reference_it() -> None:
    base = {"id": f"{ALICE}/a/1", "type": "Accept", "actor": ALICE, "object": f"{GROUP}/offers/1"}
    validate_incoming({**base, "result": {"id": f"{ALICE}/agreements/1", "type": "Agreement"}})
    assert refused({**base, "result": {"type": "Agreement"}}).path == "result.id"


def test_undo_needs_the_type_of_an_embedded_activity() -> None:
    base = {"id": f"{ALICE}#undo", "type": "Undo", "actor": ALICE}
    validate_incoming({**base, "object": "https://mastodon.example/6e1f3a52"})
    validate_incoming({**base, "object": follow()})
    assert (
        str(refused({**base, "object": {"id": ALICE}})) == "object.type: required property missing"
    )


def test_announce_checks_an_embedded_activity_for_its_own_type() -> None:
    announce = {
        "id": "https://lemmy.example/activities/announce/1",
        "type": "Announce",
        "actor": "https://lemmy.example/c/aid",
        "to": [PUBLIC],
        "object": {
            "id": "https://lemmy.example/activities/create/1",
            "type": "Create",
            "actor": "https://lemmy.example/u/carol",
            "object": {"id": "https://lemmy.example/post/1", "type": "Page"},
        },
    }
    validate_incoming(announce)
    validate_incoming({**announce, "object": "https://mastodon.example/users/a/statuses/1"})
    error = refused(changed(announce, lambda d: d["object"]["object"].pop("id")))
    assert str(error) == "object.object.id: required property missing"
    error = refused(changed(announce, lambda d: d["object"].pop("actor")))
    assert str(error) == "object.actor: required property missing"


def test_update_of_an_actor_embeds_a_valid_actor() -> None:
    update = {
        "id": f"{ALICE}#updates/1",
        "type": "Update",
        "actor": ALICE,
        "object": {"id": ALICE, "type": "Person", "preferredUsername": "alice"},
    }
    assert str(refused(update)) == "object.inbox: required property missing"


def test_unknown_activity_type_is_checked_against_the_base_schema_only() -> None:
    assert schema_for("QuoteRequest") == "activity"
    validate_incoming({"id": f"{ALICE}/x/1", "type": "QuoteRequest", "actor": ALICE, "object": 5})
    error = refused({"id": f"{ALICE}/x/1", "type": "QuoteRequest", "actor": "nope"})
    assert error.path == "actor"
    assert error.schema == "activity"


def test_missing_or_odd_type() -> None:
    assert str(refused({"id": f"{ALICE}/x", "actor": ALICE})) == "type: required property missing"
    error = refused({"id": f"{ALICE}/x", "actor": ALICE, "type": ["Create", "Note"]})
    assert error.path == "type"


def test_not_an_object() -> None:
    assert str(refused(["Create"])) == "(root): an activity must be a JSON object"  # type: ignore[arg-type]
    assert refused("text", "actor").path == "(root)"  # type: ignore[arg-type]


def test_actor_document() -> None:
    actor = {
        "id": ALICE,
        "type": "Person",
        "inbox": f"{ALICE}/inbox",
        "preferredUsername": "alice",
        "publicKey": {
            "id": f"{ALICE}#main-key",
            "owner": ALICE,
            "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMIIB...\n-----END PUBLIC KEY-----\n",
        },
    }
    validate(actor, "actor")
    assert str(refused({**actor, "type": "Note"}, "actor")).startswith("type: 'Note' is not one of")
    error = refused(changed(actor, lambda d: d["publicKey"].pop("owner")), "actor")
    assert str(error) == "publicKey.owner: required property missing"
    error = refused(
        changed(actor, lambda d: d.update(endpoints={"sharedInbox": "/inbox"})), "actor"
    )
    assert error.path == "endpoints.sharedInbox"


def test_long_values_are_clipped_in_messages() -> None:
    error = refused(changed(follow(), lambda d: d.update(actor="x" * 5000)))
    assert len(str(error)) < 300


def test_unknown_schema_name_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        validate({}, "no-such-schema")


def test_every_incoming_type_has_its_schema() -> None:
    names = set(schema_names())
    assert set(INCOMING_SCHEMAS.values()) <= names
    for kind, name in INCOMING_SCHEMAS.items():
        assert schema_for(kind) == name


# -- the schema files themselves -------------------------------------------------------------


def _schema_files() -> list[Path]:
    return sorted(SCHEMA_DIR.glob("*.json"))


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


@pytest.mark.parametrize("path", _schema_files(), ids=lambda p: p.name)
def test_schema_file_is_valid_and_its_refs_resolve(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema"
    assert schema.get("$id") == SCHEMA_BASE_URI + path.name
    Draft202012Validator.check_schema(schema)
    registry: Registry = Registry().with_resources(
        (
            SCHEMA_BASE_URI + other.name,
            Resource.from_contents(
                json.loads(other.read_text(encoding="utf-8")),
                default_specification=DRAFT202012,
            ),
        )
        for other in _schema_files()
    )
    resolver = registry.resolver(base_uri=schema["$id"])
    for ref in _refs(schema):
        resolver.lookup(ref)  # raises Unresolvable when the target does not exist
