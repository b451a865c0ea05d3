"""The SSH transport of the live collector: a nornir-netmiko connection plugin.

netmiko runs unchanged over a socket opened here with Nagle's algorithm off, in a paramiko
client that offers AES-GCM first. Host-key checking (strict, per-host known_hosts), the
authentication and the driver's session preparation stay netmiko's and paramiko's own.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from typing import Any

import paramiko
from netmiko.exceptions import NetmikoTimeoutException
from nornir.core.configuration import Config
from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir_netmiko.connections import Netmiko
from paramiko.ssh_exception import NoValidConnectionsError


def open_socket(hostname: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to ``hostname:port`` with Nagle's algorithm off (``TCP_NODELAY``).

    paramiko leaves Nagle on. An SSH client writes several small packets in a row during key
    exchange and authentication, and with Nagle each later one waits for the ACK of the one
    before, which the server delays by up to 40 ms: about 55 ms of every connection was spent so
    (docs/collection-notes.md section 7.1 is the same trap on the server side). OpenSSH's client
    sets ``TCP_NODELAY`` for interactive sessions; this does the same. Addresses are tried like
    paramiko does: refused or unreachable ones are collected and raised together as
    ``NoValidConnectionsError``; any other error is raised at once.

    Examples:
        >>> with socket.create_server(("127.0.0.1", 0)) as server:
        ...     with open_socket("127.0.0.1", server.getsockname()[1], 5.0) as sock:
        ...         sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        True
    """
    errors: dict[tuple[str, int], OSError] = {}
    for family, kind, proto, _, addr in socket.getaddrinfo(
        hostname, port, socket.AF_UNSPEC, socket.SOCK_STREAM
    ):
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(addr)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as exc:
            sock.close()
            if exc.errno not in (errno.ECONNREFUSED, errno.EHOSTUNREACH):
                raise
            errors[(str(addr[0]), int(addr[1]))] = exc
            continue
        return sock
    raise NoValidConnectionsError(errors)


def prefer_aead(ciphers: tuple[str, ...]) -> tuple[str, ...]:
    """The same ciphers, AES-GCM ones first (otherwise in the given order).

    AES-GCM authenticates each packet inside the cipher, where paramiko otherwise computes an
    HMAC and compares it byte by byte in Python; that was about a tenth of the CPU of a session,
    on both ends. No cipher is added or removed: a device without AES-GCM still gets the rest of
    the list, in paramiko's order.

    Examples:
        >>> prefer_aead(("aes128-ctr", "aes256-ctr", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"))
        ('aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes256-ctr')
    """
    aead = tuple(c for c in ciphers if c.endswith("-gcm@openssh.com"))
    return aead + tuple(c for c in ciphers if c not in aead)


class AeadFirstTransport(paramiko.Transport):  # type: ignore[misc]  # paramiko is untyped
    """paramiko's client transport, offering AES-GCM first (:func:`prefer_aead`)."""

    _preferred_ciphers = prefer_aead(paramiko.Transport._preferred_ciphers)


class AeadFirstClient(paramiko.SSHClient):  # type: ignore[misc]  # paramiko is untyped
    """paramiko's ``SSHClient`` whose connections use :class:`AeadFirstTransport`.

    Host keys, the missing-key policy (netmiko sets ``RejectPolicy`` for ``ssh_strict``) and
    authentication are paramiko's own, unchanged.
    """

    def connect(self, *args: Any, **kwargs: Any) -> None:
        """``SSHClient.connect`` with this module's transport."""
        kwargs.setdefault("transport_factory", AeadFirstTransport)
        super().connect(*args, **kwargs)


CONNECTION = "secaudit-netmiko"
"""The Nornir connection plugin the live collector uses (:class:`NetmikoNoDelay`)."""


