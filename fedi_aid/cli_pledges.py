"""Command line for pledges, matching and gap discovery.

fedi-aid pledge list|add|offer|confirm|deliver|decline|cancel GROUP ...
fedi-aid notifications GROUP [--unread]
fedi-aid match need|offer ID [--within-km KM] [--limit N]
fedi-aid gaps|abundance --near LAT,LON --radius-km R [--category C] [--json|--csv]
fedi-aid export needs|offers [--near ... --radius-km ...] [--category C]   (CSV with HXL tags)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from fedi_aid.aid.pledges import STATES, VERBS
from fedi_aid.cli_aid import (
    BadInput,
    OneLineCommand,
    OneLineGroup,
    _body,
    _emit,
    _in_context,
    local_group,
    parse_amount,
    parse_point,
)

if TYPE_CHECKING:
    from fedi_aid.context import Context


def register(main: click.Group) -> None:
    main.add_command(pledge_group())
    main.add_command(notifications_cmd())
    main.add_command(match_group())
    for kind in ("need", "offer"):
        main.add_command(gaps_cmd(kind))
    main.add_command(export_cmd())


def pledge_group() -> click.Group:
    from fedi_aid.cli import json_option

    @click.group("pledge", cls=OneLineGroup)
    def group() -> None:
        """Pledges against a group's needs (and the group's own pledges to other groups)."""

    @group.command("list")
    @click.argument("group_ref", metavar="GROUP")
    @click.option("--state", type=click.Choice(STATES), help="Only pledges in this state.")
    @click.option("--need", "item_id", type=int, help="Only pledges for this need or offer id.")
    @json_option
    @click.pass_obj
    @_body
    async def list_cmd(
        obj: dict[str, Any], group_ref: str, state: str | None, item_id: int | None, as_json: bool
    ) -> None:
        """Pledges and comments for GROUP's items, newest first (over-pledges are flagged)."""
        from fedi_aid.aid.pledge_records import pledge_line, pledge_record
        from fedi_aid.db.pledges import list_pledges

        async def work(ctx: Context) -> list[dict[str, Any]]:
            async with ctx.sessions() as session:
                actor = await local_group(session, ctx, group_ref)
                rows = await list_pledges(session, actor.id, state=state, item_id=item_id)
                return [pledge_record(p) for p in rows]

        data = await _in_context(obj, work)
        _emit(as_json, data, lambda: "\n".join(map(pledge_line, data)) or "no pledges")

    @group.command("add")
    @click.argument("group_ref", metavar="GROUP")
    @click.argument("item_id", metavar="NEED_ID", type=int)
    @click.argument("quantity")
    @click.option("--from", "pledger", required=True, help="Who pledged (a name, a phone...).")
    @json_option
    @click.pass_obj
    @_body
    async def add_cmd(
        obj: dict[str, Any],
        group_ref: str,
        item_id: int,
        quantity: str,
        pledger: str,
        as_json: bool,
    ) -> None:
        """Record a pledge someone made by phone or in person (state: proposed)."""
        from fedi_aid.aid.pledge_actions import pledge_locally
        from fedi_aid.aid.pledge_records import pledge_line, pledge_record

        amount = parse_amount(quantity, "QUANTITY")

        async def work(ctx: Context) -> dict[str, Any]:
            async with ctx.sessions.begin() as session:
                item = await _own_item(session, ctx, group_ref, item_id)
                return pledge_record(await pledge_locally(session, ctx, item, pledger, amount))

        data = await _in_context(obj, work)
        _emit(as_json, data, lambda: pledge_line(data))

    @group.command("offer")
    @click.argument("group_ref", metavar="GROUP")
    @click.argument("item_id", metavar="NEED_ID", type=int)
    @click.argument("quantity")
    @json_option
    @click.pass_obj
    @_body
    async def offer_cmd(
        obj: dict[str, Any], group_ref: str, item_id: int, quantity: str, as_json: bool
    ) -> None:
        """GROUP pledges QUANTITY to another instance's need (a FEP-0837 Offer)."""
        from fedi_aid.aid.pledge_actions import offer_to
        from fedi_aid.aid.pledge_records import pledge_line, pledge_record
        from fedi_aid.db.aid_items import get_item

        amount = parse_amount(quantity, "QUANTITY")

        async def work(ctx: Context) -> dict[str, Any]:
            async with ctx.sessions.begin() as session:
                actor = await local_group(session, ctx, group_ref)
                item = await get_item(session, item_id)
                return pledge_record(await offer_to(session, ctx, actor, item, amount))

        data = await _in_context(obj, work)
        _emit(as_json, data, lambda: pledge_line(data))

    for verb in VERBS:
        group.add_command(_state_cmd(verb, json_option))
    return group


