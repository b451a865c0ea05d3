"""Configuration text -> hier_config tree, with per-layout normalisation.

* ``indented`` (VRP, XR, ONT CLI): comment lines and the echoed command are dropped, then
  hier_config parses with the platform's driver.
* ``smartax_sections`` (MA5800): ``[section]`` headers and ``<marker>`` lines are dropped; each
  section is dedented by its own minimum indent (hard wraps were joined when the text was
  collected, :func:`secaudit.collect.text.repair_text`).
* ``zte_sections`` (ZXA10/ZXROS): ``!<section>`` / ``!</section>`` markers and ``$`` block ends
  are dropped; indentation gives the hierarchy.
* ``xml`` (gateway exports ``hw_ctree.xml``, ``db_user_cfg.xml``): parsed with defusedxml (no
  DTDs, no entity expansion, no network); every element becomes a line ``Tag a="1" b="2"`` (plus
  `` = text`` when it has text), children indented under it, so the configuration operators
  apply unchanged. An encrypted or binary export fails to parse and becomes ``parse_error``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import cache

from defusedxml import ElementTree as DefusedET
from defusedxml.common import DefusedXmlException
from hier_config import HConfig, Platform, get_hconfig, get_hconfig_driver

from secaudit.errors import ParseError
from secaudit.parse.tree import ConfigTree, build_tree
from secaudit.platforms.base import PlatformSpec
from secaudit.platforms.frame import HEADER, config_body, is_command_echo

_SECTION = re.compile(r"^\s*\[[^\]]+\]\s*$")
_MARKER = re.compile(r"^\s*<[^>]+>\s*$")
_NOISE = re.compile(
    r"^(Building configuration\.\.\.|Current configuration\s*:.*"
    r"|(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" +\d+ [\d:.]+ \S+"  # IOS XR timestamp line
    r"|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?( ?[+-]\d{2}:?\d{2}| [A-Z]{2,5})?"  # echoed timestamps
    r"|!CfgFileCrc:.*)$",
    re.IGNORECASE,
)


_ONE_LINE_BANNER = re.compile(r"^(?P<head>\s*banner\s+\S+\s+)(?P<d>[^\s\w])(?P<body>.*?)(?P=d)\s*$")


def split_one_line_banner(line: str) -> list[str]:
    """Turn ``banner login #text#`` into the multi-line form hier_config understands.

    hier_config enters banner mode at ``banner ...`` and waits for a closing delimiter on a later
    line; a one-line banner would swallow the rest of the configuration.

    Examples:
        >>> split_one_line_banner("banner login #Authorized only#")
        ['banner login #', 'Authorized only', '#']
        >>> split_one_line_banner("banner motd ^C")
        ['banner motd ^C']
    """
    match = _ONE_LINE_BANNER.match(line)
    if match is None or not match.group("body").strip():
        return [line]
    return [f"{match.group('head')}{match.group('d')}", match.group("body").strip(), match.group("d")]


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
        >>> text = "[post-system]\\n  <post-system>\\n ntp-service a\\n ssh user x\\n#\\nreturn"
        >>> normalise_lines(sx, text)
        ['ntp-service a', 'ssh user x']
    """
    raw = [ln.rstrip() for ln in config_body(spec, text).lines]
    lines = [ln for ln in raw if ln.strip() and not is_command_echo(ln) and not HEADER.match(ln.strip())]
    end = spec.config_end_marker
    if spec.config_layout == "smartax_sections":
        return _smartax(lines, end)
    if spec.config_layout == "indented":
        lines = dedent_groups(lines, spec.comment_prefixes)
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        if end is not None and stripped == end and _indent(line) == 0:
            continue
        if spec.config_layout == "zte_sections" and stripped == "$":
            continue
        if any(stripped.startswith(p) for p in spec.comment_prefixes):
            continue
        out.extend(split_one_line_banner(line))
    return out


