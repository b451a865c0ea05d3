"""Configuration sessions on the lab's devices (no sockets): enter, change, undo, error text.

Each platform's hardened device: a line typed in configuration mode shows in the running
configuration; its negation (or the old value) restores the configuration byte for byte; a line
the device cannot take gets the platform's own error text and changes nothing.
"""

from __future__ import annotations

import pytest

from secaudit.lab.config import ConfigTree
from secaudit.lab.fleet import _device
from secaudit.lab.model import FaultMode
from secaudit.lab.platforms import get_profile
from secaudit.lab.shell import DeviceShell, Effect
from secaudit.platforms import PLATFORMS, get_platform

#: per platform: (enter, [(line, shown as)], exit) - lines in the platform's own syntax
SESSIONS = {
    "huawei_vrp": ("system-view", [("telnet server enable", "telnet server enable")], "return"),
    "cisco_xr": (
        "configure",
        [("line default", "line default"), (" exec-timeout 30 0", " exec-timeout 30 0")],
        "commit",
    ),
    "zte_zxros": (
        "configure terminal",
        [("line telnet idle-timeout 30", "line telnet idle-timeout 30")],
        "end",
    ),
    "zte_zxa10": (
        "configure terminal",
        [("line telnet idle-timeout 30", "line telnet idle-timeout 30")],
        "end",
    ),
    "huawei_smartax": (
        "config",
        [("sysman service telnet enable", " sysman service telnet enable")],
        "return",
    ),
}
UNDO = {
    "huawei_vrp": ["telnet server disable"],
    "cisco_xr": ["line default", " exec-timeout 10 0"],
    "zte_zxros": ["line telnet idle-timeout 10"],
    "zte_zxa10": ["line telnet idle-timeout 10"],
    "huawei_smartax": ["sysman service telnet disable"],
}


def text(effects: list[Effect]) -> str:
    return b"".join(e for e in effects if isinstance(e, bytes)).decode("utf-8", "replace")


def shell(platform: str, fault: FaultMode = FaultMode.NONE, fault_command: str | None = None) -> DeviceShell:
    dev = _device("cfg", platform, "telecom", "lab", password="pw", variants=(), fault=FaultMode.NONE)
    spec = dev.spec
    if fault is not FaultMode.NONE:
        import dataclasses

        spec = dataclasses.replace(spec, fault=fault, fault_command=fault_command)
    sh = DeviceShell(spec, record=lambda _: None)
    sh.start()
    profile = get_profile(platform)
    if profile.enable_command:
        sh.feed(profile.enable_command.encode() + b"\n")
        if profile.enable_password:
            sh.feed(b"\n")
    return sh


def session(sh: DeviceShell, enter: str, lines: list[str], leave: str) -> str:
    out = text(sh.feed(enter.encode() + b"\n"))
    for line in lines:
        out += text(sh.feed(line.encode() + b"\n"))
    out += text(sh.feed(leave.encode() + b"\n"))
    if leave == "commit":
        out += text(sh.feed(b"end\n"))
    return out


@pytest.mark.parametrize("platform", sorted(SESSIONS))
def test_a_line_shows_and_its_undo_restores_byte_for_byte(platform: str) -> None:
    spec = get_platform(platform)
    assert spec.config_command is not None
    sh = shell(platform)
    original = sh.device.output(spec.config_command)
    enter, lines, leave = SESSIONS[platform]
    session(sh, enter, [line for line, _ in lines], leave)
    changed = sh.device.output(spec.config_command)
    assert changed != original
    for _, shown in lines:
        assert shown in (changed or "").splitlines()
    assert sh.prompt == (get_profile(platform).enable_prompt or get_profile(platform).user_prompt).format(
        name=sh.spec.hostname_prompt
    )
    session(sh, enter, UNDO[platform], leave)
    assert sh.device.output(spec.config_command) == original


@pytest.mark.parametrize("platform", sorted(SESSIONS))
def test_a_line_the_device_cannot_take_gets_the_platform_error(platform: str) -> None:
    spec = get_platform(platform)
    assert spec.config_command is not None
    sh = shell(platform)
    original = sh.device.output(spec.config_command)
    enter, _, leave = SESSIONS[platform]
    out = session(sh, enter, ["ntp server <ip-1>", "reseat the standby board"], leave)
    assert out.count(get_profile(platform).error) == 2
    assert sh.device.output(spec.config_command) == original


def test_xr_candidate_waits_for_commit_and_asks_on_end() -> None:
    sh = shell("cisco_xr")
    original = sh.device.output("show running-config")
    sh.feed(b"configure\n")
    sh.feed(b"telnet vrf default ipv4 server max-servers 2\n")
    assert sh.device.output("show running-config") == original  # not committed yet
    assert "Uncommitted changes found" in text(sh.feed(b"end\n"))
    sh.feed(b"no\n")  # discard
    assert sh.device.output("show running-config") == original
    assert sh.prompt.endswith("#") and "(config" not in sh.prompt


def test_vrp_telnet_status_follows_the_configuration() -> None:
    sh = shell("huawei_vrp")
    status = sh.device.output("display telnet server status") or ""
    assert "Disable" in status
    session(sh, "system-view", ["telnet server enable"], "return")
    assert "TELNET IPv4 server                    : Enable" in (
        sh.device.output("display telnet server status") or ""
    )


def test_ont_setting_changes_its_display_output() -> None:
    sh = shell("huawei_ont")
    assert sh.device.output("display timeout") == "timeout value = 5 min\nsuccess!\n"
    assert text(sh.feed(b"timeout 30\n")).endswith("SU_WAP>")
    assert sh.device.output("display timeout") == "timeout value = 30 min\nsuccess!\n"
    sh.feed(b"timeout 5\n")
    assert sh.device.output("display timeout") == "timeout value = 5 min\nsuccess!\n"


def test_rejected_line_fault_in_configuration_mode() -> None:
    sh = shell("huawei_vrp", FaultMode.COMMAND_REJECTED, "telnet server enable")
    out = session(sh, "system-view", ["telnet server enable"], "return")
    assert get_profile("huawei_vrp").error in out
    assert "telnet server disable" in (sh.device.output("display current-configuration") or "")


@pytest.mark.parametrize(
    "platform", [p.value for p, s in PLATFORMS.items() if s.config_session and s.config_command and s.lab]
)
def test_hardened_configuration_round_trips(platform: str) -> None:
    spec = get_platform(platform)
    assert spec.config_command is not None
    dev = _device("rt", platform, "telecom", "lab", password="pw", variants=(), fault=FaultMode.NONE)
    original = dev.spec.outputs[spec.config_command]
    assert ConfigTree(original, spec).render() == original