class NetmikoNoDelay(Netmiko):  # type: ignore[misc]  # nornir-netmiko is untyped
    """nornir-netmiko's plugin, with the TCP connection opened by :func:`open_socket` and the
    SSH client of :class:`AeadFirstClient`.

    netmiko then runs unchanged over that socket (its ``sock`` argument): key exchange, strict
    host-key checking against the per-host known_hosts file, password authentication and the
    driver's session preparation. A connection failure is raised the way netmiko raises it
    (``NetmikoTimeoutException`` from the socket error), so it is classified as before.
    """

    def open(
        self,
        *,
        hostname: str | None,
        username: str | None,
        password: str | None,
        port: int | None,
        platform: str | None,
        extras: dict[str, Any] | None = None,
        configuration: Config | None = None,
    ) -> None:
        """Connect the socket, then let nornir-netmiko and netmiko do the rest over it."""
        options = dict(extras or {})
        timeout = float(options.get("conn_timeout", 10.0))
        try:
            sock = open_socket(hostname or "", port or 22, timeout)
        except OSError as exc:
            raise NetmikoTimeoutException(
                f"TCP connection to device failed.\n\nDevice settings: {platform} {hostname}:{port}\n"
            ) from exc
        try:
            super().open(
                hostname=hostname,
                username=username,
                password=password,
                port=port,
                platform=platform,
                extras={**options, "sock": sock, "auto_connect": False},
                configuration=configuration,
            )
            conn = self.connection
            conn._get_ssh_client_instance = AeadFirstClient
        except BaseException:
            sock.close()
            raise
        try:
            conn._open()  # what ConnectHandler does with auto_connect=True
        except BaseException:
            with contextlib.suppress(Exception):
                conn.disconnect()  # closes the transport and netmiko's log filter and session log
            sock.close()
            raise


if CONNECTION not in ConnectionPluginRegister.available:
    ConnectionPluginRegister.register(CONNECTION, NetmikoNoDelay)


class ChannelClosedError(EOFError):
    """The device closed the SSH channel while a read was waiting for its prompt."""


def _channel_closed(conn: Any) -> bool:
    chan = getattr(conn, "remote_conn", None)
    if chan is None:
        return False
    if bool(getattr(chan, "closed", False)) or bool(getattr(chan, "eof_received", False)):
        return True
    transport = getattr(chan, "transport", None) if hasattr(chan, "recv_ready") else None
    return transport is not None and not transport.is_active()


class ChannelWatch:
    """Watches a netmiko connection's reads: what arrived since :meth:`mark`, and a closed channel.

    netmiko's ``read_until_pattern`` keeps polling a channel the device has closed until its read
    timeout (a closed paramiko channel just has nothing to read). Wrapped by this, a read that finds
    nothing on a closed channel raises :class:`ChannelClosedError` at once. The text read since the
    last :meth:`mark` tells a read that stopped mid-output (some output, then silence) from one
    that never started.

    Examples:
        >>> class Chan:
        ...     closed, eof_received = False, False
        >>> class Conn:
        ...     remote_conn = Chan()
        ...     pending = ["disp", "lay clock\\n10:00\\n"]
        ...     def read_channel(self):
        ...         return self.pending.pop(0) if self.pending else ""
        >>> conn = Conn()
        >>> watch = ChannelWatch(conn)
        >>> watch.mark("display clock")
        >>> conn.read_channel() + conn.read_channel() + conn.read_channel()
        'display clock\\n10:00\\n'
        >>> watch.output_lines()
        ['10:00']
        >>> conn.remote_conn.closed = True
        >>> conn.read_channel()
        Traceback (most recent call last):
        ...
        secaudit.collect.transport.ChannelClosedError: channel closed by the device during 'display clock' ...
        >>> watch.detach()
        >>> conn.read_channel()
        ''
    """

    def __init__(self, conn: Any, limit: int = 65536) -> None:
        self._conn = conn
        self._read: Any = getattr(conn, "read_channel", None)
        self._limit = limit
        self._text: list[str] = []
        self._size = 0
        self._kept = 0
        self.command = ""
        if self._read is not None:  # a stand-in connection without netmiko's reads is left as it is
            conn.read_channel = self.read

    def detach(self) -> None:
        """Give the connection its own reads back (before the goodbye: a device that hangs up on
        ``quit`` must not cut netmiko's clean-up short)."""
        if self._read is not None and self._conn.__dict__.get("read_channel") == self.read:
            del self._conn.read_channel

    def mark(self, command: str) -> None:
        """A new command is about to be sent: forget what was read before it."""
        self.command = command
        self._text, self._size, self._kept = [], 0, 0

    def read(self) -> str:
        """The wrapped read; raises :class:`ChannelClosedError` on a closed, drained channel."""
        data: str = self._read()
        if data:
            self._size += len(data)
            if self._kept < self._limit:
                self._text.append(data)
                self._kept += len(data)
            return data
        if _channel_closed(self._conn):
            during = f" during {self.command!r}" if self.command else ""
            raise ChannelClosedError(f"channel closed by the device{during} after {self._size} characters")
        return data

    def output_lines(self) -> list[str]:
        """Non-blank lines read since :meth:`mark`, the echoed command left out."""
        lines = [ln.strip() for ln in "".join(self._text).splitlines() if ln.strip()]
        if lines and self.command and lines[0].endswith(self.command):
            lines = lines[1:]
        return lines
