"""Command line for needs and offers, API tokens and a person's data.

    fedi-aid need post|list|show|update|withdraw ...   (and the same for `offer`)
    fedi-aid token create|list|revoke GROUP ...
    fedi-aid person export|erase NAME

`register(main)` adds the groups to the main command. The shared helpers of `fedi_aid.cli` are
imported when the groups are built, not when this module is imported, so either module may be
imported first.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import TYPE_CHECKING, Any

import click

from fedi_aid.aid.model import KINDS, STATUSES, URGENCIES, VISIBILITIES

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fedi_aid.context import Context
    from fedi_aid.db.models import Actor

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class BadInput(Exception):
    """A value typed on the command line that cannot be used; shown as one `error:` line."""


def register(main: click.Group) -> None:
    """Add `need`, `offer`, `token` and `person` to the main command group."""
    for kind in KINDS:
        main.add_command(aid_group(kind))
    main.add_command(token_group())
    main.add_command(person_group())


# ---- one-line errors ---------------------------------------------------------------------


def _cli_error(message: str, exit_code: int = 1) -> click.ClickException:
    from fedi_aid.cli import CliError

    error = CliError(message)
    error.exit_code = exit_code
    return error


class OneLineCommand(click.Command):
    """A usage error (missing option, bad choice) is one `error:` line too, with exit code 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            message = f"{exc.format_message()} (see `{ctx.command_path} --help`)"
            raise _cli_error(message, exit_code=2) from None


class OneLineGroup(click.Group):
    command_class = OneLineCommand


