"""Which webhook URLs a run may name (the `webhooks.url` settings of langgraph.json), checked
when the run or cron is created (422) and again, against the addresses the name resolves to,
when the webhook is sent.

Refused by default, as by the official server: relative URLs, `localhost`, loopback
addresses (also as IPv4-mapped IPv6, `[::ffff:127.0.0.1]`), link-local, multicast, reserved
and cloud-metadata addresses, Kubernetes-internal names, schemes other than http(s).
Refused by Tether also: private addresses (RFC 1918, CGN, IPv6 ULA; allowed with
`disable_private_ips: false`) and URLs with a user name or password (they would be sent as
Basic credentials to whoever answers; `webhooks.headers` carries credentials instead).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx

from tether.errors import InvalidInput
from tether.graphs import WebhookSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_ALWAYS_BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "169.254.0.0/16",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "fe80::/10",
        "ff00::/8",
        "::ffff:0:0/96",
        "::/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
    )
)
_LOOPBACK = tuple(ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128"))
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
_METADATA_IPS = frozenset({"169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"})
_METADATA_NAMES = frozenset(
    {"metadata.google.internal", "metadata.amazonaws.com", "metadata", "instance-data"}
)
_LOCALHOST_NAMES = frozenset({"localhost", "localhost.localdomain", "host.docker.internal"})


class WebhookRefused(InvalidInput):
    """A webhook URL the settings do not allow (422, as the official server answers)."""


def _blocked(reason: str) -> WebhookRefused:
    return WebhookRefused(f"Webhook host blocked: {reason}")


def address_refusal(address: IPAddress, settings: WebhookSettings) -> str | None:
    """Why `address` may not receive webhooks under `settings`, or None."""
    if any(address in n for n in _LOOPBACK):
        return "loopback IP range" if settings.disable_loopback else None
    for network in _ALWAYS_BLOCKED:
        if address in network:
            # IPv4-mapped and NAT64 addresses are refused whatever they map to.
            return "blocked IP range"
    if settings.disable_private_ips and any(address in n for n in _PRIVATE):
        return "private IP range (allow it with webhooks.url.disable_private_ips: false)"
    if str(address) in _METADATA_IPS:
        return "cloud metadata endpoint"
    return None


def _allowed_domain(host: str, settings: WebhookSettings) -> bool:
    return any(
        host.endswith(pattern[1:]) if pattern.startswith("*.") else host == pattern
        for pattern in settings.allowed_domains
    )


def check_url(url: str, settings: WebhookSettings) -> tuple[str, int]:
    """The checks that need no DNS; returns the URL's host (lower case) and port.

    Raises WebhookRefused (422) with the official wording where the official server
    refuses the same URL.
    """
    if len(url) > settings.max_url_length:
        raise WebhookRefused("Webhook URL too long")
    if url.startswith("/"):
        raise WebhookRefused(
            "Relative webhook URLs are not supported: give an absolute http or https URL"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookRefused(f"Invalid webhook URL: {exc}") from None
    scheme = parts.scheme.lower()
    if settings.require_https and scheme != "https":
        raise WebhookRefused("Webhook must use https")
    # `localhost.` is `localhost`: a trailing dot only says the name is absolute.
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or any(c.isspace() for c in url):
        raise WebhookRefused(f"Invalid webhook hostname '{host}'")
    if scheme not in ("http", "https"):
        raise _blocked(f"scheme '{scheme}' not allowed")
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused(
            "Webhook URL must not contain a user name or password"
            " (send credentials with webhooks.headers in langgraph.json)"
        )
    port = port or (443 if scheme == "https" else 80)
    if settings.allowed_ports and port not in settings.allowed_ports:
        raise WebhookRefused(f"Webhook port {port} not allowed")
    if settings.allowed_domains and not _allowed_domain(host, settings):
        raise WebhookRefused("Webhook domain not allowed")
    if _allowed_domain(host, settings):
        return host, port  # named by the operator: trusted wherever it points
    if settings.disable_loopback and host in _LOCALHOST_NAMES:
        raise _blocked("localhost address")
    if host in _METADATA_NAMES:
        raise _blocked("cloud metadata endpoint")
    if host.endswith(".svc.cluster.local"):
        raise _blocked("Kubernetes internal DNS")
    return host, port


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve(host: str, port: int, settings: WebhookSettings) -> list[str]:
    """The addresses to send to: `host`'s, each allowed by `settings` (else WebhookRefused)."""
    literal = _literal(host)
    if literal is not None:
        found = [literal]
    else:
        try:
            infos = await asyncio.to_thread(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise _blocked("DNS resolution failed") from None
        found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not found:
            raise _blocked("DNS resolution returned no results")
    if _allowed_domain(host, settings):
        return [str(a) for a in found]
    for address in found:
        reason = address_refusal(address, settings)
        if reason is not None:
            raise _blocked(reason)
    return [str(a) for a in found]


async def check_webhook(url: str | None, settings: WebhookSettings) -> None:
    """Refuse (422) a webhook URL the settings do not allow, resolving its host once."""
    if url is None:
        return
    host, port = check_url(url, settings)
    await resolve(host, port, settings)


class PinnedTransport(httpx.AsyncBaseTransport):
    """Sends each request to an address checked by `resolve`, not to whatever the name
    resolves to a moment later (DNS rebinding). TLS still verifies the URL's host name."""

    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host, port = check_url(str(request.url), self.settings)
        address = (await resolve(host, port, self.settings))[0]
        extensions: dict[str, Any] = dict(request.extensions)
        if request.url.scheme == "https":
            extensions["sni_hostname"] = host
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=address),
            headers=request.headers,  # keeps the Host header of the URL's name
            stream=request.stream,
            extensions=extensions,
        )
        return await self._inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        await self._inner.aclose()
