"""WebFinger client: `name@host` -> actor URL."""

from __future__ import annotations

from urllib.parse import quote

from fedi_aid.context import Context
from fedi_aid.federation.http_client import FetchError

AP_TYPES = ("application/activity+json", "application/ld+json")


class WebfingerError(Exception):
    pass


def parse_handle(handle: str) -> tuple[str, str]:
    """`@name@host`, `name@host` or `acct:name@host` -> (name, host)."""
    text = handle.strip()
    text = text.removeprefix("acct:").removeprefix("@")
    name, sep, host = text.partition("@")
    if not sep or not name or not host or "@" in host or "/" in host:
        raise WebfingerError(f"{handle!r} is not a handle of the form name@host")
    return name, host.lower()


async def webfinger(ctx: Context, handle: str) -> str:
    name, host = parse_handle(handle)
    scheme = "http" if ctx.settings.development else "https"
    resource = quote(f"acct:{name}@{host}", safe=":@")
    url = f"{scheme}://{host}/.well-known/webfinger?resource={resource}"
    try:
        response = await ctx.http.get(url, accept="application/jrd+json, application/json")
    except FetchError as exc:
        raise WebfingerError(f"WebFinger lookup of {name}@{host} failed: {exc}") from None
    if response.status == 404:
        raise WebfingerError(f"{name}@{host} does not exist (WebFinger answered 404)")
    if response.status != 200:
        raise WebfingerError(f"WebFinger lookup of {name}@{host} answered HTTP {response.status}")
    try:
        jrd = response.json()
    except FetchError as exc:
        raise WebfingerError(str(exc)) from None
    for link in jrd.get("links", []) if isinstance(jrd, dict) else []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and any(str(link.get("type", "")).startswith(t) for t in AP_TYPES)
            and isinstance(link.get("href"), str)
        ):
            return link["href"]
    raise WebfingerError(f"WebFinger for {name}@{host} names no ActivityPub actor")
