"""WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from fedi_aid import SOFTWARE_NAME, __version__
from fedi_aid.activitypub.vocab import AP_CONTENT_TYPE, JRD_CONTENT_TYPE
from fedi_aid.db.actors import count_local_actors, find_actor_by_uri, find_local_actor
from fedi_aid.db.models import Actor
from fedi_aid.discovery.counts import count_open_local_needs
from fedi_aid.urls import INSTANCE_ACTOR_USERNAME
from fedi_aid.web.keys import CONTEXT_KEY, DOCUMENTS_KEY
from fedi_aid.web.responses import error_response, json_response

CORS = {"Access-Control-Allow-Origin": "*"}


def canonical_host(host: str) -> str:
    """Lowercase, no trailing dot, IDNA (punycode), default ports dropped."""
    host = host.strip().lower().rstrip(".")
    name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    if port in ("80", "443"):
        host = name
    try:
        labels = [label.encode("idna").decode("ascii") for label in host.split(".") if label]
        host = ".".join(labels)
    except UnicodeError:
        pass
    return host


class BadResource(ValueError):
    pass


def parse_resource(resource: str) -> tuple[str, str | None, str | None]:
    """('acct', name, host) or ('url', url, None)."""
    if not resource:
        raise BadResource("the resource parameter is required, e.g. acct:name@host")
    if resource.startswith("acct:"):
        name, sep, host = resource[5:].lstrip("@").partition("@")
        if not sep or not name or not host or "@" in host or "/" in host:
            raise BadResource(f"malformed acct resource {resource!r}; expected acct:name@host")
        return "acct", name.lower(), host
    parts = urlsplit(resource)
    if parts.scheme in ("http", "https") and parts.netloc:
        return "url", resource, None
    raise BadResource(f"unsupported resource {resource!r}; use acct:name@host or an actor URL")


async def webfinger(request: web.Request) -> web.Response:
    documents = request.app[DOCUMENTS_KEY]
    resource = request.query.get("resource", "")
    if (cached := documents.get(f"webfinger:{resource}")) is not None:
        return cached.response()
    stamp = documents.stamp()
    ctx = request.app[CONTEXT_KEY]
    try:
        kind, value, host = parse_resource(resource)
    except BadResource as exc:
        return error_response(400, str(exc), CORS)
    async with ctx.sessions() as session:
        actor: Actor | None = None
        if kind == "acct":
            if canonical_host(host or "") != canonical_host(ctx.settings.host):
                return error_response(404, f"{host} is not this instance", CORS)
            if value == INSTANCE_ACTOR_USERNAME:
                actor = await find_actor_by_uri(session, ctx.urls.instance_actor)
            else:
                actor = await find_local_actor(session, value or "")
        else:
            actor = await _actor_by_url(session, ctx, value or "")
    if actor is None:
        return error_response(404, "no such account on this instance", CORS)
    found = json_response(
        _jrd(actor, ctx.settings.host), content_type=JRD_CONTENT_TYPE, headers=CORS
    )
    return documents.remember(f"webfinger:{resource}", found, stamp)


async def _actor_by_url(session, ctx, url: str) -> Actor | None:  # type: ignore[no-untyped-def]
    parts = urlsplit(url)
    if canonical_host(parts.netloc) != canonical_host(ctx.settings.host):
        return None
    if url.rstrip("/") == ctx.urls.instance_actor:
        return await find_actor_by_uri(session, ctx.urls.instance_actor)
    path = parts.path.rstrip("/")
    for prefix in ("/users/", "/@"):
        if path.startswith(prefix) and "/" not in path[len(prefix) :]:
            return await find_local_actor(session, path[len(prefix) :])
    return None


def _jrd(actor: Actor, host: str) -> dict[str, object]:
    links: list[dict[str, str]] = [
        {"rel": "self", "type": AP_CONTENT_TYPE, "href": actor.uri},
    ]
    if actor.url:
        links.append(
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": actor.url}
        )
    return {
        "subject": f"acct:{actor.username}@{host}",
        "aliases": [a for a in (actor.uri, actor.url) if a],
        "links": links,
    }


async def host_meta(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    template = ctx.settings.url("/.well-known/webfinger?resource={uri}")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )
    return web.Response(text=body, content_type="application/xrd+xml", headers=CORS)


async def nodeinfo_index(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    links = [
        {
            "rel": f"http://nodeinfo.diaspora.software/ns/schema/{version}",
            "href": ctx.settings.url(f"/nodeinfo/{version}"),
        }
        for version in ("2.0", "2.1")
    ]
    return json_response({"links": links}, headers=CORS)


async def nodeinfo(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT_KEY]
    version = request.match_info["version"]
    if version not in ("2.0", "2.1"):
        return error_response(404, f"NodeInfo {version} is not served; use 2.0 or 2.1")
    async with ctx.sessions() as session:
        groups = await count_local_actors(session, "Group")
        persons = await count_local_actors(session, "Person")
        open_needs = await count_open_local_needs(session)
    software: dict[str, str] = {"name": SOFTWARE_NAME, "version": __version__}
    if version == "2.1":
        software["repository"] = "https://codeberg.org/fedi-aid/fedi-aid"
    doc = {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {
            "users": {"total": groups + persons, "activeHalfyear": persons, "activeMonth": persons},
            "localPosts": 0,
        },
        # Discovery reads these: is it fedi-aid, and is anyone there.
        "metadata": {
            "nodeName": ctx.settings.instance_name,
            "groups": groups,
            "openNeeds": open_needs,
        },
    }
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    response = json_response(doc, headers=CORS)
    response.headers["Content-Type"] = f'application/json; profile="{profile}"'
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/.well-known/webfinger", webfinger)
    app.router.add_get("/.well-known/host-meta", host_meta)
    app.router.add_get("/.well-known/nodeinfo", nodeinfo_index)
    app.router.add_get("/nodeinfo/{version}", nodeinfo)
