"""Needs and offers: the model and its lifecycle, AidItem -> Note -> AidItem, the schema.

Privacy (DESIGN §6): the asking member is never in the model nor in the JSON, and coordinates
leave the instance rounded.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fedi_aid.activitypub.from_as import BadAidObject, as_note_to_aid_item
from fedi_aid.activitypub.to_as import aid_item_to_as_note, aid_item_to_as_tombstone
from fedi_aid.activitypub.validate import ValidationError, validate
from fedi_aid.activitypub.vocab import CONTEXT, PUBLIC
from fedi_aid.aid.categories import NAMESPACE, all_categories
from fedi_aid.aid.model import (
    FINAL_STATUSES,
    MAX_HOP_BUDGET,
    TRANSITIONS,
    AidItem,
    InvalidTransition,
    Place,
    check_transition,
    default_hop_budget,
    next_status,
)

GROUP = "https://aid.example/users/riverside"
FOLLOWERS = f"{GROUP}/followers"
INSULIN = NAMESPACE + "medicine/insulin"
GENERATOR = NAMESPACE + "power/generator"
BICYCLE = "https://www.wikidata.org/entity/Q11442"
PRECISE = (26.912434, 75.787270)
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
MEMBER_WORDS = ("member", "asker", "asked_by", "requester", "requested_by")


def make_need(**changes: Any) -> AidItem:
    fields: dict[str, Any] = {
        "kind": "need",
        "uri": "https://aid.example/needs/7f3a",
        "title": "Insulin pens",
        "description": "For two neighbours; a fridge is available.\nCall before coming.",
        "category": INSULIN,
        "quantity": Decimal("20"),
        "unit": "pens",
        "remaining": Decimal("12"),
        "urgency": "critical",
        "place": Place("Riverside (Jaipur)", *PRECISE, 3.0),
        "expires_at": datetime(2024, 5, 24, 18, 0, tzinfo=UTC),
        "visibility": "public",
        "status": "partly_met",
        "group_uri": GROUP,
        "group_followers_url": FOLLOWERS,
        "published": datetime(2024, 5, 20, 9, 30, tzinfo=UTC),
        "updated": datetime(2024, 5, 21, 10, 0, tzinfo=UTC),
        "url": "https://aid.example/@riverside/needs/7f3a",
    }
    fields.update(changes)
    return AidItem(**fields)


def make_offer(**changes: Any) -> AidItem:
    fields: dict[str, Any] = {
        "kind": "offer",
        "uri": "https://aid.example/offers/91c2",
        "title": "Spare generator, can lend for a week",
        "category": GENERATOR,
        "quantity": 1,
        "unit": "one",
        "group_uri": GROUP,
        "group_followers_url": FOLLOWERS,
        "published": datetime(2024, 5, 20, 9, 30, tzinfo=UTC),
    }
    fields.update(changes)
    return AidItem(**fields)


def coarse(item: AidItem) -> AidItem:
    return dataclasses.replace(item, place=item.place.coarse() if item.place else None)


def assert_valid(doc: dict[str, Any]) -> None:
    validate(doc, "aid-note")


SAMPLES = {
    "need-public": make_need(),
    "need-unlisted": make_need(visibility="unlisted"),
    "need-followers": make_need(visibility="followers"),
    "need-direct": make_need(
        visibility="direct",
        direct_to=("https://other.example/users/clinic",),
        group_followers_url=None,
    ),
    "need-cw": make_need(content_warning="medical need"),
    "need-no-place": make_need(place=None, expires_at=None, updated=None, url=None),
    "need-area-only": make_need(place=Place("Old town")),
    "need-wikidata": make_need(
        category=BICYCLE, unit="one", quantity=2, remaining=2, status="open"
    ),
    "offer": make_offer(),
    "offer-service": make_offer(
        category=NAMESPACE + "childcare", unit="hour", quantity=Decimal("6.5")
    ),
    "need-met": make_need(remaining=0, status="met"),
}


# -- model and lifecycle ------------------------------------------------------------------


def test_no_field_for_the_asking_member() -> None:
    for cls in (AidItem, Place):
        names = {f.name for f in dataclasses.fields(cls)}
        assert not any(word in name for name in names for word in MEMBER_WORDS), names


def test_quantities_become_decimal_and_defaults_fill_in() -> None:
    item = make_offer(quantity=3)
    assert item.quantity == Decimal(3) and isinstance(item.quantity, Decimal)
    assert item.remaining == Decimal(3)
    assert item.hop_budget == default_hop_budget("normal")
    assert item.direct_to == ()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "gift"}, "kind"),
        ({"urgency": "extreme"}, "urgency"),
        ({"visibility": "secret"}, "visibility"),
        ({"status": "done"}, "status"),
        ({"quantity": -1}, "quantity"),
        ({"remaining": 30}, "remaining"),
        ({"published": datetime(2024, 5, 20)}, "published"),
        ({"expires_at": datetime(2024, 5, 20)}, "expires_at"),
        ({"visibility": "direct", "direct_to": ()}, "direct"),
        ({"hop_budget": MAX_HOP_BUDGET + 1}, "hop_budget"),
        ({"title": "  "}, "title"),
        ({"place": None, "quantity": float("nan")}, "quantity"),
    ],
)
def test_model_refuses_bad_values(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_need(**changes)


def test_place_needs_both_coordinates_and_sane_ones() -> None:
    with pytest.raises(ValueError, match="together"):
        Place("x", 1.0, None)
    with pytest.raises(ValueError, match="latitude"):
        Place("x", 91.0, 0.0)
    assert Place("x", *PRECISE).coarse() == Place("x", 26.91, 75.79)


def test_transitions_table() -> None:
    assert TRANSITIONS["open"] >= {"partly_met", "met", "withdrawn", "expired"}
    assert TRANSITIONS["partly_met"] >= {"met", "withdrawn", "expired"}
    for final in FINAL_STATUSES:
        assert TRANSITIONS[final] == frozenset()
    check_transition("open", "partly_met")
    check_transition("partly_met", "met")
    check_transition("met", "met")  # no change is not a transition
    for final in FINAL_STATUSES:
        with pytest.raises(InvalidTransition):
            check_transition(final, "open")
    with pytest.raises(InvalidTransition):
        check_transition("open", "bogus")


@pytest.mark.parametrize(
    ("current", "remaining", "quantity", "expected"),
    [
        ("open", 20, 20, "open"),
        ("open", 12, 20, "partly_met"),
        ("partly_met", 4, 20, "partly_met"),
        ("partly_met", 0, 20, "met"),
        ("open", 0, 20, "met"),
        ("partly_met", 20, 20, "open"),  # a pledge fell through
        ("withdrawn", 0, 20, "withdrawn"),
        ("expired", 5, 20, "expired"),
        ("met", 20, 20, "met"),
    ],
)
def test_next_status(current: str, remaining: int, quantity: int, expected: str) -> None:
    assert next_status(current, remaining, quantity) == expected


def test_default_hop_budget_grows_with_urgency() -> None:
    budgets = [default_hop_budget(u) for u in ("low", "normal", "high", "critical")]
    assert budgets == sorted(budgets) and budgets[0] >= 1
    with pytest.raises(ValueError):
        default_hop_budget("whenever")


# -- AidItem -> Note ----------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_every_emitted_note_validates(name: str) -> None:
    note = aid_item_to_as_note(SAMPLES[name])
    assert_valid(note)
    json.dumps(note)  # plain JSON, nothing exotic


@pytest.mark.parametrize("name", SAMPLES)
def test_round_trip(name: str) -> None:
    item = SAMPLES[name]
    back = as_note_to_aid_item(aid_item_to_as_note(item))
    expected = coarse(item)
    if item.visibility == "direct":
        # the followers URL is the actor's, not the note's: a direct note cannot carry it
        expected = dataclasses.replace(expected, group_followers_url=None)
    assert back == expected


def test_note_shape() -> None:
    note = aid_item_to_as_note(make_need())
    assert note["@context"] == CONTEXT
    assert note["type"] == "Note"
    assert note["id"] == "https://aid.example/needs/7f3a"
    assert note["attributedTo"] == GROUP
    assert note["name"] == "Insulin pens"
    assert note["purpose"] == "request"
    assert note["unitBased"] is False
    assert note["publishes"] == {
        "id": "https://aid.example/needs/7f3a#primary",
        "type": "Intent",
        "action": "transfer",
        "resourceConformsTo": INSULIN,
        "resourceQuantity": {"hasUnit": "pens", "hasNumericalValue": "20"},
        "availableQuantity": {"hasUnit": "pens", "hasNumericalValue": "12"},
    }
    assert note["remainingQuantity"] == {"hasUnit": "pens", "hasNumericalValue": "12"}
    assert note["urgency"] == "critical"
    assert note["aidStatus"] == "partly_met"
    assert note["hopBudget"] == default_hop_budget("critical")
    assert note["location"] == {
        "type": "Place",
        "name": "Riverside (Jaipur)",
        "latitude": 26.91,
        "longitude": 75.79,
        "radius": 3.0,
        "units": "km",
    }
    assert note["endTime"] == "2024-05-24T18:00:00Z"
    assert ISO_Z.match(note["published"]) and ISO_Z.match(note["updated"])
    assert note["url"] == "https://aid.example/@riverside/needs/7f3a"
    assert note["sensitive"] is False


def test_offer_and_service_actions() -> None:
    offer = aid_item_to_as_note(make_offer())
    assert offer["purpose"] == "offer"
    assert offer["publishes"]["action"] == "transfer"
    assert offer["publishes"]["resourceQuantity"] == {"hasUnit": "one", "hasNumericalValue": "1"}
    service = aid_item_to_as_note(SAMPLES["offer-service"])
    assert service["publishes"]["action"] == "deliverService"
    assert service["publishes"]["resourceQuantity"]["hasNumericalValue"] == "6.5"


def test_content_is_readable_with_mastodon_hashtags_and_no_summary() -> None:
    note = aid_item_to_as_note(make_need())
    content = note["content"]
    assert "summary" not in note
    for text in [
        "Insulin pens",
        "20 pens",
        "12 still needed",
        "Riverside (Jaipur)",
        "within 3 km",
        "2024-05-24 18:00 UTC",
        "critical",
        "a fridge is available.<br>Call before coming.",
    ]:
        assert text in content, text
    for tag in ["Need", "Insulin", "Medicine", "MutualAid"]:
        assert (
            f'<a href="https://aid.example/tags/{tag}" class="mention hashtag" rel="tag">'
            f"#<span>{tag}</span></a>"
        ) in content
    assert note["tag"] == [
        {"type": "Hashtag", "href": f"https://aid.example/tags/{tag}", "name": f"#{tag}"}
        for tag in ["Need", "Insulin", "Medicine", "MutualAid"]
    ]
    assert "26.91" not in content  # no point in the readable text at all


def test_offer_content_and_hashtags() -> None:
    content = aid_item_to_as_note(make_offer())["content"]
    assert "Offer: Spare generator" in content
    assert "Offered: 1 (1 still available)" in content  # OM2 "one" shows as a bare count
    assert "#<span>Offer</span>" in content and "#<span>Generator</span>" in content
    assert "#<span>Need</span>" not in content


def test_content_escapes_everything() -> None:
    item = make_need(
        title="<script>alert(1)</script>",
        description='<img src=x onerror="alert(2)"> & more',
        place=Place("<b>Town</b>"),
        unit="<i>pens</i>",
    )
    content = aid_item_to_as_note(item)["content"]
    assert "<script" not in content and "<img" not in content and "<b>" not in content
    assert "<i>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "&amp; more" in content


def test_content_warning_sets_summary_and_sensitive() -> None:
    note = aid_item_to_as_note(make_need(content_warning="medical need"))
    assert note["summary"] == "medical need"
    assert note["sensitive"] is True


@pytest.mark.parametrize(
    ("visibility", "to", "cc"),
    [
        ("public", [PUBLIC], [FOLLOWERS]),
        ("unlisted", [FOLLOWERS], [PUBLIC]),
        ("followers", [FOLLOWERS], []),
    ],
)
def test_audience(visibility: str, to: list[str], cc: list[str]) -> None:
    note = aid_item_to_as_note(make_need(visibility=visibility))
    assert (note["to"], note["cc"]) == (to, cc)


def test_followers_only_reaches_followers_only() -> None:
    note = aid_item_to_as_note(make_need(visibility="followers"))
    addressed = {*note["to"], *note["cc"]}
    assert addressed == {FOLLOWERS}
    assert PUBLIC not in json.dumps(note)
    assert "as:Public" not in json.dumps(note)


def test_direct_goes_to_the_named_actors_only() -> None:
    actors = ("https://other.example/users/clinic", "https://third.example/users/nurse")
    note = aid_item_to_as_note(make_need(visibility="direct", direct_to=actors))
    assert note["to"] == list(actors) and note["cc"] == []
    assert FOLLOWERS not in json.dumps(note)


def test_followers_visibility_needs_the_followers_url() -> None:
    with pytest.raises(ValueError, match="followers URL"):
        aid_item_to_as_note(make_need(visibility="followers", group_followers_url=None))


def test_coordinates_are_rounded_in_the_json() -> None:
    item = make_need(place=Place("Riverside", 26.912434, 75.787270, 2.0))
    serialised = json.dumps(aid_item_to_as_note(item))
    for precise in ("26.912", "75.787", "26.9124", "75.7872"):
        assert precise not in serialised
    assert '"latitude": 26.91' in serialised and '"longitude": 75.79' in serialised


def test_no_member_in_the_json() -> None:
    for item in SAMPLES.values():
        serialised = json.dumps(aid_item_to_as_note(item)).lower()
        for word in MEMBER_WORDS:
            assert word not in serialised


def test_tag_base_follows_the_items_host() -> None:
    note = aid_item_to_as_note(make_need(uri="http://localhost:8081/needs/1"))
    assert note["tag"][0]["href"] == "http://localhost:8081/tags/Need"
    assert 'href="http://localhost:8081/tags/Need"' in note["content"]


def test_wikidata_category_in_content_and_tags() -> None:
    note = aid_item_to_as_note(SAMPLES["need-wikidata"])
    assert note["publishes"]["resourceConformsTo"] == BICYCLE
    assert "Wikidata Q11442" in note["content"]
    assert [t["name"] for t in note["tag"]] == ["#Need", "#MutualAid"]


def test_tombstone() -> None:
    doc = aid_item_to_as_tombstone(
        "https://aid.example/needs/7f3a",
        datetime(2024, 5, 25, 0, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    )
    assert doc["type"] == "Tombstone"
    assert doc["id"] == "https://aid.example/needs/7f3a"
    assert doc["formerType"] == "Note"
    assert doc["deleted"] == "2024-05-24T18:30:00Z"


# -- Note -> AidItem: liberal in form --------------------------------------------------------


def good_note() -> dict[str, Any]:
    return aid_item_to_as_note(make_need())


def test_plain_mastodon_post_is_not_a_need() -> None:
    post = {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": "https://mastodon.example/users/alice/statuses/1",
        "type": "Note",
        "attributedTo": "https://mastodon.example/users/alice",
        "content": "<p>I need insulin <a href='https://mastodon.example/tags/insulin'>#insulin</a></p>",
        "to": [PUBLIC],
        "published": "2024-05-20T09:30:00Z",
    }
    assert as_note_to_aid_item(post) is None


def test_fep_0837_example_is_accepted() -> None:
    """The FEP's own full example (a Proposal with a reciprocal intent and /wiki/ URIs)."""
    doc = {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            {
                "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
                "vf": "https://w3id.org/valueflows/ont/vf#",
            },
        ],
        "type": "Proposal",
        "id": "https://market.example/proposals/ddde9d6f-6f3b-4770-a966-3a18ef006930",
        "purpose": "offer",
        "attributedTo": "https://market.example/users/alice",
        "name": "Offering used bike",
        "content": "Blue one-speed bike, 15 years old, some rust",
        "published": "2023-06-18T19:22:03.918737Z",
        "location": {"type": "Place", "longitude": -71.0, "latitude": 25.0},
        "publishes": {
            "type": "Intent",
            "id": "https://market.example/proposals/ddde9d6f-6f3b-4770-a966-3a18ef006930#primary",
            "action": "transfer",
            "resourceConformsTo": "https://www.wikidata.org/wiki/Q11442",
            "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
            "availableQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
        },
        "reciprocal": {
            "type": "Intent",
            "action": "transfer",
            "resourceConformsTo": "https://www.wikidata.org/wiki/Q4917",
            "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "30"},
        },
        "unitBased": False,
        "to": "https://www.w3.org/ns/activitystreams#Public",
    }
    item = as_note_to_aid_item(doc)
    assert item is not None
    assert (item.kind, item.title, item.category) == (
        "offer",
        "Offering used bike",
        "https://www.wikidata.org/wiki/Q11442",
    )
    assert (item.quantity, item.remaining, item.unit) == (1, 1, "one")
    assert item.description == "Blue one-speed bike, 15 years old, some rust"
    assert item.place == Place("", 25.0, -71.0)
    assert item.visibility == "public" and item.status == "open"
    assert item.published == datetime(2023, 6, 18, 19, 22, 3, 918737, tzinfo=UTC)


