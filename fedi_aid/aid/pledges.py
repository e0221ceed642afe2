"""Pledges as data: reading a quantity out of a free-text reply, and the pledge lifecycle. Pure.

A Mastodon user answers a need in their own words ("I can bring 5 pens tomorrow"). We read a
quantity only when the reply says it plainly: exactly one number (digits, or a number word up to
twenty), optionally followed by a unit. Anything doubtful ("2 boxes of 10", "3 or 4", "5-6",
no number at all) is kept as a comment for the group to read, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

STATES = ("proposed", "confirmed", "delivered", "declined", "cancelled", "comment")
# Pledges that count against what is still needed.
COUNTING_STATES = frozenset({"confirmed", "delivered"})

# The lifecycle as data: proposed -> confirmed -> delivered, or declined / cancelled.
TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"confirmed", "declined", "cancelled"}),
    "confirmed": frozenset({"delivered", "cancelled"}),
    "delivered": frozenset(),
    "declined": frozenset(),
    "cancelled": frozenset(),
    "comment": frozenset(),
}
# What a group's verbs do (CLI, API).
VERBS = {
    "confirm": "confirmed",
    "deliver": "delivered",
    "decline": "declined",
    "cancel": "cancelled",
}

MAX_PLEDGE = Decimal(10) ** 9

_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "a dozen": 12, "dozen": 12,
}  # fmt: skip
_NUMBER = r"\d+(?:[.,]\d+)?"
_TOKEN_RE = re.compile(
    rf"(?<![\w.,/:-])({_NUMBER}|{'|'.join(sorted(map(re.escape, _WORDS), key=len, reverse=True))})"
    r"(?![\w/:-]|[.,]\d)",
    re.IGNORECASE,
)
# Times, dates, money and percentages are not quantities of the thing.
_NOT_A_QUANTITY_RE = re.compile(
    r"\d{1,2}:\d{2}|\d{1,2}\s*(?:am|pm)\b|[$€£₹]\s*\d|\d\s*%|\d+(?:st|nd|rd|th)\b",
    re.IGNORECASE,
)
_RANGE_RE = re.compile(rf"{_NUMBER}\s*(?:-|–|to|or)\s*{_NUMBER}", re.IGNORECASE)
_MENTION_RE = re.compile(r"(?:^|\s)@[\w.-]+(?:@[\w.-]+(?::\d+)?)?")
_URL_RE = re.compile(r"https?://\S+")


class InvalidPledgeTransition(ValueError):
    pass


@dataclass(frozen=True)
class ParsedReply:
    """A number read from a reply (None: a comment) and the unit word after it, if any."""

    quantity: Decimal | None
    unit_word: str | None = None


def _strip(text: str) -> str:
    text = _MENTION_RE.sub(" ", text)
    return _URL_RE.sub(" ", text)


def parse_reply_quantity(text: str) -> ParsedReply:
    """The one quantity a reply pledges, or ParsedReply(None) when it is not plainly one number.

    "I can bring 5 pens tomorrow" -> 5 (unit word "pens"); "5" -> 5; "five" -> 5;
    "2 boxes of 10" -> None; "3 or 4" -> None; "at 5:30" -> None; "thank you!" -> None.
    Mentions (@riverside@aid.example) and links are ignored.
    """
    text = _strip(text or "").strip()
    if not text or _NOT_A_QUANTITY_RE.search(text) or _RANGE_RE.search(text):
        return ParsedReply(None)
    found = list(_TOKEN_RE.finditer(text))
    if len(found) != 1:
        return ParsedReply(None)
    token = found[0].group(1).lower()
    if token in _WORDS:
        value = Decimal(_WORDS[token])
    else:
        if "," in token:
            return ParsedReply(None)  # "1,5" or "1,000": ambiguous across languages
        value = Decimal(token)
    if value <= 0 or value > MAX_PLEDGE:
        return ParsedReply(None)
    after = text[found[0].end() :].split()
    unit = re.sub(r"[^\w-]", "", after[0]).lower() if after else ""
    return ParsedReply(value, unit or None)


def can_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, new: str) -> None:
    """Raise InvalidPledgeTransition unless the lifecycle allows current -> new."""
    if current not in TRANSITIONS or new not in TRANSITIONS:
        raise InvalidPledgeTransition(
            f"unknown pledge state {new if current in TRANSITIONS else current!r}"
        )
    if not can_transition(current, new):
        if current == "comment":
            raise InvalidPledgeTransition("a comment has no quantity and cannot change state")
        raise InvalidPledgeTransition(f"a {current} pledge cannot become {new}")


def remaining_change(old_state: str, new_state: str, quantity: Decimal) -> Decimal:
    """How much the need's remaining quantity moves: -q when a pledge starts counting, +q back."""
    was, now = old_state in COUNTING_STATES, new_state in COUNTING_STATES
    if was == now:
        return Decimal(0)
    return -quantity if now else quantity
