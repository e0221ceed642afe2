"""Command line for finding each other: discover nearby groups, the intake queue, categories."""

from __future__ import annotations

import sys
from typing import Any

import click

from fedi_aid.aid.model import URGENCIES
from fedi_aid.cli import CliError, _emit, _settings, _with_context, json_option, run_async
from fedi_aid.context import Context

# ---- discover --------------------------------------------------------------------------------


def _progress_printer() -> Any:
    tty = sys.stderr.isatty()
    state = {"shown": -1}

    def show(progress: Any) -> None:
        line = (
            f"requests {progress.requests}/{progress.budget}, cached {progress.cached}, "
            f"groups seen {progress.groups_seen}, nearby {progress.found}, "
            f"queued {progress.queued}"
        )
        if tty:
            click.echo("\r" + line.ljust(90), nl=False, err=True)
        elif progress.requests // 10 != state["shown"]:
            state["shown"] = progress.requests // 10
            click.echo(line, err=True)

    def finish() -> None:
        if tty:
            click.echo("", err=True)

    return show, finish


def _discover_text(data: dict[str, Any]) -> str:
    stats = data["stats"]
    lines = []
    for g in data["groups"]:
        follow = f"  (followed by {', '.join(g['followed_by'])})" if g["followed_by"] else ""
        cats = ", ".join(c["label"] for c in g["categories"]) or "-"
        lines.append(
            f"{g['distance_km']:>7.1f} km  @{g['handle']}  {g['place'] or ''}  "
            f"needs {g['open_needs']}, offers {g['open_offers']}  [{cats}]{follow}"
        )
    if not lines:
        lines.append(f"no groups found within {data['radius_km']:g} km")
    note = " (request budget used up: raise --max-requests to look further)"
    lines.append(
        f"{len(data['groups'])} nearby of {stats['groups_seen']} groups seen; "
        f"{stats['requests']} requests, {stats['cached']} from cache"
        + (note if stats["budget_exhausted"] else "")
    )
    for seed in stats["unresolved_seeds"]:
        lines.append(f"seed {seed} could not be found")
    lines.append("follow one with: fedi-aid follow GROUP HANDLE")
    return "\n".join(lines)


@click.command("discover")
@click.option("--near", required=True, help="Centre as LAT,LON, e.g. 26.91,75.79.")
@click.option("--radius-km", type=float, required=True, help="How far from the centre.")
@click.option("--depth", type=int, default=3, show_default=True, help="Follow hops to walk.")
@click.option("--seed", "seeds", multiple=True, help="Start from this handle (repeat).")
@click.option("--max-requests", type=int, default=200, show_default=True)
@click.option("--interval", type=float, default=0.5, show_default=True, help="Seconds per host.")
@click.option("--refresh", is_flag=True, help="Ignore cached answers.")
@json_option
@click.pass_obj
@run_async
async def discover_cmd(
    obj: dict[str, Any],
    near: str,
    radius_km: float,
    depth: int,
    seeds: tuple[str, ...],
    max_requests: int,
    interval: float,
    refresh: bool,
    as_json: bool,
) -> None:
    """Find groups near a point by walking the follow graph (no directory needed)."""
    from fedi_aid.discovery.crawl import CrawlLimits
    from fedi_aid.discovery.service import (
        DiscoveryError,
        DiscoveryQuery,
        discover_nearby,
        discovery_json,
        parse_near,
    )

    if interval < 0:
        raise CliError("--interval must not be negative")
    try:
        lat, lon = parse_near(near)
        query = DiscoveryQuery(
            lat,
            lon,
            radius_km,
            depth,
            seeds,
            CrawlLimits(max_requests=max_requests, host_interval=interval, refresh=refresh),
        )
        query.check()
    except DiscoveryError as exc:
        raise CliError(str(exc).replace("radius_km", "--radius-km", 1)) from None
    show, finish = _progress_printer()

    async def work(ctx: Context) -> dict[str, Any]:
        try:
            return discovery_json(await discover_nearby(ctx, query, show))
        except DiscoveryError as exc:
            raise CliError(str(exc)) from None
        finally:
            finish()

    data = await _with_context(_settings(obj), work)
    _emit(as_json, data, lambda: _discover_text(data))


# ---- intake ----------------------------------------------------------------------------------


@click.group("intake")
def intake_cmd() -> None:
    """Asks that reached a group by mention: list, convert into a need, dismiss."""


def _intake_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "the intake queue is empty"
    lines = []
    for r in rows:
        hint = r["suggested"]
        category = hint["category"].rsplit("/", 1)[-1] if hint["category"] else "?"
        lines.append(
            f"#{r['id']} [{r['state']}] {r['asker']} {r['received_at']}  "
            f"({hint['kind']}, category {category})\n    {r['text']}"
        )
    return "\n".join(lines)


@intake_cmd.command("list")
@click.argument("group")
@click.option(
    "--state",
    type=click.Choice(["pending", "converted", "dismissed", "all"]),
    default="pending",
    show_default=True,
)
@json_option
@click.pass_obj
@run_async
async def intake_list(obj: dict[str, Any], group: str, state: str, as_json: bool) -> None:
    """Show GROUP's intake queue, oldest first."""
    from fedi_aid.intake.service import list_requests

    async def work(ctx: Context) -> list[dict[str, Any]]:
        return await list_requests(ctx, group, None if state == "all" else state)

    rows = await _with_context(_settings(obj), work)
    _emit(as_json, rows, lambda: _intake_text(rows))


