"""Per-platform CLI behaviour of the simulated devices, as data.

Prompts follow what netmiko's unmodified drivers expect (collection notes §2b and §7). Every
shape here is an emulation, not a capture: check it against a lab device before trusting it
(same rule as the ``[I]`` marker in the baseline catalogue).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

HUAWEI_ERROR = "Error: Unrecognized command found at '^' position."
ZTE_ERROR = "%Error 20200: Invalid command."
XR_ERROR = "% Invalid input detected at '^' marker."
ONT_ERROR = "ERROR::Command is not existed"

CONFIG_COMMANDS = frozenset(
    {"system-view", "sys", "configure", "config", "conf", "configure terminal", "config terminal", "conf t"}
)
"""Commands that enter configuration mode. Every simulated device refuses them: the auditor is
read-only, and a test can prove it never tries (they are still recorded)."""


@dataclass(frozen=True, slots=True)
class CliProfile:
    """How one platform's CLI looks and reacts.

    Prompts are templates over ``{name}`` (``DeviceSpec.hostname_prompt``). Command names are
    matched case-insensitively; ``paging_off`` is a set of exact lower-case commands, plus
    ``paging_off_prefix`` followed by a number (SmartAX ``scroll 512``).
    """

    user_prompt: str
    error: str
    logout: tuple[str, ...]
    paging_off: tuple[str, ...] = ()
    paging_off_prefix: str | None = None
    pager: str | None = None
    page_lines: int = 24
    enable_prompt: str | None = None
    enable_command: str | None = None
    enable_password: bool = False
    disable_command: str | None = None
    caret: bool = True
    accepted: tuple[str, ...] = ()
    logout_confirm: str | None = None
    smart_mode: bool = False
    answer_suffix: str | None = None


PROFILES: Mapping[str, CliProfile] = MappingProxyType(
    {
        "huawei_smartax": CliProfile(
            user_prompt="{name}>",
            enable_prompt="{name}#",
            enable_command="enable",
            disable_command="disable",
            error=HUAWEI_ERROR,
            logout=("quit", "logout"),
            logout_confirm="Are you sure to log out? (y/n)[n]:",
            paging_off=("scroll",),
            paging_off_prefix="scroll ",
            pager="---- More ( Press 'Q' to break ) ----",
            accepted=("infoswitch cli off", "undo alarm output all"),
            smart_mode=True,
        ),
        "zte_zxa10": CliProfile(
            user_prompt="{name}>",
            enable_prompt="{name}#",
            enable_command="enable",
            enable_password=True,
            disable_command="disable",
            error=ZTE_ERROR,
            caret=False,
            logout=("exit", "quit"),
            paging_off=("terminal length 0",),
            pager=" --More-- ",
        ),
        "zte_zxros": CliProfile(
            user_prompt="{name}>",
            enable_prompt="{name}#",
            enable_command="enable",
            disable_command="disable",
            error=ZTE_ERROR,
            caret=False,
            logout=("exit", "quit"),
            paging_off=("terminal length 0",),
            pager=" --More-- ",
        ),
        "huawei_vrp": CliProfile(
            user_prompt="<{name}>",
            error=HUAWEI_ERROR,
            logout=("quit",),
            paging_off=("screen-length 0 temporary",),
            pager="  ---- More ----",
        ),
        "cisco_xr": CliProfile(
            user_prompt="RP/0/RSP0/CPU0:{name}#",
            error=XR_ERROR,
            logout=("exit", "logout"),
            paging_off=("terminal length 0",),
            pager=" --More-- ",
            accepted=("terminal width 511",),
        ),
        "huawei_ont": CliProfile(
            user_prompt="WAP>",
            enable_prompt="SU_WAP>",
            enable_command="su",
            disable_command="quit",
            error=ONT_ERROR,
            caret=False,
            logout=("logout", "quit", "exit"),
            answer_suffix="success!",
        ),
    }
)


def get_profile(platform: str) -> CliProfile:
    """The CLI profile of a lab platform.

    Examples:
        >>> get_profile("huawei_vrp").user_prompt.format(name="NE40E-GW1")
        '<NE40E-GW1>'
        >>> get_profile("fiberhome_an")
        Traceback (most recent call last):
        ...
        KeyError: "no lab profile for platform 'fiberhome_an'"
    """
    try:
        return PROFILES[platform]
    except KeyError:
        raise KeyError(f"no lab profile for platform {platform!r}") from None


def is_paging_off(profile: CliProfile, command: str) -> bool:
    """Whether ``command`` (lower-case, normalised) is the profile's paging-off command.

    Examples:
        >>> smartax = get_profile("huawei_smartax")
        >>> [is_paging_off(smartax, c) for c in ("scroll", "scroll 512", "scroll x", "screen-length 0")]
        [True, True, False, False]
    """
    if command in profile.paging_off:
        return True
    prefix = profile.paging_off_prefix
    return prefix is not None and command.startswith(prefix) and command[len(prefix) :].isdigit()


def answer_lines(profile: CliProfile, text: str) -> list[str]:
    """The lines a device prints for a canned output (ONT answers end with ``success!``).

    Examples:
        >>> answer_lines(get_profile("huawei_ont"), "a\\nb\\n")
        ['a', 'b', 'success!']
        >>> answer_lines(get_profile("huawei_ont"), "a\\nsuccess!")
        ['a', 'success!']
        >>> answer_lines(get_profile("cisco_xr"), "")
        []
    """
    lines = text.splitlines()
    suffix = profile.answer_suffix
    if suffix is not None and (not lines or lines[-1].strip() != suffix):
        lines.append(suffix)
    return lines


def error_lines(profile: CliProfile, prompt: str) -> list[str]:
    """The lines a device prints when it rejects a command typed after ``prompt``.

    Examples:
        >>> error_lines(get_profile("huawei_vrp"), "<R1>")
        ['    ^', "Error: Unrecognized command found at '^' position."]
        >>> error_lines(get_profile("zte_zxros"), "R1#")
        ['%Error 20200: Invalid command.']
    """
    return [" " * len(prompt) + "^", profile.error] if profile.caret else [profile.error]


def garbage(command: str, size: int = 96) -> bytes:
    """Deterministic binary-looking junk for the ``garbage_output`` fault (no NUL, CR or LF).

    Examples:
        >>> junk = garbage("display version")
        >>> len(junk), junk == garbage("display version"), b"\\n" in junk or b"\\x00" in junk
        (96, True, False)
    """
    out = bytearray()
    seed = command.encode()
    while len(out) < size:
        seed = hashlib.sha256(seed).digest()
        out.extend(b for b in seed if b not in (0, 10, 13))
    return bytes(out[:size])


def pager_erase(pager: str) -> str:
    """ANSI sequence that wipes a pager prompt, as VRP does (netmiko strips ``ESC[nD``).

    Examples:
        >>> pager_erase(" --More-- ")
        '\\x1b[10D          \\x1b[10D'
    """
    n = len(pager)
    return f"\x1b[{n}D{' ' * n}\x1b[{n}D"