def test_liberal_shapes() -> None:
    note = good_note()
    note["publishes"] = [note["publishes"]]
    note["publishes"][0]["resourceQuantity"] = {"om2:hasUnit": "pens", "om2:hasNumericalValue": 20}
    note["publishes"][0]["availableQuantity"] = {
        "vf:hasUnit": "pens",
        "vf:hasNumericalValue": "12.0",
    }
    del note["remainingQuantity"]
    note["to"] = "as:Public"
    note["cc"] = FOLLOWERS
    note["attributedTo"] = {"type": "Group", "id": GROUP}
    note["published"] = "2024-05-20T15:00:00.123+05:30"
    item = as_note_to_aid_item(note)
    assert item is not None
    assert (item.quantity, item.remaining, item.unit) == (20, 12, "pens")
    assert item.visibility == "public" and item.group_followers_url == FOLLOWERS
    assert item.group_uri == GROUP
    assert item.published == datetime(2024, 5, 20, 9, 30, 0, 123000, tzinfo=UTC)


def test_om2_unit_uri_is_shortened() -> None:
    note = good_note()
    note["publishes"]["resourceQuantity"]["hasUnit"] = (
        "http://www.ontology-of-units-of-measure.org/resource/om-2/one"
    )
    for key in ("availableQuantity",):
        note["publishes"][key]["hasUnit"] = "one"
    note["remainingQuantity"]["hasUnit"] = "one"
    assert as_note_to_aid_item(note).unit == "one"