@intake_cmd.command("convert")
@click.argument("group")
@click.argument("intake_id", type=int)
@click.option("--quantity", required=True, help="How many, e.g. 30.")
@click.option("--unit", default="one", show_default=True)
@click.option("--category", help="Default: guessed from the hashtags.")
@click.option("--kind", type=click.Choice(["need", "offer"]), help="Default: from #need/#offer.")
@click.option("--title", help="Default: the first line of the ask.")
@click.option("--description", help="Default: the ask without mentions and hashtags.")
@click.option("--urgency", type=click.Choice(URGENCIES), default="normal", show_default=True)
@click.option("--place", "place_name", help="Area name, e.g. 'Ward 4'.")
@click.option("--lat", type=float)
@click.option("--lon", type=float)
@click.option("--radius-km", type=float)
@click.option("--expires", help="A date, a date and time, or a duration (12h, 3d, 2w).")
@click.option("--asker-agreed", is_flag=True, help="The asker agreed to be named in public.")
@click.option("--no-reply", is_flag=True, help="Do not answer the asker.")
@json_option
@click.pass_obj
@run_async
async def intake_convert(
    obj: dict[str, Any],
    group: str,
    intake_id: int,
    quantity: str,
    unit: str,
    category: str | None,
    kind: str | None,
    title: str | None,
    description: str | None,
    urgency: str,
    place_name: str | None,
    lat: float | None,
    lon: float | None,
    radius_km: float | None,
    expires: str | None,
    asker_agreed: bool,
    no_reply: bool,
    as_json: bool,
) -> None:
    """Publish intake request INTAKE_ID as a need of GROUP and reply to the asker."""
    from fedi_aid.cli_aid import BadInput, check_point_pair, parse_amount, parse_expires
    from fedi_aid.intake.service import Conversion, convert_request

    try:
        check_point_pair(lat, lon)
        conversion = Conversion(
            quantity=parse_amount(quantity, "--quantity"),
            category=category,
            unit=unit,
            kind=kind,
            title=title,
            description=description,
            urgency=urgency,
            place_name=place_name,
            latitude=lat,
            longitude=lon,
            radius_km=radius_km,
            expires_at=parse_expires(expires) if expires else None,
            asker_agreed=asker_agreed,
            reply=not no_reply,
        )
    except BadInput as exc:
        raise CliError(str(exc)) from None

    async def work(ctx: Context) -> dict[str, Any]:
        return await convert_request(ctx, group, intake_id, conversion)

    data = await _with_context(_settings(obj), work)
    answered = "; the asker was answered" if data["reply"] else ""
    _emit(as_json, data, f"#{intake_id} published as {data['item']}{answered}")


@intake_cmd.command("dismiss")
@click.argument("group")
@click.argument("intake_id", type=int)
@click.option("--reply", "reply_text", help="Answer the asker with this text.")
@click.option("--polite", is_flag=True, help="Answer with a short polite standard text.")
@click.option("--block", is_flag=True, help="Keep this asker out of GROUP's intake from now on.")
@json_option
@click.pass_obj
@run_async
async def intake_dismiss(
    obj: dict[str, Any],
    group: str,
    intake_id: int,
    reply_text: str | None,
    polite: bool,
    block: bool,
    as_json: bool,
) -> None:
    """Close intake request INTAKE_ID without publishing it (silently unless asked)."""
    from fedi_aid.intake.service import POLITE_DISMISSAL, dismiss_request

    if reply_text is not None and polite:
        raise CliError("give --reply TEXT or --polite, not both")
    reply = POLITE_DISMISSAL if polite else reply_text

    async def work(ctx: Context) -> dict[str, Any]:
        return await dismiss_request(ctx, group, intake_id, reply=reply, block=block)

    data = await _with_context(_settings(obj), work)
    how = "with a reply" if data["reply"] else "silently"
    _emit(as_json, data, f"#{intake_id} dismissed {how}" + (", asker blocked" if block else ""))


# ---- a group's categories --------------------------------------------------------------------


@click.command("set-categories")
@click.argument("group")
@click.argument("categories", nargs=-1)
@click.option("--clear", is_flag=True, help="Remove every category.")
@json_option
@click.pass_obj
@run_async
async def group_set_categories(
    obj: dict[str, Any], group: str, categories: tuple[str, ...], clear: bool, as_json: bool
) -> None:
    """Say what GROUP works on (e.g. water medicine/insulin) and tell its peers."""
    from fedi_aid.aid.categories import UnknownCategory
    from fedi_aid.discovery.profile import set_group_categories

    if not categories and not clear:
        raise CliError("name at least one category, or --clear")
    if categories and clear:
        raise CliError("give categories or --clear, not both")

    async def work(ctx: Context) -> dict[str, Any]:
        async with ctx.sessions.begin() as session:
            try:
                uris = await set_group_categories(session, ctx, group, categories)
            except (UnknownCategory, ValueError) as exc:
                raise CliError(str(exc)) from None
            return {"group": group, "categories": uris}

    data = await _with_context(_settings(obj), work)
    shown = ", ".join(u.rsplit("/categories/", 1)[-1] for u in data["categories"]) or "none"
    _emit(as_json, data, f"{group}: categories {shown}")


def register(main: click.Group) -> None:
    main.add_command(discover_cmd)
    main.add_command(intake_cmd)
    group_cmd = main.commands["group"]
    assert isinstance(group_cmd, click.Group)
    group_cmd.add_command(group_set_categories)
