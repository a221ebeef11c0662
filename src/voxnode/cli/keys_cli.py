"""`voxnode keys new|sign|add|list|rm`: package signing keys and the node's trust store.

Authors: `keys new` makes an Ed25519 key pair, `keys sign ARCHIVE --key PRIVATE.pem` writes
`ARCHIVE.sig`. Nodes: `keys add PUBLIC.pem` trusts a key; installs then verify its
signatures (required with `install-service --require-signature` or
`packages.require_signature = true`).
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from voxnode.cli.cli_support import HomeOption, JsonOption, cli_errors, print_result, settings_for
from voxnode.contracts.errors import ConflictError
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_signature import (
    key_id,
    load_private_key,
    private_pem,
    public_pem,
    sign,
    signature_beside,
)
from voxnode.packages.package_source import sha256_file
from voxnode.packages.trusted_keys import TrustedKeys

keys_app = typer.Typer(no_args_is_help=True, help=__doc__)


def _store(home: Path | None) -> TrustedKeys:
    return TrustedKeys(NodeHome(settings_for(home).home).trusted_keys)


@keys_app.command("new")
@cli_errors
def new_key(
    private: Path = typer.Argument(..., help="Where the private key goes (PEM, mode 0600)"),
) -> None:
    """Make a signing key pair: PRIVATE (keep it secret) and PRIVATE.pub (give it away)."""
    public_path = private.with_name(private.name + ".pub")
    for path in (private, public_path):
        if path.exists():
            raise ConflictError(f"{path} exists; not overwritten", code="KEY_EXISTS")
    key = Ed25519PrivateKey.generate()
    private.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(private_pem(key))
    public_path.write_bytes(public_pem(key.public_key()))
    typer.echo(f"key {key_id(key.public_key())}: private {private}, public {public_path}")


@keys_app.command("sign")
@cli_errors
def sign_archive(
    archive: Path = typer.Argument(..., exists=True, dir_okay=False, help=".zip or .tar.gz"),
    key: Path = typer.Option(..., "--key", exists=True, help="The private key (PEM)"),
    out: Path | None = typer.Option(None, help="Signature file (default: ARCHIVE.sig)"),
) -> None:
    """Sign a package archive: an Ed25519 signature over its sha256, written beside it."""
    private = load_private_key(key.read_bytes(), source=str(key))
    signature = sign(sha256_file(archive), private)
    target = out or signature_beside(archive)
    target.write_text(signature.to_json())
    typer.echo(f"{target}: signed by key {signature.key_id} (sha256 {signature.sha256})")


@keys_app.command("add")
@cli_errors
def add_key(
    public: Path = typer.Argument(..., exists=True, dir_okay=False, help="Public key (PEM)"),
    name: str | None = typer.Option(None, help="Default: the file's name without suffixes"),
    home: Path | None = HomeOption,
) -> None:
    """Trust a public key: packages it signs pass signature checks on this node."""
    label = name or public.name.split(".")[0]
    added = _store(home).add(public.read_bytes(), name=label, source=str(public))
    typer.echo(f"trusted key {added.key_id} as '{added.name}' ({added.path})")


@keys_app.command("list")
@cli_errors
def list_keys(home: Path | None = HomeOption, as_json: bool = JsonOption) -> None:
    """The trusted keys: name, key_id, file."""
    keys = _store(home).keys()
    rows = [{"name": k.name, "key_id": k.key_id, "path": str(k.path)} for k in keys]
    text = "\n".join(f"{r['name']:24} {r['key_id']}  {r['path']}" for r in rows)
    print_result(rows, as_json, text or "no trusted keys")


@keys_app.command("rm")
@cli_errors
def remove_key(name_or_id: str, home: Path | None = HomeOption) -> None:
    """Stop trusting a key (by name or key_id). Installed packages stay installed."""
    removed = _store(home).remove(name_or_id)
    typer.echo(f"removed key {removed.key_id} ('{removed.name}')")
