"""The device CLI state machine on its own: no sockets, no netmiko, milliseconds per test."""

from __future__ import annotations

import pytest
from lab_support import HOSTNAMES, OUTPUTS, spec

from secaudit.lab import LAB_PLATFORMS, FaultMode
from secaudit.lab.platforms import CONFIG_COMMANDS, get_profile, pager_erase
from secaudit.lab.shell import SMART_PROMPT, DeviceShell, Effect, Hangup, Pause


def make(
    platform: str,
    fault: FaultMode = FaultMode.NONE,
    fault_command: str | None = None,
    think_time_s: float = 0.0,
    *,
    writable: bool = True,
) -> tuple[DeviceShell, list[str]]:
    seen: list[str] = []
    device = spec(
        "dev", platform, fault, fault_command=fault_command, think_time_s=think_time_s, writable=writable
    )
    shell = DeviceShell(device, record=seen.append)
    shell.start()
    return shell, seen


def text(effects: list[Effect]) -> str:
    return b"".join(e for e in effects if isinstance(e, bytes)).decode("utf-8", "replace")


def screen(raw: str, pager: str) -> list[str]:
    """What a terminal user would read: pager prompts and their erase sequences removed."""
    cleaned = raw.replace(pager_erase(pager), "").replace(pager, "")
    return [ln for ln in cleaned.replace("\r\n", "\n").split("\n") if ln.strip()]


def test_pager_keys_space_enter_and_q() -> None:
    shell, _ = make("huawei_vrp")
    pager = get_profile("huawei_vrp").pager or ""
    cfg = "display current-configuration"
    first = text(shell.feed(cfg.encode() + b"\n"))
    assert first.endswith(pager)
    assert first.count("\r\n") == 1 + 24  # echo + one page
    assert text(shell.feed(b"\n")).count("\r\n") == 1  # Enter: one more line
    more = text(shell.feed(b" "))  # space: one more page
    assert more.count("\r\n") == 24
    assert more.endswith(pager)
    assert text(shell.feed(b"q")).endswith("<NE40E-GW1>")  # q: back to the prompt


def test_pager_space_recovers_the_whole_output() -> None:
    shell, _ = make("huawei_smartax")
    pager = get_profile("huawei_smartax").pager or ""
    cfg = "display current-configuration"
    shell.feed(b"undo smart\n")
    raw = text(shell.feed(cfg.encode() + b"\n"))
    while raw.endswith(pager):
        raw += text(shell.feed(b" "))
    lines = screen(raw, pager)
    assert lines[0] == cfg
    assert lines[-1] == "MA5800-X7>"
    assert lines[1:-1] == OUTPUTS["huawei_smartax"][cfg].split("\n")


@pytest.mark.parametrize("command", ["scroll", "scroll 512"])
def test_smartax_scroll_turns_the_pager_off(command: str) -> None:
    shell, _ = make("huawei_smartax")
    shell.feed(b"undo smart\n" + command.encode() + b"\n")
    out = text(shell.feed(b"display current-configuration\n"))
    assert "More" not in out
    assert out.endswith("MA5800-X7>")


def test_smartax_smart_mode_asks_for_enter_until_undo_smart() -> None:
    shell, _ = make("huawei_smartax")
    assert text(shell.feed(b"display version\n")) == "display version\r\n" + SMART_PROMPT
    answer = text(shell.feed(b"\n"))
    assert answer.startswith("\r\nVERSION : MA5800V100R019C10")
    assert answer.endswith("MA5800-X7>")
    shell.feed(b"undo smart\n")
    assert SMART_PROMPT not in text(shell.feed(b"display version\n"))


def test_smartax_modes_nul_bytes_and_logout_confirmation() -> None:
    shell, seen = make("huawei_smartax")
    assert text(shell.feed(b"\x00enable\x00\n")).endswith("MA5800-X7#")
    assert text(shell.feed(b"infoswitch cli OFF\nundo alarm output all\n")).endswith("MA5800-X7#")
    assert text(shell.feed(b"disable\n")).endswith("MA5800-X7>")
    assert text(shell.feed(b"quit\n")).endswith("Are you sure to log out? (y/n)[n]:")
    assert text(shell.feed(b"\x00\x00n\n")).endswith("MA5800-X7>")  # NUL probes do not answer
    shell.feed(b"quit\n")
    effects = shell.feed(b"\x00y\n\x00")
    assert effects[-1] == Hangup()
    assert shell.closed
    assert seen == ["enable", "infoswitch cli OFF", "undo alarm output all", "disable", "quit", "quit"]


