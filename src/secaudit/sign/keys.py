"""Ed25519 key pairs: generation (private key 0600, optional passphrase), loading, key ids."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from secaudit.errors import SigningError
from secaudit.sign.x509 import read_private_file, write_private_file


def key_id(public_key: Ed25519PublicKey) -> str:
    """Key id: SHA-256 (hex) of the DER SubjectPublicKeyInfo.

    Examples:
        >>> k = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
        >>> key_id(k)[:12]
        '339e2ff91763'
    """
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def generate_keypair(out_dir: Path, name: str, passphrase: bytes | None = None) -> tuple[Path, Path, str]:
    """Write ``<name>.key`` (PKCS#8 PEM, mode 0600, encrypted if a passphrase is given) and
    ``<name>.pub`` (SPKI PEM). Refuses to overwrite. Returns both paths and the key id."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out_dir / f"{name}.key", out_dir / f"{name}.pub"
    for path in (private_path, public_path):
        if path.exists():
            raise SigningError(f"{path}: already exists; refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    write_private_file(
        private_path,
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption),
    )
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path, public_path, key_id(key.public_key())


def load_private_key(path: Path, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """Load an Ed25519 private key; refuses files readable by group or others."""
    data = read_private_file(path)
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError:
        raise SigningError(f"{path}: private key is encrypted; a passphrase is needed") from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningError(f"{path}: not a readable private key (wrong passphrase or format)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Load an Ed25519 public key (SPKI PEM)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{path}: cannot read public key: {exc.strerror}") from None
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise SigningError(f"{path}: not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{path}: not an Ed25519 public key")
    return key
