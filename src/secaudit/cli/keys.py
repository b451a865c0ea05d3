"""``secaudit keys generate``: signing keys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from secaudit.cli._app import die, guard, keys_app, out, passphrase
from secaudit.sign.keys import generate_keypair
from secaudit.sign.sm2 import generate_sm2_keypair
from secaudit.sign.x509 import generate_identity


@keys_app.command("generate")
def keys_generate(
    out_dir: Annotated[Path, typer.Option(help="Folder for the key files")] = Path(".secaudit/keys"),
    name: Annotated[
        str, typer.Option(help="Base name: <name>.key and <name>.pub (or <name>.crt)")
    ] = "secaudit",
    passphrase_env: Annotated[
        str | None, typer.Option(help="Env var holding a passphrase for the private key")
    ] = None,
    suite: Annotated[
        str, typer.Option(help="ed25519 (default), ecdsa-x509 (self-signed certificate), sm2")
    ] = "ed25519",
    common_name: Annotated[
        str, typer.Option(help="Certificate subject CN (ecdsa-x509)")
    ] = "secaudit auditor",
    organization: Annotated[str | None, typer.Option(help="Certificate subject O (ecdsa-x509)")] = None,
    days: Annotated[int, typer.Option(help="Certificate validity in days (ecdsa-x509)")] = 730,
    cert_name: Annotated[
        str | None, typer.Option(help="Base name of the certificate file (ecdsa-x509; default: --name)")
    ] = None,
) -> None:
    """Create a signing key pair (private key mode 0600, optionally passphrase-encrypted).

    ed25519: <name>.key/.pub; ecdsa-x509: <name>.key/.crt (P-256, self-signed; or import an
    organisation CA's certificate with `run --key K --cert C`); sm2: <name>.key/.pub (PKCS#8/SPKI).
    """

    def body() -> int:
        secret = passphrase(passphrase_env)
        if suite == "ed25519":
            private_path, public_path, kid = generate_keypair(out_dir, name, secret)
        elif suite == "ecdsa-x509":
            ident = generate_identity(
                out_dir,
                name,
                common_name=common_name,
                organization=organization,
                days=days,
                passphrase=secret,
                cert_name=cert_name,
            )
            private_path, public_path, kid = ident.key_path, ident.cert_path, ident.key_id
        elif suite == "sm2":
            private_path, public_path, kid = generate_sm2_keypair(out_dir, name, secret)
        else:
            die(f"--suite must be ed25519, ecdsa-x509 or sm2, not {suite!r}")
        out.print(f"private key {private_path} (0600)\npublic      {public_path}\nkey id      {kid}")
        return 0

    guard(body)
