"""POST /inbox: size -> content type -> signature -> validation -> durable store -> 202.

Pure of aiohttp: the web view hands in an IncomingRequest and renders the outcome.

The common case costs no database round trip of its own: blocks and domain health come from
`ctx.moderation` and verified keys from `ctx.verified_keys` (both mirrors in memory, see their
modules for how fresh they are), and the row is stored by `ctx.inbox_writer` in one
transaction with the rows of concurrent requests (group commit), before the 202.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError

from fedi_aid import metrics
from fedi_aid.activitypub.from_as import BadAidObject, as_note_to_aid_item
from fedi_aid.activitypub.normalize import host_of, id_of, normalize
from fedi_aid.activitypub.validate import ValidationError, validate, validate_incoming
from fedi_aid.activitypub.vocab import ACCEPTED_INBOUND_TYPES
from fedi_aid.context import Context
from fedi_aid.db import change_counters
from fedi_aid.db.actors import find_actor_by_uri
from fedi_aid.db.aid_items import find_item_by_uri
from fedi_aid.db.models import Actor
from fedi_aid.federation.resolver import ResolveError, fetch_key_owner
from fedi_aid.federation.signatures import (
    ParsedSignature,
    SignatureError,
    parse_signature,
    verify_signature,
)

log = logging.getLogger(__name__)

# host_of is pure and an inbox request asks it about the same actor and key URLs several
# times (and about the same few actors request after request).
_host_of = functools.lru_cache(maxsize=4096)(host_of)


@functools.lru_cache(maxsize=4096)
def _host_prefix(uri: str) -> str | None:
    """`scheme://netloc/` as urlsplit reads `uri`: a URL starting with it has `uri`'s host."""
    try:
        host_of(uri)
        parts = urlsplit(uri.strip())
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.netloc}/"


