"""Every fault mode produces the failure secaudit's collector must classify."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import paramiko
import pytest
from lab_support import OUTPUTS, abandon, connect, expected, roundtrip, spec
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadException,
    ReadTimeout,
)

from secaudit.lab import FaultMode, Lab
from secaudit.lab.platforms import get_profile

XR_CFG, XR_VER = "show running-config", "show version"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    devices = [
        spec("healthy-xr", "cisco_xr"),
        spec("badpass", "cisco_xr", FaultMode.WRONG_PASSWORD),
        spec("rekeyed", "huawei_smartax", FaultMode.CHANGED_HOST_KEY),
        spec("refused", "zte_zxros", FaultMode.CLOSED_PORT),
        spec("hung", "cisco_xr", FaultMode.HANG_AFTER_LOGIN),
        spec("hung-cmd", "cisco_xr", FaultMode.HANG_AFTER_LOGIN, fault_command=XR_CFG),
        spec("paged", "zte_zxros", FaultMode.PAGER_LEFT_ON),
        spec("rejecting", "huawei_vrp", FaultMode.COMMAND_REJECTED, fault_command="display version"),
        spec("dropping", "cisco_xr", FaultMode.DISCONNECT_MID_OUTPUT, fault_command=XR_CFG),
        spec("garbled", "zte_zxa10", FaultMode.GARBAGE_OUTPUT, fault_command="show version"),
        spec("slow", "cisco_xr", FaultMode.SLOW_THINK, think_time_s=0.4),
    ]
    workdir = tmp_path_factory.mktemp("faults")
    with Lab(devices, workdir / "keys") as lab:
        lab.export_known_hosts(lambda name: workdir / "kh" / f"{name}.known_hosts")
        yield lab


def test_wrong_password_is_an_authentication_failure(lab: Lab) -> None:
    with pytest.raises(NetmikoAuthenticationException):
        connect(lab, "badpass")


def test_changed_host_key_is_refused(lab: Lab) -> None:
    assert lab.fingerprints()["rekeyed"] != lab.fingerprints(served=True)["rekeyed"]
    with pytest.raises(NetmikoTimeoutException) as info:
        connect(lab, "rekeyed")
    assert isinstance(info.value.__context__, paramiko.BadHostKeyException)
    assert lab.commands("rekeyed") == []


def test_closed_port_refuses_connections(lab: Lab) -> None:
    with pytest.raises(NetmikoTimeoutException, match="TCP connection to device failed"):
        connect(lab, "refused")


def test_hang_after_login_times_out_within_read_timeout(lab: Lab) -> None:
    started = time.perf_counter()
    with pytest.raises(ReadTimeout):
        connect(lab, "hung", read_timeout_override=1.0)
    # one read_timeout in session preparation, one more in netmiko's cleanup
    assert time.perf_counter() - started < 3.5
    assert lab.commands("hung") == []


def test_hang_on_a_command(lab: Lab) -> None:
    conn = connect(lab, "hung-cmd")
    try:
        assert conn.send_command(XR_VER) == expected("cisco_xr", XR_VER)
        started = time.perf_counter()
        with pytest.raises(ReadTimeout):
            conn.send_command(XR_CFG, read_timeout=1.0)
        assert time.perf_counter() - started < 2.0
    finally:
        abandon(conn)


def test_hung_device_does_not_delay_a_healthy_one(lab: Lab) -> None:
    hung_result: list[BaseException] = []

    def hang() -> None:
        try:
            connect(lab, "hung", read_timeout_override=1.5)
        except Exception as exc:
            hung_result.append(exc)

    hung_thread = threading.Thread(target=hang, daemon=True)
    hung_thread.start()
    time.sleep(0.2)  # let the hung session log in first
    outputs, timing = roundtrip(lab, "healthy-xr")
    assert outputs == [expected("cisco_xr", c) for c in OUTPUTS["cisco_xr"]]
    assert timing["total"] < 3.0
    assert hung_thread.is_alive(), "the hung client should still be waiting"
    hung_thread.join(10)
    assert len(hung_result) == 1
    assert isinstance(hung_result[0], ReadTimeout)


def test_pager_left_on_times_out_or_returns_paged_text(lab: Lab) -> None:
    conn = connect(lab, "paged")
    pager = get_profile("zte_zxros").pager or ""
    try:
        assert conn.send_command("show version") == expected("zte_zxros", "show version")  # one page
        try:
            out = conn.send_command("show running-config", read_timeout=1.0)
        except ReadTimeout:
            return
        assert pager.strip() in out
    finally:
        abandon(conn)


def test_command_rejected_returns_the_platform_error(lab: Lab) -> None:
    conn = connect(lab, "rejecting")
    try:
        out = conn.send_command("display version")
        assert get_profile("huawei_vrp").error in out
        cfg = "display current-configuration"
        assert conn.send_command(cfg) == expected("huawei_vrp", cfg)  # other commands still work
    finally:
        abandon(conn)


def test_disconnect_mid_output_truncates_or_raises(lab: Lab) -> None:
    conn = connect(lab, "dropping")
    full = expected("cisco_xr", XR_CFG)
    try:
        out = conn.send_command(XR_CFG, read_timeout=1.5)
    except (ReadTimeout, ReadException, OSError, EOFError):
        assert conn.remote_conn.closed  # the device dropped the session
        return
    finally:
        abandon(conn)
    assert out != full
    assert full.startswith(out.strip()[:40])


def test_garbage_output_is_not_the_configured_output(lab: Lab) -> None:
    conn = connect(lab, "garbled")
    try:
        out = conn.send_command("show version")
        assert out
        assert out != expected("zte_zxa10", "show version")
        cfg = "show running-config"
        assert conn.send_command(cfg) == expected("zte_zxa10", cfg)
    finally:
        abandon(conn)


def test_slow_think_delays_each_answer(lab: Lab) -> None:
    conn = connect(lab, "slow")
    try:
        started = time.perf_counter()
        assert conn.send_command(XR_VER) == expected("cisco_xr", XR_VER)
        assert time.perf_counter() - started >= 0.4
    finally:
        abandon(conn)
