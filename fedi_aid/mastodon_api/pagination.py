"""Mastodon pagination: max_id / since_id / min_id / limit in, Link header out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fedi_aid.mastodon_api.errors import invalid


@dataclass(frozen=True)
class Page:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20


_ROW_ID = re.compile(r"[0-9]{1,18}")


def row_id(raw: str) -> int | None:
    """A row id from an opaque id string; None for anything that cannot be one of ours."""
    return int(raw) if _ROW_ID.fullmatch(raw) else None


def small_number(raw: str | None, default: int, maximum: int) -> int:
    """A count or offset from the query: digits only, clamped to 0..maximum."""
    if raw is None or not re.fullmatch(r"[0-9]{1,9}", raw):
        return default
    return min(int(raw), maximum)


def _id(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    value = row_id(raw)
    if value is None:
        raise invalid(f"{name} must be an id such as '42', got {raw!r}")
    return value


def read_page(query: Mapping[str, str], default: int = 20, maximum: int = 40) -> Page:
    """Limits outside 1..maximum are clamped, as Mastodon does; a non-number is refused."""
    raw = query.get("limit")
    limit = default
    if raw not in (None, ""):
        if not re.fullmatch(r"-?[0-9]{1,9}", raw):
            raise invalid(f"limit must be a number, got {raw!r}")
        limit = min(max(int(raw), 1), maximum)
    return Page(_id(query, "max_id"), _id(query, "since_id"), _id(query, "min_id"), limit)


def paginate(query: Any, column: Any, page: Page) -> Any:
    """Newest first; with min_id, the page just after it (still answered newest first)."""
    if page.max_id is not None:
        query = query.where(column < page.max_id)
    if page.since_id is not None:
        query = query.where(column > page.since_id)
    if page.min_id is not None:
        return query.where(column > page.min_id).order_by(column.asc()).limit(page.limit)
    return query.order_by(column.desc()).limit(page.limit)


def newest_first(ids_in_query_order: list[Any], page: Page) -> list[Any]:
    return list(reversed(ids_in_query_order)) if page.min_id is not None else ids_in_query_order


def link_header(url: str, query: Mapping[str, str], ids: list[int]) -> str | None:
    """`<…?max_id=oldest>; rel="next", <…?min_id=newest>; rel="prev"` for a non-empty page."""
    if not ids:
        return None
    keep = {k: v for k, v in query.items() if k not in ("max_id", "since_id", "min_id")}
    newest, oldest = max(ids), min(ids)
    next_url = f"{url}?{urlencode({**keep, 'max_id': str(oldest)})}"
    prev_url = f"{url}?{urlencode({**keep, 'min_id': str(newest)})}"
    return f'<{next_url}>; rel="next", <{prev_url}>; rel="prev"'
