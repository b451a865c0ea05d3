"""Pure helpers for raw device text: slugs, decoding and quality assessment.

The live and the offline collector both call :func:`assess`, so the same text gets the same
evidence state whichever way it arrived.
"""

from __future__ import annotations

import codecs
import hashlib
import re

from secaudit.models.enums import EvidenceState
from secaudit.platforms.base import PlatformSpec
from secaudit.platforms.frame import PAGER, config_body

_SLUG_STRIP = re.compile(r"[^a-z0-9-]+")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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


def _decode_bom(data: bytes) -> str | None:
    """Text of a file saved with a byte-order mark (Windows editors: UTF-8-SIG, UTF-16), or None.

    UTF-16 without a mark is recognised by its NUL bytes: ASCII text in UTF-16 has one in two.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    head = data[:4096]
    if len(head) >= 8 and head.count(0) * 2 >= len(head) * 0.9:
        return data.decode("utf-16-le" if head[1] == 0 else "utf-16-be", errors="replace")
    return None


def decode_output(data: bytes) -> str:
    """Decode device output: a byte-order mark (UTF-8, UTF-16) decides; else UTF-8, else GB18030
    (a superset of GBK), else UTF-8 with replacement.

    NUL bytes and ANSI escapes are removed, line ends normalised to ``\\n``, other control
    characters dropped (they occur in banners).

    Examples:
        >>> decode_output("时钟".encode("gbk") + b"\\r\\nok\\x00")
        '时钟\\nok'
        >>> decode_output(b"\\x1b[1mbold\\x1b[0m")
        'bold'
    """
    text = _decode_bom(data)
    if text is None:
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


#: The terminal width at which ZTE OLTs hard-wrap long lines in show running-config.
WRAP_WIDTH = 80


def join_hard_wraps(lines: list[str], width: int = WRAP_WIDTH) -> list[str]:
    """Join lines a terminal cut at exactly ``width`` characters (ZTE C600 80-column wraps).

    A wrapped output has lines of exactly ``width`` characters and none longer; the cut falls
    anywhere, mid-word included (``... dow`` + ``n-base-freq 194100``), and the continuation starts
    in column 0, so it is glued back without a separator. Output with longer lines was not wrapped
    and is left as it is.

    Examples:
        >>> join_hard_wraps(["  password encrypted *21*" + "A" * 55, "BCD", "  $"])
        ['  password encrypted *21*AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABCD', '  $']
        >>> join_hard_wraps(["x" * 81, "y"])
        ['xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'y']
    """
    if not any(len(ln) == width for ln in lines) or any(len(ln) > width for ln in lines):
        return lines
    out: list[str] = []
    continues = False
    for line in lines:
        if continues and out:
            out[-1] += line
        else:
            out.append(line)
        continues = len(line) == width
    return out


_SMARTAX_SECTION = re.compile(r"^\s*\[[^\]]+\]\s*$")
_SMARTAX_MARKER = re.compile(r"^\s*<[^>]+>\s*$")


def _glue(previous: str, continuation: str) -> str:
    """Join a SmartAX continuation: no separator inside an open ``*...*`` hash or ``"..."`` string."""
    last = previous.rsplit(maxsplit=1)[-1] if previous.strip() else ""
    open_hash = last.startswith("*") and not (len(last) > 1 and last.endswith("*"))
    open_quote = previous.count('"') % 2 == 1
    return previous + continuation if open_hash or open_quote else f"{previous} {continuation}"


def join_smartax_wraps(lines: list[str]) -> list[str]:
    """Join the lines a SmartAX OLT wrapped into column 0 inside an indented section.

    In a section whose commands are indented (``[global-config]``: `` sysname ...``), a line in
    column 0 is the continuation of the line before it. The cut falls anywhere: inside a password
    hash (glued back without a separator, so it is redacted whole), inside a quoted description, or
    between two words (glued with a space).

    Examples:
        >>> wrapped = ["[global-config]", " terminal user name buildrun_new_password r *J$1a$ab", "cd$* 7",
        ...            " ont add 0 0 sn-auth x ont-lineprofile-id 1", "ont-srvprofile-id 1"]
        >>> for line in join_smartax_wraps(wrapped)[1:]:
        ...     print(line)
         terminal user name buildrun_new_password r *J$1a$abcd$* 7
         ont add 0 0 sn-auth x ont-lineprofile-id 1 ont-srvprofile-id 1
    """
    out: list[str] = []
    indented: bool | None = None  # indentation of the current group's first command
    last_command = -1
    for line in lines:
        stripped = line.strip()
        if _SMARTAX_SECTION.match(line) or (stripped.startswith("#") and not line.startswith(" ")):
            indented, last_command = None, -1
        elif stripped == "return" and not line.startswith(" "):
            indented, last_command = False, -1  # the end: the prompt after it is no continuation
        elif stripped and not _SMARTAX_MARKER.match(line):
            starts_col0 = not line.startswith((" ", "\t"))
            if indented is None:
                indented = not starts_col0
            elif indented and starts_col0 and last_command >= 0:
                out[last_command] = _glue(out[last_command], line)
                continue
            last_command = len(out)
        out.append(line)
    return out


def repair_text(spec: PlatformSpec, text: str, *, is_config: bool) -> str:
    """Undo what the terminal did to a platform's output before it is judged, redacted or stored.

    ZTE and SmartAX OLTs hard-wrap long configuration lines: a wrapped secret would otherwise be
    redacted only up to the cut (the rest of it left in the stored evidence) and its continuation
    would break the configuration's hierarchy.

    Examples:
        >>> from secaudit.platforms import get_platform
        >>> c600 = get_platform("zte_zxa10")
        >>> wrapped = "  password encrypted " + "x" * 59 + "\\nyz\\n$\\n"
        >>> repair_text(c600, wrapped, is_config=True).splitlines()[1]
        '$'
    """
    if is_config and spec.config_layout == "zte_sections":
        return "\n".join(join_hard_wraps(text.split("\n")))
    if is_config and spec.config_layout == "smartax_sections":
        return "\n".join(join_smartax_wraps(text.split("\n")))
    return text


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
    pager = PAGER.search(text)
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
