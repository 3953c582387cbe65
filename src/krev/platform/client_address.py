"""The network address a request comes from, for limits counted per client.

Behind a load balancer every request's peer is the balancer, so the client is read from
``X-Forwarded-For``, but only when the peer is a proxy the operator trusts
(``KREV_TRUSTED_PROXIES``): anyone else can write any address there. Each proxy appends the
address it received the request from, so the client is the right-most entry that is not
itself a trusted proxy; the entries left of it are whatever the client chose to send.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.types import Scope

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

__all__ = ["IPNetwork", "client_address", "parse_networks"]


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Addresses and CIDR networks (``10.0.0.0/8``, ``2001:db8::1``); ValueError if not."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


def client_address(scope: Scope, trusted: Sequence[IPNetwork]) -> str:
    """The client's address: the peer's, or behind trusted proxies the one they vouch for.

    An entry that is not an address stops the walk at the last address a trusted proxy
    vouched for; with every entry trusted, the left-most one is the origin.
    """
    peer = scope.get("client")
    host = str(peer[0]) if peer else "unknown"
    found = _parse(host)
    if found is None or not _is_trusted(found, trusted):
        return host if found is None else str(found)
    address = found
    for entry in reversed(_forwarded_for(scope)):
        hop = _parse(entry)
        if hop is None:
            break
        address = hop
        if not _is_trusted(hop, trusted):
            break
    return str(address)


def _forwarded_for(scope: Scope) -> list[str]:
    # Several X-Forwarded-For lines are one list, in order (RFC 9110 5.3).
    return [
        entry.strip()
        for name, value in scope["headers"]
        if name == b"x-forwarded-for"
        for entry in value.decode("latin-1").split(",")
    ]


def _parse(text: str) -> IPAddress | None:
    """An address as proxies write it: bare, or with a port (``1.2.3.4:80``, ``[::1]:80``)."""
    candidates = [text]
    if text.startswith("[") and "]" in text:
        candidates.append(text[1 : text.index("]")])
    elif text.count(":") == 1:
        candidates.append(text.partition(":")[0])
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return address.ipv4_mapped
        return address
    return None


def _is_trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in trusted)
