"""Host-key enrolment and per-host known_hosts files (strict checking, fail closed).

One file per host keeps paramiko's O(n^2) known_hosts loading cheap (docs/collection-notes.md §7.9).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

import paramiko


@dataclass(frozen=True, slots=True)
class HostKey:
    """A server's public host key."""

    key_type: str
    base64: str

    @property
    def fingerprint(self) -> str:
        """OpenSSH-style ``SHA256:...`` fingerprint.

        Examples:
            >>> HostKey("ssh-ed25519", "AAAA").fingerprint
            'SHA256:cJ6AyISHokEeHuTfufIqhhSS0gxHZRUMDHlKvXD4FHw'
        """
        digest = hashlib.sha256(base64.b64decode(self.base64)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def known_hosts_name(hostname: str, port: int) -> str:
    """The name paramiko looks up for ``hostname:port``.

    Examples:
        >>> known_hosts_name("127.0.0.1", 22)
        '127.0.0.1'
        >>> known_hosts_name("127.0.0.1", 2222)
        '[127.0.0.1]:2222'
    """
    return hostname if port == 22 else f"[{hostname}]:{port}"


def known_hosts_path(directory: Path, host: str) -> Path:
    """Per-host known_hosts file (absolute: netmiko resolves relative paths against the CWD)."""
    return (directory / f"{host}.known_hosts").resolve()


def scan(hostname: str, port: int, timeout: float = 10.0) -> HostKey:
    """Fetch a server's host key without logging in (SSH key exchange only)."""
    transport = paramiko.Transport((hostname, port))
    try:
        transport.banner_timeout = timeout
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
        return HostKey(key.get_name(), key.get_base64())
    finally:
        transport.close()


def read_enrolled(path: Path, hostname: str, port: int) -> HostKey | None:
    """The key enrolled for ``hostname:port`` in ``path``, if any."""
    if not path.is_file():
        return None
    name = known_hosts_name(hostname, port)
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 3 and name in parts[0].split(","):
            return HostKey(parts[1], parts[2])
    return None


def enrol(path: Path, hostname: str, port: int, key: HostKey) -> None:
    """Write (replace) the per-host known_hosts file with ``key``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{known_hosts_name(hostname, port)} {key.key_type} {key.base64}\n", encoding="utf-8")
