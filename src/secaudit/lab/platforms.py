"""Per-platform CLI behaviour of the simulated devices, as data.

Each platform's :class:`~secaudit.platforms.base.CliProfile` lives in its own platform module
(``PlatformSpec.lab``); this module serves them to the shell. Prompts follow what netmiko's
unmodified drivers expect (``docs/collection-notes.md`` §2b and §7). Every shape is an emulation,
not a capture: check it against a lab device before trusting it (same rule as the ``[I]`` marker
in ``docs/baseline-catalogue.md``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from types import MappingProxyType

from secaudit.platforms import lab_platforms
from secaudit.platforms.base import CliProfile

CONFIG_COMMANDS = frozenset(
    {"system-view", "sys", "configure", "config", "conf", "configure terminal", "config terminal", "conf t"}
)
"""Commands that enter configuration mode. Every simulated device refuses them: the auditor is
read-only, and a test can prove it never tries (they are still recorded)."""

PROFILES: Mapping[str, CliProfile] = MappingProxyType(
    {spec.name.value: spec.lab.cli for spec in lab_platforms() if spec.lab is not None}
)
"""Platform name -> CLI profile, for every platform the lab simulates (from the registry)."""


def get_profile(platform: str) -> CliProfile:
    """The CLI profile of a lab platform.

    Examples:
        >>> get_profile("huawei_vrp").user_prompt.format(name="NE40E-GW1")
        '<NE40E-GW1>'
        >>> get_profile("huawei_ont_xml")
        Traceback (most recent call last):
        ...
        KeyError: "no lab profile for platform 'huawei_ont_xml'"
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


__all__ = [
    "CONFIG_COMMANDS",
    "PROFILES",
    "CliProfile",
    "answer_lines",
    "error_lines",
    "garbage",
    "get_profile",
    "is_paging_off",
    "pager_erase",
]
