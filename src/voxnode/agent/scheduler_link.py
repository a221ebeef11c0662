"""How the agent reaches its scheduler: TLS trust for wss:// and the handshake's headers.

- `wss://` is verified against the system's trust store, or against `agent.ca_file` (a PEM
  bundle: a private CA, or a self-signed scheduler certificate). `agent.verify_tls = false`
  accepts any certificate: for development only, and logged as a warning on every connect.
- `agent.node_token` goes in the WebSocket handshake as `Authorization: Bearer <token>`,
  not in node_register: a header never lands in a log of messages (lingua's, the
  dev-scheduler's GET /v1/log), and the scheduler can refuse the connection before any
  message is read.
"""

from __future__ import annotations

import logging
import ssl
from urllib.parse import urlparse

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.node_settings import AgentSettings

log = logging.getLogger(__name__)


def tls_context(url: str, settings: AgentSettings) -> ssl.SSLContext | None:
    """The SSL context for `url`: None for ws://, a verifying one for wss:// unless told."""
    scheme = urlparse(url).scheme
    if scheme == "ws":
        return None
    if scheme != "wss":
        raise BadInputError(f"scheduler URL {url}: use ws:// or wss://", code="BAD_SCHEDULER_URL")
    if not settings.verify_tls:
        log.warning(
            "scheduler TLS: certificates are NOT verified (agent.verify_tls = false); anyone "
            "on the path can read and change this connection; use it for development only"
        )
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if settings.ca_file is not None:
        try:
            return ssl.create_default_context(cafile=str(settings.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise BadInputError(
                f"agent.ca_file {settings.ca_file}: not a readable PEM bundle ({exc})",
                code="BAD_CA_FILE",
            ) from exc
    return ssl.create_default_context()


def handshake_headers(settings: AgentSettings) -> dict[str, str]:
    if settings.node_token is None:
        return {}
    return {"Authorization": f"Bearer {settings.node_token.get_secret_value()}"}
