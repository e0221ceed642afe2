"""The built-in category vocabulary: URIs, labels, hashtags, matching."""

from __future__ import annotations

import re
import unicodedata

import pytest

from fedi_aid.aid.categories import (
    NAMESPACE,
    UnknownCategory,
    all_categories,
    ancestors,
    get_category,
    hashtags,
    intent_action,
    is_known_or_wikidata,
    is_sensitive,
    label,
    matches,
    resolve_category,
)

INSULIN = NAMESPACE + "medicine/insulin"
ANTIBIOTICS = NAMESPACE + "medicine/antibiotics"
MEDICINE = NAMESPACE + "medicine"
FOOD = NAMESPACE + "food"
WATER = NAMESPACE + "water"
BICYCLE = "https://www.wikidata.org/entity/Q11442"

DEVANAGARI = re.compile(r"[\u0900-\u097F]")
LATIN = re.compile(r"[A-Za-z]")

REQUIRED_SLUGS = [
    "water",
    "food",
    "medicine",
    "medicine/insulin",
    "medicine/antibiotics",
    "medicine/first-aid",
    "medicine/prescription",
    "medicine/mental-health",
    "shelter",
    "power",
    "power/generator",
    "power/fuel",
    "power/batteries",
    "transport",
    "tools",
    "clothing",
    "hygiene",
    "hygiene/menstrual-products",
    "hygiene/soap",
    "childcare",
    "skills",
    "money",
    "money/bail-fund",
    "money/rent",
    "communication",
    "communication/phone-charging",
    "communication/internet",
]


@pytest.mark.parametrize("slug", REQUIRED_SLUGS)
def test_vocabulary_covers_relief_and_everyday_aid(slug: str) -> None:
    category = get_category(slug)
    assert category.uri == NAMESPACE + slug
    assert get_category(category.uri) is category


@pytest.mark.parametrize("category", all_categories(), ids=lambda c: c.slug)
def test_every_category_is_complete(category) -> None:
    assert category.uri.startswith(NAMESPACE)
    assert category.label_en.strip() and LATIN.search(category.label_en)
    # Hindi in Devanagari, no Latin letters, normalised so nukta forms compare equal.
    assert DEVANAGARI.search(category.label_hi), category.label_hi
    assert not LATIN.search(category.label_hi)
    assert unicodedata.normalize("NFC", category.label_hi) == category.label_hi
    assert category.hashtag.isascii() and category.hashtag.isalnum()
    assert category.hashtag[0].isupper()
    if category.parent is not None:
        assert get_category(category.parent).uri == category.parent


def test_uris_and_hashtags_are_unique() -> None:
    cats = all_categories()
    assert len({c.uri for c in cats}) == len(cats)
    assert len({c.hashtag.lower() for c in cats}) == len(cats)


def test_parents_come_before_children() -> None:
    seen: set[str] = set()
    for category in all_categories():
        if category.parent:
            assert category.parent in seen
        seen.add(category.uri)


def test_hindi_labels() -> None:
    assert label(INSULIN, "hi") == "इंसुलिन"
    assert label(WATER, "hi") == "पानी"
    assert label(NAMESPACE + "money/bail-fund", "hi") == unicodedata.normalize("NFC", "ज़मानत कोष")
    assert label(INSULIN) == "Insulin"
    with pytest.raises(ValueError, match="language"):
        label(INSULIN, "fr")


def test_sensitive_categories() -> None:
    for slug in ["medicine", "medicine/insulin", "medicine/mental-health", "money/bail-fund"]:
        assert is_sensitive(NAMESPACE + slug), slug
    assert is_sensitive(NAMESPACE + "skills/legal-aid")
    for slug in ["water", "food", "money", "money/rent", "power/generator"]:
        assert not is_sensitive(NAMESPACE + slug), slug
    assert not is_sensitive(BICYCLE)


def test_sub_categories_inherit_sensitivity() -> None:
    for category in all_categories():
        if category.parent and get_category(category.parent).sensitive:
            assert category.sensitive, category.slug


