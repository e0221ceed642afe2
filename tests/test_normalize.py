"""normalize(), id_of(), parse_timestamp(), host_of(), same_origin(), is_public()."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from fedi_aid.activitypub.normalize import (
    host_of,
    id_of,
    is_public,
    normalize,
    parse_timestamp,
    same_origin,
)
from fedi_aid.activitypub.vocab import AS_CONTEXT, PUBLIC

ALICE = "https://mastodon.example/users/alice"


# -- timestamps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05.123Z", datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)),
        ("2024-01-02T03:04:05.123456+02:00", datetime(2024, 1, 2, 1, 4, 5, 123456, tzinfo=UTC)),
        ("2024-01-02T03:04:05-05:30", datetime(2024, 1, 2, 8, 34, 5, tzinfo=UTC)),
        # Lemmy: microseconds and an explicit +00:00
        ("2021-11-01T12:11:22.871846+00:00", datetime(2021, 11, 1, 12, 11, 22, 871846, tzinfo=UTC)),
        # Mitra: nanoseconds, kept to microseconds
        ("2023-01-28T01:22:40.183273595Z", datetime(2023, 1, 28, 1, 22, 40, 183273, tzinfo=UTC)),
        # GoToSocial offsets, lowercase separators
        ("2021-10-20t12:40:37+02:00", datetime(2021, 10, 20, 10, 40, 37, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_accepts_what_servers_send(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_parse_timestamp_without_offset_is_rejected_not_guessed() -> None:
    # Documented choice: no offset -> ValueError, as the schemas' date-time format does.
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_timestamp("2024-01-02T03:04:05")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2024-01-02",
        "2024-01-02 03:04:05Z",
        "2024-13-02T03:04:05Z",
        "2024-01-02T03:04:05+2:00",
    ],
)
def test_parse_timestamp_rejects_garbage_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match=r"timestamp|RFC 3339"):
        parse_timestamp(text)


def test_parse_timestamp_rejects_non_strings() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        parse_timestamp(1700000000)  # type: ignore[arg-type]


# -- audience and lists ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (PUBLIC, [PUBLIC]),
        ("as:Public", [PUBLIC]),
        ("Public", [PUBLIC]),
        ("http://www.w3.org/ns/activitystreams#Public", [PUBLIC]),
        ([ALICE, "as:Public"], [ALICE, PUBLIC]),
        (None, []),
        ([], []),
        ({"id": f"{ALICE}/followers", "type": "OrderedCollection"}, [f"{ALICE}/followers"]),
    ],
)
def test_audience_becomes_a_list_of_uris(raw: object, expected: list[str]) -> None:
    doc = normalize({"type": "Note", "to": raw, "cc": raw, "bto": raw, "bcc": raw, "audience": raw})
    for field in ("to", "cc", "bto", "bcc", "audience"):
        assert doc[field] == expected


def test_audience_keeps_what_it_cannot_read_for_the_schema_to_report() -> None:
    assert normalize({"to": [5, {"type": "Collection"}]})["to"] == [5, {"type": "Collection"}]


def test_absent_fields_stay_absent() -> None:
    assert normalize({"type": "Follow", "actor": ALICE}) == {"type": "Follow", "actor": ALICE}


@pytest.mark.parametrize("field", ["tag", "attachment"])
def test_tag_and_attachment_become_lists(field: str) -> None:
    hashtag = {"type": "Hashtag", "href": "https://gts.example/tags/aid", "name": "#aid"}
    assert normalize({field: hashtag})[field] == [hashtag]
    assert normalize({field: [hashtag, hashtag]})[field] == [hashtag, hashtag]
    assert normalize({field: None})[field] == []
    assert normalize({field: "https://x.example/a"})[field] == ["https://x.example/a"]


# -- actors, types, context ------------------------------------------------------------------


def test_embedded_actor_objects_become_their_id() -> None:
    doc = normalize(
        {
            "type": "Create",
            "actor": {"id": ALICE, "type": "Person", "inbox": f"{ALICE}/inbox"},
            "object": {
                "type": "Video",
                "id": "https://peertube.example/videos/watch/1",
                # PeerTube: the account and the channel
                "attributedTo": [
                    {"type": "Person", "id": "https://peertube.example/accounts/ann"},
                    {"type": "Group", "id": "https://peertube.example/video-channels/ann_ch"},
                ],
            },
        }
    )
    assert doc["actor"] == ALICE
    assert doc["object"]["attributedTo"] == "https://peertube.example/accounts/ann"


def test_actor_without_an_id_is_left_for_the_schema_to_report() -> None:
    assert normalize({"actor": {"type": "Person"}})["actor"] == {"type": "Person"}


def test_type_list_picks_the_first_activitystreams_type_and_keeps_the_list() -> None:
    doc = normalize({"type": ["Proposal", "Note"], "object": {"type": ["pt:Thing", "Video"]}})
    assert doc["type"] == "Note"
    assert doc["_types"] == ["Proposal", "Note"]
    assert doc["object"]["type"] == "Video"
    assert doc["object"]["_types"] == ["pt:Thing", "Video"]


def test_type_list_without_a_known_type_keeps_the_first() -> None:
    assert normalize({"type": ["Proposal", "vf:Thing"]})["type"] == "Proposal"


def test_prefixed_type_is_shortened() -> None:
    assert normalize({"type": "as:Note"})["type"] == "Note"
    assert normalize({"type": f"{AS_CONTEXT}#Announce"})["type"] == "Announce"
    assert "_types" not in normalize({"type": "Note"})


@pytest.mark.parametrize(
    "context",
    [
        AS_CONTEXT,
        ["https://join-lemmy.org/context.json", AS_CONTEXT],
        [AS_CONTEXT, {"toot": "http://joinmastodon.org/ns#"}],
        "http://www.w3.org/ns/activitystreams",
    ],
)
def test_context_is_kept_as_given(context: object) -> None:
    assert normalize({"@context": context, "type": "Note"})["@context"] == context


def test_missing_context_stays_missing() -> None:
    assert "@context" not in normalize({"type": "Note"})


def test_unknown_properties_are_left_untouched() -> None:
    extra = {
        "_misskey_content": "hello",
        "context_id": 4812,
        "signature": {"type": "RsaSignature2017", "signatureValue": "abc"},
        "proof": {"type": "DataIntegrityProof"},
    }
    assert normalize({"type": "Create", **extra}) == {"type": "Create", **extra}


# -- embedded objects ------------------------------------------------------------------------


def test_embedded_objects_are_normalised_recursively() -> None:
    # Lemmy: Announce{Create{Page}}, audience as a single string
    doc = normalize(
        {
            "type": "Announce",
            "actor": "https://lemmy.example/c/aid",
            "to": "as:Public",
            "object": {
                "type": "Create",
                "actor": {"id": "https://lemmy.example/u/carol"},
                "audience": "https://lemmy.example/c/aid",
                "object": {
                    "type": "Page",
                    "id": "https://lemmy.example/post/1",
                    "to": "Public",
                    "tag": {"type": "Hashtag", "name": "#aid"},
                    "attributedTo": {"id": "https://lemmy.example/u/carol"},
                },
            },
        }
    )
    create = doc["object"]
    page = create["object"]
    assert doc["to"] == [PUBLIC]
    assert create["actor"] == "https://lemmy.example/u/carol"
    assert create["audience"] == ["https://lemmy.example/c/aid"]
    assert page["to"] == [PUBLIC]
    assert page["tag"] == [{"type": "Hashtag", "name": "#aid"}]
    assert page["attributedTo"] == "https://lemmy.example/u/carol"


def test_object_as_uri_or_list_is_left_alone() -> None:
    assert normalize({"object": "https://x.example/a"})["object"] == "https://x.example/a"
    flag_objects = ["https://x.example/u/a", "https://x.example/s/1"]
    assert normalize({"type": "Flag", "object": flag_objects})["object"] == flag_objects


def test_normalize_never_mutates_its_input() -> None:
    raw = {
        "@context": [AS_CONTEXT, {"toot": "http://joinmastodon.org/ns#"}],
        "type": ["Create"],
        "actor": {"id": ALICE},
        "to": "as:Public",
        "object": {
            "type": "Note",
            "cc": None,
            "tag": {"type": "Mention", "href": ALICE},
            "attachment": [{"type": "Document", "url": "https://x.example/a.png"}],
        },
    }
    before = copy.deepcopy(raw)
    result = normalize(raw)
    assert raw == before
    assert result is not raw
    # Nothing is shared: changing the result leaves the input alone.
    result["@context"][1]["toot"] = "changed"
    result["object"]["attachment"][0]["url"] = "changed"
    assert raw == before


def test_normalize_is_idempotent() -> None:
    once = normalize({"type": ["Note"], "to": "as:Public", "actor": [{"id": ALICE}]})
    assert normalize(once) == once


def test_normalize_rejects_non_objects() -> None:
    with pytest.raises(TypeError, match="JSON object"):
        normalize(["not", "an", "activity"])  # type: ignore[arg-type]


def test_normalize_survives_deep_nesting() -> None:
    deep: object = "leaf"
    for _ in range(5000):
        deep = [deep]
    doc = normalize({"type": "Note", "content": deep})
    assert doc["type"] == "Note"


# -- id_of -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ALICE, ALICE),
        ({"id": ALICE, "type": "Person"}, ALICE),
        ([{"id": ALICE}, {"id": "https://other.example/b"}], ALICE),
        ([ALICE], ALICE),
        ([], None),
        ({"type": "Person"}, None),
        ({"id": 5}, None),
        (None, None),
        (42, None),
    ],
)
def test_id_of(value: object, expected: str | None) -> None:
    assert id_of(value) == expected


# -- hosts and origins -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "host"),
    [
        ("https://Mastodon.Example/users/alice", "mastodon.example"),
        ("https://mastodon.example:443/users/alice", "mastodon.example"),
        ("http://aid.example:80/", "aid.example"),
        ("http://127.0.0.1:8081/groups/a", "127.0.0.1:8081"),
        ("https://aid.example:8443/x", "aid.example:8443"),
        ("https://user:pw@aid.example/x", "aid.example"),
        ("https://aid.example./x", "aid.example"),
        ("https://bücher.example/u", "xn--bcher-kva.example"),
        ("http://[::1]:3000/inbox", "[::1]:3000"),
    ],
)
def test_host_of(uri: str, host: str) -> None:
    assert host_of(uri) == host


@pytest.mark.parametrize("uri", ["not a url", "acct:alice@mastodon.example", "/relative", ""])
def test_host_of_without_a_host_raises(uri: str) -> None:
    with pytest.raises(ValueError):
        host_of(uri)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://a.example/x", "https://A.EXAMPLE/y#frag", True),
        ("https://a.example/x", "https://a.example:443/y", True),
        ("https://a.example/x", "http://a.example/x", False),
        ("https://a.example/x", "https://b.a.example/x", False),
        ("https://a.example:8443/x", "https://a.example/x", False),
        ("acct:a@a.example", "acct:a@a.example", False),
        ("not a url", "https://a.example/x", False),
    ],
)
def test_same_origin(a: str, b: str, same: bool) -> None:
    assert same_origin(a, b) is same


# -- is_public -------------------------------------------------------------------------------


def test_is_public_in_any_spelling_in_to_or_cc() -> None:
    assert is_public({"to": PUBLIC})
    assert is_public({"to": ["as:Public"]})
    assert is_public({"cc": "Public"})
    assert is_public(normalize({"to": "as:Public"}))
    assert not is_public({"to": [f"{ALICE}/followers"], "cc": [ALICE]})
    assert not is_public({"bcc": [PUBLIC]})
    assert not is_public({})
