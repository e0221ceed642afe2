"""Command line: fedi-aid init | migrate | serve | demo | group ... | follow ... | deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import traceback
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

import click

from fedi_aid.config import ConfigError, Settings, load_settings
from fedi_aid.context import Context
from fedi_aid.db.errors import AlreadyExists, NotFound
from fedi_aid.logs import setup_logging

T = TypeVar("T")


class CliError(click.ClickException):
    """One clear line on stderr and a non-zero exit."""

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


class ConfigProblem(CliError):
    exit_code = 2


def _settings(obj: dict[str, Any]) -> Settings:
    if "settings" not in obj:
        try:
            obj["settings"] = load_settings(obj.get("config"))
        except ConfigError as exc:
            raise ConfigProblem(f"configuration: {exc}") from None
    return obj["settings"]


def _emit(as_json: bool, data: Any, text: str | Callable[[], str]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
    else:
        click.echo(text() if callable(text) else text)


async def _with_context(settings: Settings, work: Callable[[Context], Awaitable[T]]) -> T:
    from fedi_aid.db.migrate import current_revision, head_revision
    from fedi_aid.local_actors import load_instance_key

    ctx = Context.create(settings)
    try:
        if await current_revision(ctx.engine) != head_revision():
            raise CliError("the database is not migrated; run `fedi-aid migrate` first")
        await ctx.start()
        await load_instance_key(ctx)
        return await work(ctx)
    finally:
        await ctx.close()


def run_async(func: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """Run an async command body; map known errors to one line and an exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from fedi_aid.aid.categories import UnknownCategory
        from fedi_aid.aid.publish import AidError
        from fedi_aid.follows import FollowError
        from fedi_aid.local_actors import InvalidName

        try:
            return asyncio.run(func(*args, **kwargs))
        except (
            FollowError,
            NotFound,
            AlreadyExists,
            InvalidName,
            AidError,
            UnknownCategory,
        ) as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:
            raise CliError(
                f"{exc.strerror or exc}; check the database URL and data directory"
            ) from None
        except Exception as exc:
            from sqlalchemy.exc import SQLAlchemyError

            if isinstance(exc, SQLAlchemyError):
                raise CliError(
                    f"database error ({exc.__class__.__name__}); is the database reachable "
                    "and migrated (`fedi-aid migrate`)?"
                ) from None
            raise

    return wrapper


json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.group()
@click.option("--config", "config_path", type=click.Path(), help="TOML config file.")
@click.version_option(package_name="fedi-aid")
@click.pass_context
def main(click_ctx: click.Context, config_path: str | None) -> None:
    """fedi-aid: a federated mutual-aid server."""
    click_ctx.ensure_object(dict)
    click_ctx.obj["config"] = config_path


async def _migrate(settings: Settings) -> tuple[str | None, str | None]:
    from fedi_aid.db.engine import create_engine
    from fedi_aid.db.migrate import migrate

    engine = create_engine(settings)
    try:
        return await migrate(engine, settings)
    finally:
        await engine.dispose()


def _migrate_apart(settings: Settings) -> None:
    """Migrate in a forked child, so a long-running process never imports Alembic (~11 MB of
    RSS it would keep for nothing). Errors are reported by the child; we exit with its code."""
    if not hasattr(os, "fork"):
        run_async(_migrate)(settings)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: migrate, report, and leave without running the parent's cleanup
        code = 0
        try:
            run_async(_migrate)(settings)
        except click.ClickException as exc:
            exc.show()
            code = exc.exit_code
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if (code := os.waitstatus_to_exitcode(status)) != 0:
        sys.exit(code)


@main.command("migrate")
@json_option
@click.pass_obj
@run_async
async def migrate_cmd(obj: dict[str, Any], as_json: bool) -> None:
    """Bring the database schema up to date."""
    before, after = await _migrate(_settings(obj))
    text = f"database at revision {after}" + ("" if before == after else f" (was {before})")
    _emit(as_json, {"before": before, "after": after}, text)


