"""One process, N simulated SSH devices on 127.0.0.1, built on paramiko's server API.

Each device listens on its own kernel-assigned port. One ``selectors`` thread accepts
connections for all devices; each SSH connection gets one handler thread (plus the thread
paramiko's ``Transport`` runs itself). A hung or slow device therefore never delays another.
"""

from __future__ import annotations

import hmac
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

import paramiko

from secaudit.lab.config import DeviceConfig
from secaudit.lab.keys import known_hosts_line, load_or_create_key, sha256_fingerprint
from secaudit.lab.model import DeviceSpec, FaultMode
from secaudit.lab.shell import DeviceShell, Effect, Hangup, Pause

HOST = "127.0.0.1"
"""The only address the lab ever binds."""

_POLL_S = 0.2  # how often blocking waits look at the stop flag
_LOGIN_WINDOW_S = 30.0  # a client must open its shell within this time after TCP accept
_AUTH_OK: int = paramiko.AUTH_SUCCESSFUL
_AUTH_FAILED: int = paramiko.AUTH_FAILED
_OPEN_OK: int = paramiko.OPEN_SUCCEEDED
_OPEN_REFUSED: int = paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

log = logging.getLogger(__name__)
_SSH_LOG = "secaudit.lab.paramiko"  # server-side paramiko noise ("Socket exception: ... (104)")
logging.getLogger(_SSH_LOG).addHandler(logging.NullHandler())


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class _DeviceServer(paramiko.ServerInterface):  # type: ignore[misc]
    """paramiko callbacks for one connection: password auth and one interactive shell."""

    def __init__(self, spec: DeviceSpec) -> None:
        self._spec = spec
        self.shell_requested = threading.Event()

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_auth_password(self, username: str, password: str) -> int:
        spec = self._spec
        ok = _same(username, spec.username) & _same(password, spec.password)
        return _AUTH_OK if ok and spec.fault is not FaultMode.WRONG_PASSWORD else _AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return _OPEN_OK if kind == "session" else _OPEN_REFUSED

    def check_channel_pty_request(self, *args: object) -> bool:
        return True

    def check_channel_window_change_request(self, *args: object) -> bool:
        return True

    def check_channel_shell_request(self, channel: object) -> bool:
        self.shell_requested.set()
        return True


@dataclass(slots=True)
class _Device:
    spec: DeviceSpec
    key: Any  # paramiko.ECDSAKey: the pinned key, exported to known_hosts
    served_key: Any  # the key actually served (differs under changed_host_key)
    config: DeviceConfig  # outputs and running configuration, shared by the device's sessions
    port: int = 0
    listener: socket.socket | None = None


