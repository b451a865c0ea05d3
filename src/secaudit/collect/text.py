"""Pure helpers for raw device text: slugs, decoding and quality assessment.

The live and the offline collector both call :func:`assess`, so the same text gets the same
evidence state whichever way it arrived.
"""

from __future__ import annotations

import hashlib
import re

from secaudit.models.enums import EvidenceState
from secaudit.platforms.base import PlatformSpec
from secaudit.platforms.frame import config_body

_SLUG_STRIP = re.compile(r"[^a-z0-9-]+")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PAGER_RE = re.compile(r"-{2,}\s*More\b|\{\s*<cr>\|\|<K>\s*\}", re.IGNORECASE)


def command_slug(command: str) -> str:
    """File-name slug of a command: lower-case, runs of anything but ``a-z 0-9 -`` become ``_``.

    Examples:
        >>> command_slug("display current-configuration")
        'display_current-configuration'
        >>> command_slug("display current-configuration | section snmp")
        'display_current-configuration_section_snmp'
        >>> command_slug("  Show Running-Config  ")
        'show_running-config'
    """
    slug = _SLUG_STRIP.sub("_", command.strip().lower()).strip("_")
    if not slug:
        raise ValueError(f"command {command!r} has no usable characters for a file name")
    return slug


def sha256_hex(data: bytes) -> str:
    """SHA-256 of bytes as lower-case hex.

    Examples:
        >>> sha256_hex(b"")[:16]
        'e3b0c44298fc1c14'
    """
    return hashlib.sha256(data).hexdigest()


def decode_output(data: bytes) -> str:
    """Decode device output: UTF-8, else GB18030 (a superset of GBK), else UTF-8 with replacement.

    NUL bytes and ANSI escapes are removed, line ends normalised to ``\\n``, other control
    characters dropped (they occur in banners).

    Examples:
        >>> decode_output("时钟".encode("gbk") + b"\\r\\nok\\x00")
        '时钟\\nok'
        >>> decode_output(b"\\x1b[1mbold\\x1b[0m")
        'bold'
    """
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = data.decode("utf-8", errors="replace")
    text = _ANSI.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CTRL.sub("", text)


def _first_lines(text: str, n: int) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip()][:n]


def assess(spec: PlatformSpec, command: str, text: str, *, is_config: bool) -> tuple[EvidenceState, str]:
    """Judge evidence quality. Only ``ok`` may ever support a ``pass``.

    * empty: nothing but whitespace;
    * paged: a pager or SmartAX smart-mode prompt is still in the text;
    * device_error: one of the platform's failure markers begins one of the first lines;
    * truncated: a configuration whose structure is cut (:func:`secaudit.platforms.frame.config_body`:
      no end line, an unclosed ZTE section, an XML export cut short); prompts, headers and other
      session lines around it do not count;
    * parse_error: a configuration that cannot be read at all (an encrypted or binary export).

    Examples:
        >>> from secaudit.platforms import get_platform
        >>> vrp = get_platform("huawei_vrp")
        >>> assess(vrp, "display current-configuration", "sysname A\\nreturn\\n", is_config=True)
        (<EvidenceState.OK: 'ok'>, '')
        >>> assess(vrp, "display current-configuration", "sysname A\\n", is_config=True)[0]
        <EvidenceState.TRUNCATED: 'truncated'>
        >>> assess(vrp, "display current-configuration", "sysname A\\nreturn\\n<A>", is_config=True)[0]
        <EvidenceState.OK: 'ok'>
        >>> assess(vrp, "display version", "a\\n  ---- More ----", is_config=False)[0]
        <EvidenceState.PAGED: 'paged'>
        >>> rejected = "Error: Unrecognized command found at '^' position."
        >>> assess(vrp, "display foo", rejected, is_config=False)[0]
        <EvidenceState.DEVICE_ERROR: 'device_error'>
    """
    if not text.strip():
        return EvidenceState.EMPTY, "output is empty"
    pager = _PAGER_RE.search(text)
    if pager or any(marker in text for marker in spec.pager_markers):
        found = pager.group(0) if pager else next(m for m in spec.pager_markers if m in text)
        return EvidenceState.PAGED, f"pager prompt {found.strip()!r} in output: paging was not disabled"
    head = _first_lines(text, 4)
    lowered_cmd = command.strip().lower()
    for line in head:
        if line.lower().endswith(lowered_cmd):
            continue  # echoed prompt + command
        for marker in spec.failure_markers:
            if line.startswith(marker):
                return EvidenceState.DEVICE_ERROR, f"device rejected the command: {line[:120]!r}"
    if is_config:
        body = config_body(spec, text)
        if body.problem:
            state = EvidenceState.TRUNCATED if body.truncated else EvidenceState.PARSE_ERROR
            return state, f"{body.problem}: {'truncated' if body.truncated else 'not readable'}"
    return EvidenceState.OK, ""
