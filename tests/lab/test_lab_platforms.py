"""The real netmiko drivers against every simulated platform (healthy devices)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_support import OUTPUTS, abandon, connect, expected, roundtrip, spec

from secaudit.lab import LAB_PLATFORMS, Lab
from secaudit.lab.platforms import CONFIG_COMMANDS, get_profile
from secaudit.lab.shell import SMART_PROMPT

# Commands a netmiko session may legitimately send besides the canned ones: each driver's
# session preparation, enable/disable and logout. Anything else reaching a device is a bug.
DRIVER_COMMANDS = {
    "undo smart",
    "enable",
    "disable",
    "infoswitch cli OFF",
    "scroll",
    "terminal length 0",
    "terminal width 511",
    "screen-length 0 temporary",
    "quit",
    "exit",
    "logout",
}
# disconnect budget: VRP's check_config_mode is timing-based (+2.2 s, docs/collection-notes.md §7.4)
MAX_TOTAL_S = {"huawei_vrp": 4.5}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    devices = [spec(p, p) for p in LAB_PLATFORMS]
    devices += [spec("smart-olt", "huawei_smartax"), spec("ro-xr", "cisco_xr", writable=False)]
    devices += [spec("ro-vrp", "huawei_vrp", writable=False)]
    lab = Lab(devices, tmp_path_factory.mktemp("lab") / "keys")
    with lab:
        workdir: Path = tmp_path_factory.mktemp("kh")
        lab.export_known_hosts(lambda name: workdir / f"{name}.known_hosts")
        yield lab


@pytest.mark.parametrize("platform", LAB_PLATFORMS)
def test_netmiko_driver_roundtrip(lab: Lab, platform: str) -> None:
    outputs, timing = roundtrip(lab, platform)
    print(f"\n{platform:15s} " + " ".join(f"{k} {v:.2f}s" for k, v in timing.items()))
    assert outputs == [expected(platform, cmd) for cmd in OUTPUTS[platform]]
    assert timing["total"] < MAX_TOTAL_S.get(platform, 2.5)
    received = lab.commands(platform)
    assert set(received) <= DRIVER_COMMANDS | set(OUTPUTS[platform]), received
    assert [c for c in received if c in OUTPUTS[platform]] == list(OUTPUTS[platform])


def test_smartax_smart_mode_and_logout_confirmation(lab: Lab) -> None:
    conn = connect(lab, "smart-olt")
    conn.send_command("smart")  # netmiko turned it off at login; switch it back on
    head = conn.send_command("display version", expect_string=re.escape(SMART_PROMPT))
    assert SMART_PROMPT in head
    body = conn.send_command("", expect_string=re.escape("MA5800-X7>"))
    assert body == expected("huawei_smartax", "display version")
    conn.send_command("undo smart")
    assert conn.send_command("display version") == expected("huawei_smartax", "display version")
    started = time.perf_counter()
    conn.disconnect()  # quit -> "Are you sure to log out? (y/n)[n]:" -> y, with NUL probes in between
    assert time.perf_counter() - started < 1.0
    assert lab.commands("smart-olt")[-1] == "quit"


def test_config_mode_commands_are_refused_and_recorded(lab: Lab) -> None:
    xr = connect(lab, "ro-xr")
    try:
        for cmd in ("configure", "configure terminal"):
            assert "% Invalid input detected at '^' marker." in xr.send_command(cmd)
        assert xr.check_config_mode() is False
    finally:
        abandon(xr)
    vrp = connect(lab, "ro-vrp")
    try:
        out = vrp.send_command("system-view", expect_string=r"<NE40E-GW1>")
        assert out.splitlines()[-1] == get_profile("huawei_vrp").error
    finally:
        abandon(vrp)
    assert {"configure", "configure terminal"} <= set(lab.commands("ro-xr"))
    assert "system-view" in lab.commands("ro-vrp")
    assert all(c.lower() in CONFIG_COMMANDS for c in ("configure", "configure terminal", "system-view"))