def test_incoming_coordinates_are_rounded() -> None:
    note = good_note()
    note["location"].update(latitude=26.912434, longitude=75.787270)
    item = as_note_to_aid_item(note)
    assert (item.place.latitude, item.place.longitude) == (26.91, 75.79)


@pytest.mark.parametrize(
    ("radius", "units", "km"),
    [(5000, None, 5.0), (2, "miles", 3.218688), (1.5, "km", 1.5), (800, "m", 0.8)],
)
def test_radius_units(radius: float, units: str | None, km: float) -> None:
    note = good_note()
    note["location"]["radius"] = radius
    if units is None:
        del note["location"]["units"]  # ActivityStreams: metres by default
    else:
        note["location"]["units"] = units
    assert as_note_to_aid_item(note).place.radius_km == pytest.approx(km)


def test_remote_html_is_sanitised_on_the_way_in() -> None:
    note = good_note()
    del note["source"]
    del note["name"]
    note["content"] = '<p>Insulin please<script>steal()</script></p><p onclick="x()">two</p>'
    item = as_note_to_aid_item(note)
    assert item.title == "Insulin please"
    assert item.description == "Insulin please\n\ntwo"
    assert "steal" not in item.description


def test_summary_becomes_plain_content_warning() -> None:
    note = good_note()
    note["summary"] = "<p>medical <b>need</b></p>"
    note["sensitive"] = True
    assert as_note_to_aid_item(note).content_warning == "medical need"


