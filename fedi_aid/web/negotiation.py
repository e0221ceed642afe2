"""Content negotiation between ActivityPub JSON and HTML."""

from aiohttp import web


def wants_activity_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "").lower()
    return "application/activity+json" in accept or "application/ld+json" in accept
