"""Where a webhook may be sent: the URL's rules, and which addresses are refused (SSRF).

A URL is checked when it is stored, and its host is resolved again at every delivery: an
address that was public when the endpoint was saved can point at the metadata service an hour
later (DNS rebinding). Every address the name resolves to must be public, and the delivery
connects to the address that was checked, never resolving the name a second time.
`EASEL_WEBHOOK_ALLOW_PRIVATE=1` lifts the address rule (tests, private deployments).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from designs.exceptions import Invalid

MAX_URL = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Beyond what `ipaddress` calls private, loopback, link-local, multicast, reserved or
# unspecified: shared address space (carrier NAT), benchmarking, NAT64 and the cloud metadata
# addresses that sit outside those ranges (AWS's IPv6 one, Alibaba's).
_ALSO_REFUSED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "100.64.0.0/10",
        "100.100.100.200/32",
        "192.0.0.0/24",
        "198.18.0.0/15",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "fd00:ec2::254/128",
    )
)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int


def check_url(url: object) -> Target:
    """The URL's scheme, host and port; Invalid (a 400 at the API) when it is not one we send to."""
    if not isinstance(url, str) or not url.strip():
        raise Invalid("url is required: the http(s) address that receives the events")
    if len(url) > MAX_URL:
        raise Invalid(f"url: at most {MAX_URL} characters")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise Invalid("url: may not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Invalid(f"url: not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https"):
        raise Invalid("url: only http:// and https:// addresses receive webhooks")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Invalid("url: may not carry credentials (user:password@); authenticate with the signature")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Invalid("url: has no host")
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80))


def refused(address: IPAddress) -> bool:
    """True for an address a webhook may never reach: anything not on the public internet."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None and refused(embedded):
            return True
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
        or any(address in net for net in _ALSO_REFUSED if net.version == address.version)
    )


def resolve(target: Target) -> IPAddress:
    """The address to connect to: the first the host resolves to, when every one is allowed."""
    try:
        literal = ipaddress.ip_address(target.host.strip("[]"))
        addresses: list[IPAddress] = [literal]
    except ValueError:
        try:
            infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise Invalid(f"url: the host {target.host!r} does not resolve") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise Invalid(f"url: the host {target.host!r} does not resolve")
    if not settings.EASEL_WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if refused(address):
                raise Invalid(
                    f"url: {target.host} resolves to {address}, a private, loopback, link-local, multicast or "
                    "metadata address; webhooks go to public addresses only"
                )
    return addresses[0]
