"""Read a need or an offer from a plain post: `#need 20 insulin pens #Insulin #Riverside by Friday`.

Pure: text and the current time in, an AidDraft (or None for a post that is not one) out.

    [@group] #need|#offer [QUANTITY] [UNIT] WHAT [#Tag ...] [by|until WHEN] [#urgent|#critical]
    [more lines: the description]

- `@group` (optional, first): the local group to post as; returned as `group`.
- QUANTITY: a number (`20`, `2.5`); 1 when absent.
- UNIT: the word after the number when it is a known unit (`kg`, `litres`, `boxes`…), else the
  last word of WHAT (`20 insulin pens` counts pens).
- hashtags: the first one that names a category (`#Insulin`, `#Food`) is the category; the first
  other one is the place (`#Riverside`); `#urgent`, `#high`, `#low`, `#critical` set urgency.
  Without a category hashtag, the words of WHAT are tried (`insulin`); else it is an error.
- `by WHEN` / `until WHEN`: a weekday (`Friday`: the next one, today included), `today`,
  `tomorrow`, a date `2026-12-01`, or a duration `3d`, `12h`, `2w`; the end of that day (UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from fedi_aid.aid.categories import UnknownCategory, resolve_category
from fedi_aid.aid.publish import AidDraft
from fedi_aid.aid.when import parse_expiry

KIND_TAGS = {"#need": "need", "#offer": "offer"}
URGENCY_TAGS = {"#urgent": "high", "#high": "high", "#critical": "critical", "#low": "low"}
UNITS = frozenset(
    [
        "kg",
        "g",
        "l",
        "ml",
        "litre",
        "litres",
        "liter",
        "liters",
        "kilo",
        "kilos",
        "box",
        "boxes",
        "pack",
        "packs",
        "bag",
        "bags",
        "bottle",
        "bottles",
        "pair",
        "pairs",
        "set",
        "sets",
        "unit",
        "units",
        "piece",
        "pieces",
        "hour",
        "hours",
        "day",
        "days",
        "night",
        "nights",
        "meal",
        "meals",
        "dose",
        "doses",
        "roll",
        "rolls",
        "can",
        "cans",
    ]
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_GROUP_RE = re.compile(r"^@([a-z0-9_]{1,30})$", re.IGNORECASE)
_TAG_RE = re.compile(r"^#([^\s#]+)$")


class NeedSyntaxError(ValueError):
    """The post starts like a need or an offer but cannot be read; the message says why."""


@dataclass(frozen=True)
class ParsedPost:
    draft: AidDraft
    group: str | None  # the `@group` named first, if any


def strip_html(text: str) -> str:
    """Apps send plain text; a few send HTML paragraphs. Keep the words and line breaks."""
    text = re.sub(r"<br\s*/?>|</p>\s*<p>", "\n", text, flags=re.IGNORECASE)
    return re.sub(r"<[^>]+>", "", text)


def is_aid_post(text: str) -> bool:
    words = strip_html(text).split()
    if words and _GROUP_RE.match(words[0]):
        words = words[1:]
    return bool(words) and words[0].lower() in KIND_TAGS


def parse_post(text: str, now: datetime) -> ParsedPost | None:
    """The draft a post describes, None when it does not start with #need or #offer."""
    if not is_aid_post(text):
        return None
    first, _, rest = strip_html(text).strip().partition("\n")
    words = first.split()
    group = None
    match = _GROUP_RE.match(words[0])
    if match:
        group = match.group(1).lower()
        words = words[1:]
    kind = KIND_TAGS[words[0].lower()]
    words = words[1:]
    tags, when, body = _split(words)
    quantity, what = _quantity(body)
    if not what:
        raise NeedSyntaxError(
            f"say what is {'needed' if kind == 'need' else 'offered'} after #{kind}, "
            f"e.g. '#{kind} 20 insulin pens #Riverside by Friday'"
        )
    unit, title = _unit_and_title(what)
    category, place, urgency = _read_tags(tags, what)
    for name, value, limit in (
        ("what", title, 300),
        ("the unit", unit, 64),
        ("#Place", place, 300),
    ):
        if value is not None and len(value) > limit:
            raise NeedSyntaxError(f"{name} is longer than {limit} characters")
    return ParsedPost(
        AidDraft(
            kind=kind,
            title=title,
            category=category,
            quantity=quantity,
            unit=unit,
            description=rest.strip(),
            urgency=urgency,
            place_name=place,
            expires_at=_expiry(when, now) if when else None,
        ),
        group,
    )


def _split(words: list[str]) -> tuple[list[str], str, list[str]]:
    """(hashtags, the words after by/until, the other words)."""
    tags: list[str] = []
    body: list[str] = []
    when: list[str] = []
    target = body
    for word in words:
        if _TAG_RE.match(word):
            tags.append(word.rstrip(".,;!"))
        elif word.lower() in ("by", "until") and body:
            target = when
        else:
            target.append(word)
    return tags, " ".join(when).rstrip(".,;!"), body


def _quantity(words: list[str]) -> tuple[Decimal, list[str]]:
    if words:
        try:
            value = Decimal(words[0].replace(",", "."))
        except InvalidOperation:
            return Decimal(1), words
        if not value.is_finite() or value <= 0:
            raise NeedSyntaxError(f"the quantity must be a positive number, got {words[0]!r}")
        return value, words[1:]
    return Decimal(1), words


def _unit_and_title(words: list[str]) -> tuple[str, str]:
    if len(words) > 1 and words[0].lower() in UNITS:
        return words[0].lower(), " ".join(words[1:])
    return words[-1].lower().strip(".,;!"), " ".join(words)


def _read_tags(tags: list[str], what: list[str]) -> tuple[str, str | None, str]:
    category: str | None = None
    place: str | None = None
    urgency = "normal"
    for tag in tags:
        low = tag.lower()
        if low in URGENCY_TAGS:
            urgency = URGENCY_TAGS[low]
            continue
        if category is None:
            try:
                category = resolve_category(tag)
                continue
            except UnknownCategory:
                pass
        if place is None:
            place = tag[1:]
    if category is None:
        category = _category_from_words(what)
    return category, place, urgency


def _category_from_words(words: list[str]) -> str:
    for word in words:
        for candidate in (word, word.rstrip("s")):
            try:
                return resolve_category(candidate.strip(".,;!"))
            except UnknownCategory:
                continue
    raise NeedSyntaxError(
        "name the category with a hashtag such as #Food, #Water, #Medicine, #Shelter, #Tools"
    )


def _expiry(text: str, now: datetime) -> datetime:
    low = text.strip().lower()
    end_of = lambda day: datetime.combine(day, time(23, 59, 59), tzinfo=UTC)  # noqa: E731
    today = now.astimezone(UTC).date()
    if low == "today":
        return end_of(today)
    if low == "tomorrow":
        return end_of(today + timedelta(days=1))
    if low in WEEKDAYS:
        ahead = (WEEKDAYS.index(low) - today.weekday()) % 7
        return end_of(today + timedelta(days=ahead))
    try:
        return parse_expiry(text, now)
    except ValueError as exc:
        raise NeedSyntaxError(f"{exc}; or a weekday, 'today' or 'tomorrow'") from None
