"""Languages of the interface: gettext catalogues (Babel), chosen per request.

A language is a catalogue: `web/locale/<code>/LC_MESSAGES/messages.mo`. English is the source
language and always available. The choice: the `lang` cookie (the switch on every page), else
the best match in Accept-Language, else English. Numbers and dates are formatted by Babel for
the chosen locale.
"""

from __future__ import annotations

import contextvars
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

from fedi_aid.aid import categories
from fedi_aid.clock import as_utc

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT = "en"
COOKIE = "lang"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("ui_language", default=DEFAULT)


@cache
def available_languages() -> tuple[str, ...]:
    """English first, then every language with a compiled catalogue."""
    found = sorted(
        p.parent.parent.name
        for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.mo")
        if p.parent.parent.name != DEFAULT
    )
    return (DEFAULT, *found)


@cache
def translations(lang: str) -> NullTranslations:
    if lang == DEFAULT:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [lang], domain="messages")


@cache
def language_name(lang: str) -> str:
    """The language's own name for itself: English, हिन्दी."""
    try:
        return Locale.parse(lang).get_display_name(lang) or lang
    except (UnknownLocaleError, ValueError):
        return lang


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    available = available_languages()
    if cookie in available:
        return cookie  # type: ignore[return-value]
    for lang in _accepted(accept_language or ""):
        base = lang.split("-", 1)[0]
        if lang in available:
            return lang
        if base in available:
            return base
    return DEFAULT


def _accepted(header: str) -> list[str]:
    """Accept-Language ranges, best first (q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        fields = part.strip().split(";")
        tag = fields[0].strip().lower()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in fields[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


def set_language(lang: str) -> None:
    _current.set(lang)


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


_ = gettext


def number(value: Decimal | float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        value = value.normalize()
    return format_decimal(value, locale=_current.get(), decimal_quantization=False)


def percent(fraction: float) -> str:
    return format_percent(fraction, locale=_current.get())


def when(value: datetime | None) -> str:
    """A date and time in the reader's language (UTC, said so)."""
    if value is None:
        return ""
    return format_datetime(as_utc(value), "medium", tzinfo=None, locale=_current.get()) + " UTC"


def category_label(uri: str) -> str:
    lang = _current.get()
    try:
        return categories.label(uri, lang if lang in categories.LANGUAGES else DEFAULT)
    except (categories.UnknownCategory, ValueError):
        return uri


def category_choices() -> list[tuple[str, str]]:
    """(slug, label) of every built-in category, sub-categories indented under their parent."""
    choices = []
    for cat in categories.all_categories():
        text = category_label(cat.uri)
        choices.append((cat.slug, ("— " if cat.parent else "") + text))
    return choices
