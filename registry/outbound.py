"""Outbound webhooks' pure rules: where a delivery may go, and how it is signed.

No models here: the subscription model, the forms, the API and the delivery itself all
call these, so a URL refused at subscription is refused the same at delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from urllib.parse import urlsplit

#: The header that carries `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
SIGNATURE_HEADER = "FMEA-Signature"
EVENT_ID_HEADER = "FMEA-Event-Id"
EVENT_TYPE_HEADER = "FMEA-Event-Type"


class UnsafeURLError(ValueError):
    """A webhook URL the register will not send to; the message says why."""


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (one lookup; a literal address is itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURLError(f"The host {host} could not be resolved.") from exc
    return sorted({info[4][0] for info in infos})


def check_webhook_url(url: str, *, allow_private: bool, resolver=resolve) -> None:
    """Refuse a URL that is not http(s) or whose host resolves to an address that is not
    public: loopback, private (RFC 1918, unique local), link-local (cloud metadata at
    169.254.169.254), shared, reserved or multicast. Every address counts, so a name
    with one private address among public ones is refused.

    `allow_private` lifts the address rule (a register whose receivers are internal).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError("Use an http:// or https:// URL.")
    if not parts.hostname:
        raise UnsafeURLError("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeURLError("Put no user name or password in the URL; the secret signs.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURLError("The URL's port is not a number from 1 to 65535.") from exc
    if allow_private:
        return
    for address in resolver(parts.hostname, port):
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            raise UnsafeURLError(
                f"{parts.hostname} resolves to {ip}, a loopback, private or link-local "
                "address: webhooks go to public addresses only."
            )


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 of `<timestamp>.<body>` under the subscription's secret, in hex."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: the header's signature matches and its time is recent."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(fields.get("v1", ""), signature(secret, timestamp, body))
