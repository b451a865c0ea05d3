"""The frame around a saved configuration, and whether the configuration inside it is whole.

Real files are rarely the bare output of the configuration command. A terminal log or a backup
keeps the session around it: an echoed prompt and command (``RP/0/0/CPU0:nelson#sh run``), a
``Building configuration...`` header, a timestamp, and after the end the prompt that came back.
Those lines are the *frame*; they are not configuration and they say nothing about
completeness.

Completeness is judged by the configuration's own structure, per layout:

* ``indented`` and ``smartax_sections`` (VRP, XR, SmartAX): the platform's end line (``return``,
  ``end``) closes the configuration in column 0, followed by nothing but the frame.
* ``zte_sections`` (ZXA10, ZXROS): every ``!<tag>`` section opened is closed by its ``!</tag>``,
  in order; the configuration ends with a closing tag or ``end``. (C600 configurations have
  sections and no ``end``; C300 and ZXROS end with ``end``.)
* ``xml`` (gateway exports): the text is well-formed XML; a document cut short is truncated,
  anything else that does not parse (an encrypted or binary export) cannot be read.

A configuration is truncated when its structure is cut: an unclosed section or element, no
end line, or text after the end that is not a prompt (unless it is another command's output
introduced by a prompt).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from defusedxml import ElementTree as DefusedET
from defusedxml.common import DefusedXmlException

from secaudit.platforms.base import PlatformSpec

#: A CLI prompt, optionally followed by a typed command: ``<R1>``, ``[~R1]``, ``RP/0/0/CPU0:r1#``,
#: ``OLT-1#show run``, ``MA5608T(config)#``, ``ZXAN>``.
PROMPT = re.compile(
    r"^\s*(?:<[^<>\s]{1,80}>|\[[~*]?[^\[\]\s]{1,80}\]|[A-Za-z0-9][\w./:()@~-]{0,80}[#>$%])(?P<typed>.*)$"
)
#: The configuration commands of the platforms, abbreviations included (``dis cur``, ``sh run``).
_CONFIG_VERB = re.compile(r"^\s*(?:dis\w*|sh\w*|display|show|more|cat)\b", re.IGNORECASE)
#: Header lines a saved output carries before the configuration.
HEADER = re.compile(
    r"^(?:Building configuration\.\.\.|!*\s*Building configuration\b.*"
    r"|Current configuration\s*:.*"
    r"|=~=~=.*PuTTY log.*"
    r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" +\d+ [\d:.]+ \S+"  # IOS XR timestamp line
    r"|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?(?: ?[+-]\d{2}:?\d{2}| [A-Z]{2,5})?"
    r"|!CfgFileCrc:.*)$",
    re.IGNORECASE,
)
_ZTE_TAG = re.compile(r"^!<(?P<close>/)?(?P<tag>[^<>\s]+)>\s*$")
#: A pager prompt left in the output (any platform; each spec adds its own ``pager_markers``).
PAGER = re.compile(r"-{2,}\s*More\b|\{\s*<cr>\|\|<K>\s*\}", re.IGNORECASE)


def is_prompt(line: str) -> bool:
    """True when ``line`` is a CLI prompt (with or without a typed command after it).

    Examples:
        >>> is_prompt("RP/0/0/CPU0:nelson#"), is_prompt("<HUAWEI>quit"), is_prompt("ZXAN#show run")
        (True, True, True)
        >>> is_prompt("MA5608T(config)#"), is_prompt("[~CE1]")
        (True, True)
        >>> is_prompt(" ip address 10.0.0.1 255.255.255.0"), is_prompt("end"), is_prompt("!")
        (False, False, False)
    """
    return bool(line.strip()) and PROMPT.match(line) is not None and not line.startswith((" ", "\t"))


def is_command_echo(line: str) -> bool:
    """True when ``line`` is a prompt followed by a display/show command (an echoed command).

    Examples:
        >>> is_command_echo("RP/0/0/CPU0:nelson#sh running-config ")
        True
        >>> is_command_echo("<R1>dis cur")
        True
        >>> is_command_echo("<R1>")
        False
    """
    match = PROMPT.match(line) if is_prompt(line) else None
    return match is not None and _CONFIG_VERB.match(match.group("typed")) is not None


@dataclass(frozen=True, slots=True)
class Body:
    """The configuration inside a file: its lines, where it starts and ends, and its problem."""

    lines: tuple[str, ...]
    problem: str = ""  # empty when the configuration is whole
    truncated: bool = False  # True: cut short; False with a problem: unreadable for another reason


def _strip_head(lines: list[str]) -> int:
    """Index of the first line after the frame's head (blank, prompt+command, header lines)."""
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or HEADER.match(stripped) or is_command_echo(line):
            i += 1
            continue
        # a bare typed command before the echo (PuTTY logs: 'show run' then the prompt line)
        if i + 1 < len(lines) and is_command_echo(lines[i + 1]) and _CONFIG_VERB.match(stripped):
            i += 1
            continue
        break
    return i


def _frame_after(lines: list[str], start: int) -> bool:
    """True when everything from ``start`` on is frame: blank lines, then a prompt (or nothing)."""
    for line in lines[start:]:
        if not line.strip():
            continue
        return is_prompt(line)
    return True