def test_status_derived_when_absent_and_hop_budget_clamped() -> None:
    note = good_note()
    del note["aidStatus"]
    note["hopBudget"] = 1000
    item = as_note_to_aid_item(note)
    assert item.status == "partly_met"
    assert item.hop_budget == MAX_HOP_BUDGET
    del note["hopBudget"]
    del note["urgency"]
    item = as_note_to_aid_item(note)
    assert item.urgency == "normal" and item.hop_budget == default_hop_budget("normal")


def test_followers_collection_given_by_the_caller() -> None:
    note = good_note()
    note["to"] = ["https://aid.example/users/riverside/fans"]
    note["cc"] = []
    assert as_note_to_aid_item(note).visibility == "direct"
    item = as_note_to_aid_item(note, followers_url="https://aid.example/users/riverside/fans")
    assert item.visibility == "followers"
    assert item.group_followers_url == "https://aid.example/users/riverside/fans"


def test_url_as_link_objects() -> None:
    note = good_note()
    note["url"] = [
        {
            "type": "Link",
            "mediaType": "application/activity+json",
            "href": "https://aid.example/x.json",
        },
        {"type": "Link", "mediaType": "text/html", "href": "https://aid.example/x"},
    ]
    assert as_note_to_aid_item(note).url == "https://aid.example/x"
    note["url"] = "javascript:alert(1)"
    assert as_note_to_aid_item(note).url is None