class Lab:
    """N simulated devices served from this process, on 127.0.0.1 only.

    Host keys live in ``key_dir`` as ``<name>.key`` (and ``<name>.rotated.key``, the key a
    ``changed_host_key`` device serves instead), so a restarted lab keeps its identities. Use it
    as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(self, devices: Sequence[DeviceSpec], key_dir: Path) -> None:
        names = [d.name for d in devices]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate device names: {', '.join(dupes)}")
        self._devices: dict[str, _Device] = {}
        for spec in devices:
            key = load_or_create_key(key_dir / f"{spec.name}.key")
            served = key
            if spec.fault is FaultMode.CHANGED_HOST_KEY:
                served = load_or_create_key(key_dir / f"{spec.name}.rotated.key")
            self._devices[spec.name] = _Device(spec, key, served, DeviceConfig(spec))
        self._commands: dict[str, list[str]] = {name: [] for name in names}
        self._known_hosts: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._selector: selectors.BaseSelector | None = None
        self._accept_thread: threading.Thread | None = None
        self._threads: list[threading.Thread] = []
        self._transports: set[Any] = set()

    # -- public API ------------------------------------------------------------------------------

    @property
    def devices(self) -> tuple[DeviceSpec, ...]:
        """The device specs, in the order given."""
        return tuple(d.spec for d in self._devices.values())

    @property
    def ports(self) -> dict[str, int]:
        """Device name -> TCP port on 127.0.0.1 (empty before ``start()``)."""
        return {name: d.port for name, d in self._devices.items() if d.port}

    @property
    def known_hosts_files(self) -> dict[str, Path]:
        """Device name -> known_hosts file written by the last ``export_known_hosts()``."""
        return dict(self._known_hosts)

    def commands(self, name: str) -> list[str]:
        """Every command line device ``name`` received at its prompt, in order."""
        with self._lock:
            return list(self._commands[name])

    def outputs(self, name: str) -> Mapping[str, str]:
        """Device ``name``'s current outputs (its running configuration as configured so far)."""
        return self._devices[name].config.outputs

    def fingerprints(self, *, served: bool = False) -> dict[str, str]:
        """Device name -> ``SHA256:`` fingerprint of the pinned (or, with ``served``, served) key."""
        return {
            name: sha256_fingerprint((d.served_key if served else d.key).get_base64())
            for name, d in self._devices.items()
        }

    def export_known_hosts(self, path_for: Callable[[str], Path]) -> dict[str, Path]:
        """Write one known_hosts file per device at ``path_for(name)``; return the paths.

        Each file holds ``[127.0.0.1]:<port> ecdsa-sha2-nistp256 <base64>`` with the pinned key,
        which is the pre-rotation key for a ``changed_host_key`` device.
        """
        if not self.ports:
            raise RuntimeError("start() the lab first: ports are assigned by the kernel")
        for name, dev in self._devices.items():
            path = path_for(name).resolve()
            path.parent.mkdir(parents=True, exist_ok=True)
            line = known_hosts_line(HOST, dev.port, dev.key.get_name(), dev.key.get_base64())
            path.write_text(line + "\n", encoding="utf-8")
            self._known_hosts[name] = path
        return self.known_hosts_files

    def start(self) -> None:
        """Bind every device's port and start accepting connections."""
        if self._selector is not None:
            raise RuntimeError("a Lab can be started only once")
        self._selector = selectors.DefaultSelector()
        try:
            for dev in self._devices.values():
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.bind((HOST, 0))
                dev.port = sock.getsockname()[1]
                if dev.spec.fault is FaultMode.CLOSED_PORT:
                    sock.close()  # nothing listens there: connections are refused
                    continue
                dev.listener = sock
                sock.listen(64)
                sock.setblocking(False)
                self._selector.register(sock, selectors.EVENT_READ, dev)
        except OSError:
            self._close_listeners()
            raise
        self._accept_thread = threading.Thread(
            target=self._accept_loop, args=(self._selector,), name="lab-accept", daemon=True
        )
        self._accept_thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Close every listener and session and join the threads (within about ``timeout``)."""
        if self._selector is None or self._stop.is_set():
            return
        deadline = time.monotonic() + timeout
        self._stop.set()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout)
        self._close_listeners()
        with self._lock:
            transports, threads = list(self._transports), list(self._threads)
        for transport in transports:
            transport.close()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> Self:
        if self._selector is None:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- internals -------------------------------------------------------------------------------

    def _close_listeners(self) -> None:
        for dev in self._devices.values():
            if dev.listener is not None:
                dev.listener.close()
                dev.listener = None
        if self._selector is not None:
            self._selector.close()

    def _record(self, name: str, command: str) -> None:
        with self._lock:
            self._commands[name].append(command)

    def _accept_loop(self, selector: selectors.BaseSelector) -> None:
        while not self._stop.is_set():
            for key, _ in selector.select(timeout=_POLL_S):
                listener = cast(socket.socket, key.fileobj)
                try:
                    conn, _ = listener.accept()
                except OSError as exc:  # a client reset before accept, or stop() raced us
                    log.debug("accept failed: %s", exc)
                    continue
                conn.setblocking(True)
                # Nagle + delayed ACK cost 44 ms per round trip (docs/collection-notes.md §7.1)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                dev = cast(_Device, key.data)
                thread = threading.Thread(
                    target=self._serve, args=(dev, conn), name=f"lab-{dev.spec.name}", daemon=True
                )
                with self._lock:
                    self._threads = [t for t in self._threads if t.is_alive()]
                    self._threads.append(thread)
                thread.start()

    def _serve(self, dev: _Device, conn: socket.socket) -> None:
        transport = paramiko.Transport(conn)
        transport.set_log_channel(_SSH_LOG)
        with self._lock:
            if self._stop.is_set():
                transport.close()
                return
            self._transports.add(transport)
        try:
            transport.add_server_key(dev.served_key)
            server = _DeviceServer(dev.spec)
            transport.start_server(server=server)
            chan = self._wait_for_shell(transport, server)
            if chan is not None:
                try:
                    self._run_shell(dev, chan)
                finally:
                    chan.close()
        except (paramiko.SSHException, OSError, EOFError) as exc:
            log.debug("%s: connection ended: %s", dev.spec.name, exc)
        finally:
            transport.close()
            with self._lock:
                self._transports.discard(transport)

    def _wait_for_shell(self, transport: Any, server: _DeviceServer) -> Any:
        deadline = time.monotonic() + _LOGIN_WINDOW_S
        chan = None
        while not self._stop.is_set() and transport.is_active() and time.monotonic() < deadline:
            if chan is None:
                chan = transport.accept(timeout=_POLL_S)
            elif server.shell_requested.wait(_POLL_S):
                return chan
        return None

    def _run_shell(self, dev: _Device, chan: Any) -> None:
        spec = dev.spec
        shell = DeviceShell(spec, record=lambda command: self._record(spec.name, command), device=dev.config)
        if not self._apply(chan, shell.start()):
            return
        chan.settimeout(_POLL_S)
        while not self._stop.is_set():
            try:
                data = chan.recv(4096)
            except TimeoutError:
                continue
            if not data or not self._apply(chan, shell.feed(data)):
                return

    def _apply(self, chan: Any, effects: list[Effect]) -> bool:
        """Carry out a shell's effects in order; False once the session must end."""
        for effect in effects:
            if isinstance(effect, Hangup):
                return False
            if isinstance(effect, Pause):
                if self._stop.wait(effect.seconds):
                    return False
            else:
                chan.sendall(effect)
        return True