async def _own_item(session: Any, ctx: Context, group_ref: str, item_id: int) -> Any:
    from fedi_aid.db.aid_items import get_item

    actor = await local_group(session, ctx, group_ref)
    item = await get_item(session, item_id)
    if item.group_id != actor.id:
        raise BadInput(f"{item.kind} {item_id} is not published by {actor.username}")
    return item


def _state_cmd(verb: str, json_option: Any) -> click.Command:
    @click.command(verb, cls=OneLineCommand)
    @click.argument("group_ref", metavar="GROUP")
    @click.argument("pledge_id", metavar="PLEDGE_ID", type=int)
    @click.option("--reason", default="", help="Told to the pledger with the answer.")
    @json_option
    @click.pass_obj
    @_body
    async def command(
        obj: dict[str, Any], group_ref: str, pledge_id: int, reason: str, as_json: bool
    ) -> None:
        from fedi_aid.aid.pledge_actions import change_state
        from fedi_aid.aid.pledge_records import pledge_line, pledge_record

        async def work(ctx: Context) -> dict[str, Any]:
            async with ctx.sessions.begin() as session:
                actor = await local_group(session, ctx, group_ref)
                pledge = await change_state(
                    session, ctx, pledge_id, VERBS[verb], group_id=actor.id, reason=reason
                )
                return pledge_record(pledge)

        data = await _in_context(obj, work)
        _emit(as_json, data, lambda: pledge_line(data))

    command.help = {
        "confirm": "Confirm a pledge: it counts against the need, which is updated everywhere.",
        "deliver": "Mark a confirmed pledge delivered.",
        "decline": "Decline a proposed pledge (the pledger is told; an Offer gets a Reject).",
        "cancel": "Cancel a pledge; a confirmed one gives its quantity back to the need.",
    }[verb]
    return command


def notifications_cmd() -> click.Command:
    from fedi_aid.cli import json_option

    @click.command("notifications", cls=OneLineCommand)
    @click.argument("group_ref", metavar="GROUP")
    @click.option("--unread", is_flag=True, help="Only the unread ones.")
    @json_option
    @click.pass_obj
    @_body
    async def command(obj: dict[str, Any], group_ref: str, unread: bool, as_json: bool) -> None:
        """What GROUP's admins were told: new pledges, comments, matching offers."""
        from fedi_aid.aid.pledge_records import notification_record
        from fedi_aid.db.pledges import list_notifications

        async def work(ctx: Context) -> list[dict[str, Any]]:
            async with ctx.sessions() as session:
                actor = await local_group(session, ctx, group_ref)
                rows = await list_notifications(session, actor.id, unread_only=unread)
                return [notification_record(n) for n in rows]

        data = await _in_context(obj, work)
        lines = [f"{n['created_at']}  {n['kind']:<8} {n['text']}" for n in data]
        _emit(as_json, data, "\n".join(lines) or "no notifications")

    return command


def match_group() -> click.Group:
    from fedi_aid.cli import json_option

    @click.group("match", cls=OneLineGroup)
    def group() -> None:
        """Offers that fit a need, or needs that fit an offer, best first."""

    for kind in ("need", "offer"):

        @group.command(kind)
        @click.argument("item_id", metavar="ID", type=int)
        @click.option("--within-km", type=float, help="Distance limit (default: sum of radii).")
        @click.option("--limit", type=click.IntRange(1, 200), default=20, show_default=True)
        @json_option
        @click.pass_obj
        @_body
        async def command(
            obj: dict[str, Any],
            item_id: int,
            within_km: float | None,
            limit: int,
            as_json: bool,
            _kind: str = kind,
        ) -> None:
            from fedi_aid.aid.pledge_records import match_line, match_record
            from fedi_aid.db.aid_items import get_item
            from fedi_aid.db.matching import find_matches

            if within_km is not None and not 0 < within_km <= 20_000:
                raise BadInput(f"--within-km must be between 0 and 20000, got {within_km:g}")

            async def work(ctx: Context) -> list[dict[str, Any]]:
                async with ctx.sessions() as session:
                    item = await get_item(session, item_id, _kind)
                    found = await find_matches(session, item, limit_km=within_km, limit=limit)
                    return [match_record(m, row) for m, row in found]

            data = await _in_context(obj, work)
            _emit(as_json, data, lambda: "\n".join(map(match_line, data)) or "no matches")

        command.help = "Offers that fit need ID." if kind == "need" else "Needs that fit offer ID."
    return group