def _body(func: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """An async command body: service-layer refusals become one line and exit 1."""
    from fedi_aid.aid.categories import UnknownCategory
    from fedi_aid.aid.publish import AidError
    from fedi_aid.cli import run_async

    @wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await func(*args, **kwargs)
        except AidError as exc:
            raise _cli_error(exc.message) from None
        except (BadInput, UnknownCategory) as exc:
            raise _cli_error(str(exc)) from None

    return run_async(wrapper)


async def _in_context(obj: dict[str, Any], work: Callable[[Context], Awaitable[Any]]) -> Any:
    from fedi_aid.cli import _settings, _with_context

    return await _with_context(_settings(obj), work)


def _emit(as_json: bool, data: Any, text: str | Callable[[], str]) -> None:
    from fedi_aid.cli import _emit as emit

    emit(as_json, data, text)


# ---- reading what was typed --------------------------------------------------------------


def parse_amount(text: str, option: str) -> Decimal:
    """A non-negative finite number such as 20 or 2.5."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise BadInput(f"{option} must be a number, got {text!r}") from None
    if not value.is_finite():
        raise BadInput(f"{option} must be a finite number, got {text!r}")
    if value < 0:
        raise BadInput(f"{option} must not be negative, got {text!r}")
    return value


def parse_point(text: str) -> tuple[float, float]:
    """`26.91,75.79` -> (26.91, 75.79), checked to be a place on Earth."""
    from fedi_aid.aid.geo import validate_point

    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise BadInput(f"--near must be LAT,LON such as 26.91,75.79, got {text!r}") from None
    try:
        validate_point(lat, lon)
    except ValueError as exc:
        raise BadInput(f"--near: {exc}") from None
    return lat, lon


def parse_expires(text: str, *, allow_never: bool = False) -> Any:
    """A date, a date and time, or a duration (12h, 3d, 2w); `never` clears it on update."""
    from fedi_aid.aid.when import parse_expiry
    from fedi_aid.clock import utcnow

    if allow_never and text.strip().lower() in ("never", "none"):
        return None
    try:
        return parse_expiry(text, utcnow())
    except ValueError as exc:
        raise BadInput(f"--expires: {exc}") from None


def check_point_pair(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise BadInput("--lat and --lon must be given together")
    for name, value in (("--lat", lat), ("--lon", lon)):
        if value is not None and not math.isfinite(value):
            raise BadInput(f"{name} must be a finite number")


def _local_name(ref: str, host: str) -> str:
    """`riverside`, `@riverside` or `riverside@<this host>` -> `riverside`."""
    name, _, at_host = ref.strip().lstrip("@").partition("@")
    if at_host and at_host.lower() != host.lower():
        raise BadInput(f"{ref!r} is not a group on this instance ({host})")
    return name


async def local_group(session: AsyncSession, ctx: Context, ref: str) -> Actor:
    from fedi_aid.db.actors import get_local_actor

    return await get_local_actor(session, _local_name(ref, ctx.settings.host), "Group")


async def _group_uri_for_listing(session: AsyncSession, ctx: Context, ref: str) -> str:
    """A local group name, a stored remote group's handle, or an actor URL; no network."""
    from fedi_aid.db.actors import find_actor_by_uri, find_remote_actor_by_handle

    text = ref.strip()
    if text.startswith(("http://", "https://")):
        actor = await find_actor_by_uri(session, text)
    else:
        name, _, host = text.lstrip("@").partition("@")
        if not host or host.lower() == ctx.settings.host.lower():
            return (await local_group(session, ctx, name)).uri
        actor = await find_remote_actor_by_handle(session, name, host)
    if actor is None:
        raise BadInput(f"no group {ref!r} is known here; follow it first")
    return actor.uri


# ---- showing items -----------------------------------------------------------------------

_REMAINING_WORD = {"need": "still needed", "offer": "available"}


def _place_text(place: dict[str, Any] | None) -> str:
    if not place:
        return "no place given"
    text = place["name"] or "(unnamed place)"
    if place["latitude"] is not None:
        text += f" ({place['latitude']}, {place['longitude']}"
        text += f", within {place['radius_km']:g} km)" if place["radius_km"] is not None else ")"
    return text


def summary_line(record: dict[str, Any]) -> str:
    """One line: title, remaining/quantity unit, place, urgency, status, group, expiry."""
    parts = [
        f"{record['title']}",
        f"{record['remaining']}/{record['quantity']} {record['unit']} "
        f"{_REMAINING_WORD[record['kind']]}",
        _place_text(record["place"]),
        f"urgency {record['urgency']}",
        record["status"],
        record["group"],
        f"until {record['expires_at']}" if record["expires_at"] else "no expiry",
    ]
    return " — ".join(parts)


def detail_text(record: dict[str, Any]) -> str:
    lines = [
        f"{record['kind']} {record['id']}: {record['title']}",
        f"  status:     {record['status']}",
        f"  remaining:  {record['remaining']} of {record['quantity']} {record['unit']} "
        f"{_REMAINING_WORD[record['kind']]}",
        f"  category:   {record['category_label']} ({record['category']})",
        f"  urgency:    {record['urgency']}",
        f"  place:      {_place_text(record['place'])}",
        f"  expires:    {record['expires_at'] or 'never'}",
        f"  visibility: {record['visibility']}"
        + (f" to {', '.join(record['direct_to'])}" if record["direct_to"] else ""),
        f"  group:      {record['group']}" + ("" if record["local"] else " (remote)"),
        f"  uri:        {record['uri']}",
        f"  published:  {record['published']}  updated: {record['updated']}",
    ]
    if record["description"]:
        lines.insert(1, f"  {record['description']}")
    if record["content_warning"]:
        lines.append(f"  content warning: {record['content_warning']}")
    if record.get("requested_by"):
        lines.append(f"  requested by: {record['requested_by']} (kept on this instance)")
    return "\n".join(lines)


# ---- need / offer ------------------------------------------------------------------------


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _item_options(for_post: bool) -> list[Decorator]:
    """The fields of a need or offer; required where posting needs them."""
    must = {"required": for_post}
    options = [
        click.option("--title", **must, help="What is needed or offered, in a few words."),
        click.option("--category", **must, help="A slug (insulin), category URI or Wikidata URI."),
        click.option("--quantity", **must, metavar="N", help="How many (a number)."),
        click.option("--unit", **must, help="Unit of the quantity: pens, litres, rides..."),
        click.option("--place", "place_name", **must, help="Name of the area, e.g. Riverside."),
        click.option("--lat", type=float, help="Latitude (stored rounded to ~1 km)."),
        click.option("--lon", type=float, help="Longitude (stored rounded to ~1 km)."),
        click.option("--radius-km", type=float, help="Radius around the point, in km."),
        click.option(
            "--expires",
            help="A date (2026-12-01), date and time, or duration (12h, 3d, 2w)"
            + ("; `never` removes it." if not for_post else "."),
        ),
        click.option(
            "--urgency",
            type=click.Choice(URGENCIES),
            help="Default: normal." if for_post else "How urgent it is now.",
        ),
        click.option("--description", help="More detail."),
        click.option("--content-warning", help="Shown as a content warning on Mastodon."),
    ]
    if for_post:
        options += [
            click.option(
                "--visibility",
                type=click.Choice(VISIBILITIES),
                help="Default: public (direct when --direct-to is given).",
            ),
            click.option(
                "--direct-to",
                multiple=True,
                help="Handle or actor URL to address directly (repeatable).",
            ),
            click.option("--hop-budget", type=int, help="Group-to-group hops it may travel."),
            click.option(
                "--requested-by", help="The member who asked; kept local, never federated."
            ),
        ]
    else:
        options += [
            click.option("--remaining", metavar="N", help="How many are still needed / available."),
            click.option(
                "--status", type=click.Choice(STATUSES), help="Set the status by hand (e.g. met)."
            ),
        ]
    return options


def _apply(decorators: list[Decorator], func: Callable[..., Any]) -> Callable[..., Any]:
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _draft(kind: str, values: dict[str, Any]) -> Any:
    from fedi_aid.aid.publish import AidDraft

    check_point_pair(values["lat"], values["lon"])
    direct_to = values["direct_to"]
    visibility = values["visibility"] or ("direct" if direct_to else "public")
    if direct_to and visibility != "direct":
        raise BadInput("--direct-to needs --visibility direct")
    return AidDraft(
        kind=kind,
        title=values["title"],
        category=values["category"],
        quantity=parse_amount(values["quantity"], "--quantity"),
        unit=values["unit"],
        description=values["description"] or "",
        urgency=values["urgency"] or "normal",
        place_name=values["place_name"],
        latitude=values["lat"],
        longitude=values["lon"],
        radius_km=values["radius_km"],
        expires_at=parse_expires(values["expires"]) if values["expires"] else None,
        visibility=visibility,
        hop_budget=values["hop_budget"],
        content_warning=values["content_warning"],
        requested_by=(values["requested_by"] or "").strip() or None,
    )


# Command option -> service field, for update.
_UPDATE_FIELDS = {
    "title": "title",
    "description": "description",
    "category": "category",
    "unit": "unit",
    "urgency": "urgency",
    "place_name": "place_name",
    "lat": "latitude",
    "lon": "longitude",
    "radius_km": "radius_km",
    "content_warning": "content_warning",
    "status": "status",
}


def _changes(values: dict[str, Any]) -> dict[str, Any]:
    changes = {
        field: values[option]
        for option, field in _UPDATE_FIELDS.items()
        if values[option] is not None
    }
    for option in ("quantity", "remaining"):
        if values[option] is not None:
            changes[option] = parse_amount(values[option], f"--{option}")
    if values["expires"] is not None:
        changes["expires_at"] = parse_expires(values["expires"], allow_never=True)
    if not changes:
        raise BadInput("nothing to change; give at least one option (see --help)")
    return changes


def aid_group(kind: str) -> click.Group:
    """The `need` or `offer` command group. One set of command bodies serves both kinds."""
    from fedi_aid.cli import json_option

    plural = f"{kind}s"

    @click.group(kind, cls=OneLineGroup)
    def group() -> None:
        pass

    group.help = f"Post, list, change and withdraw {plural}."

    group.command("post")(
        _apply(
            [click.argument("group_ref", metavar="GROUP"), *_item_options(True), json_option],
            click.pass_obj(_body(_post_body(kind))),
        )
    )
    _register_list(group, kind, json_option)
    _register_show(group, kind, json_option)
    _register_update(group, kind, json_option)
    _register_withdraw(group, kind, json_option)
    return group


def _post_body(kind: str) -> Callable[..., Awaitable[None]]:
    async def post(obj: dict[str, Any], group_ref: str, as_json: bool, **values: Any) -> None:
        from fedi_aid.aid import categories
        from fedi_aid.aid.publish import post_item
        from fedi_aid.follows import resolve_target
        from fedi_aid.privacy import item_record

        draft = _draft(kind, values)

        async def work(ctx: Context) -> dict[str, Any]:
            async with ctx.sessions() as session:
                await local_group(session, ctx, group_ref)  # fail fast, before any lookup
            direct = [(await resolve_target(ctx, ref)).uri for ref in values["direct_to"]]
            draft.direct_to = tuple(dict.fromkeys(direct))
            async with ctx.sessions.begin() as session:
                group = await local_group(session, ctx, group_ref)
                row = await post_item(session, ctx, group, draft)
                return item_record(row)

        record = await _in_context(obj, work)
        if record["visibility"] in ("public", "unlisted") and categories.is_sensitive(
            record["category"]
        ):
            click.echo(
                f"note: {record['category_label']} is a sensitive category; "
                "--visibility followers or direct keeps it from the public",
                err=True,
            )
        _emit(
            as_json,
            record,
            f"posted {kind} {record['id']} {record['uri']}\n{summary_line(record)}",
        )

    post.__doc__ = f"GROUP posts {_a(kind)}."
    return post


def _register_list(group: click.Group, kind: str, json_option: Decorator) -> None:
    @group.command("list")
    @click.option("--group", "group_ref", help="Only this group (name, handle or actor URL).")
    @click.option("--category", help="Only this category and its sub-categories.")
    @click.option(
        "--status",
        type=click.Choice((*STATUSES, "all")),
        help="Only this status, or all (default: open and partly_met).",
    )
    @click.option("--near", help="LAT,LON to search around (with --within-km).")
    @click.option("--within-km", type=float, help="Distance from --near, in km.")
    @click.option("--local/--remote", "local", default=None, help="Only ours, or only others'.")
    @click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
    @json_option
    @click.pass_obj
    @_body
    async def list_cmd(
        obj: dict[str, Any],
        group_ref: str | None,
        category: str | None,
        status: str | None,
        near: str | None,
        within_km: float | None,
        local: bool | None,
        limit: int,
        as_json: bool,
    ) -> None:
        from fedi_aid.aid.categories import resolve_category
        from fedi_aid.db.aid_items import ItemFilter, list_items
        from fedi_aid.privacy import item_record

        if (near is None) != (within_km is None):
            raise BadInput("--near and --within-km must be given together")
        if within_km is not None and not (0 < within_km <= 20_000):
            raise BadInput(f"--within-km must be between 0 and 20000, got {within_km:g}")
        filters = ItemFilter(
            kind=kind,
            category=resolve_category(category) if category else None,
            status=status,
            local=local,
            near=parse_point(near) if near else None,
            within_km=within_km,
            public_only=False,  # the instance's own admin sees every visibility
        )

        async def work(ctx: Context) -> list[dict[str, Any]]:
            async with ctx.sessions() as session:
                if group_ref:
                    filters.group_uri = await _group_uri_for_listing(session, ctx, group_ref)
                rows = await list_items(session, filters, limit=limit)
                return [item_record(row) for row in rows]

        records = await _in_context(obj, work)
        _emit(
            as_json,
            records,
            lambda: (
                "\n".join(f"{r['id']}\t{summary_line(r)}" for r in records) or f"no {kind}s match"
            ),
        )

    list_cmd.help = f"List {kind}s, newest first (open ones unless --status)."


def _register_show(group: click.Group, kind: str, json_option: Decorator) -> None:
    @group.command("show")
    @click.argument("item_id", metavar="ID", type=int)
    @json_option
    @click.pass_obj
    @_body
    async def show_cmd(obj: dict[str, Any], item_id: int, as_json: bool) -> None:
        from fedi_aid.db.aid_items import get_item
        from fedi_aid.privacy import item_record

        async def work(ctx: Context) -> dict[str, Any]:
            async with ctx.sessions() as session:
                return item_record(await get_item(session, item_id, kind))

        record = await _in_context(obj, work)
        _emit(as_json, record, lambda: detail_text(record))

    show_cmd.help = f"Show one {kind} by its id."


def _register_update(group: click.Group, kind: str, json_option: Decorator) -> None:
    async def update(obj: dict[str, Any], item_id: int, as_json: bool, **values: Any) -> None:
        from fedi_aid.aid.publish import update_item
        from fedi_aid.db.aid_items import get_item
        from fedi_aid.privacy import item_record

        check_point_pair(values["lat"], values["lon"])
        changes = _changes(values)

        async def work(ctx: Context) -> dict[str, Any]:
            async with ctx.sessions.begin() as session:
                row = await get_item(session, item_id, kind)
                try:
                    row = await update_item(session, ctx, row, changes)
                except ValueError as exc:  # a Place or number the service did not wrap
                    raise BadInput(str(exc)) from None
                return item_record(row)

        record = await _in_context(obj, work)
        _emit(as_json, record, lambda: f"updated {kind} {record['id']}\n{summary_line(record)}")

    update.__doc__ = f"Change {_a(kind)}; every change is sent to its audience as an Update."
    group.command("update")(
        _apply(
            [
                click.argument("item_id", metavar="ID", type=int),
                *_item_options(False),
                json_option,
            ],
            click.pass_obj(_body(update)),
        )
    )


def _register_withdraw(group: click.Group, kind: str, json_option: Decorator) -> None:
    @group.command("withdraw")
    @click.argument("item_id", metavar="ID", type=int)
    @json_option
    @click.pass_obj
    @_body
    async def withdraw_cmd(obj: dict[str, Any], item_id: int, as_json: bool) -> None:
        from fedi_aid.aid.publish import withdraw_item
        from fedi_aid.db.aid_items import get_item
        from fedi_aid.privacy import item_record

        async def work(ctx: Context) -> dict[str, Any]:
            async with ctx.sessions.begin() as session:
                row = await get_item(session, item_id, kind)
                return item_record(await withdraw_item(session, ctx, row))

        record = await _in_context(obj, work)
        _emit(
            as_json,
            record,
            f"withdrew {kind} {record['id']}; a Delete goes to everyone who received it",
        )

    withdraw_cmd.help = f"Withdraw {_a(kind)}: it is deleted on every instance that had it."


# ---- API tokens --------------------------------------------------------------------------


def _token_record(token: Any) -> dict[str, Any]:
    from fedi_aid.clock import isoformat

    return {
        "id": token.id,
        "label": token.label,
        "created_at": isoformat(token.created_at),
        "last_used_at": isoformat(token.last_used_at) if token.last_used_at else None,
        "revoked": token.revoked,
    }


def token_group() -> click.Group:
    """`token create|list|revoke`: bearer tokens for the native API, each acting as a group."""
    from fedi_aid.cli import json_option

    @click.group("token", cls=OneLineGroup)
    def group() -> None:
        """Bearer tokens for the native API (/api/aid/v1/), each acting as one group."""

    @group.command("create")
    @click.argument("group_ref", metavar="GROUP")
    @click.option("--label", default="", help="What the token is for (e.g. the app's name).")
    @json_option
    @click.pass_obj
    @_body
    async def create_cmd(obj: dict[str, Any], group_ref: str, label: str, as_json: bool) -> None:
        """Issue a token for GROUP. It is printed once and cannot be shown again."""
        from sqlalchemy import select

        from fedi_aid.clock import utcnow
        from fedi_aid.db.models import ApiToken
        from fedi_aid.db.tokens import create_token, hash_token

        async def work(ctx: Context) -> dict[str, Any]:
            async with ctx.sessions.begin() as session:
                actor = await local_group(session, ctx, group_ref)
                try:
                    plaintext = await create_token(session, actor, label, utcnow())
                except ValueError as exc:
                    raise BadInput(str(exc)) from None
                query = select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext))
                token = (await session.execute(query)).scalars().unique().one()
                return {**_token_record(token), "group": actor.username, "token": plaintext}

        data = await _in_context(obj, work)
        label_text = f" ({data['label']})" if data["label"] else ""
        _emit(
            as_json,
            data,
            f"token {data['id']} for {data['group']}{label_text}:\n{data['token']}\n"
            "Keep it somewhere safe: it is not stored here and will not be shown again.",
        )

    @group.command("list")
    @click.argument("group_ref", metavar="GROUP")
    @json_option
    @click.pass_obj
    @_body
    async def list_cmd(obj: dict[str, Any], group_ref: str, as_json: bool) -> None:
        """List GROUP's tokens (never the tokens themselves), revoked ones included."""
        from fedi_aid.db.tokens import list_tokens

        async def work(ctx: Context) -> list[dict[str, Any]]:
            async with ctx.sessions() as session:
                actor = await local_group(session, ctx, group_ref)
                return [_token_record(t) for t in await list_tokens(session, actor)]

        rows = await _in_context(obj, work)

        def text() -> str:
            lines = [
                f"{r['id']}\t{'revoked' if r['revoked'] else 'active'}\t{r['label'] or '-'}"
                f"\tcreated {r['created_at']}\tlast used {r['last_used_at'] or 'never'}"
                for r in rows
            ]
            return "\n".join(lines) or f"{group_ref} has no API tokens"

        _emit(as_json, rows, text)

    @group.command("revoke")
    @click.argument("group_ref", metavar="GROUP")
    @click.argument("token_id", metavar="TOKEN_ID", type=int)
    @json_option
    @click.pass_obj
    @_body
    async def revoke_cmd(obj: dict[str, Any], group_ref: str, token_id: int, as_json: bool) -> None:
        """Revoke GROUP's token TOKEN_ID; it stops working at once."""
        from fedi_aid.db.tokens import revoke_token

        async def work(ctx: Context) -> dict[str, Any]:
            async with ctx.sessions.begin() as session:
                actor = await local_group(session, ctx, group_ref)
                return _token_record(await revoke_token(session, actor, token_id))

        data = await _in_context(obj, work)
        _emit(as_json, data, f"revoked token {data['id']} of {group_ref}")

    return group


