"""The check every outgoing webhook and chat call passes when it is made: the host must not
resolve to a private, loopback, link-local or otherwise internal address, unless staff have
allowed that host by name (``AllowedHost``). Every address the host resolves to is checked,
so a name with one public and one private address is refused too."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from hostkeep.core.errors import RetryableError, TerminalError
from hostkeep.notifications.models import AllowedHost


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def normalise_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def host_allowed(host: str) -> bool:
    return AllowedHost.objects.filter(host=normalise_host(host)).exists()


def resolve(host: str, port: int | None) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise RetryableError(_("The host %(host)s could not be resolved.") % {"host": host}) from error
    return sorted({str(info[4][0]) for info in infos})


def check_host(host: str, port: int | None = None) -> None:
    """Refuse (TerminalError) a host that is, or resolves to, an internal address."""
    host = normalise_host(host)
    if not host:
        raise TerminalError(_("The URL has no host."), code="url_refused")
    if host_allowed(host):
        return
    for address in resolve(host, port):
        if _is_internal(ipaddress.ip_address(address.split("%", 1)[0])):
            raise TerminalError(
                _("%(host)s resolves to the internal address %(address)s; staff must allow this host first.")
                % {"host": host, "address": address},
                code="url_refused",
            )


def check_url(url: str) -> None:
    """Check an http(s) URL's host before calling it."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise TerminalError(_("Only http and https URLs can be called."), code="url_refused")
    try:
        port = parts.port
    except ValueError:
        raise TerminalError(_("The URL's port is not a number."), code="url_refused") from None
    check_host(parts.hostname or "", port)