@pytest.mark.parametrize(
    "text",
    [
        "medicine/insulin",
        "insulin",
        "Insulin",
        "#Insulin",
        " insulin ",
        INSULIN,
    ],
)
def test_resolve_category_forms(text: str) -> None:
    assert resolve_category(text) == INSULIN


def test_resolve_multiword_names() -> None:
    first_aid = NAMESPACE + "medicine/first-aid"
    assert resolve_category("first-aid") == first_aid
    assert resolve_category("First aid") == first_aid
    assert resolve_category("#FirstAid") == first_aid
    assert resolve_category("bail-fund") == NAMESPACE + "money/bail-fund"


@pytest.mark.parametrize(
    "uri",
    [
        "https://www.wikidata.org/entity/Q11442",
        "http://www.wikidata.org/entity/Q11442",
        "https://www.wikidata.org/wiki/Q4917",  # the form FEP-0837's examples and Mitra use
    ],
)
def test_wikidata_items_are_kept_as_they_are(uri: str) -> None:
    assert resolve_category(uri) == uri
    assert is_known_or_wikidata(uri)
    assert ancestors(uri) == []
    assert label(uri).endswith(uri.rsplit("/", 1)[1])
    assert hashtags(uri) == []
    with pytest.raises(UnknownCategory, match="Wikidata"):
        get_category(uri)


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "insulinx",
        "medicine/unicorns",
        NAMESPACE + "unicorns",
        "https://evil.example/categories/insulin",
        "https://www.wikidata.org/entity/P31",  # a property, not an item
        "https://www.wikidata.org/entity/Q",
        "https://www.wikidata.org/entity/Q0",
        "https://www.wikidata.org/entity/Q42/extra",
        "https://wikidata.org.evil.example/entity/Q42",
        "javascript:alert(1)",
    ],
)
def test_junk_is_refused(junk: str) -> None:
    with pytest.raises(UnknownCategory) as info:
        resolve_category(junk)
    assert "categor" in str(info.value)
    assert not is_known_or_wikidata(junk)


def test_non_text_is_refused() -> None:
    with pytest.raises(UnknownCategory):
        resolve_category(42)  # type: ignore[arg-type]
    assert not is_known_or_wikidata(None)  # type: ignore[arg-type]


def test_get_category_names_the_problem() -> None:
    with pytest.raises(UnknownCategory, match="unknown category 'nope'"):
        get_category("nope")
    # slugs only: short names are for resolve_category
    with pytest.raises(UnknownCategory):
        get_category("insulin")


def test_ancestors() -> None:
    assert ancestors(INSULIN) == [MEDICINE]
    assert ancestors(MEDICINE) == []
    with pytest.raises(UnknownCategory):
        ancestors(NAMESPACE + "unicorns")


def test_matching_sub_categories() -> None:
    assert matches(INSULIN, INSULIN)
    assert matches(MEDICINE, INSULIN)  # general medicine offered, insulin needed
    assert matches(INSULIN, MEDICINE)  # insulin offered, any medicine needed
    assert not matches(INSULIN, ANTIBIOTICS)
    assert not matches(FOOD, WATER)
    assert not matches(FOOD, INSULIN)


def test_matching_wikidata_and_unknowns() -> None:
    assert matches(BICYCLE, BICYCLE)
    assert not matches(BICYCLE, "https://www.wikidata.org/entity/Q4917")
    assert not matches(BICYCLE, MEDICINE)
    assert not matches("https://evil.example/x", "https://evil.example/x")


def test_hashtags_most_specific_first() -> None:
    assert hashtags(INSULIN) == ["Insulin", "Medicine"]
    assert hashtags(WATER) == ["Water"]


def test_intent_action() -> None:
    assert intent_action(INSULIN) == "transfer"
    assert intent_action(NAMESPACE + "childcare") == "deliverService"
    assert intent_action(NAMESPACE + "skills/repairs") == "deliverService"
    assert intent_action(BICYCLE) == "transfer"