def _end_problem(lines: list[str], marker: str) -> tuple[int, str]:
    """Index of the closing end line, or -1 and the problem."""
    for i, line in enumerate(lines):
        if line.rstrip() == marker and _frame_after(lines, i + 1):
            return i, ""
    last = next((ln.strip() for ln in reversed(lines) if ln.strip()), "")
    return -1, f"the configuration does not close with {marker!r} (last line {last[:60]!r})"


def _zte_problem(lines: list[str], marker: str | None) -> tuple[int, str]:
    """ZTE: sections balanced and closed; the configuration ends with a closing tag or ``end``."""
    stack: list[tuple[str, int]] = []
    seen_tag = False
    for i, line in enumerate(lines):
        stripped = line.rstrip()
        tag = _ZTE_TAG.match(stripped)
        if tag is not None:
            seen_tag = True
            if tag.group("close") is None:
                stack.append((tag.group("tag"), i + 1))
                continue
            if not stack or stack[-1][0] != tag.group("tag"):
                opened = f"!<{stack[-1][0]}> (line {stack[-1][1]})" if stack else "no open section"
                return -1, f"section tag !</{tag.group('tag')}> at line {i + 1} does not close {opened}"
            stack.pop()
            if not stack and _frame_after(lines, i + 1):
                return i, ""
            continue
        if marker is not None and stripped == marker and not stack and _frame_after(lines, i + 1):
            return i, ""
    if stack:
        tag_name, at = stack[-1]
        return -1, f"section !<{tag_name}> opened at line {at} is not closed"
    last = next((ln.strip() for ln in reversed(lines) if ln.strip()), "")
    closing = "a closing section tag or " if seen_tag else ""
    return -1, f"the configuration does not close with {closing}{marker!r} (last line {last[:60]!r})"


def has_pager(spec: PlatformSpec, line: str) -> bool:
    """True when ``line`` holds a pager prompt of any platform or of ``spec``.

    Examples:
        >>> from secaudit.platforms import get_platform
        >>> has_pager(get_platform("zte_zxa10"), " --More--   add-card rackno 1")
        True
    """
    return PAGER.search(line) is not None or any(m in line for m in spec.pager_markers)


def seen_lines(spec: PlatformSpec, text: str) -> str:
    """The lines of damaged (truncated or paged) output that were certainly received whole.

    Lines holding a pager prompt are dropped (the prompt overwrote part of them), and so is the
    last line when the text does not end with a line break (it may be cut). What is left can prove
    that a line is present in the configuration; it can never prove that one is absent.

    Examples:
        >>> from secaudit.platforms import get_platform
        >>> seen_lines(get_platform("huawei_vrp"), "a\\n  ---- More ----\\nb\\ntelnet server ena").split()
        ['a', 'b']
    """
    lines = text.split("\n")
    if not text.endswith("\n"):
        lines = lines[:-1]
    return "\n".join(ln for ln in lines if not has_pager(spec, ln))


def xml_problem(text: str) -> tuple[str, bool]:
    """('', False) for well-formed XML; else the problem and whether the document was cut short.

    Examples:
        >>> xml_problem("<a><b/></a>\\n")
        ('', False)
        >>> xml_problem("<a><b/>")[1]
        True
        >>> xml_problem("Salted__binary")[1]
        False
    """
    body = text.lstrip("\ufeff \t\r\n")
    if not body.startswith("<"):
        return "not XML text (an encrypted or binary export?)", False
    try:
        DefusedET.fromstring(
            body.encode("utf-8"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        return f"XML export rejected: DTDs are not allowed ({type(exc).__name__})", False
    except ET.ParseError as exc:
        line = exc.position[0]
        total = body.count("\n") + 1
        cut = "no element found" in str(exc) or ("unclosed token" in str(exc) and line >= total - 1)
        return f"not well-formed XML: {exc}", cut
    return "", False


def config_body(spec: PlatformSpec, text: str) -> Body:
    """The configuration lines inside ``text`` (frame removed) and whether they are whole.

    Examples:
        >>> from secaudit.platforms import get_platform
        >>> xr = get_platform("cisco_xr")
        >>> saved = "RP/0/0/CPU0:r1#sh run\\nWed Jan 25 18:31:19.463 UTC\\nhostname r1\\nend\\n"
        >>> saved += "\\nRP/0/0/CPU0:r1#"
        >>> config_body(xr, saved)
        Body(lines=('hostname r1', 'end'), problem='', truncated=False)
        >>> config_body(xr, "hostname r1\\nline default\\n").problem
        "the configuration does not close with 'end' (last line 'line default')"
        >>> zte = get_platform("zte_zxa10")
        >>> config_body(zte, "!<snmp>\\nsnmp-server x\\n!</snmp>\\n").problem
        ''
        >>> config_body(zte, "!<snmp>\\nsnmp-server x\\n").problem
        'section !<snmp> opened at line 1 is not closed'
    """
    if spec.config_layout == "xml":
        problem, cut = xml_problem(text)
        return Body(tuple(text.splitlines()), problem, cut)
    lines = text.splitlines()
    head = _strip_head(lines)
    body = lines[head:]
    marker = spec.config_end_marker
    if spec.config_layout == "zte_sections":
        end, problem = _zte_problem(body, marker)
    elif marker is not None:
        end, problem = _end_problem(body, marker)
    else:
        return Body(tuple(body))
    if end < 0:
        return Body(tuple(body), problem, truncated=True)
    return Body(tuple(body[: end + 1]))
