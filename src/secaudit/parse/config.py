"""Configuration text -> hier_config tree, with per-layout normalisation.

* ``indented`` (VRP, XR, ONT CLI): comment lines and the echoed command are dropped, then
  hier_config parses with the platform's driver.
* ``smartax_sections`` (MA5800): ``[section]`` headers and ``<marker>`` lines are dropped; each
  section is dedented by its own minimum indent; a line starting in column 0 inside an indented
  section is the continuation of an 80-column hard wrap and is joined to the previous line.
* ``zte_sections`` (ZXA10/ZXROS): ``!<section>`` / ``!</section>`` markers and ``$`` block ends
  are dropped; indentation gives the hierarchy.
"""

from __future__ import annotations

import re

from hier_config import HConfig, Platform, get_hconfig

from secaudit.errors import ParseError
from secaudit.platforms.base import PlatformSpec

_PROMPT_ECHO = re.compile(
    r"^\s*(?:<[^>\s]+>|\[[~*]?[^\]\s]+\]|[\w./:-]+[#>])\s*(?:display|show)\b", re.IGNORECASE
)
_SECTION = re.compile(r"^\s*\[[^\]]+\]\s*$")
_MARKER = re.compile(r"^\s*<[^>]+>\s*$")
_NOISE = re.compile(r"^(Building configuration\.\.\.|Current configuration\s*:.*)$", re.IGNORECASE)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def normalise_lines(spec: PlatformSpec, text: str) -> list[str]:
    """Return configuration lines with layout noise removed and hierarchy expressed by indentation.

    Examples:
        >>> from secaudit.platforms import get_platform
        >>> vrp = get_platform("huawei_vrp")
        >>> normalise_lines(vrp, "<R1>display current-configuration\\n!x\\n#\\nsysname R1\\n#\\nreturn\\n")
        ['sysname R1']
        >>> sx = get_platform("huawei_smartax")
        >>> text = "[post-system]\\n  <post-system>\\n ntp-service a\\n ssh user x\\ny 1\\n#\\nreturn"
        >>> normalise_lines(sx, text)
        ['ntp-service a', 'ssh user x y 1']
    """
    raw = [ln.rstrip() for ln in text.splitlines()]
    lines = [ln for ln in raw if ln.strip() and not _PROMPT_ECHO.match(ln) and not _NOISE.match(ln.strip())]
    end = spec.config_end_marker
    if spec.config_layout == "smartax_sections":
        return _smartax(lines, end)
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        if end is not None and stripped == end and _indent(line) == 0:
            continue
        if spec.config_layout == "zte_sections" and stripped == "$":
            continue
        if any(stripped.startswith(p) for p in spec.comment_prefixes):
            continue
        out.append(line)
    return out


def _smartax(lines: list[str], end: str | None) -> list[str]:
    out: list[str] = []
    section: list[str] = []

    def flush() -> None:
        if not section:
            return
        base = min(_indent(ln) for ln in section)
        indented_section = _indent(section[0]) > 0
        joined: list[str] = []
        for ln in section:
            if indented_section and _indent(ln) == 0 and joined:
                joined[-1] = f"{joined[-1]} {ln.strip()}"  # 80-column hard wrap continuation
            else:
                joined.append(ln)
        base = min(_indent(ln) for ln in joined)
        out.extend(ln[base:] for ln in joined)
        section.clear()

    for line in lines:
        stripped = line.strip()
        if _SECTION.match(line):
            flush()
            continue
        if _MARKER.match(line) or stripped.startswith("#") or (end is not None and stripped == end):
            if stripped.startswith("#") and _indent(line) == 0:
                flush()  # a column-0 '#' closes a block; the next lines start a new group
            continue
        section.append(line)
    flush()
    return out


def to_tree(spec: PlatformSpec, text: str) -> HConfig:
    """Parse configuration text into a hier_config tree (GENERIC driver where no better exists)."""
    lines = normalise_lines(spec, text)
    if not lines:
        raise ParseError(f"{spec.name}: configuration has no lines after normalisation")
    try:
        return get_hconfig(Platform[spec.hconfig_platform], "\n".join(lines))
    except Exception as exc:  # hier_config raises plain exceptions on malformed input
        raise ParseError(f"{spec.name}: configuration could not be parsed: {exc}") from exc
