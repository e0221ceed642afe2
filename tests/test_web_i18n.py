"""Interface languages and pure helpers of the web interface: no server, no browser."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from fedi_aid.web.ui import gaps_svg, i18n
from fedi_aid.web.ui.security import LoginLimiter, load_session_key
from fedi_aid.web.ui.views import safe_url, width

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def extracted_ids() -> set[str | tuple[str, str]]:
    """Every message the templates and the ui modules use, as `make messages` extracts them."""
    ids: set[str | tuple[str, str]] = set()
    method_map = [
        ("fedi_aid/web/ui/**.py", "python"),
        ("fedi_aid/web/templates/**.html", "jinja2"),
    ]
    options = {
        "fedi_aid/web/templates/**.html": {
            "extensions": "jinja2.ext.i18n",
            "trim_blocks": "True",
            "lstrip_blocks": "True",
        }
    }
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords=KEYWORDS
    ):
        ids.add(tuple(message) if isinstance(message, list | tuple) else message)
    return ids


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("lang", ["hi"])
def test_every_message_is_translated_and_compiled(lang: str) -> None:
    folder = i18n.LOCALE_DIR / lang / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as handle:
        po = read_po(handle, locale=lang)
    with open(folder / "messages.mo", "rb") as handle:
        mo = read_mo(handle)
    wanted = extracted_ids()
    assert "Needs, most urgent first" in wanted  # from a template
    assert "Wrong user name or password." in wanted  # from Python
    assert ("%(num)s follower", "%(num)s followers") in wanted
    in_po = {_key(m.id) for m in po if m.id}
    assert wanted - in_po == set(), "run `make messages` and translate the new messages"
    untranslated = [m.id for m in po if m.id and (not m.string or m.fuzzy or not all(m.string))]
    assert untranslated == []
    compiled = {_key(m.id): _key(m.string) for m in mo if m.id}
    assert compiled == {_key(m.id): _key(m.string) for m in po if m.id}, "stale .mo: make messages"


def test_language_choice() -> None:
    assert i18n.available_languages()[:1] == ("en",) and "hi" in i18n.available_languages()
    assert i18n.choose_language(None, "hi-IN,hi;q=0.9,en;q=0.8") == "hi"
    assert i18n.choose_language(None, "fr-FR, en;q=0.5, hi;q=0.7") == "hi"
    assert i18n.choose_language(None, "de, fr") == "en"
    assert i18n.choose_language(None, "hi;q=0, en") == "en"
    assert i18n.choose_language("en", "hi") == "en"  # the switch wins
    assert i18n.choose_language("xx", "hi") == "hi"  # an unknown cookie is ignored
    assert i18n.choose_language(None, None) == "en"


def test_numbers_and_dates_follow_the_language() -> None:
    when = datetime(2026, 11, 25, 17, 5, tzinfo=UTC)
    i18n.set_language("hi")
    try:
        assert i18n.number(Decimal("1234567.50")) == "12,34,567.5"  # Indian grouping
        assert i18n.gettext("Needs") == "ज़रूरतें"
        assert i18n.category_label("https://fedi-aid.org/ns/categories/medicine/insulin") == (
            "इंसुलिन"
        )
        assert "नव" in i18n.when(when)
    finally:
        i18n.set_language("en")
    assert i18n.number(Decimal("1234567.50")) == "1,234,567.5"
    assert i18n.when(when) == "Nov 25, 2026, 5:05:00\u202fPM UTC"
    assert i18n.gettext("Needs") == "Needs"


def test_svg_escapes_names_and_keeps_labels_apart() -> None:
    found = [
        gaps_svg.Community("A <script>alert(1)</script>", 26.91, 75.79, "critical", ["x&y"], 1),
        gaps_svg.Community("B", 26.911, 75.791, "low", ["Water"], 1),
    ]
    svg = gaps_svg.draw(found, title="T <b>", description="D", centre=(26.9, 75.8), radius_km=10)
    assert "<script" not in svg and "&lt;script&gt;" in svg and "x&amp;y" in svg
    assert "T &lt;b&gt;" in svg and svg.count("<circle") == 3  # two communities and the radius
    # B's label would cover A's: it is moved down and tied to its dot by a leader line.
    assert svg.count("<path") == 2  # the centre cross and that leader line


def test_login_limiter_window() -> None:
    limiter = LoginLimiter(per_name=2, per_address=3, window=60)
    assert limiter.retry_after("ana", "1.2.3.4", now=0) == 0
    limiter.failed("ana", "1.2.3.4", now=0)
    limiter.failed("ANA", "1.2.3.4", now=10)
    assert limiter.retry_after("ana", "5.6.7.8", now=20) == 41  # per name, any address
    assert limiter.retry_after("bob", "1.2.3.4", now=20) == 0
    limiter.failed("bob", "1.2.3.4", now=20)
    assert limiter.retry_after("carol", "1.2.3.4", now=30) == 31  # per address
    assert limiter.retry_after("ana", "5.6.7.8", now=61) == 0  # the window moved on
    limiter.succeeded("bob")


def test_session_key_is_made_once_and_private(tmp_path: Path) -> None:
    first = load_session_key(str(tmp_path / "data"))
    key_file = tmp_path / "data" / "session-secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = load_session_key(str(tmp_path / "data"))
    assert again.decrypt(first.encrypt(b"x")) == b"x"
    key_file.write_text("not a key")
    with pytest.raises(ValueError, match="does not hold a valid session key"):
        load_session_key(str(tmp_path / "data"))


def test_links_from_remote_data() -> None:
    assert safe_url("javascript:alert(1)") == "#"
    assert safe_url(" data:text/html,x") == "#"
    assert safe_url("https://a.example/x") == "https://a.example/x"
    assert width(1.7) == "100.0%" and width(-1) == "0.0%" and width(0.4) == "40.0%"