@main.command("init")
@json_option
@click.pass_obj
@run_async
async def init_cmd(obj: dict[str, Any], as_json: bool) -> None:
    """Create the data directory and database, and the instance actor."""
    settings = _settings(obj)
    await _migrate(settings)

    async def work(ctx: Context) -> str:
        assert ctx.instance_key is not None
        return ctx.urls.instance_actor

    actor = await _with_context(settings, work)
    _emit(
        as_json,
        {"base_url": settings.base_url, "database": _safe_db(settings), "instance_actor": actor},
        f"instance {settings.base_url} ready (database {_safe_db(settings)})",
    )


def _safe_db(settings: Settings) -> str:
    """The database URL without a password."""
    from sqlalchemy.engine import make_url

    return make_url(settings.effective_database_url).render_as_string(hide_password=True)


@main.command("serve")
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default: the base URL's).")
@click.option("--no-worker", is_flag=True, help="Serve HTTP only; run `fedi-aid worker` apart.")
@click.pass_obj
def serve_cmd(obj: dict[str, Any], host: str | None, port: int | None, no_worker: bool) -> None:
    """Run the web server (and the delivery worker)."""
    from aiohttp import web

    from fedi_aid.app import create_app

    settings = _settings(obj)
    setup_logging(settings)
    _migrate_apart(settings)
    ctx = Context.create(settings)
    app = create_app(ctx, run_worker_task=not no_worker and settings.run_worker)
    listen_host = host or settings.listen_host
    listen_port = port or settings.port
    click.echo(f"fedi-aid serving {settings.base_url} on http://{listen_host}:{listen_port}")
    try:
        web.run_app(app, host=listen_host, port=listen_port, print=None, access_log=None)
    except OSError as exc:
        raise CliError(
            f"cannot listen on {listen_host}:{listen_port}: {exc.strerror}; "
            "choose another port with --port"
        ) from None


@main.command("worker")
@click.pass_obj
def worker_cmd(obj: dict[str, Any]) -> None:
    """Run only the background worker (inbox processing and deliveries)."""
    from fedi_aid.local_actors import load_instance_key
    from fedi_aid.worker import run_worker

    settings = _settings(obj)
    setup_logging(settings)

    async def main_loop() -> None:
        ctx = Context.create(settings)
        await ctx.start()
        await load_instance_key(ctx)
        try:
            await run_worker(ctx, asyncio.Event())
        finally:
            await ctx.close()

    _migrate_apart(settings)
    click.echo(f"fedi-aid worker for {settings.base_url}")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main_loop())


# ---- groups ------------------------------------------------------------------------------


def _actor_dict(actor: Any, host: str) -> dict[str, Any]:
    return {
        "name": actor.username,
        "handle": f"@{actor.username}@{host}",
        "type": actor.type,
        "uri": actor.uri,
        "display_name": actor.display_name,
        "summary": actor.summary,
        "locked": actor.locked,
    }


@main.group("group")
def group_cmd() -> None:
    """Manage local groups (communities)."""


@group_cmd.command("create")
@click.argument("name")
@click.option("--display-name", default="", help="Name shown to people.")
@click.option("--summary", default="", help="A sentence about the community.")
@click.option("--locked", is_flag=True, help="Approve each follower by hand.")
@json_option
@click.pass_obj
@run_async
async def group_create(
    obj: dict[str, Any], name: str, display_name: str, summary: str, locked: bool, as_json: bool
) -> None:
    """Create a group NAME."""
    from fedi_aid.local_actors import create_local_actor

    settings = _settings(obj)

    async def work(ctx: Context) -> Any:
        async with ctx.sessions.begin() as session:
            return await create_local_actor(
                session,
                ctx,
                "Group",
                name,
                display_name=display_name,
                summary=summary,
                locked=locked,
            )

    group = await _with_context(settings, work)
    data = _actor_dict(group, settings.host)
    _emit(as_json, data, f"created group {data['handle']} ({group.uri})")


@group_cmd.command("list")
@json_option
@click.pass_obj
@run_async
async def group_list(obj: dict[str, Any], as_json: bool) -> None:
    """List local groups."""
    from fedi_aid.db.actors import list_local_actors

    settings = _settings(obj)

    async def work(ctx: Context) -> list[Any]:
        async with ctx.sessions() as session:
            return list(await list_local_actors(session, "Group"))

    groups = [_actor_dict(g, settings.host) for g in await _with_context(settings, work)]
    _emit(
        as_json,
        groups,
        lambda: "\n".join(f"{g['handle']}\t{g['display_name']}" for g in groups) or "no groups yet",
    )


