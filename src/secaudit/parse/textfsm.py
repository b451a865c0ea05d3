"""TextFSM parsing: secaudit's own index first, then ntc-templates. Never a silent empty result."""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

import ntc_templates
import textfsm
from textfsm import texttable

from secaudit.errors import ParseError, UnknownPlatformError
from secaudit.platforms import get_platform

OWN_TEMPLATES = Path(__file__).parent / "textfsm_templates"
NTC_TEMPLATES = Path(ntc_templates.__file__).parent / "templates"
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class TextfsmResult:
    """Rows (header names lower-cased) plus which template produced them."""

    rows: tuple[dict[str, str], ...]
    template: str


@dataclass(frozen=True, slots=True)
class _IndexRow:
    template: str
    platform: str  # regex, as in the index
    command: str  # regex, with CliTable's [[completion]] expanded


def _completion(match: re.Match[str]) -> str:
    r"""CliTable's ``[[word]]`` completion: ``(w(o(r(d)?)?)?)?``.

    Examples:
        >>> re.sub(r"(\[\[.+?\]\])", _completion, "di[[splay]] ver")
        'di(s(p(l(a(y)?)?)?)?)? ver'
    """
    word = match.group()[2:-2]
    return "(" + "(".join(word) + ")?" * len(word)


@cache
def _index(directory: str) -> tuple[_IndexRow, ...]:
    """The rows of a TextFSM ``index`` file, read as CliTable reads them but compiled lazily.

    CliTable compiles every regex of an index at load (about 3,000 for ntc-templates, 0.6 s on
    each start); lookups here compile only the rows of the platform asked for.
    """
    table = texttable.TextTable()
    with (Path(directory) / "index").open(encoding="utf-8") as handle:
        table.CsvToTable(handle)
    return tuple(
        _IndexRow(
            template=str(row["Template"]),
            platform=str(row["Platform"]),
            command=re.sub(r"(\[\[.+?\]\])", _completion, str(row["Command"])),
        )
        for row in table
    )


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@cache
def _ntc_version() -> str:
    return version("ntc_templates")


def _whole_words(compiled: re.Pattern[str], command: str) -> bool:
    """The index regex matches ``command`` up to a word boundary; the rest are arguments.

    Examples:
        >>> _whole_words(re.compile(r"di(r)?"), "dir flash:")
        True
        >>> _whole_words(re.compile(r"di(r)?"), "display version")
        False
        >>> _whole_words(re.compile(r"di(splay)? bo(ard)?\\s*"), "display board 0")
        True
    """
    match = compiled.match(command)
    if match is None:
        return False
    end = match.end()
    return end == len(command) or command[end].isspace() or (end > 0 and command[end - 1].isspace())


@cache
def _template_for(directory: Path, platform: str, command: str) -> str | None:
    # CliTable's own GetRowMatch is a bare prefix match: "display anything" would hit "di[[r]]".
    # Require the index regex to end on a word boundary of the command (the rest are arguments).
    wanted = " ".join(command.split())
    for row in _index(str(directory)):
        if (
            row.platform
            and _regex(row.platform).fullmatch(platform)
            and _whole_words(_regex(row.command), wanted)
        ):
            return row.template
    return None


def find_template(platform: str, command: str) -> tuple[Path, str] | None:
    """Locate the template for ``(platform, command)``: own index first, then ntc-templates.

    ``platform`` is the secaudit platform name (own index); ntc-templates is searched under the
    platform's ``ntc_platform`` (none for e.g. ``zte_zxa10``).

    Examples:
        >>> find_template("huawei_vrp", "display telnet server status")[1]
        'huawei_vrp_display_telnet_server_status.textfsm'
        >>> find_template("huawei_vrp", "display nothing-like-this") is None
        True
    """
    try:
        ntc_platform = get_platform(platform).ntc_platform
    except UnknownPlatformError:
        ntc_platform = platform
    with _LOCK:
        for directory, name_in_index in ((OWN_TEMPLATES, platform), (NTC_TEMPLATES, ntc_platform)):
            if name_in_index is None:
                continue
            name = _template_for(directory, name_in_index, command)
            if name:
                return directory, name.split(":")[0]
    return None


@cache
def _own_label(path: Path) -> str:
    """Template identity for findings: ``secaudit:<file>@<sha256 prefix of its content>``."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"secaudit:{path.name}@{digest}"


_FSMS = threading.local()


def _fsm(template_path: Path) -> textfsm.TextFSM:
    """The compiled template, reset for a new text (one per template and thread: FSMs keep state)."""
    cached: dict[Path, textfsm.TextFSM] | None = getattr(_FSMS, "by_path", None)
    if cached is None:
        cached = _FSMS.by_path = {}
    fsm = cached.get(template_path)
    if fsm is None:
        with template_path.open(encoding="utf-8") as handle:
            fsm = cached[template_path] = textfsm.TextFSM(handle)
    fsm.Reset()
    return fsm


def _records(template_path: Path, text: str) -> tuple[dict[str, str], ...]:
    fsm = _fsm(template_path)
    try:
        rows = fsm.ParseText(text)
    except textfsm.TextFSMError as exc:
        raise ParseError(f"{template_path.name}: {exc}") from None
    header = [h.lower() for h in fsm.header]
    return tuple(
        {k: (" ".join(v) if isinstance(v, list) else str(v)) for k, v in zip(header, r, strict=True)}
        for r in rows
    )


def parse_rows(
    platform: str | None, command: str, text: str, *, template: str | None = None, allow_no_rows: bool = False
) -> TextfsmResult:
    """Parse ``text`` with the template for ``(platform, command)`` or the named own template.

    Raises :class:`ParseError` when no template exists, the template rejects the text, or no row
    was produced (unless ``allow_no_rows``, meant for strict templates ending in ``^. -> Error``).
    """
    if template is not None:
        path = OWN_TEMPLATES / template
        if not path.is_file():
            raise ParseError(f"template {template!r} not found in {OWN_TEMPLATES}")
        label = _own_label(path)
    else:
        if platform is None:
            raise ParseError(f"no TextFSM platform for command {command!r}")
        found = find_template(platform, command)
        if found is None:
            raise ParseError(f"no TextFSM template for platform {platform!r}, command {command!r}")
        directory, name = found
        path = directory / name
        label = _own_label(path) if directory == OWN_TEMPLATES else f"ntc-templates {_ntc_version()}:{name}"
    rows = _records(path, text)
    if not rows and not allow_no_rows:
        raise ParseError(f"{label}: no records parsed from {len(text.splitlines())} lines of output")
    return TextfsmResult(rows=rows, template=label)
