"""Per-device ECDSA host keys, kept on disk so a restarted lab keeps its identities."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import paramiko


def load_or_create_key(path: Path) -> paramiko.ECDSAKey:
    """Load the ECDSA P-256 host key at ``path``, generating and saving it (mode 0600) if absent."""
    if path.is_file():
        return paramiko.ECDSAKey(filename=str(path))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = paramiko.ECDSAKey.generate(bits=256)
    tmp = path.with_name(path.name + ".tmp")
    key.write_private_key_file(str(tmp))
    tmp.replace(path)
    return key


def known_hosts_line(host: str, port: int, key_type: str, key_base64: str) -> str:
    """One OpenSSH known_hosts line; non-22 ports use the ``[host]:port`` form.

    Examples:
        >>> known_hosts_line("127.0.0.1", 40022, "ecdsa-sha2-nistp256", "AAAA")
        '[127.0.0.1]:40022 ecdsa-sha2-nistp256 AAAA'
        >>> known_hosts_line("127.0.0.1", 22, "ssh-ed25519", "AAAA")
        '127.0.0.1 ssh-ed25519 AAAA'
    """
    name = host if port == 22 else f"[{host}]:{port}"
    return f"{name} {key_type} {key_base64}"


def sha256_fingerprint(key_base64: str) -> str:
    """OpenSSH ``SHA256:`` fingerprint of a public key blob given in base64.

    Examples:
        >>> sha256_fingerprint("AAAA")
        'SHA256:cJ6AyISHokEeHuTfufIqhhSS0gxHZRUMDHlKvXD4FHw'
    """
    digest = hashlib.sha256(base64.b64decode(key_base64)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")
