"""The scheduler link over wss:// against a local TLS server with a self-signed certificate
made here: trusted through agent.ca_file, refused by default, accepted (and loudly logged)
with agent.verify_tls = false; the node token travels in the handshake's header."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.sync.server import Server, ServerConnection, serve

from voxnode.testing import FAST_AGENT_ENV, RunningNode, eventually, run_node_process

NODE_TOKEN = "node-token-7a6b5c"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, signed by its own key: (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "voxnode test scheduler")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = folder / "scheduler.pem", folder / "scheduler.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )  # fmt: skip
    return cert_path, key_path


@dataclass
class TlsScheduler:
    """Answers every node_register with an ack; keeps what each handshake carried."""

    url: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        register = json.loads(connection.recv(timeout=10))
        self.seen.append({
            "authorization": connection.request.headers.get("Authorization"),
            "register": register,
        })  # fmt: skip
        connection.send(json.dumps({"type": "node_register_ack", "node_id": "node-tls"}))
        for _ in connection:  # heartbeats until the node goes
            pass


@pytest.fixture
def tls_scheduler(tmp_path: Path) -> Iterator[tuple[TlsScheduler, Path]]:
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    scheduler = TlsScheduler()
    server: Server = serve(scheduler.handle, "127.0.0.1", 0, ssl=context)
    scheduler.url = f"wss://127.0.0.1:{server.socket.getsockname()[1]}/ws/node"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield scheduler, cert
    finally:
        server.shutdown()
        thread.join(timeout=10)


def node_env(scheduler: TlsScheduler, **agent: str) -> dict[str, str]:
    env = {**FAST_AGENT_ENV, "VOXNODE_SCHEDULER_URL": scheduler.url}
    env.update({f"VOXNODE_AGENT__{name.upper()}": value for name, value in agent.items()})
    return env


def registered(node: RunningNode) -> bool:
    return node.agent()["state"] == "registered"


def test_a_trusted_ca_file_registers_and_sends_the_node_token(
    tmp_path: Path, tls_scheduler: tuple[TlsScheduler, Path]
) -> None:
    scheduler, cert = tls_scheduler
    env = node_env(scheduler, ca_file=str(cert), node_token=NODE_TOKEN)
    with run_node_process(tmp_path / "home", env=env) as node:
        eventually(lambda: registered(node), timeout_s=30, what="registration over wss://")
        assert node.agent()["node_id"] == "node-tls"
        assert "NOT verified" not in node.log()
    assert scheduler.seen[0]["authorization"] == f"Bearer {NODE_TOKEN}"
    assert NODE_TOKEN not in json.dumps(scheduler.seen[0]["register"])


def test_an_untrusted_certificate_is_refused_by_default(
    tmp_path: Path, tls_scheduler: tuple[TlsScheduler, Path]
) -> None:
    scheduler, _ = tls_scheduler
    with run_node_process(tmp_path / "home", env=node_env(scheduler)) as node:
        error = eventually(lambda: node.agent()["last_error"], timeout_s=30, what="a TLS error")
        assert "CERTIFICATE_VERIFY_FAILED" in error, error
        assert node.agent()["state"] != "registered"
    assert scheduler.seen == []


def test_verify_tls_false_connects_and_says_so_loudly(
    tmp_path: Path, tls_scheduler: tuple[TlsScheduler, Path]
) -> None:
    scheduler, _ = tls_scheduler
    with run_node_process(tmp_path / "home", env=node_env(scheduler, verify_tls="false")) as node:
        eventually(lambda: registered(node), timeout_s=30, what="registration")
        assert "WARNING" in node.log() and "certificates are NOT verified" in node.log()
    assert scheduler.seen[0]["authorization"] is None  # no token configured, none sent
