"""Address policy for outbound requests (the SSRF guard). Pure: no I/O, no DNS.

Two layers use it:
- ``check_url`` runs on every URL before a request (first hop and every redirect); it is the
  only check for literal-IP hosts, which aiohttp connects to without asking a resolver;
- the HTTP client's resolver runs ``is_forbidden_address`` on every address DNS returns, so the
  address actually connected to is the one judged (a name that re-binds to 127.0.0.1 between
  checks cannot slip through).

The error classes live here so that this module needs nothing from the HTTP client;
``fedi_aid.federation.http_client`` re-exports them and is the place to import them from.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """An outbound request failed.

    ``status`` is the HTTP status when the peer answered (None for network errors, timeouts,
    refused URLs); ``retry_after`` is the peer's Retry-After in seconds when it sent one.
    The message names the host and the problem, never a full URL (query strings can hold tokens).
    """

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class ForbiddenURL(FetchError):
    """The URL (or every address its host resolves to) is refused by the SSRF policy."""


def _nets(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# Explicit tables rather than ipaddress.is_global: the stdlib's notion of "private" has changed
# between patch releases (and treats every ::ffff:a.b.c.d as private), and the policy must not
# move with the interpreter.
_FORBIDDEN_V4 = _nets(
    "0.0.0.0/8",  # "this network", includes the unspecified address
    "10.0.0.0/8",  # private
    "100.64.0.0/10",  # carrier-grade NAT
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local (cloud metadata lives at 169.254.169.254)
    "172.16.0.0/12",  # private
    "192.0.0.0/24",  # IETF protocol assignments
    "192.0.2.0/24",  # documentation (TEST-NET-1)
    "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
    "192.168.0.0/16",  # private
    "198.18.0.0/15",  # benchmarking
    "198.51.100.0/24",  # documentation (TEST-NET-2)
    "203.0.113.0/24",  # documentation (TEST-NET-3)
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, includes broadcast 255.255.255.255
)

# Only 2000::/3 is allocated global unicast; everything outside it (loopback, unspecified,
# unique-local fc00::/7, link-local fe80::/10, site-local, multicast ff00::/8, discard 100::/64,
# local-use NAT64 64:ff9b:1::/48, ...) is refused, except the two embeddings handled first.
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_FORBIDDEN_V6 = _nets(
    "2001::/23",  # IETF protocol assignments: Teredo, benchmarking, ORCHID
    "2001:db8::/32",  # documentation
    "3fff::/20",  # documentation (RFC 9637)
)
_NAT64_V6 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known prefix, embeds a v4 address


def is_forbidden_address(ip: IPAddress) -> bool:
    """True when an outbound request must not connect to ``ip``."""
    if isinstance(ip, ipaddress.IPv6Address):
        # Judge what the packet will really reach: the IPv4 address embedded in an
        # IPv4-mapped (::ffff:a.b.c.d), NAT64 or 6to4 address.
        if ip.ipv4_mapped is not None:
            return is_forbidden_address(ip.ipv4_mapped)
        if ip in _NAT64_V6:
            return is_forbidden_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            return is_forbidden_address(ip.sixtofour)
        if ip not in _GLOBAL_UNICAST_V6:
            return True
        return any(ip in net for net in _FORBIDDEN_V6)
    if any(ip in net for net in _FORBIDDEN_V4):
        return True
    # Safety net: the table above should already cover all of these.
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


# Names that point inside the machine or the local network whatever DNS says.
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_LOCAL_SUFFIXES = (
    ".localhost",
    ".local",
    ".localdomain",
    ".internal",
    ".intranet",
    ".lan",
    ".home.arpa",
    ".in-addr.arpa",
    ".ip6.arpa",
)


def parse_ip(host: str) -> IPAddress | None:
    """The address if ``host`` is a literal IP (brackets and an IPv6 zone allowed), else None."""
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def check_url(url: str, *, allow_private: bool) -> None:
    """Raise ForbiddenURL unless ``url`` may be requested.

    ``allow_private`` (development mode only) permits plain http, loopback/private literal
    addresses and local names. A hostname that passes here is still judged again on the
    addresses it resolves to.
    """
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        raise ForbiddenURL(f"refused URL: it is malformed ({_safe_host(url)})") from None
    scheme = parts.scheme.lower()
    shown = hostname or "(no host)"
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if scheme not in allowed_schemes:
        if scheme == "http":
            raise ForbiddenURL(f"refused URL on {shown}: plain http is not allowed, use https")
        raise ForbiddenURL(f"refused URL on {shown}: scheme {scheme or '(none)'!r} is not allowed")
    # Userinfo is refused outright: it is never needed for federation, and
    # "https://good.example@evil.example/" is a classic way to confuse host checks.
    if "@" in parts.netloc:
        raise ForbiddenURL(f"refused URL on {shown}: credentials in the URL are not allowed")
    if not hostname:
        raise ForbiddenURL("refused URL: it has no host")
    if allow_private:
        return
    ip = parse_ip(hostname)
    if ip is not None:
        if is_forbidden_address(ip):
            raise ForbiddenURL(f"refused URL on {shown}: address {ip} is not a public address")
        return
    name = hostname.rstrip(".").lower()
    if ":" in name or not name:
        raise ForbiddenURL(f"refused URL on {shown}: the host is not a valid name or address")
    if name in _LOCAL_NAMES or name.endswith(_LOCAL_SUFFIXES):
        raise ForbiddenURL(f"refused URL on {shown}: local host names are not allowed")
    # Numeric-looking names (legacy IPv4 forms such as 2130706433 or 0x7f.1) are no DNS names.
    last_label = name.rsplit(".", 1)[-1]
    if last_label.isdigit() or last_label.startswith("0x"):
        raise ForbiddenURL(f"refused URL on {shown}: numeric host forms are not allowed")
    # A single-label name ("metadata", "intranet") is completed by the resolver's search
    # domains into an internal name; public federation peers always have a dot.
    if "." not in name:
        raise ForbiddenURL(f"refused URL on {shown}: a host name without a domain is not allowed")


def _safe_host(url: str) -> str:
    """Best-effort host of a possibly malformed URL, without userinfo, path or query."""
    netloc = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return netloc.rsplit("@", 1)[-1] or "(no host)"