# -- Note -> AidItem: strict on what we rely on ---------------------------------------------


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    for key in keys[:-1]:
        doc = doc[key]
    if value is _DELETE:
        del doc[keys[-1]]
    else:
        doc[keys[-1]] = value


_DELETE = object()

BAD_CASES = [
    # missing required fields
    ("id", _DELETE, "id"),
    ("attributedTo", _DELETE, "attributedTo"),
    ("published", _DELETE, "published"),
    ("purpose", _DELETE, "purpose"),
    ("publishes", _DELETE, "publishes"),
    ("publishes.resourceQuantity", _DELETE, "publishes.resourceQuantity"),
    ("publishes.resourceConformsTo", _DELETE, "publishes.resourceConformsTo"),
    (
        "publishes.resourceQuantity.hasNumericalValue",
        _DELETE,
        "publishes.resourceQuantity.hasNumericalValue",
    ),
    ("publishes.resourceQuantity.hasUnit", _DELETE, "publishes.resourceQuantity.hasUnit"),
    # negative or non-numbers
    (
        "publishes.resourceQuantity.hasNumericalValue",
        "-3",
        "publishes.resourceQuantity.hasNumericalValue",
    ),
    (
        "publishes.resourceQuantity.hasNumericalValue",
        -3,
        "publishes.resourceQuantity.hasNumericalValue",
    ),
    (
        "publishes.resourceQuantity.hasNumericalValue",
        "twenty",
        "publishes.resourceQuantity.hasNumericalValue",
    ),
    (
        "publishes.resourceQuantity.hasNumericalValue",
        "NaN",
        "publishes.resourceQuantity.hasNumericalValue",
    ),
    (
        "publishes.resourceQuantity.hasNumericalValue",
        "Infinity",
        "publishes.resourceQuantity.hasNumericalValue",
    ),
    (
        "publishes.resourceQuantity.hasNumericalValue",
        True,
        "publishes.resourceQuantity.hasNumericalValue",
    ),
    (
        "publishes.resourceQuantity.hasNumericalValue",
        "1e30",
        "publishes.resourceQuantity.hasNumericalValue",
    ),
    (
        "publishes.availableQuantity.hasNumericalValue",
        "-1",
        "publishes.availableQuantity.hasNumericalValue",
    ),
    (
        "publishes.availableQuantity.hasNumericalValue",
        "21",
        "publishes.availableQuantity.hasNumericalValue",
    ),
    ("remainingQuantity.hasNumericalValue", "-1", "remainingQuantity.hasNumericalValue"),
    ("remainingQuantity.hasNumericalValue", "25", "remainingQuantity.hasNumericalValue"),
    ("remainingQuantity.hasUnit", "kg", "remainingQuantity.hasUnit"),
    ("hopBudget", -1, "hopBudget"),
    ("hopBudget", "3", "hopBudget"),
    # wrong types and values
    ("type", "Article", "type"),
    ("purpose", "sell", "purpose"),
    ("publishes", "https://aid.example/intents/1", "publishes"),
    ("publishes.type", "Commitment", "publishes.type"),
    ("publishes.resourceQuantity", "20 pens", "publishes.resourceQuantity"),
    ("content", 42, "content"),
    ("name", ["a"], "name"),
    ("location", "Riverside", "location"),
    ("location.type", "Person", "location.type"),
    ("location.latitude", "north", "location.latitude"),
    ("location.units", "furlongs", "location.units"),
    ("location.radius", -5, "location.radius"),
    ("urgency", "apocalyptic", "urgency"),
    ("aidStatus", "done", "aidStatus"),
    ("id", "urn:uuid:1234", "id"),
    ("attributedTo", "ftp://aid.example/users/x", "attributedTo"),
    ("to", [42], "to[0]"),
    # unknown category forms
    (
        "publishes.resourceConformsTo",
        "https://evil.example/categories/insulin",
        "publishes.resourceConformsTo",
    ),
    ("publishes.resourceConformsTo", NAMESPACE + "unicorns", "publishes.resourceConformsTo"),
    ("publishes.resourceConformsTo", "insulin", "publishes.resourceConformsTo"),
    (
        "publishes.resourceConformsTo",
        "https://www.wikidata.org/entity/P31",
        "publishes.resourceConformsTo",
    ),
    ("publishes.resourceConformsTo", 17, "publishes.resourceConformsTo"),
    # absurd coordinates
    ("location.latitude", 91.0, "location.latitude"),
    ("location.latitude", -1e9, "location.latitude"),
    ("location.longitude", -200.0, "location.longitude"),
    ("location.longitude", float("nan"), "location.longitude"),
    ("location.longitude", _DELETE, "location.longitude"),
    # bad dates
    ("published", "yesterday", "published"),
    ("published", "2024-13-01T00:00:00Z", "published"),
    ("endTime", "2024-05-24T18:00:00", "endTime"),  # no offset
    ("updated", 1716540000, "updated"),
]