@group_cmd.command("show")
@click.argument("name")
@json_option
@click.pass_obj
@run_async
async def group_show(obj: dict[str, Any], name: str, as_json: bool) -> None:
    """Show one group with its follower counts."""
    from fedi_aid.db.actors import get_local_actor
    from fedi_aid.db.follows import list_followers, list_following

    settings = _settings(obj)

    async def work(ctx: Context) -> dict[str, Any]:
        async with ctx.sessions() as session:
            group = await get_local_actor(session, name, "Group")
            data = _actor_dict(group, settings.host)
            data["followers"] = len(await list_followers(session, group))
            data["pending_followers"] = len(await list_followers(session, group, state="pending"))
            data["following"] = len(await list_following(session, group))
            return data

    data = await _with_context(settings, work)
    _emit(as_json, data, lambda: "\n".join(f"{k}: {v}" for k, v in data.items()))


@group_cmd.command("approve")
@click.argument("name")
@click.argument("handle")
@click.option("--reject", is_flag=True, help="Refuse the request instead.")
@json_option
@click.pass_obj
@run_async
async def group_approve(
    obj: dict[str, Any], name: str, handle: str, reject: bool, as_json: bool
) -> None:
    """Approve (or --reject) a pending follow of locked group NAME by HANDLE."""
    from fedi_aid.follows import approve

    settings = _settings(obj)
    relation = await _with_context(settings, lambda ctx: approve(ctx, name, handle, reject=reject))
    verb = "rejected" if reject else "approved"
    _emit(as_json, {"follow": relation.uri, "state": verb}, f"{verb} follow {relation.uri}")


@group_cmd.command("rotate-key")
@click.argument("name")
@json_option
@click.pass_obj
@run_async
async def group_rotate_key(obj: dict[str, Any], name: str, as_json: bool) -> None:
    """Give group NAME a new key pair and tell its peers (Update of the actor)."""
    from fedi_aid.db.actors import get_local_actor
    from fedi_aid.local_actors import rotate_key
    from fedi_aid.outbox.actors import send_actor_update

    settings = _settings(obj)

    async def work(ctx: Context) -> tuple[str, int]:
        async with ctx.sessions.begin() as session:
            group = await get_local_actor(session, name)
            rotate_key(group)
            outgoing = await send_actor_update(session, ctx, group)
            return outgoing.uri, group.id

    update_uri, _ = await _with_context(settings, work)
    _emit(as_json, {"update": update_uri}, f"new key for {name}; Update queued as {update_uri}")


# ---- follows -----------------------------------------------------------------------------


@main.command("follow")
@click.argument("group")
@click.argument("target")
@json_option
@click.pass_obj
@run_async
async def follow_cmd(obj: dict[str, Any], group: str, target: str, as_json: bool) -> None:
    """GROUP follows TARGET (name@host, or an actor URL)."""
    from fedi_aid.follows import follow

    settings = _settings(obj)

    async def work(ctx: Context) -> dict[str, Any]:
        relation = await follow(ctx, group, target)
        return {"follow": relation.uri, "target": relation.followee.uri, "state": relation.state}

    data = await _with_context(settings, work)
    _emit(as_json, data, f"{group} -> {data['target']}: {data['state']}")


@main.command("unfollow")
@click.argument("group")
@click.argument("target")
@json_option
@click.pass_obj
@run_async
async def unfollow_cmd(obj: dict[str, Any], group: str, target: str, as_json: bool) -> None:
    """GROUP stops following TARGET."""
    from fedi_aid.follows import unfollow

    settings = _settings(obj)
    actor = await _with_context(settings, lambda ctx: unfollow(ctx, group, target))
    _emit(as_json, {"unfollowed": actor.uri}, f"{group} no longer follows {actor.uri}")