class InboxRejection(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class IncomingRequest:
    method: str
    url: str
    headers: Any  # case-insensitive mapping
    body: bytes
    content_type: str
    recipient: Actor | None = None  # None: the shared inbox


def check_content_type(content_type: str) -> None:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in ACCEPTED_INBOUND_TYPES:
        raise InboxRejection(
            415,
            f"content type {media_type or '(none)'!r} is not accepted; "
            "send application/activity+json",
        )


def parse_body(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InboxRejection(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise InboxRejection(400, "body must be a JSON object (an activity)")
    if not isinstance(doc.get("type"), str | list):
        raise InboxRejection(400, "type: required property missing")
    if not isinstance(id_of(doc.get("actor")), str):
        raise InboxRejection(400, "actor: required property missing")
    return doc


async def verify_request_signature(
    ctx: Context, request: IncomingRequest, expected_host: str | None = None
) -> Actor:
    """Check the HTTP signature; refetch the key once when it does not verify (rotation).

    Returns the key's owner.
    """
    try:
        parsed = parse_signature(
            request.method,
            request.url,
            request.headers,
            request.body,
            max_skew_seconds=ctx.settings.signature_max_skew_seconds,
        )
    except SignatureError as exc:
        raise InboxRejection(401, f"signature rejected: {exc}") from None
    if expected_host is not None and not _same_host(parsed.key_id, expected_host):
        raise InboxRejection(401, "signature key is on another host than the activity's actor")
    remembered = ctx.verified_keys.get(parsed.key_id)
    if remembered is not None:
        try:
            verify_signature(parsed, remembered.public_key_pem or "")
            metrics.count("fedi_aid_key_cache_total", result="hit")
            return remembered
        except SignatureError:
            pass  # a rotated key, perhaps: the database and then the sender know better
    generation = change_counters.generation(change_counters.ACTOR_KEYS)
    owner = await _key_owner(ctx, parsed, refresh=False)
    try:
        verify_signature(parsed, owner.public_key_pem or "")
    except SignatureError:
        generation = change_counters.generation(change_counters.ACTOR_KEYS)
        owner = await _key_owner(ctx, parsed, refresh=True)
        try:
            verify_signature(parsed, owner.public_key_pem or "")
        except SignatureError as exc:
            raise InboxRejection(401, f"signature rejected: {exc}") from None
    ctx.verified_keys.put(parsed.key_id, owner, generation)
    return owner


async def verify_sender(ctx: Context, request: IncomingRequest, actor_uri: str) -> Actor:
    """The request is signed by a key of `actor_uri` itself."""
    owner = await verify_request_signature(ctx, request, expected_host=actor_uri)
    if owner.uri != actor_uri:
        raise InboxRejection(
            401, f"the signing key belongs to {owner.uri}, not to the actor {actor_uri}"
        )
    return owner


def _same_host(a: str, b: str) -> bool:
    try:
        # The common case without parsing `a` (an object id seen once): `a` is under `b`.
        prefix = _host_prefix(b)
        if prefix is not None and isinstance(a, str) and a.startswith(prefix):
            return True
        return _host_of(a) == _host_of(b)
    except (ValueError, TypeError):  # TypeError: not hashable, so not a URL either
        return False


async def _key_owner(ctx: Context, parsed: ParsedSignature, *, refresh: bool) -> Actor:
    try:
        return await fetch_key_owner(ctx, parsed.key_id, refresh=refresh)
    except ResolveError as exc:
        raise InboxRejection(401, f"cannot verify the signature: {exc}") from None


def check_object_origin(activity: dict[str, Any]) -> None:
    """Embedded objects of a Create/Update must live on the actor's host."""
    if activity.get("type") not in ("Create", "Update"):
        return
    obj = activity.get("object")
    object_id = obj.get("id") if isinstance(obj, dict) else None
    if isinstance(object_id, str) and not _same_host(object_id, activity["actor"]):
        raise InboxRejection(400, "object.id is on another host than the actor")


def check_aid_object(activity: dict[str, Any]) -> None:
    """A need/offer inside a Create/Update must be well formed: 400 naming the field, else."""
    obj = activity.get("object")
    if activity.get("type") not in ("Create", "Update") or not isinstance(obj, dict):
        return
    if obj.get("purpose") is None and obj.get("publishes") is None:
        return  # a plain post
    try:
        validate(obj, "aid-note")
        as_note_to_aid_item(obj)
    except ValidationError as exc:
        raise InboxRejection(400, f"object.{exc}") from None
    except BadAidObject as exc:
        raise InboxRejection(400, f"object.{exc}") from None


async def check_owner(ctx: Context, activity: dict[str, Any]) -> None:
    """Only the owner of something we hold may Update or Delete it."""
    if activity.get("type") not in ("Update", "Delete"):
        return
    object_id = id_of(activity.get("object"))
    if not object_id or object_id == activity.get("actor"):
        return
    async with ctx.sessions() as session:
        row = await find_item_by_uri(session, object_id)
        if row is None:
            return
        owner = row.group.uri
    if row.local or owner != activity.get("actor"):
        raise InboxRejection(403, f"{activity.get('actor')} does not own {object_id}")


def activity_key(activity: dict[str, Any], body: bytes) -> str:
    """The dedupe key: the activity id, or a digest of the body when it has none (GoToSocial)."""
    if isinstance(activity.get("id"), str):
        return activity["id"]
    return "urn:sha256:" + hashlib.sha256(body).hexdigest()


async def receive(ctx: Context, request: IncomingRequest) -> str:
    """Returns 'accepted', 'duplicate' or 'ignored'; raises InboxRejection otherwise."""
    if len(request.body) > ctx.settings.max_body_bytes:
        raise InboxRejection(413, f"body is larger than {ctx.settings.max_body_bytes} bytes")
    check_content_type(request.content_type)
    raw = parse_body(request.body)
    actor_uri = id_of(raw["actor"]) or ""
    try:
        domain = _host_of(actor_uri)
    except ValueError:
        raise InboxRejection(400, f"actor: {actor_uri!r} is not an http(s) URL") from None

    policy = await ctx.moderation.current()
    if policy.is_domain_blocked(domain):
        raise InboxRejection(403, f"the domain {domain} is blocked on this instance")
    recipient_id = request.recipient.id if request.recipient else None
    if policy.is_blocked(actor_uri, domain, recipient_id):
        raise InboxRejection(403, f"the actor {actor_uri} is blocked here")
    if raw.get("type") == "Delete":
        async with ctx.sessions() as session:
            known = await find_actor_by_uri(session, actor_uri)
        if known is None:
            # Someone we never knew deleted something: nothing to do, and nothing to fetch.
            return "ignored"

    await verify_sender(ctx, request, actor_uri)

    activity = normalize(raw)
    try:
        validate_incoming(activity)
    except ValidationError as exc:
        raise InboxRejection(400, str(exc)) from None
    check_object_origin(activity)
    check_aid_object(activity)
    await check_owner(ctx, activity)

    try:
        # Committed before this returns; the writer wakes the workers when it stored rows.
        stored = await ctx.inbox_writer.store(
            activity_uri=activity_key(activity, request.body),
            actor_uri=actor_uri,
            type_=str(activity["type"]),
            body=activity,
            recipient_id=recipient_id,
            # A signed request from a domain marked unavailable: it is up again.
            seen_domain=domain if domain in policy.unavailable_domains else None,
        )
    except (SQLAlchemyError, OSError) as exc:
        log.error("cannot store incoming activity: %s", exc.__class__.__name__)
        raise InboxRejection(
            503, "the activity could not be stored; try again later", {"Retry-After": "30"}
        ) from None
    return "accepted" if stored else "duplicate"