@pytest.mark.parametrize(
    ("path", "value", "field"), BAD_CASES, ids=[f"{p}={v!r}"[:60] for p, v, _ in BAD_CASES]
)
def test_bad_objects_are_refused_naming_the_field(path: str, value: Any, field: str) -> None:
    note = good_note()
    _set(note, path, value)
    with pytest.raises(BadAidObject) as info:
        as_note_to_aid_item(note)
    assert info.value.field == field, str(info.value)
    assert str(info.value).startswith(f"{field}: ")
    assert info.value.status == 400


def test_negative_quantity_message() -> None:
    note = good_note()
    note["publishes"]["resourceQuantity"]["hasNumericalValue"] = "-3"
    with pytest.raises(BadAidObject) as info:
        as_note_to_aid_item(note)
    assert str(info.value) == (
        "publishes.resourceQuantity.hasNumericalValue: must be a non-negative number, got '-3'"
    )


def test_available_quantity_checked_when_it_is_the_only_one() -> None:
    note = good_note()
    del note["remainingQuantity"]
    note["publishes"]["availableQuantity"]["hasNumericalValue"] = "-1"
    with pytest.raises(BadAidObject, match=r"^publishes\.availableQuantity\.hasNumericalValue: "):
        as_note_to_aid_item(note)


