"""Which domain blocks cover a domain. Pure.

A block of `example.com` covers `social.example.com` and `a.b.example.com` too, as Mastodon's
domain blocks do: a spammer cannot escape it with a fresh subdomain. Domains are stored as the
host of an actor's URI, port included (`social.example.com:8443`); a block names either that or
a bare host. A top-level domain alone (`com`) is never a candidate, nor is any part of an IP
address.
"""

from __future__ import annotations

import ipaddress


def _host_and_port(domain: str) -> tuple[str, str]:
    if domain.startswith("["):  # [IPv6]:port
        host, _, rest = domain[1:].partition("]")
        return host, rest.lstrip(":")
    if domain.count(":") == 1:
        host, _, port = domain.partition(":")
        return host, port
    return domain, ""


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def covering_domains(domain: str) -> tuple[str, ...]:
    """DOMAIN itself, its host without the port, and each parent domain, most specific first."""
    domain = domain.strip().lower().rstrip(".")
    host, port = _host_and_port(domain)
    found = [domain]
    if port and host:
        found.append(host)
    if host and not _is_ip(host):
        labels = host.split(".")
        found.extend(".".join(labels[i:]) for i in range(1, len(labels) - 1))
    return tuple(dict.fromkeys(found))


def is_covered_by(domain: str, blocked: str) -> bool:
    """Does a block of BLOCKED cover DOMAIN?"""
    return blocked.strip().lower().rstrip(".") in covering_domains(domain)