def _area_options(func: Any) -> Any:
    func = click.option("--category", help="A category; its sub-categories are included.")(func)
    func = click.option("--radius-km", type=float, help="Distance from --near in km.")(func)
    return click.option("--near", help="LAT,LON, e.g. 26.91,75.79.")(func)


async def _read_items(
    obj: dict[str, Any], kind: str, near: str | None, radius_km: float | None, category: str | None
) -> list[Any]:
    from fedi_aid.aid.categories import resolve_category
    from fedi_aid.db.gaps import open_items_near

    point = parse_point(near) if near else None
    if (point is None) != (radius_km is None):
        raise BadInput("--near and --radius-km must be given together")
    if radius_km is not None and not 0 < radius_km <= 20_000:
        raise BadInput(f"--radius-km must be between 0 and 20000, got {radius_km:g}")
    uri = resolve_category(category) if category else None

    async def work(ctx: Context) -> list[Any]:
        async with ctx.sessions() as session:
            return await open_items_near(
                session, kind, near=point, radius_km=radius_km, category=uri
            )

    return await _in_context(obj, work)


def gaps_cmd(kind: str) -> click.Command:
    name = "gaps" if kind == "need" else "abundance"

    @click.command(name, cls=OneLineCommand)
    @_area_options
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @click.option("--csv", "as_csv", is_flag=True, help="CSV with an HXL hashtag row.")
    @click.pass_obj
    @_body
    async def command(
        obj: dict[str, Any],
        near: str | None,
        radius_km: float | None,
        category: str | None,
        as_json: bool,
        as_csv: bool,
    ) -> None:
        from fedi_aid.aid.gaps import GAP_COLUMNS, aggregate, to_hxl_csv

        if as_json and as_csv:
            raise BadInput("--json and --csv cannot be used together")
        items = await _read_items(obj, kind, near, radius_km, category)
        rows = [gap.as_dict() for gap in aggregate(items)]
        if as_csv:
            click.echo(to_hxl_csv(rows, GAP_COLUMNS), nl=False)
            return
        _emit(as_json, rows, lambda: _gap_table(rows, kind))

    command.help = (
        "Which communities lack what: open needs near a point, by group and category."
        if kind == "need"
        else "Where there is abundance: open offers near a point, by group and category."
    )
    return command


def _gap_table(rows: list[dict[str, Any]], kind: str) -> str:
    if not rows:
        return "no open needs found" if kind == "need" else "no open offers found"
    word = "missing" if kind == "need" else "available"
    lines = [
        f"{'group':<32} {'place':<20} {'what':<18} {word:>10} {'urgency':<8} since       pledged"
    ]
    for r in rows:
        lines.append(
            f"{r['group_name'][:32]:<32} {(r['place'] or '')[:20]:<20} "
            f"{r['category_label'][:18]:<18} {r['missing'] + ' ' + r['unit']:>10} "
            f"{r['urgency']:<8} {(r['since'] or '')[:10]}  {r['pledged']}"
        )
    return "\n".join(lines)


def export_cmd() -> click.Command:
    @click.command("export", cls=OneLineCommand)
    @click.argument("kind", type=click.Choice(["needs", "offers"]))
    @_area_options
    @click.pass_obj
    @_body
    async def command(
        obj: dict[str, Any],
        kind: str,
        near: str | None,
        radius_km: float | None,
        category: str | None,
    ) -> None:
        """Open needs or offers as CSV with HXL hashtags, for humanitarian tools."""
        from fedi_aid.aid.gaps import ITEM_COLUMNS, item_row, to_hxl_csv

        items = await _read_items(obj, kind[:-1], near, radius_km, category)
        click.echo(to_hxl_csv([item_row(i) for i in items], ITEM_COLUMNS), nl=False)

    return command
