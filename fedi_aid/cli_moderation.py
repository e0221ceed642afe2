"""Command line for moderation: block, unblock, silence, blocks, reports, resolve-report,
report."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import click

from fedi_aid.cli import CliError, _emit, _settings, _with_context, json_option, run_async
from fedi_aid.context import Context
from fedi_aid.moderation import (
    BlockResult,
    ModerationError,
    block_actor,
    block_domain,
    report,
    silence_domain,
    unblock_actor,
    unblock_domain,
)

group_option = click.option(
    "--group", default=None, help="Block only towards this local group (default: the instance)."
)
reason_option = click.option("--reason", default="", help="Why (kept for the admins).")


async def _moderate(obj: dict[str, Any], work: Callable[[Context], Awaitable[Any]]) -> Any:
    try:
        return await _with_context(_settings(obj), work)
    except ModerationError as exc:
        raise CliError(str(exc)) from None


def _block_text(result: BlockResult, scope: str) -> str:
    verb = "blocked" if result.created else "already blocked"
    text = f"{result.target} {verb} ({scope}); {result.follows_removed} follows removed"
    if result.deliveries_dropped:
        text += f", {result.deliveries_dropped} pending deliveries dropped"
    return text


def _block_data(result: BlockResult, group: str | None) -> dict[str, Any]:
    return {**result.__dict__, "group": group}


@click.group("block")
def block_cmd() -> None:
    """Refuse a domain or an actor (on the whole instance, or for one group)."""


@block_cmd.command("domain")
@click.argument("domain")
@group_option
@reason_option
@json_option
@click.pass_obj
@run_async
async def block_domain_cmd(
    obj: dict[str, Any], domain: str, group: str | None, reason: str, as_json: bool
) -> None:
    """Refuse everything from DOMAIN, before any key fetch; its follows are removed."""
    result = await _moderate(obj, lambda ctx: block_domain(ctx, domain, group=group, reason=reason))
    _emit(as_json, _block_data(result, group), _block_text(result, group or "instance"))


@block_cmd.command("actor")
@click.argument("actor")
@group_option
@reason_option
@json_option
@click.pass_obj
@run_async
async def block_actor_cmd(
    obj: dict[str, Any], actor: str, group: str | None, reason: str, as_json: bool
) -> None:
    """Refuse everything from ACTOR (name@host or URL); follows both ways are removed."""
    result = await _moderate(obj, lambda ctx: block_actor(ctx, actor, group=group, reason=reason))
    _emit(as_json, _block_data(result, group), _block_text(result, group or "instance"))


@click.group("unblock")
def unblock_cmd() -> None:
    """Lift a block (follows removed by it are not restored)."""


async def _unblock(obj: dict[str, Any], kind: str, target: str, group: str | None) -> bool:
    if kind == "domain":
        return await _moderate(obj, lambda ctx: unblock_domain(ctx, target, group=group))
    return await _moderate(obj, lambda ctx: unblock_actor(ctx, target, group=group))


@unblock_cmd.command("domain")
@click.argument("domain")
@group_option
@json_option
@click.pass_obj
@run_async
async def unblock_domain_cmd(
    obj: dict[str, Any], domain: str, group: str | None, as_json: bool
) -> None:
    """Accept DOMAIN again."""
    if not await _unblock(obj, "domain", domain, group):
        raise CliError(f"{domain} is not blocked{' by ' + group if group else ''}")
    _emit(as_json, {"unblocked": domain, "group": group}, f"{domain} unblocked")


@unblock_cmd.command("actor")
@click.argument("actor")
@group_option
@json_option
@click.pass_obj
@run_async
async def unblock_actor_cmd(
    obj: dict[str, Any], actor: str, group: str | None, as_json: bool
) -> None:
    """Accept ACTOR again."""
    if not await _unblock(obj, "actor", actor, group):
        raise CliError(f"{actor} is not blocked{' by ' + group if group else ''}")
    _emit(as_json, {"unblocked": actor, "group": group}, f"{actor} unblocked")


@click.command("silence")
@click.argument("domain")
@click.option("--undo", is_flag=True, help="Lift the silence.")
@reason_option
@json_option
@click.pass_obj
@run_async
async def silence_cmd(
    obj: dict[str, Any], domain: str, undo: bool, reason: str, as_json: bool
) -> None:
    """Limit DOMAIN: its follows need approval and its posts are never relayed."""
    changed = await _moderate(
        obj, lambda ctx: silence_domain(ctx, domain, silenced=not undo, reason=reason)
    )
    state = "not silenced" if undo else "silenced"
    _emit(
        as_json,
        {"domain": domain, "silenced": not undo, "changed": changed},
        f"{domain} {state}" + ("" if changed else " (no change)"),
    )


@click.command("blocks")
@json_option
@click.pass_obj
@run_async
async def blocks_cmd(obj: dict[str, Any], as_json: bool) -> None:
    """Blocked and silenced domains, and actor and group blocks."""
    from fedi_aid.db.moderation import list_blocks, list_domain_policies

    async def load(ctx: Context) -> list[dict[str, Any]]:
        async with ctx.sessions() as session:
            found = [
                {
                    "kind": "domain",
                    "target": d.domain,
                    "scope": "instance",
                    "policy": "blocked" if d.blocked else "silenced",
                    "reason": d.moderation_reason or "",
                }
                for d in await list_domain_policies(session)
            ]
            for block, group in await list_blocks(session):
                found.append(
                    {
                        "kind": block.kind,
                        "target": block.target,
                        "scope": group or "instance",
                        "policy": "blocked",
                        "reason": block.reason,
                    }
                )
            return found

    rows = await _moderate(obj, load)
    _emit(
        as_json,
        rows,
        lambda: (
            "\n".join(
                f"{r['policy']:9} {r['kind']:7} {r['target']}  ({r['scope']}) {r['reason']}".rstrip()
                for r in rows
            )
            or "nothing is blocked"
        ),
    )


@click.command("reports")
@click.option("--sent", is_flag=True, help="Reports this instance sent, not received.")
@click.option("--open", "open_only", is_flag=True, help="Only those not resolved yet.")
@json_option
@click.pass_obj
@run_async
async def reports_cmd(obj: dict[str, Any], sent: bool, open_only: bool, as_json: bool) -> None:
    """Flag reports received from other instances (newest first)."""
    from fedi_aid.db.moderation import list_reports

    async def load(ctx: Context) -> list[dict[str, Any]]:
        async with ctx.sessions() as session:
            direction = "outgoing" if sent else "incoming"
            reports = await list_reports(session, direction, open_only=open_only)
            return [
                {
                    "number": r.id,
                    "resolved": r.resolved,
                    "id": r.uri,
                    "from": r.reporter_uri,
                    "about": list(r.targets),
                    "comment": r.comment,
                    "domain": r.domain,
                    "received": r.created_at.isoformat(),
                }
                for r in reports
            ]

    rows = await _moderate(obj, load)
    _emit(
        as_json,
        rows,
        lambda: (
            "\n".join(
                f"#{r['number']} [{'resolved' if r['resolved'] else 'open'}] {r['received'][:19]}"
                f"  {r['domain']}  about {' '.join(r['about'])}: {r['comment']}"
                for r in rows
            )
            or "no reports"
        ),
    )


@click.command("resolve-report")
@click.argument("report_ref", metavar="NUMBER")
@click.option("--reopen", is_flag=True, help="Mark it open again.")
@json_option
@click.pass_obj
@run_async
async def resolve_report_cmd(
    obj: dict[str, Any], report_ref: str, reopen: bool, as_json: bool
) -> None:
    """Mark a received report as dealt with (NUMBER as `reports` lists it, or its Flag id)."""
    from fedi_aid.db.moderation import find_report

    async def mark(ctx: Context) -> dict[str, Any]:
        async with ctx.sessions.begin() as session:
            found = await find_report(session, report_ref.lstrip("#"))
            if found is None:
                raise ModerationError(f"no report {report_ref}; `fedi-aid reports` lists them")
            found.resolved = not reopen
            return {"number": found.id, "id": found.uri, "resolved": found.resolved}

    row = await _moderate(obj, mark)
    _emit(as_json, row, f"report #{row['number']} {'resolved' if row['resolved'] else 'reopened'}")


@click.command("report")
@click.argument("actor")
@click.option("--comment", required=True, help="What is wrong (sent to the other instance).")
@click.option("--object", "objects", multiple=True, help="A post of the actor's (repeatable).")
@json_option
@click.pass_obj
@run_async
async def report_cmd(
    obj: dict[str, Any], actor: str, comment: str, objects: tuple[str, ...], as_json: bool
) -> None:
    """Send a Flag about ACTOR (name@host or URL) to its instance's admins."""
    flag = await _moderate(obj, lambda ctx: report(ctx, actor, comment, list(objects)))
    _emit(as_json, flag, f"report {flag['id']} queued for {flag['object'][0]}")


def register(main: click.Group) -> None:
    commands = (block_cmd, unblock_cmd, silence_cmd, blocks_cmd, reports_cmd, report_cmd)
    for command in (*commands, resolve_report_cmd):
        main.add_command(command)