def dedent_groups(lines: list[str], separators: tuple[str, ...]) -> list[str]:
    """Dedent each run of lines between column-0 separators (``#``) by its own minimum indent.

    VRP3 and early VRP5 print top-level commands with one leading space (`` sysname R1``) while
    blocks such as ``interface`` start in column 0; read by indentation alone, every such command
    would become a child of the block before it. The ``#`` lines in column 0 are where the device
    itself separates top-level groups.

    Examples:
        >>> dedent_groups(["#", " sysname R1", "#", "interface E0", " ip address 10.0.0.1 24", "#",
        ...                " FTP server enable"], ("#",))
        ['#', 'sysname R1', '#', 'interface E0', ' ip address 10.0.0.1 24', '#', 'FTP server enable']
    """
    out: list[str] = []
    group: list[str] = []

    def flush() -> None:
        if group:
            base = min(_indent(ln) for ln in group)
            out.extend(ln[base:] for ln in group)
            group.clear()

    for line in lines:
        if _indent(line) == 0 and line.startswith(separators):
            flush()
            out.append(line)
        else:
            group.append(line)
    flush()
    return out


def _smartax(lines: list[str], end: str | None) -> list[str]:
    out: list[str] = []
    section: list[str] = []

    def flush() -> None:
        if not section:
            return
        base = min(_indent(ln) for ln in section)
        out.extend(ln[base:] for ln in section)
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


