"""Client addresses: how they are written, and which count as local.

One definition for every gate that trusts local clients (protected mode, DEBUG, MODULE),
as Redis's islocalClient: the loopback addresses, never a name such as "localhost" (peer
addresses are never names), and in-process callers, which have no address at all.
"""

from __future__ import annotations

_LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})


def format_peer(peer: object) -> str:
    """A socket address as CLIENT LIST shows it: `127.0.0.1:5000`, `[::1]:5000`."""
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        bracketed = ":" in host and not host.startswith("[")
        return f"[{host}]:{peer[1]}" if bracketed else f"{host}:{peer[1]}"
    return str(peer or "")


def host_of(addr: str) -> str:
    """The host part of a formatted address (`127.0.0.1:5000`, `[::1]:5000`)."""
    if addr.startswith("["):
        return addr[1:].split("]", 1)[0]
    return addr.rsplit(":", 1)[0] if ":" in addr else addr


def is_local(host: str) -> bool:
    """A peer host (as the socket reports it) on the loopback interface."""
    return host in _LOOPBACK


def is_local_addr(addr: str) -> bool:
    """A formatted client address that is local; "" (an in-process caller) and a unix
    socket client (`/path:0`) are local too, as in Redis."""
    return not addr or addr.startswith("/") or is_local(host_of(addr))
