"""What an admin (or a group's organiser) does about abuse: block, silence, report.

A block severs the follows both ways. An instance-wide domain block tells nobody (the domain's
pending deliveries are dropped); an actor block, or a group's block, answers the remote side as
Mastodon understands it: `Reject{Follow}` for their follow of us, `Undo{Follow}` for ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fedi_aid.activitypub.normalize import host_of
from fedi_aid.activitypub.vocab import AS_CONTEXT
from fedi_aid.clock import utcnow
from fedi_aid.context import Context
from fedi_aid.db import moderation as rows
from fedi_aid.db.actors import find_actor_by_uri, find_remote_actor_by_handle, get_local_actor
from fedi_aid.db.errors import NotFound
from fedi_aid.db.models import Domain
from fedi_aid.domain_names import is_covered_by
from fedi_aid.federation.webfinger import WebfingerError, parse_handle
from fedi_aid.follows import FollowError, resolve_target
from fedi_aid.local_actors import ensure_instance_actor
from fedi_aid.outbox.follows import send_reject, send_undo_follow
from fedi_aid.outbox.queue import inbox_of, queue_activity


class ModerationError(Exception):
    """The moderation action cannot be done; the message says why."""


@dataclass(frozen=True)
class BlockResult:
    target: str
    created: bool
    follows_removed: int
    deliveries_dropped: int = 0


def normalise_domain(text: str) -> str:
    value = text.strip().lower()
    if "://" in value:
        value = urlsplit(value).netloc
    if not value or "/" in value or "@" in value or " " in value:
        raise ModerationError(f"{text!r} is not a domain name such as spam.example")
    return value


async def _group_id(ctx: Context, group: str | None) -> int | None:
    if group is None:
        return None
    async with ctx.sessions() as session:
        try:
            return (await get_local_actor(session, group.lstrip("@"), "Group")).id
        except NotFound as exc:
            raise ModerationError(f"{exc}; list them with `fedi-aid group list`") from None


async def resolve_actor_uri(ctx: Context, ref: str) -> str:
    """An actor URL as given, or a `name@host` handle (known here, else by WebFinger)."""
    text = ref.strip()
    if text.startswith(("http://", "https://")):
        return text
    try:
        name, host = parse_handle(text)
    except WebfingerError as exc:
        raise ModerationError(str(exc)) from None
    async with ctx.sessions() as session:
        known = await find_remote_actor_by_handle(session, name, host)
    if known is not None:
        return known.uri
    try:
        return (await resolve_target(ctx, text)).uri
    except FollowError as exc:
        raise ModerationError(str(exc)) from None


async def block_domain(
    ctx: Context, domain: str, *, group: str | None = None, reason: str = ""
) -> BlockResult:
    """Refuse everything from `domain` and its subdomains (instance-wide), or only towards
    one group."""
    domain = normalise_domain(domain)
    if is_covered_by(ctx.settings.host, domain):
        raise ModerationError(
            f"blocking {domain} would block this instance ({ctx.settings.host}) itself"
        )
    group_id = await _group_id(ctx, group)
    now = utcnow()
    async with ctx.sessions.begin() as session:
        if group_id is None:
            existing = await session.get(Domain, domain)
            created = existing is None or not existing.blocked
            await rows.set_domain_policy(session, domain, blocked=True, reason=reason)
            relations = await rows.follows_between(session, None, domain=domain)
            await rows.delete_follows(session, [f.id for f in relations])
            dropped = await rows.drop_pending_deliveries(session, domain, now)
            return BlockResult(domain, created, len(relations), dropped)
        created = await rows.add_block(session, "domain", domain, group_id, reason, now)
        relations = await rows.follows_between(session, [group_id], domain=domain)
        await _sever(session, ctx, relations)
    return BlockResult(domain, created, len(relations))


async def block_actor(
    ctx: Context, ref: str, *, group: str | None = None, reason: str = ""
) -> BlockResult:
    """Refuse everything from one actor, on the whole instance or towards one group."""
    group_id = await _group_id(ctx, group)
    uri = await resolve_actor_uri(ctx, ref)
    try:
        host_of(uri)
    except ValueError:
        raise ModerationError(f"{ref!r} is not an actor URL or name@host handle") from None
    now = utcnow()
    async with ctx.sessions.begin() as session:
        actor = await find_actor_by_uri(session, uri)
        if actor is not None and actor.local:
            raise ModerationError(f"{uri} is a local actor; only remote actors can be blocked")
        created = await rows.add_block(session, "actor", uri, group_id, reason, now)
        local_ids = None if group_id is None else [group_id]
        relations = await rows.follows_between(session, local_ids, actor_uri=uri)
        await _sever(session, ctx, relations)
    return BlockResult(uri, created, len(relations))


async def _sever(session: Any, ctx: Context, relations: Any) -> None:
    for relation in relations:
        if relation.follower.local:
            await send_undo_follow(session, ctx, relation)
        else:
            await send_reject(session, ctx, relation)


async def unblock_domain(ctx: Context, domain: str, *, group: str | None = None) -> bool:
    domain = normalise_domain(domain)
    group_id = await _group_id(ctx, group)
    async with ctx.sessions.begin() as session:
        if group_id is None:
            policy = await session.get(Domain, domain)
            if policy is None or not policy.blocked:
                return False
            policy.blocked = False
            return True
        return await rows.remove_block(session, "domain", domain, group_id)


async def unblock_actor(ctx: Context, ref: str, *, group: str | None = None) -> bool:
    group_id = await _group_id(ctx, group)
    uri = await resolve_actor_uri(ctx, ref)
    async with ctx.sessions.begin() as session:
        return await rows.remove_block(session, "actor", uri, group_id)


async def silence_domain(
    ctx: Context, domain: str, *, silenced: bool = True, reason: str = ""
) -> bool:
    """A silenced domain's follows need an organiser's approval and its posts are not relayed.
    Returns False when nothing changed."""
    domain = normalise_domain(domain)
    async with ctx.sessions.begin() as session:
        before = await rows.is_domain_silenced(session, domain)
        if before == silenced:
            return False
        await rows.set_domain_policy(session, domain, silenced=silenced, reason=reason)
        return True


async def report(
    ctx: Context, ref: str, comment: str, objects: list[str] | None = None
) -> dict[str, Any]:
    """Send a `Flag` about a remote actor (and some of its objects) to its instance."""
    uri = await resolve_actor_uri(ctx, ref)
    try:
        actor = await resolve_target(ctx, uri)
    except FollowError as exc:
        raise ModerationError(str(exc)) from None
    if actor.local:
        raise ModerationError(f"{uri} is a local actor; reports are sent to other instances")
    inbox = inbox_of(actor)
    if not inbox:
        raise ModerationError(f"{uri} has no inbox to send the report to")
    now = utcnow()
    async with ctx.sessions.begin() as session:
        reporter = await ensure_instance_actor(session, ctx)
        flag = {
            "@context": AS_CONTEXT,
            "id": ctx.urls.activity("flag"),
            "type": "Flag",
            "actor": reporter.uri,
            "object": [actor.uri, *(objects or [])],
            "content": comment,
        }
        await queue_activity(session, reporter, flag, [inbox], now=now)
        await rows.store_report(
            session,
            uri=flag["id"],
            direction="outgoing",
            reporter_uri=reporter.uri,
            targets=flag["object"],
            comment=comment,
            domain=actor.domain,
            resolved=False,
            created_at=now,
        )
    ctx.wake_workers()
    return flag
