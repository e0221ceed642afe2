"""Content negotiation between ActivityPub JSON and HTML."""

from aiohttp import web

from fedi_aid.web import paths


def wants_activity_json(request: web.Request) -> bool:
    return paths.wants_activity_json(request.headers.get("Accept", ""))