def test_zxa10_enable_password_is_not_echoed_or_recorded() -> None:
    shell, seen = make("zte_zxa10")
    assert text(shell.feed(b"enable\n")).endswith("Password:")
    assert text(shell.feed(b"s3cret\n")) == "\r\nC300-OLT1#"
    assert seen == ["enable"]


def test_crlf_is_one_enter_and_backspace_edits() -> None:
    shell, seen = make("cisco_xr")
    prompt = f"RP/0/RSP0/CPU0:{HOSTNAMES['cisco_xr']}#"
    assert text(shell.feed(b"\r\n")) == "\r\n" + prompt
    out = text(shell.feed(b"show versiox\x7fn\r\n"))
    assert out.startswith("show versiox\b \bn\r\nCisco IOS XR")
    assert seen == ["show version"]


@pytest.mark.parametrize("platform", LAB_PLATFORMS)
def test_unknown_and_config_commands_get_the_platform_error(platform: str) -> None:
    shell, seen = make(platform, writable=False)
    error = get_profile(platform).error
    for command in ["bogus command", *sorted(CONFIG_COMMANDS)]:
        assert error in text(shell.feed(command.encode() + b"\n")), command
    assert seen == ["bogus command", *sorted(CONFIG_COMMANDS)]


def test_huawei_ont_answers_end_with_success() -> None:
    shell, _ = make("huawei_ont")
    out = text(shell.feed(b"display version\n"))
    assert out.endswith("success!\r\nWAP>")
    assert text(shell.feed(b"su\n")).endswith("SU_WAP>")
    assert text(shell.feed(b"quit\n")).endswith("\r\nWAP>")
    assert shell.feed(b"logout\n")[-1] == Hangup()


def test_command_level_faults() -> None:
    garbled, _ = make("zte_zxros", FaultMode.GARBAGE_OUTPUT, fault_command="show version")
    out = text(garbled.feed(b"show version\n"))
    assert OUTPUTS["zte_zxros"]["show version"] not in out
    assert out.endswith("ZXR10-PE1>")

    dropping, _ = make("cisco_xr", FaultMode.DISCONNECT_MID_OUTPUT)
    effects = dropping.feed(b"show running-config\n")
    assert effects[-1] == Hangup()
    assert "RP/0/RSP0/CPU0" not in text(effects)
    assert 0 < len(text(effects)) < len(OUTPUTS["cisco_xr"]["show running-config"])

    slow, _ = make("cisco_xr", FaultMode.SLOW_THINK, think_time_s=0.25)
    effects = slow.feed(b"show version\nterminal length 0\n")
    assert effects[0] == b"show version\r\n"  # the echo leaves before the pause
    assert effects[1] == Pause(0.25)
    assert Pause(0.25) not in effects[2:]  # built-in commands answer at once

    hung, seen = make("cisco_xr", FaultMode.HANG_AFTER_LOGIN, fault_command="show version")
    assert text(hung.feed(b"show version\n")) == "show version\r\n"
    assert hung.feed(b"\n\nshow running-config\n") == []
    assert seen == ["show version"]


def test_truncate_then_hang_and_empty_output_faults() -> None:
    cut, _ = make("cisco_xr", FaultMode.TRUNCATE_THEN_HANG)
    out = text(cut.feed(b"show running-config\n"))
    assert 0 < len(out) < len(OUTPUTS["cisco_xr"]["show running-config"])
    assert "RP/0/RSP0/CPU0" not in out  # no prompt after the cut
    assert not cut.closed  # the session stays open, silent
    assert cut.feed(b"\nshow version\n") == []

    empty, seen = make("cisco_xr", FaultMode.EMPTY_OUTPUT)
    out = text(empty.feed(b"show version\n"))
    assert out.startswith("show version\r\n")
    assert out.removeprefix("show version\r\n").startswith("RP/0/RSP0/CPU0")  # nothing but the prompt
    assert seen == ["show version"]


def test_pager_left_on_ignores_the_paging_off_command() -> None:
    shell, seen = make("zte_zxros", FaultMode.PAGER_LEFT_ON)
    assert text(shell.feed(b"terminal length 0\n")).endswith("ZXR10-PE1>")
    assert text(shell.feed(b"show running-config\n")).endswith(get_profile("zte_zxros").pager or "?")
    assert seen == ["terminal length 0", "show running-config"]


def test_hang_after_login_prints_one_prompt_only() -> None:
    shell = DeviceShell(spec("h", "huawei_vrp", FaultMode.HANG_AFTER_LOGIN), record=lambda c: None)
    assert shell.start() == [b"<NE40E-GW1>"]
    assert shell.feed(b"\nscreen-length 0 temporary\n") == []
