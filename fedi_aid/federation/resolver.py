"""Fetch remote actors and keys (signed GET), check their identity, cache them in the database."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urldefrag, urlsplit

from sqlalchemy.exc import IntegrityError

from fedi_aid import metrics
from fedi_aid.activitypub.actor_from_as import (
    BadActor,
    RemoteActorFields,
    apply_actor_fields,
    as_actor_to_fields,
)
from fedi_aid.activitypub.normalize import normalize
from fedi_aid.activitypub.validate import ValidationError, validate
from fedi_aid.activitypub.vocab import ACTOR_TYPES
from fedi_aid.clock import as_utc, utcnow
from fedi_aid.context import Context
from fedi_aid.db.actors import find_actor_by_key_id, find_actor_by_uri
from fedi_aid.db.domains import is_domain_blocked
from fedi_aid.db.models import Actor
from fedi_aid.federation.http_client import FetchError

log = logging.getLogger(__name__)


class ResolveError(Exception):
    """A remote document could not be fetched or is not what it claims to be."""


async def fetch_document(ctx: Context, uri: str) -> dict[str, Any]:
    """Signed GET; the document's id must be the URL it was finally fetched from."""
    domain = urlsplit(uri).netloc.lower()
    async with ctx.sessions() as session:
        if await is_domain_blocked(session, domain):
            raise ResolveError(f"the domain {domain} is blocked on this instance")
    try:
        final_url, doc = await ctx.http.get_json(uri, sign_with=ctx.instance_key)
    except FetchError as exc:
        raise ResolveError(f"cannot fetch {uri}: {exc}") from None
    doc_id = doc.get("id")
    if doc_id != final_url and urldefrag(final_url)[0] != doc_id:
        raise ResolveError(f"document fetched from {final_url} claims the id {doc_id!r}")
    return doc


def _is_actor(doc: dict[str, Any]) -> bool:
    type_ = doc.get("type")
    types = type_ if isinstance(type_, list) else [type_]
    return any(t in ACTOR_TYPES for t in types)


async def store_remote_actor(ctx: Context, fields: RemoteActorFields, raw: dict[str, Any]) -> Actor:
    now = utcnow()
    for _ in range(2):
        try:
            async with ctx.sessions.begin() as session:
                actor = await find_actor_by_uri(session, fields.uri)
                if actor is not None and actor.local:
                    raise ResolveError(f"{fields.uri} is a local actor")
                if actor is None:
                    actor = Actor(uri=fields.uri, local=False, created_at=now)
                    session.add(actor)
                apply_actor_fields(actor, fields)
                actor.raw = raw
                actor.fetched_at = now
                actor.updated_at = now
            return actor
        except IntegrityError:
            continue  # someone stored it at the same moment: update theirs
    raise ResolveError(f"cannot store actor {fields.uri}")


async def fetch_actor(ctx: Context, uri: str, *, refresh: bool = False) -> Actor:
    """The actor at `uri`, from the cache when fresh enough, else fetched and stored."""
    async with ctx.sessions() as session:
        cached = await find_actor_by_uri(session, uri)
    if cached is not None and (cached.local or not refresh and _fresh(ctx, cached)):
        return cached
    doc = await fetch_document(ctx, uri)
    return await _store_actor_document(ctx, doc)


async def _store_actor_document(ctx: Context, doc: dict[str, Any]) -> Actor:
    try:
        validate(normalize(doc), "actor")
        fields = as_actor_to_fields(doc)
    except (ValidationError, BadActor) as exc:
        raise ResolveError(f"{doc.get('id')}: not a usable actor: {exc}") from None
    return await store_remote_actor(ctx, fields, doc)


def _fresh(ctx: Context, actor: Actor) -> bool:
    if actor.fetched_at is None:
        return False
    return utcnow() - as_utc(actor.fetched_at) < timedelta(seconds=ctx.settings.key_cache_seconds)


async def fetch_key_owner(ctx: Context, key_id: str, *, refresh: bool = False) -> Actor:
    """The actor whose public key has this id (Mastodon `#main-key` or GoToSocial `/main-key`)."""
    if not refresh:
        async with ctx.sessions() as session:
            cached = await find_actor_by_key_id(session, key_id)
        if cached is not None and cached.public_key_pem:
            metrics.count("fedi_aid_key_cache_total", result="hit")
            return cached
    metrics.count("fedi_aid_key_cache_total", result="miss")
    doc_url = urldefrag(key_id)[0]
    if urlsplit(doc_url).scheme not in ("http", "https"):
        raise ResolveError(f"keyId {key_id!r} is not an http(s) URL")
    doc = await fetch_document(ctx, doc_url)
    if _is_actor(doc):
        actor = await _store_actor_document(ctx, doc)
    else:
        # A key document (GoToSocial serves a stub naming its owner): fetch the owner.
        owner = doc.get("owner")
        if not isinstance(owner, str):
            raise ResolveError(f"key document {doc_url} names no owner")
        actor = await _store_actor_document(ctx, await fetch_document(ctx, owner))
    if actor.key_id != key_id:
        raise ResolveError(f"actor {actor.uri} does not publish the key {key_id}")
    return actor
