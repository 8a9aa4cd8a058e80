"""TLS for the `tls-port` listener, through Python's ssl module, from Redis's `tls-*` settings.

One server-side SSLContext serves every TLS connection; CONFIG SET of a `tls-*` setting
reconfigures it in place (new connections see the change), as Redis reloads its context.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING

from ferrite_host.core.config import TLS_FIELDS
from ferrite_host.core.hookspecs import hookimpl

if TYPE_CHECKING:
    from ferrite_host.core.config import Settings
    from ferrite_host.core.state import ServerState

log = logging.getLogger("ferrite")

_VERSIONS = {
    "tlsv1": ssl.TLSVersion.TLSv1,
    "tlsv1.1": ssl.TLSVersion.TLSv1_1,
    "tlsv1.2": ssl.TLSVersion.TLSv1_2,
    "tlsv1.3": ssl.TLSVersion.TLSv1_3,
}
_VERIFY = {"yes": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "no": ssl.CERT_NONE}


class TlsConfigError(Exception):
    """The TLS settings cannot make a context; the message says which part failed."""


def server_context(settings: Settings) -> ssl.SSLContext:
    """A server context from the settings: certificate and key, the CA for client
    certificates, `tls-auth-clients`, the protocol versions and ciphers."""
    if not settings.tls_cert_file or not settings.tls_key_file:
        raise TlsConfigError("tls-port needs tls-cert-file and tls-key-file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _load_chain(context, settings)
    if settings.tls_ca_cert_file or settings.tls_ca_cert_dir:
        try:
            context.load_verify_locations(
                cafile=settings.tls_ca_cert_file or None, capath=settings.tls_ca_cert_dir or None
            )
        except (OSError, ssl.SSLError) as exc:
            raise TlsConfigError(f"Failed to load CA certificate(s): {_reason(exc)}") from None
    elif settings.tls_auth_clients != "no":
        raise TlsConfigError(
            "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when "
            "tls-auth-clients is yes or optional"
        )
    context.verify_mode = _VERIFY[settings.tls_auth_clients]
    _set_versions(context, settings.tls_protocols)
    if settings.tls_ciphers:
        try:
            context.set_ciphers(settings.tls_ciphers)
        except ssl.SSLError:
            raise TlsConfigError(f"Failed to configure ciphers: {settings.tls_ciphers}") from None
    if settings.tls_prefer_server_ciphers:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    return context


def _load_chain(context: ssl.SSLContext, settings: Settings) -> None:
    try:
        context.load_cert_chain(
            settings.tls_cert_file,
            settings.tls_key_file,
            password=settings.tls_key_file_pass or None,
        )
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(
            f"Failed to load certificate: {settings.tls_cert_file} or private key: "
            f"{settings.tls_key_file}: {_reason(exc)}"
        ) from None


def _set_versions(context: ssl.SSLContext, protocols: str) -> None:
    """Redis's default is TLSv1.2 and TLSv1.3; a list allows the range it spans."""
    wanted = sorted(_VERSIONS[word.lower()] for word in protocols.split()) or [
        ssl.TLSVersion.TLSv1_2,
        ssl.TLSVersion.TLSv1_3,
    ]
    try:
        context.minimum_version = wanted[0]
        context.maximum_version = wanted[-1]
    except (ValueError, ssl.SSLError) as exc:
        raise TlsConfigError(f"Failed to set tls-protocols: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc)


class TlsReload:
    """CONFIG SET tls-*: the live context takes the new files and options (new connections
    use them); settings that cannot make a context are logged and the old ones stay."""

    def __init__(self, live_context: Callable[[], ssl.SSLContext | None]) -> None:
        self._live_context = live_context

    @hookimpl
    def ferrite_config_changed(self, state: ServerState, changed: set[str]) -> None:
        live = self._live_context()
        if live is None or not changed & TLS_FIELDS:
            return
        try:
            fresh = server_context(state.settings)
        except TlsConfigError as exc:
            log.warning("Unable to update TLS configuration: %s", exc)
            return
        reconfigure(live, fresh, state.settings)


def reconfigure(live: ssl.SSLContext, fresh: ssl.SSLContext, settings: Settings) -> None:
    """Copy what `fresh` was made with into the context the listener holds."""
    live.load_cert_chain(
        settings.tls_cert_file, settings.tls_key_file, password=settings.tls_key_file_pass or None
    )
    if settings.tls_ca_cert_file or settings.tls_ca_cert_dir:
        live.load_verify_locations(
            cafile=settings.tls_ca_cert_file or None, capath=settings.tls_ca_cert_dir or None
        )
    live.verify_mode = fresh.verify_mode
    live.minimum_version, live.maximum_version = fresh.minimum_version, fresh.maximum_version
    if settings.tls_ciphers:
        live.set_ciphers(settings.tls_ciphers)
    live.options = fresh.options