# ---- a person's data ---------------------------------------------------------------------


def _export_text(data: dict[str, Any]) -> str:
    name, items, person = data["name"], data["items"], data["person"]
    if not items and person is None:
        return f"this instance holds nothing about {name!r}"
    lines = [f"what this instance holds about {name!r}:"]
    if items:
        lines.append(f"  {len(items)} need(s)/offer(s) asked for by them (the name stays here):")
        lines += [f"    {r['kind']} {r['id']}: {summary_line(r)}" for r in items]
    if person is not None:
        lines.append(
            f"  local person {person['handle']} ({person['uri']}), "
            f"display name {person['display_name']!r}, created {person['created_at']}, "
            f"{len(person['following'])} following, {len(person['followers'])} followers, "
            f"{len(person['activities'])} activities sent"
        )
    return "\n".join(lines)


def person_group() -> click.Group:
    """`person export|erase NAME`: what the instance holds about a member (DESIGN.md §6)."""
    from fedi_aid.cli import json_option

    @click.group("person", cls=OneLineGroup)
    def group() -> None:
        """Export or erase what this instance holds about a member."""

    @group.command("export")
    @click.argument("name")
    @json_option
    @click.pass_obj
    @_body
    async def export_cmd(obj: dict[str, Any], name: str, as_json: bool) -> None:
        """Everything held about member NAME: the needs and offers they asked for (by
        `--requested-by`, any case) and the local person actor of that name. Never keys."""
        from fedi_aid.privacy import export_person

        async def work(ctx: Context) -> dict[str, Any]:
            async with ctx.sessions() as session:
                try:
                    return (await export_person(session, name)).as_dict()
                except ValueError as exc:
                    raise BadInput(str(exc)) from None

        data = await _in_context(obj, work)
        _emit(as_json, data, lambda: _export_text(data))

    @group.command("erase")
    @click.argument("name")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    @json_option
    @click.pass_obj
    @_body
    async def erase_cmd(obj: dict[str, Any], name: str, yes: bool, as_json: bool) -> None:
        """Forget member NAME: remove the name from the needs and offers they asked for (the
        published items stay; they never carried it) and delete their local person actor."""
        from fedi_aid.privacy import erase_person, export_person

        async def work(ctx: Context) -> dict[str, Any]:
            try:
                async with ctx.sessions() as session:
                    found = await export_person(session, name)
                if not found.empty and not yes:
                    what = [f"remove {found.name!r} from {len(found.items)} need(s)/offer(s)"]
                    if found.person is not None:
                        what.append(f"delete the local person {found.person['handle']}")
                    try:
                        confirmed = click.confirm(f"{' and '.join(what)}?", err=True)
                    except click.Abort:  # no answer (end of input)
                        click.echo(err=True)
                        confirmed = False
                    if not confirmed:
                        raise BadInput(
                            "not confirmed; nothing was erased (--yes skips the question)"
                        )
                async with ctx.sessions.begin() as session:
                    return (await erase_person(session, name)).as_dict()
            except ValueError as exc:
                raise BadInput(str(exc)) from None

        data = await _in_context(obj, work)

        def text() -> str:
            cleared, person = data["items_cleared"], data["person_deleted"]
            if not cleared and person is None:
                return f"this instance held nothing about {data['name']!r}; nothing erased"
            lines = [f"erased {data['name']!r}:"]
            lines += [
                f"  removed the name from {r['kind']} {r['id']} ({r['title']})" for r in cleared
            ]
            if person is not None:
                lines.append(f"  deleted the local person {person}")
            return "\n".join(lines)

        _emit(as_json, data, text)

    return group