def xml_lines(text: str) -> list[str]:
    """Flatten an XML document into indented lines (one per element).

    Examples:
        >>> xml_lines('<A><B x="1" y="t u"/><C>v</C></A>')
        ['A', ' B x="1" y="t u"', ' C = v']
        >>> xml_lines('<!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>')
        Traceback (most recent call last):
        ...
        secaudit.errors.ParseError: XML export rejected: DTDs are not allowed (DTDForbidden)
    """
    try:
        root = DefusedET.fromstring(
            text.encode("utf-8"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise ParseError(f"XML export rejected: DTDs are not allowed ({type(exc).__name__})") from None
    except ET.ParseError as exc:
        raise ParseError(f"not a readable XML export (encrypted or binary?): {exc}") from None
    lines: list[str] = []

    def walk(elem: ET.Element, depth: int) -> None:
        attrs = " ".join(f'{k}="{v}"' for k, v in elem.attrib.items())
        line = " " * depth + elem.tag + (f" {attrs}" if attrs else "")
        if elem.text and elem.text.strip():
            line += f" = {elem.text.strip()}"
        lines.append(line)
        for child in elem:
            walk(child, depth + 1)

    walk(root, 0)
    return lines


_BANNER_START = re.compile(r"^\s*banner\s+\S+\s+(?P<d>\S)\s*$")

#: Blocks a driver closes by an end line rather than by indentation (hier_config ``indent_adjust``,
#: e.g. VRP ``ecc peer-public-key ...`` ... ``peer-public-key end``): each is one unit, so that a
#: second block's end line is never merged away as a duplicate of the first one's.
Block = tuple[str, str]


@cache
def _block_patterns(
    blocks: tuple[Block, ...],
) -> tuple[re.Pattern[str] | None, tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]]:
    """The blocks' start regexes as one pre-check, and each (start, end) pair compiled."""
    if not blocks:
        return None, ()
    pairs = tuple((re.compile(b), re.compile(e)) for b, e in blocks)
    return re.compile("|".join(f"(?:{b})" for b, _ in blocks)), pairs


def _units(lines: list[str], blocks: tuple[Block, ...] = ()) -> list[list[str]]:
    """Group lines into units: a multi-line banner or an end-closed block is one unit."""
    any_start, pairs = _block_patterns(blocks)
    units: list[list[str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        start = _BANNER_START.match(line) if "banner" in line else None
        end_rx = None
        if any_start is not None and any_start.search(line):
            end_rx = next((end for begin, end in pairs if begin.search(line)), None)
        if start is None and end_rx is None:
            units.append([line])
            i += 1
            continue
        j = i + 1
        if start is not None:
            delim = start.group("d")
            while j < len(lines) and delim not in lines[j]:
                j += 1
        elif end_rx is not None:
            while j < len(lines) and not end_rx.search(lines[j]):
                j += 1
        units.append(lines[i : j + 1])
        i = j + 1
    return units


def merge_duplicates(lines: list[str], blocks: tuple[Block, ...] = ()) -> list[str]:
    """Merge sibling blocks with the same text (hier_config rejects duplicate sections).

    Real exports repeat a section header in several places (a ZTE C600 lists
    ``interface gpon_olt-1/1/1`` in its if-intf, xpon and msan sections): the children are merged
    under the first occurrence, in order; an exact duplicate line is kept once.

    Examples:
        >>> merge_duplicates(["interface a", "  x 1", "interface b", "interface a", "  z 2", "  x 1"])
        ['interface a', '  x 1', '  z 2', 'interface b']
        >>> ecc = ("^ecc peer-public-key ", "^peer-public-key end")
        >>> merge_duplicates(["ecc peer-public-key A", "peer-public-key end",
        ...                   "ecc peer-public-key B", "peer-public-key end"], (ecc,))
        ['ecc peer-public-key A', 'peer-public-key end', 'ecc peer-public-key B', 'peer-public-key end']
    """
    root = _Node([])
    stack: list[tuple[int, _Node]] = [(-1, root)]
    for unit in _units(lines, blocks):
        depth = _indent(unit[0])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1]
        key = unit[0].strip() if len(unit) == 1 else "\n".join(u.strip() for u in unit)
        node = parent.children.get(key)
        if node is None:
            node = parent.children[key] = _Node(unit)
        stack.append((depth, node))

    out: list[str] = []

    def emit(node: _Node) -> None:
        for child in node.children.values():  # dicts keep insertion order
            out.extend(child.unit)
            emit(child)

    emit(root)
    return out


class _Node:
    """A unit of lines and the units under it (a plain slotted class: one per line, kept cheap)."""

    __slots__ = ("children", "unit")

    def __init__(self, unit: list[str]) -> None:
        self.unit = unit
        self.children: dict[str, _Node] = {}


@cache
def _blocks(hconfig_platform: str) -> tuple[Block, ...]:
    """The driver's end-closed blocks (``indent_adjust``), read once per platform."""
    rules = get_hconfig_driver(Platform[hconfig_platform]).rules
    return tuple((r.start_expression, r.end_expression) for r in rules.indent_adjust)


def tree_lines(spec: PlatformSpec, text: str) -> list[str]:
    """The configuration lines a tree is built from: normalised for the layout, duplicates merged."""
    blocks = _blocks(spec.hconfig_platform)
    lines = merge_duplicates(
        xml_lines(text) if spec.config_layout == "xml" else normalise_lines(spec, text), blocks
    )
    if not lines:
        raise ParseError(f"{spec.name}: configuration has no lines after normalisation")
    return lines


def to_tree(spec: PlatformSpec, text: str) -> ConfigTree:
    """Parse configuration text into the evaluation tree (hier_config's hierarchy, read-only)."""
    lines = tree_lines(spec, text)
    try:
        return build_tree(lines, spec.hconfig_platform)
    except Exception as exc:  # as hier_config: plain exceptions on malformed input
        raise ParseError(f"{spec.name}: configuration could not be parsed: {exc}") from exc


def to_hconfig(spec: PlatformSpec, text: str) -> HConfig:
    """The same configuration as a hier_config tree (remediation, and the equivalence test)."""
    lines = tree_lines(spec, text)
    try:
        return get_hconfig(Platform[spec.hconfig_platform], "\n".join(lines))
    except Exception as exc:  # hier_config raises plain exceptions on malformed input
        raise ParseError(f"{spec.name}: configuration could not be parsed: {exc}") from exc
