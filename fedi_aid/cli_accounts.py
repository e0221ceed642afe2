"""Command line for accounts: `fedi-aid user create|grant|list`."""

from __future__ import annotations

import sys
from typing import Any

import click

from fedi_aid.cli import CliError, _emit, _settings, _with_context, json_option, run_async
from fedi_aid.context import Context


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("user")
def user_cmd() -> None:
    """Accounts of organisers and members (they log in to the web UI and Mastodon apps)."""


@user_cmd.command("create")
@click.argument("username")
@click.option("--group", "groups", multiple=True, help="A group this user organises (repeat).")
@click.option("--admin", is_flag=True, help="May act for every group and administer.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@json_option
@click.pass_obj
@run_async
async def user_create(
    obj: dict[str, Any],
    username: str,
    groups: tuple[str, ...],
    admin: bool,
    password_stdin: bool,
    as_json: bool,
) -> None:
    """Create USERNAME (also a Person actor, @USERNAME@host)."""
    from fedi_aid.accounts import AccountError, create_user

    settings = _settings(obj)
    password = _read_password(password_stdin)

    async def work(ctx: Context) -> dict[str, Any]:
        async with ctx.sessions.begin() as session:
            try:
                user = await create_user(
                    session, ctx, username, password, groups=groups, is_admin=admin
                )
            except AccountError as exc:
                raise CliError(str(exc)) from None
            return {
                "username": user.username,
                "actor": user.person.uri,
                "groups": list(groups),
                "admin": admin,
            }

    data = await _with_context(settings, work)
    organises = f", organises {', '.join(groups)}" if groups else ""
    _emit(as_json, data, f"created user {data['username']} ({data['actor']}){organises}")


@user_cmd.command("grant")
@click.argument("username")
@click.argument("group")
@json_option
@click.pass_obj
@run_async
async def user_grant(obj: dict[str, Any], username: str, group: str, as_json: bool) -> None:
    """Let USERNAME organise GROUP."""
    from fedi_aid.accounts import find_user, grant_group
    from fedi_aid.db.actors import get_local_actor

    async def work(ctx: Context) -> None:
        async with ctx.sessions.begin() as session:
            user = await find_user(session, username)
            if user is None:
                raise CliError(f"no user named {username!r}; create it with `fedi-aid user create`")
            await grant_group(session, user, await get_local_actor(session, group, "Group"))

    await _with_context(_settings(obj), work)
    _emit(as_json, {"username": username, "group": group}, f"{username} now organises {group}")


@user_cmd.command("list")
@json_option
@click.pass_obj
@run_async
async def user_list(obj: dict[str, Any], as_json: bool) -> None:
    """List accounts and the groups they organise."""
    from sqlalchemy import select

    from fedi_aid.accounts import organised_groups
    from fedi_aid.db.models_accounts import User

    async def work(ctx: Context) -> list[dict[str, Any]]:
        async with ctx.sessions() as session:
            users = (await session.execute(select(User).order_by(User.username))).scalars().all()
            return [
                {
                    "username": u.username,
                    "admin": u.is_admin,
                    "groups": [g.username for g in await organised_groups(session, u)],
                }
                for u in users
            ]

    rows = await _with_context(_settings(obj), work)
    _emit(
        as_json,
        rows,
        lambda: "\n".join(f"{r['username']}\t{', '.join(r['groups'])}" for r in rows) or "no users",
    )


def register(main: click.Group) -> None:
    main.add_command(user_cmd)
