"""HTML from other servers, made safe to store and show. Pure.

`sanitize_html` keeps the small set of tags that posts use (paragraphs, links, emphasis, lists,
quotes, code) and Mastodon's mention/hashtag markup; everything else is stripped, and script,
style and similar elements lose their contents too. Links must be absolute http(s) or mailto and
always carry rel="nofollow noopener noreferrer".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from bleach.html5lib_shim import Filter
from bleach.sanitizer import Cleaner

ALLOWED_TAGS = frozenset(
    {"p", "br", "a", "span", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "rel", "class"], "span": ["class"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = ("nofollow", "noopener", "noreferrer")
# rel values from the source worth keeping (Mastodon marks hashtag links rel="tag").
KEPT_REL = frozenset({"tag"})
# Classes Mastodon puts on mentions, hashtags and shortened links; no others survive.
ALLOWED_CLASSES = {
    "a": frozenset({"mention", "hashtag", "u-url"}),
    "span": frozenset({"h-card", "invisible", "ellipsis"}),
}
# Elements removed together with everything inside them.
DROP_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "template",
        "iframe",
        "object",
        "embed",
        "noscript",
        "noembed",
        "noframes",
        "svg",
        "math",
        "title",
        "textarea",
        "select",
        "xmp",
        "head",
    }
)

_HREF = (None, "href")
_REL = (None, "rel")
_CLASS = (None, "class")


def _safe_href(value: str) -> bool:
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme == "mailto":
        return bool(parts.path)
    return scheme in ("http", "https") and bool(parts.hostname)


class _DropContent(Filter):
    """Remove script-like elements with their contents (bleach alone would keep the text)."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        depth = 0
        for token in super().__iter__():
            kind = token["type"]
            name = token.get("name")
            if kind in ("StartTag", "EndTag", "EmptyTag") and name in DROP_WITH_CONTENT:
                if kind == "StartTag":
                    depth += 1
                elif kind == "EndTag":
                    depth = max(0, depth - 1)
                continue
            if depth == 0:
                yield token


class _LinkAttributes(Filter):
    """Absolute links only, forced rel, and only the classes we know."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token.get("name") in ALLOWED_CLASSES:
                attrs = dict(token.get("data") or {})
                name = token["name"]
                if _CLASS in attrs:
                    classes = [c for c in attrs[_CLASS].split() if c in ALLOWED_CLASSES[name]]
                    if classes:
                        attrs[_CLASS] = " ".join(dict.fromkeys(classes))
                    else:
                        del attrs[_CLASS]
                if name == "a":
                    if _HREF in attrs and not _safe_href(attrs[_HREF]):
                        del attrs[_HREF]
                    kept = [r for r in (attrs.get(_REL) or "").lower().split() if r in KEPT_REL]
                    attrs[_REL] = " ".join(dict.fromkeys([*LINK_REL, *kept]))
                token = {**token, "data": attrs}
            yield token


_CLEANER = Cleaner(
    tags=ALLOWED_TAGS | DROP_WITH_CONTENT,  # dropped, with contents, by _DropContent
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_DropContent, _LinkAttributes],
)


def sanitize_html(html: str) -> str:
    """Remote HTML -> HTML that is safe to store and render."""
    if not isinstance(html, str):
        raise TypeError(f"html must be a string, got {type(html).__name__}")
    return _CLEANER.clean(html).strip()


_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr"}
)
_SKIP_TAGS = DROP_WITH_CONTENT - {"noscript"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
            if tag == "pre":
                self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            # protected from the whitespace collapsing below
            self.parts.append(data.replace("\n", "\x00").replace(" ", "\x01"))
        else:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """HTML -> plain text: paragraphs separated by a blank line, <br> as a newline."""
    if not isinstance(html, str):
        raise TypeError(f"html must be a string, got {type(html).__name__}")
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = re.sub(r" {2,}", " ", "".join(parser.parts))
    lines = [line.strip(" ") for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text.replace("\x00", "\n").replace("\x01", " ")
