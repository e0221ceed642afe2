"""What templates use to show things: filters and helpers. Pure except for the language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from fedi_aid.db.models import AidItemRow
from fedi_aid.web.ui import i18n
from fedi_aid.web.ui.render import actor_name, handle, remote_html

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def met_fraction(row: AidItemRow) -> float:
    """How much of a need is met (0..1); for an offer, how much of it is taken."""
    quantity = Decimal(row.quantity or 0)
    if quantity <= 0:
        return 0.0
    if row.status == "met":
        return 1.0
    remaining = min(Decimal(row.remaining or 0), quantity)
    return float((quantity - remaining) / quantity)


def safe_url(value: str | None) -> str:
    """A link target from remote data: http(s) only, else nothing to follow."""
    if not value:
        return "#"
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return "#"
    return value if scheme in ("http", "https") else "#"


def item_link(row: AidItemRow) -> str:
    return safe_url(row.uri if row.local else (row.url or row.uri))


def width(fraction: float) -> str:
    """A CSS width for a bar: 0% to 100%, one decimal."""
    return f"{max(0.0, min(1.0, fraction)) * 100:.1f}%"


FILTERS: dict[str, Callable[..., Any]] = {
    "number": i18n.number,
    "percent": i18n.percent,
    "when": i18n.when,
    "category": i18n.category_label,
    "remote_html": remote_html,
    "safe_url": safe_url,
    "actor_name": actor_name,
    "handle": handle,
    "width": width,
}
GLOBALS: dict[str, Any] = {
    "met_fraction": met_fraction,
    "item_link": item_link,
    "categories": i18n.category_choices,
}


def urgency_label(value: str) -> str:
    _ = i18n.gettext
    labels = {"low": _("low"), "normal": _("normal"), "high": _("high"), "critical": _("critical")}
    return labels.get(value, value)


def status_label(value: str) -> str:
    _ = i18n.gettext
    labels = {
        "open": _("open"),
        "partly_met": _("partly met"),
        "met": _("met"),
        "withdrawn": _("withdrawn"),
        "expired": _("expired"),
    }
    return labels.get(value, value)


def visibility_label(value: str) -> str:
    _ = i18n.gettext
    labels = {
        "public": _("public"),
        "unlisted": _("unlisted"),
        "followers": _("followers only"),
        "direct": _("direct"),
    }
    return labels.get(value, value)


def follow_state_label(value: str) -> str:
    _ = i18n.gettext
    labels = {"pending": _("pending"), "accepted": _("accepted"), "rejected": _("rejected")}
    return labels.get(value, value)


GLOBALS.update(
    urgency_label=urgency_label,
    status_label=status_label,
    visibility_label=visibility_label,
    follow_state_label=follow_state_label,
)


def pledge_state_label(value: str) -> str:
    _ = i18n.gettext
    labels = {
        "proposed": _("waiting for confirmation"),
        "confirmed": _("confirmed"),
        "delivered": _("delivered"),
        "declined": _("declined"),
        "cancelled": _("cancelled"),
        "comment": _("comment"),
    }
    return labels.get(value, value)


GLOBALS["pledge_state_label"] = pledge_state_label
