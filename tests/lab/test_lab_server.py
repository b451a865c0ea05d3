"""Lab plumbing: ports, host keys, known_hosts, shutdown, latency and the state file."""

from __future__ import annotations

import re
import socket
import statistics
import threading
import time
from pathlib import Path

import paramiko
import pytest
from lab_support import PASSWORD, USER, connect, spec, start_lab

from secaudit.lab import HOST, FaultMode, Lab
from secaudit.lab.state import process_alive, read_state, serve_forever, write_state

KNOWN_HOSTS_LINE = re.compile(r"\[127\.0\.0\.1\]:(\d+) ecdsa-sha2-nistp256 (AAAA[A-Za-z0-9+/=]+)")


def scan(port: int) -> paramiko.PKey:
    """The host key a port serves (key exchange only, no login)."""
    transport = paramiko.Transport((HOST, port))
    try:
        transport.start_client(timeout=5)
        return transport.get_remote_server_key()
    finally:
        transport.close()


def test_ports_known_hosts_and_persistent_keys(tmp_path: Path) -> None:
    devices = [spec("olt", "huawei_smartax"), spec("rekeyed", "cisco_xr", FaultMode.CHANGED_HOST_KEY)]
    with Lab(devices, tmp_path / "keys") as lab:
        files = lab.export_known_hosts(lambda name: tmp_path / "kh" / f"{name}.known_hosts")
        first = lab.fingerprints()
        assert len(set(lab.ports.values())) == 2
        for name, path in files.items():
            match = KNOWN_HOSTS_LINE.fullmatch(path.read_text(encoding="utf-8").strip())
            assert match is not None
            assert int(match.group(1)) == lab.ports[name]
        assert scan(lab.ports["olt"]).fingerprint == first["olt"]
        served = scan(lab.ports["rekeyed"]).fingerprint
        assert served == lab.fingerprints(served=True)["rekeyed"] != first["rekeyed"]
    assert (tmp_path / "keys" / "olt.key").stat().st_mode & 0o077 == 0
    with Lab(devices, tmp_path / "keys") as again:  # a restart keeps every identity
        assert again.fingerprints() == first
        assert scan(again.ports["olt"]).fingerprint == first["olt"]


def test_misuse_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="duplicate"):
        Lab([spec("a", "cisco_xr"), spec("a", "huawei_vrp")], tmp_path)
    lab = Lab([spec("a", "cisco_xr")], tmp_path)
    with pytest.raises(RuntimeError):
        lab.export_known_hosts(lambda name: tmp_path / name)
    with lab, pytest.raises(RuntimeError):
        lab.start()


def test_closed_port_refuses_tcp(tmp_path: Path) -> None:
    with Lab([spec("gone", "zte_zxros", FaultMode.CLOSED_PORT)], tmp_path) as lab:
        port = lab.ports["gone"]
        assert port > 0
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((HOST, port), timeout=2).close()


def test_stop_is_prompt_with_sessions_open(tmp_path: Path) -> None:
    lab = start_lab([spec("hung", "cisco_xr", FaultMode.HANG_AFTER_LOGIN), spec("ok", "cisco_xr")], tmp_path)
    clients = []
    for name in ("hung", "ok"):
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.load_host_keys(str(lab.known_hosts_files[name]))
        client.connect(
            HOST, lab.ports[name], USER, PASSWORD, timeout=5, allow_agent=False, look_for_keys=False
        )
        client.invoke_shell()
        clients.append(client)
    time.sleep(0.2)
    started = time.perf_counter()
    lab.stop()
    assert time.perf_counter() - started < 2.5
    assert not [t for t in threading.enumerate() if t.name.startswith("lab-")]
    for client in clients:
        client.close()


def test_round_trip_latency_is_not_nagled(tmp_path: Path) -> None:
    """Echo, then (after thinking) output: the second write must not wait for a delayed ACK.

    Without TCP_NODELAY on the accepted socket this costs ~44 ms per command (notes §7.1); with
    it, ~2.4 ms here (2 ms of that is the think time).
    """
    lab = start_lab([spec("xr", "cisco_xr", FaultMode.SLOW_THINK, think_time_s=0.002)], tmp_path)
    try:
        client = paramiko.SSHClient()
        client.load_host_keys(str(lab.known_hosts_files["xr"]))
        client.connect(
            HOST, lab.ports["xr"], USER, PASSWORD, timeout=5, allow_agent=False, look_for_keys=False
        )
        chan = client.invoke_shell()
        chan.settimeout(2)
        prompt = b"RP/0/RSP0/CPU0:XR-EDGE1#"
        buf = b""
        while not buf.endswith(prompt):
            buf += chan.recv(4096)
        samples = []
        for _ in range(15):
            t0 = time.perf_counter()
            chan.sendall(b"show version\n")
            buf = b""
            while not buf.endswith(prompt):
                buf += chan.recv(4096)
            samples.append(time.perf_counter() - t0)
        client.close()
        assert statistics.median(samples) < 0.02, samples
    finally:
        lab.stop()


def test_concurrent_sessions_on_one_device_are_all_recorded(tmp_path: Path) -> None:
    lab = start_lab([spec("xr", "cisco_xr")], tmp_path)
    errors: list[BaseException] = []

    def session() -> None:
        try:
            conn = connect(lab, "xr")
            conn.send_command("show version")
            conn.disconnect()
        except Exception as exc:
            errors.append(exc)

    try:
        threads = [threading.Thread(target=session) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert errors == []
        assert lab.commands("xr").count("show version") == 3
    finally:
        lab.stop()


def test_state_file_round_trip(tmp_path: Path) -> None:
    lab = start_lab([spec("olt", "huawei_smartax"), spec("edge", "cisco_xr")], tmp_path)
    try:
        write_state(tmp_path / "lab.json", lab)
        state = read_state(tmp_path / "lab.json")
    finally:
        lab.stop()
    assert state.host == HOST
    assert {n: d.port for n, d in state.devices.items()} == lab.ports
    assert state.devices["olt"].platform == "huawei_smartax"
    assert state.devices["olt"].known_hosts == lab.known_hosts_files["olt"]
    assert process_alive(state.pid)
    (tmp_path / "bad.json").write_text('{"version": 1, "devices": {}}', encoding="utf-8")
    with pytest.raises(ValueError, match="malformed"):
        read_state(tmp_path / "bad.json")


def test_serve_forever_until_stopped(tmp_path: Path) -> None:
    state_path = tmp_path / "run" / "lab.json"
    stop = threading.Event()
    server = threading.Thread(
        target=serve_forever, args=([spec("olt", "huawei_smartax")], tmp_path / "keys", state_path, stop)
    )
    server.start()
    try:
        deadline = time.monotonic() + 5
        while not state_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        state = read_state(state_path)
        device = state.devices["olt"]
        assert device.known_hosts is not None
        assert device.known_hosts.is_file()
        with socket.create_connection((HOST, device.port), timeout=2) as sock:
            assert sock.recv(7) == b"SSH-2.0"
    finally:
        stop.set()
        server.join(5)
    assert not server.is_alive()
    assert not state_path.exists()
