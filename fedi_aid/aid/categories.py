"""The built-in vocabulary of aid categories. Pure data and look-ups, no I/O.

Categories are stored and compared by URI and shown by label. A category is either one of ours
(`https://fedi-aid.org/ns/categories/<slug>`, where a slug like `medicine/insulin` names a
sub-category of `medicine`) or any Wikidata item (`https://www.wikidata.org/entity/Q…`), which we
keep as it is and compare only by equality.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NAMESPACE = "https://fedi-aid.org/ns/categories/"
LANGUAGES = ("en", "hi")

# Wikidata item URIs: the canonical entity form, and the /wiki/ page form that FEP-0837's own
# examples and Mitra emit. Either is kept exactly as received.
WIKIDATA_ITEM_RE = re.compile(
    r"^https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/Q[1-9][0-9]{0,11}$"
)
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)*$")
_HASHTAG_RE = re.compile(r"^[A-Z][A-Za-z0-9]*$")


class UnknownCategory(ValueError):
    """Not a category of our vocabulary (nor, where allowed, a Wikidata item URI)."""


@dataclass(frozen=True)
class Category:
    slug: str  # "medicine/insulin"
    label_en: str
    label_hi: str
    hashtag: str  # ASCII CamelCase, without "#"
    sensitive: bool  # medical, legal/bail: suggest followers-only or direct
    service: bool  # a service (FEP-0837 action deliverService) rather than goods (transfer)

    @property
    def uri(self) -> str:
        return NAMESPACE + self.slug

    @property
    def parent(self) -> str | None:
        if "/" not in self.slug:
            return None
        return NAMESPACE + self.slug.rsplit("/", 1)[0]

    @property
    def leaf(self) -> str:
        return self.slug.rsplit("/", 1)[-1]

    def label(self, lang: str = "en") -> str:
        if lang == "hi":
            return self.label_hi
        if lang == "en":
            return self.label_en
        raise ValueError(f"unsupported label language {lang!r}; use one of {', '.join(LANGUAGES)}")


# (slug, English, Hindi, hashtag, sensitive, service). Sub-categories inherit `sensitive` and
# `service` from their parent when the parent has them set.
_TABLE: tuple[tuple[str, str, str, str, bool, bool], ...] = (
    ("water", "Water", "पानी", "Water", False, False),
    ("water/drinking-water", "Drinking water", "पीने का पानी", "DrinkingWater", False, False),
    (
        "water/water-purification",
        "Water purification",
        "जल शोधन",
        "WaterPurification",
        False,
        False,
    ),
    ("food", "Food", "भोजन", "Food", False, False),
    ("food/cooked-meals", "Cooked meals", "पका हुआ खाना", "CookedMeals", False, False),
    ("food/groceries", "Groceries", "राशन", "Groceries", False, False),
    ("food/baby-food", "Baby food", "शिशु आहार", "BabyFood", False, False),
    ("medicine", "Medicine", "दवा", "Medicine", True, False),
    ("medicine/insulin", "Insulin", "इंसुलिन", "Insulin", True, False),
    ("medicine/antibiotics", "Antibiotics", "एंटीबायोटिक दवाएँ", "Antibiotics", True, False),
    ("medicine/first-aid", "First aid", "प्राथमिक चिकित्सा", "FirstAid", True, False),
    (
        "medicine/prescription",
        "Prescription medicine",
        "डॉक्टर के पर्चे वाली दवा",
        "Prescription",
        True,
        False,
    ),
    (
        "medicine/mental-health",
        "Mental health support",
        "मानसिक स्वास्थ्य सहायता",
        "MentalHealth",
        True,
        True,
    ),
    (
        "medicine/medical-equipment",
        "Medical equipment",
        "चिकित्सा उपकरण",
        "MedicalEquipment",
        True,
        False,
    ),
    ("medicine/oxygen", "Oxygen", "ऑक्सीजन", "Oxygen", True, False),
    ("shelter", "Shelter", "आश्रय", "Shelter", False, False),
    (
        "shelter/emergency-housing",
        "Emergency housing",
        "आपातकालीन आवास",
        "EmergencyHousing",
        False,
        True,
    ),
    ("shelter/bedding", "Bedding and blankets", "बिस्तर और कंबल", "Bedding", False, False),
    ("shelter/tents", "Tents and tarpaulins", "तंबू और तिरपाल", "Tents", False, False),
    ("power", "Power", "बिजली", "Power", False, False),
    ("power/generator", "Generator", "जनरेटर", "Generator", False, False),
    ("power/fuel", "Fuel", "ईंधन", "Fuel", False, False),
    ("power/batteries", "Batteries", "बैटरी", "Batteries", False, False),
    ("transport", "Transport", "परिवहन", "Transport", False, True),
    ("transport/rides", "Rides", "सवारी", "Rides", False, True),
    ("transport/deliveries", "Deliveries", "सामान पहुँचाना", "Deliveries", False, True),
    ("tools", "Tools", "औज़ार", "Tools", False, False),
    ("clothing", "Clothing", "कपड़े", "Clothing", False, False),
    ("clothing/winter-clothing", "Winter clothing", "सर्दियों के कपड़े", "WinterClothing", False, False),
    (
        "clothing/childrens-clothing",
        "Children's clothing",
        "बच्चों के कपड़े",
        "ChildrensClothing",
        False,
        False,
    ),
    ("clothing/shoes", "Shoes", "जूते", "Shoes", False, False),
    ("hygiene", "Hygiene", "स्वच्छता", "Hygiene", False, False),
    (
        "hygiene/menstrual-products",
        "Menstrual products",
        "मासिक धर्म उत्पाद",
        "MenstrualProducts",
        False,
        False,
    ),
    ("hygiene/soap", "Soap", "साबुन", "Soap", False, False),
    ("hygiene/diapers", "Diapers", "डायपर", "Diapers", False, False),
    ("hygiene/sanitation", "Toilets and sanitation", "शौचालय और सफ़ाई", "Sanitation", False, False),
    ("childcare", "Childcare", "बच्चों की देखभाल", "Childcare", False, True),
    ("skills", "Skills and labour", "कौशल और श्रम", "Skills", False, True),
    ("skills/repairs", "Repairs", "मरम्मत", "Repairs", False, True),
    ("skills/cleanup", "Cleanup and clearing", "साफ़-सफ़ाई", "Cleanup", False, True),
    ("skills/translation", "Translation", "अनुवाद", "Translation", False, True),
    ("skills/legal-aid", "Legal aid", "क़ानूनी सहायता", "LegalAid", True, True),
    ("money", "Money", "पैसा", "Money", False, False),
    ("money/bail-fund", "Bail fund", "ज़मानत कोष", "BailFund", True, False),
    ("money/rent", "Rent", "किराया", "Rent", False, False),
    ("money/medical-bills", "Medical bills", "इलाज का ख़र्च", "MedicalBills", True, False),
    ("communication", "Communication", "संचार", "Communication", False, False),
    ("communication/phone-charging", "Phone charging", "फ़ोन चार्जिंग", "PhoneCharging", False, True),
    ("communication/internet", "Internet access", "इंटरनेट सुविधा", "Internet", False, True),
    ("communication/phones", "Phones", "फ़ोन", "Phones", False, False),
)


def _build() -> dict[str, Category]:
    by_slug: dict[str, Category] = {}
    for slug, en, hi, tag, sensitive, service in _TABLE:
        if not _SLUG_RE.match(slug):
            raise AssertionError(f"bad category slug {slug!r}")
        if not _HASHTAG_RE.match(tag):
            raise AssertionError(f"bad hashtag {tag!r} for {slug}")
        parent_slug = slug.rsplit("/", 1)[0] if "/" in slug else None
        if parent_slug is not None:
            parent = by_slug.get(parent_slug)
            if parent is None:
                raise AssertionError(f"category {slug} is listed before its parent")
            sensitive = sensitive or parent.sensitive
        # NFC so that nukta letters (ज़, फ़) compare equal however they were typed.
        by_slug[slug] = Category(
            slug, en, unicodedata.normalize("NFC", hi), tag, sensitive, service
        )
    return by_slug


_BY_SLUG = _build()
_BY_URI = {c.uri: c for c in _BY_SLUG.values()}
# Short names accepted by resolve_category: leaf slugs ("insulin") and hashtags ("insulin").
_BY_SHORT: dict[str, Category] = {}
for _c in _BY_SLUG.values():
    for _key in {_c.leaf, _c.hashtag.lower()}:
        if _key in _BY_SHORT and _BY_SHORT[_key] is not _c:
            raise AssertionError(f"short name {_key!r} is ambiguous")
        _BY_SHORT[_key] = _c
del _c, _key


def is_wikidata_item(uri: str) -> bool:
    return isinstance(uri, str) and bool(WIKIDATA_ITEM_RE.match(uri))


def all_categories() -> tuple[Category, ...]:
    """Every built-in category, parents before their children."""
    return tuple(_BY_SLUG.values())


def get_category(uri_or_slug: str) -> Category:
    """A built-in category by full URI or slug (`medicine/insulin`)."""
    if isinstance(uri_or_slug, str):
        found = _BY_URI.get(uri_or_slug) or _BY_SLUG.get(uri_or_slug)
        if found is not None:
            return found
    if is_wikidata_item(uri_or_slug):
        raise UnknownCategory(f"{uri_or_slug} is a Wikidata item, not a built-in category")
    raise UnknownCategory(
        f"unknown category {uri_or_slug!r}: expected a slug such as 'medicine/insulin' "
        f"or a URI under {NAMESPACE}"
    )


def resolve_category(text: str) -> str:
    """User or remote input -> the category URI we store.

    Accepts a slug (`medicine/insulin`), a short name or hashtag (`insulin`, `#Insulin`), one of
    our URIs, or a Wikidata item URI (kept as it is). Raises UnknownCategory otherwise.
    """
    if not isinstance(text, str):
        raise UnknownCategory(f"a category must be text, got {type(text).__name__}")
    value = text.strip()
    if is_wikidata_item(value):
        return value
    if value in _BY_URI:
        return value
    if value.startswith(("http://", "https://")):
        raise UnknownCategory(
            f"unknown category {value!r}: not in the built-in vocabulary ({NAMESPACE}…) "
            "and not a Wikidata item URI (https://www.wikidata.org/entity/Q…)"
        )
    key = value.lstrip("#").lower().replace(" ", "-").replace("_", "-").strip("/")
    found = _BY_SLUG.get(key) or _BY_SHORT.get(key) or _BY_SHORT.get(key.replace("-", ""))
    if found is None:
        raise UnknownCategory(
            f"unknown category {text!r}: use a slug such as 'medicine/insulin' or 'insulin', "
            "a category URI, or a Wikidata item URI"
        )
    return found.uri


def is_known_or_wikidata(uri: str) -> bool:
    """True for one of our category URIs or a Wikidata item URI (exact forms only)."""
    return isinstance(uri, str) and (uri in _BY_URI or is_wikidata_item(uri))


def ancestors(uri: str) -> list[str]:
    """The parents of a category, nearest first. Wikidata items have none (we do not know them)."""
    if is_wikidata_item(uri):
        return []
    result: list[str] = []
    parent = get_category(uri).parent
    while parent is not None:
        result.append(parent)
        parent = _BY_URI[parent].parent
    return result


def matches(offer_cat: str, need_cat: str) -> bool:
    """An offer fits a need when the categories are equal or one is a sub-category of the other.

    `medicine` offered fits a need for `medicine/insulin` and vice versa; `food` never fits
    `water`. Wikidata items match only themselves. Unknown URIs match nothing.
    """
    if offer_cat == need_cat:
        return is_known_or_wikidata(offer_cat)
    if offer_cat not in _BY_URI or need_cat not in _BY_URI:
        return False
    return offer_cat in ancestors(need_cat) or need_cat in ancestors(offer_cat)


def label(uri: str, lang: str = "en") -> str:
    """The label to show: `Insulin` / `इंसुलिन`; a Wikidata item shows as its Q-id."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported label language {lang!r}; use one of {', '.join(LANGUAGES)}")
    if is_wikidata_item(uri):
        qid = uri.rsplit("/", 1)[-1]
        return f"Wikidata {qid}" if lang == "en" else f"विकिडेटा {qid}"
    return get_category(uri).label(lang)


def hashtags(uri: str) -> list[str]:
    """Hashtags for a category, most specific first (`["Insulin", "Medicine"]`); none for Wikidata."""
    if is_wikidata_item(uri):
        return []
    return [get_category(u).hashtag for u in [uri, *ancestors(uri)]]


def is_sensitive(uri: str) -> bool:
    """Medical and legal/bail categories. Unknown Wikidata items are not assumed sensitive."""
    return not is_wikidata_item(uri) and get_category(uri).sensitive


def intent_action(uri: str) -> str:
    """The FEP-0837 Intent action: `deliverService` for services, `transfer` for goods."""
    if is_wikidata_item(uri):
        return "transfer"
    cat = get_category(uri)
    return "deliverService" if cat.service else "transfer"