def test_publishes_list_of_two_is_refused() -> None:
    note = good_note()
    note["publishes"] = [note["publishes"], note["publishes"]]
    with pytest.raises(BadAidObject, match="^publishes: "):
        as_note_to_aid_item(note)


def test_non_object_is_refused() -> None:
    with pytest.raises(BadAidObject, match="^object: "):
        as_note_to_aid_item(["not", "a", "note"])  # type: ignore[arg-type]


def test_input_is_not_modified() -> None:
    note = good_note()
    note["to"] = "as:Public"
    before = copy.deepcopy(note)
    as_note_to_aid_item(note)
    assert note == before


SCHEMA_BAD_CASES = [
    ("publishes.resourceQuantity.hasNumericalValue", "-3"),
    ("publishes.resourceQuantity.hasNumericalValue", -3),
    ("publishes.resourceQuantity.hasUnit", _DELETE),
    ("publishes.resourceConformsTo", "https://evil.example/categories/insulin"),
    ("publishes.resourceConformsTo", "https://www.wikidata.org/entity/P31"),
    ("publishes.resourceConformsTo", NAMESPACE + "unicorns"),
    ("location.latitude", 91.0),
    ("location.longitude", -200.0),
    ("location.longitude", _DELETE),
    ("purpose", "sell"),
    ("type", "Article"),
    ("published", "yesterday"),
    ("endTime", "2024-05-24T18:00:00"),
    ("urgency", "apocalyptic"),
    ("hopBudget", -1),
    ("id", _DELETE),
]


@pytest.mark.parametrize(("path", "value"), SCHEMA_BAD_CASES)
def test_schema_refuses_the_same_bad_objects(path: str, value: Any) -> None:
    note = good_note()
    _set(note, path, value)
    with pytest.raises(ValidationError) as info:
        validate(note, "aid-note")
    # the error names the offending top-level field (the inbox answers 400 with it)
    assert re.split(r"[.\[]", info.value.path)[0] == path.split(".")[0], str(info.value)


def test_schema_accepts_liberal_shapes() -> None:
    note = good_note()
    note["publishes"] = [note["publishes"]]
    note["publishes"][0]["resourceQuantity"] = {"vf:hasUnit": "pens", "vf:hasNumericalValue": 20}
    note["to"] = PUBLIC
    note["attributedTo"] = {"id": GROUP, "type": "Group"}
    assert_valid(note)


def test_schema_lists_exactly_the_built_in_categories() -> None:
    path = Path(__file__).resolve().parents[1] / "schemas" / "aid-note.json"
    listed = json.loads(path.read_text())["$defs"]["category"]["anyOf"][0]["enum"]
    assert listed == [c.uri for c in all_categories()]
