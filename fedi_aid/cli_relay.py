"""Command line for propagation: a group's home area and its relay policy."""

from __future__ import annotations

from typing import Any

import click

from fedi_aid.aid.model import URGENCIES
from fedi_aid.aid.relay_policy import policy_record
from fedi_aid.cli import CliError, _emit, _settings, _with_context, json_option, run_async
from fedi_aid.context import Context


def _text(data: dict[str, Any]) -> str:
    home = data["home"]
    where = (
        f"{home['name']} ({home['latitude']}, {home['longitude']})"
        if home["latitude"] is not None
        else "not set (distance is not checked)"
    )
    return "\n".join(
        [
            f"relaying: {'on' if data['enabled'] else 'off'}",
            f"kinds: {', '.join(data['kinds'])}",
            f"categories: {', '.join(data['categories']) or 'any'}",
            f"lowest urgency: {data['min_urgency']}",
            f"farthest: {data['max_distance_km'] or 'no limit'} km from home",
            f"home: {where}",
        ]
    )


@click.group("relay")
def relay_cmd() -> None:
    """What a group passes on from the groups it follows."""


@relay_cmd.command("show")
@click.argument("group")
@json_option
@click.pass_obj
@run_async
async def relay_show(obj: dict[str, Any], group: str, as_json: bool) -> None:
    """Show GROUP's relay policy."""
    from fedi_aid.db.actors import get_local_actor
    from fedi_aid.db.relays import get_policy

    async def work(ctx: Context) -> dict[str, Any]:
        async with ctx.sessions() as session:
            actor = await get_local_actor(session, group, "Group")
            return policy_record(await get_policy(session, actor), actor)

    data = await _with_context(_settings(obj), work)
    _emit(as_json, data, lambda: _text(data))


@relay_cmd.command("set")
@click.argument("group")
@click.option("--on/--off", "enabled", default=None, help="Relay at all.")
@click.option("--kinds", type=click.Choice(["need", "offer", "both"]), help="What to relay.")
@click.option("--category", "categories", multiple=True, help="Relay only these (repeat).")
@click.option("--any-category", is_flag=True, help="Relay every category.")
@click.option("--min-urgency", type=click.Choice(URGENCIES), help="Lowest urgency relayed.")
@click.option("--max-distance-km", type=float, help="Farthest from the group's home.")
@click.option("--no-distance-limit", is_flag=True, help="Relay whatever the distance.")
@json_option
@click.pass_obj
@run_async
async def relay_set(
    obj: dict[str, Any],
    group: str,
    enabled: bool | None,
    kinds: str | None,
    categories: tuple[str, ...],
    any_category: bool,
    min_urgency: str | None,
    max_distance_km: float | None,
    no_distance_limit: bool,
    as_json: bool,
) -> None:
    """Change GROUP's relay policy; options not given stay as they are."""
    from dataclasses import replace

    from fedi_aid.aid.categories import UnknownCategory, resolve_category
    from fedi_aid.clock import utcnow
    from fedi_aid.db.actors import get_local_actor
    from fedi_aid.db.relays import get_policy, save_policy

    changes: dict[str, Any] = {}
    if enabled is not None:
        changes["enabled"] = enabled
    if kinds:
        changes["kinds"] = ("need", "offer") if kinds == "both" else (kinds,)
    try:
        if categories:
            changes["categories"] = tuple(resolve_category(c) for c in categories)
    except UnknownCategory as exc:
        raise CliError(str(exc)) from None
    if any_category:
        changes["categories"] = ()
    if min_urgency:
        changes["min_urgency"] = min_urgency
    if max_distance_km is not None:
        changes["max_distance_km"] = max_distance_km
    if no_distance_limit:
        changes["max_distance_km"] = None

    async def work(ctx: Context) -> dict[str, Any]:
        async with ctx.sessions.begin() as session:
            actor = await get_local_actor(session, group, "Group")
            try:
                policy = replace(await get_policy(session, actor), **changes)
            except ValueError as exc:
                raise CliError(str(exc)) from None
            await save_policy(session, actor, policy, utcnow())
            return policy_record(policy, actor)

    data = await _with_context(_settings(obj), work)
    _emit(as_json, data, lambda: _text(data))


@click.command("set-home")
@click.argument("group")
@click.option("--place", required=True, help="Name of the area, e.g. 'Riverside (Jaipur)'.")
@click.option("--lat", type=float, required=True)
@click.option("--lon", type=float, required=True)
@click.option("--radius-km", type=float, default=None)
@json_option
@click.pass_obj
@run_async
async def group_set_home(
    obj: dict[str, Any],
    group: str,
    place: str,
    lat: float,
    lon: float,
    radius_km: float | None,
    as_json: bool,
) -> None:
    """Set GROUP's home area (rounded to about 1 km) and tell its peers."""
    from fedi_aid.db.actors import get_local_actor
    from fedi_aid.local_actors import set_home
    from fedi_aid.outbox.actors import send_actor_update

    async def work(ctx: Context) -> dict[str, Any]:
        async with ctx.sessions.begin() as session:
            actor = await get_local_actor(session, group, "Group")
            try:
                set_home(actor, place, lat, lon, radius_km)
            except ValueError as exc:
                raise CliError(str(exc)) from None
            await send_actor_update(session, ctx, actor)
            return {
                "group": actor.username,
                "place": place,
                "latitude": actor.home_latitude,
                "longitude": actor.home_longitude,
                "radius_km": radius_km,
            }

    data = await _with_context(_settings(obj), work)
    _emit(as_json, data, f"{group}: home {place} ({data['latitude']}, {data['longitude']})")


def register(main: click.Group) -> None:
    main.add_command(relay_cmd)
    group_cmd = main.commands["group"]
    assert isinstance(group_cmd, click.Group)
    group_cmd.add_command(group_set_home)