def _emit_follows(as_json: bool, relations: list[Any], other: str, empty: str) -> None:
    """One row per relation, naming the actor at the `other` end."""
    rows = []
    for relation in relations:
        actor = getattr(relation, other)
        rows.append(
            {
                "actor": actor.uri,
                "handle": f"@{actor.username}@{actor.domain}" if actor.username else None,
                "type": actor.type,
                "state": relation.state,
                "since": relation.created_at,
            }
        )
    lines = "\n".join(f"{r['handle'] or r['actor']}\t{r['state']}" for r in rows)
    _emit(as_json, rows, lines or empty)


@main.command("followers")
@click.argument("group")
@click.option("--pending", is_flag=True, help="Show follow requests waiting for approval.")
@json_option
@click.pass_obj
@run_async
async def followers_cmd(obj: dict[str, Any], group: str, pending: bool, as_json: bool) -> None:
    """List who follows GROUP."""
    from fedi_aid.follows import followers_of

    state = "pending" if pending else "accepted"
    relations = await _with_context(_settings(obj), lambda ctx: followers_of(ctx, group, state))
    _emit_follows(as_json, relations, "follower", f"no {state} followers")


@main.command("following")
@click.argument("group")
@json_option
@click.pass_obj
@run_async
async def following_cmd(obj: dict[str, Any], group: str, as_json: bool) -> None:
    """List whom GROUP follows (accepted and pending)."""
    from fedi_aid.follows import following_of

    relations = await _with_context(_settings(obj), lambda ctx: following_of(ctx, group))
    _emit_follows(as_json, relations, "followee", "follows nobody yet")


@main.command("deliveries")
@click.option("--status", type=click.Choice(["pending", "sent", "dead"]), help="Only this state.")
@click.option("--limit", type=int, default=50, show_default=True)
@json_option
@click.pass_obj
@run_async
async def deliveries_cmd(
    obj: dict[str, Any], status: str | None, limit: int, as_json: bool
) -> None:
    """Show outgoing deliveries and their state."""
    from fedi_aid.db.deliveries import count_deliveries_by_state, list_deliveries

    settings = _settings(obj)

    async def work(ctx: Context) -> tuple[dict[str, int], list[dict[str, Any]]]:
        async with ctx.sessions() as session:
            counts = await count_deliveries_by_state(session)
            rows = [
                {
                    "id": d.id,
                    "activity": d.activity.uri,
                    "type": d.activity.type,
                    "inbox": d.inbox,
                    "state": d.state,
                    "tries": d.tries,
                    "last_status": d.last_status,
                    "next_attempt_at": d.next_attempt_at if d.state == "pending" else None,
                }
                for d in await list_deliveries(session, status, limit)
            ]
            return counts, rows

    counts, rows = await _with_context(settings, work)

    def text() -> str:
        lines = [", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no deliveries"]
        lines += [
            f"{r['id']}\t{r['state']}\t{r['type']}\t{r['inbox']}\ttries={r['tries']}"
            f"\tlast={r['last_status']}"
            for r in rows
        ]
        return "\n".join(lines)

    _emit(as_json, {"counts": counts, "deliveries": rows}, text)


@main.command("demo")
@json_option
@click.pass_obj
@run_async
async def demo_cmd(obj: dict[str, Any], as_json: bool) -> None:
    """Set up the demo data (idempotent): a demo group."""
    from fedi_aid.demo import seed_demo

    settings = _settings(obj)
    await _migrate(settings)
    summary = await _with_context(settings, seed_demo)
    _emit(as_json, summary, lambda: "\n".join(summary["lines"]))


from fedi_aid.cli_aid import register as _register_aid  # noqa: E402

_register_aid(main)

from fedi_aid.cli_relay import register as _register_relay  # noqa: E402

_register_relay(main)

from fedi_aid.cli_accounts import register as _register_accounts  # noqa: E402

_register_accounts(main)

from fedi_aid.cli_moderation import register as _register_moderation  # noqa: E402

_register_moderation(main)

from fedi_aid.cli_ops import register as _register_ops  # noqa: E402

_register_ops(main)

from fedi_aid.cli_pledges import register as _register_pledges  # noqa: E402

_register_pledges(main)

from fedi_aid.cli_discovery import register as _register_discovery  # noqa: E402

_register_discovery(main)


def run() -> None:
    main(obj={})


if __name__ == "__main__":
    sys.exit(main(obj={}))
