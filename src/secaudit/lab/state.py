"""Run a lab in a foreground process and leave a JSON state file a CLI can find.

``serve_forever`` is what ``secaudit lab start`` runs; ``read_state`` plus ``process_alive``
give ``status``; ``stop`` signals the recorded pid (SIGTERM), and the server removes its file.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, MappingProxyType
from typing import Any

from secaudit.lab.model import DeviceSpec
from secaudit.lab.server import HOST, Lab

STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class DeviceState:
    """Where one running simulated device can be reached."""

    name: str
    platform: str
    port: int
    pid: int
    known_hosts: Path | None = None


@dataclass(frozen=True, slots=True)
class LabState:
    """Contents of a lab state file."""

    pid: int
    host: str
    started_at: str
    devices: Mapping[str, DeviceState]


def write_state(path: Path, lab: Lab) -> None:
    """Atomically write ``lab``'s devices, ports, pid and known_hosts files as JSON at ``path``."""
    ports, known = lab.ports, lab.known_hosts_files
    if not ports:
        raise RuntimeError("write_state() needs a started lab")
    pid = os.getpid()
    doc = {
        "version": STATE_VERSION,
        "pid": pid,
        "host": HOST,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "devices": {
            spec.name: {
                "platform": spec.platform,
                "port": ports[spec.name],
                "pid": pid,
                "known_hosts": str(known[spec.name]) if spec.name in known else None,
            }
            for spec in lab.devices
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def parse_state(doc: Any) -> LabState:
    """Validate a decoded state document.

    Examples:
        >>> doc = {"version": 1, "pid": 7, "host": "127.0.0.1", "started_at": "t",
        ...        "devices": {"olt1": {"platform": "huawei_smartax", "port": 4001, "pid": 7,
        ...                             "known_hosts": None}}}
        >>> parse_state(doc).devices["olt1"].port
        4001
        >>> parse_state({"version": 2})
        Traceback (most recent call last):
        ...
        ValueError: not a lab state file (version 1 expected)
    """
    if not isinstance(doc, dict) or doc.get("version") != STATE_VERSION:
        raise ValueError(f"not a lab state file (version {STATE_VERSION} expected)")
    try:
        devices = {
            str(name): DeviceState(
                name=str(name),
                platform=str(d["platform"]),
                port=int(d["port"]),
                pid=int(d["pid"]),
                known_hosts=Path(d["known_hosts"]) if d.get("known_hosts") else None,
            )
            for name, d in doc["devices"].items()
        }
        return LabState(
            pid=int(doc["pid"]),
            host=str(doc["host"]),
            started_at=str(doc["started_at"]),
            devices=MappingProxyType(devices),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"malformed lab state file: {exc!r}") from exc


def read_state(path: Path) -> LabState:
    """Read a state file written by :func:`write_state` (``FileNotFoundError`` if none)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON: {exc}") from exc
    return parse_state(doc)


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists (signal 0 probe; a pid may have been reused).

    Examples:
        >>> process_alive(os.getpid())
        True
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def serve_forever(
    devices: Sequence[DeviceSpec],
    key_dir: Path,
    state_path: Path,
    stop_event: threading.Event | None = None,
    known_hosts_dir: Path | None = None,
) -> None:
    """Serve ``devices`` until ``stop_event`` is set or SIGTERM/SIGINT arrives.

    Known_hosts files are exported as ``<known_hosts_dir>/<name>.known_hosts`` (default: a
    ``known_hosts`` folder next to the state file) and recorded in the state file, which is
    removed on exit. Signal handlers are installed only when called from the main thread.
    """
    stop = stop_event or threading.Event()
    kh_dir = known_hosts_dir or state_path.parent / "known_hosts"
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():

        def _on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, _on_signal)
    try:
        with Lab(devices, key_dir) as lab:
            lab.export_known_hosts(lambda name: kh_dir / f"{name}.known_hosts")
            write_state(state_path, lab)
            try:
                while not stop.wait(0.5):
                    pass
            finally:
                state_path.unlink(missing_ok=True)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def serves_state_dir(pid: int, root: Path, proc: Path = Path("/proc")) -> bool | None:
    """Whether process ``pid`` is a ``secaudit lab serve`` of the lab in ``root``.

    Read from ``/proc/<pid>/cmdline``: ``None`` when that cannot be read (no /proc, or the
    process is gone), so a caller never signals a process that is someone else's lab, or a
    recycled pid.

    Examples:
        >>> import sys, tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     fake = Path(tmp) / "42"
        ...     fake.mkdir()
        ...     argv = [sys.executable, "-m", "secaudit", "lab", "serve", "--state-dir", "/tmp/lab-a"]
        ...     _ = (fake / "cmdline").write_bytes("\\0".join(argv).encode() + b"\\0")
        ...     [serves_state_dir(42, Path(lab), Path(tmp)) for lab in ("/tmp/lab-a", "/tmp/lab-b")]
        [True, False]
    """
    try:
        argv = (proc / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    words = [a.decode("utf-8", errors="replace") for a in argv if a]
    if "serve" not in words or "--state-dir" not in words:
        return False
    given = words[words.index("--state-dir") + 1 :][:1]
    return bool(given) and Path(given[0]).resolve() == root.resolve()
