"""Markdown report (``report.md``) for one operator, rendered with Jinja2.

Markdown is not HTML, so this module keeps its own Jinja2 environment with autoescape OFF (the
HTML environment's escaping would litter the text with entities inside code blocks). Device
strings (banners, descriptions, observed lines) reach the template, so every value placed in
running text or a table cell goes through :func:`md_escape`, and every block of device lines
through :func:`md_codeblock`. The template must use one of the two for anything not produced by
secaudit itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, TemplateError

from secaudit.errors import ReportError
from secaudit.models.finding import RunResult
from secaudit.report.base import OperatorReport, operator_report
from secaudit.report.html import I18N_CONTEXT, ReportEnvironment, install_i18n, stream
from secaudit.report.summary import host_sections
from secaudit.report.triage import evidence_href, failures, in_triage_order

TEMPLATE = "markdown/report.md.j2"

# Inline-significant characters (CommonMark and GFM tables): backslash-escaped.
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
# Characters that start a block construct when they open a line.
_MD_LINE_START = re.compile(r"^([#+\-=!])")
# C0/C1 control characters other than tab and line ends; they have no business in a report.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BREAKS = re.compile(r"[\t\r\n\u2028\u2029]+")
_BACKTICK_RUN = re.compile(r"`+")


def md_escape(value: object) -> str:
    """Make ``value`` inert in Markdown running text and GFM table cells.

    Line breaks collapse to one space (a cell cannot span lines); ``&``, ``<`` and ``>`` become
    HTML entities, so no raw HTML tag survives; the characters that carry inline meaning, and
    ``|``, are backslash-escaped, as is a block marker at the start of the text.

    Examples:
        >>> md_escape("<script>alert(1)</script>")
        '&lt;script&gt;alert(1)&lt;/script&gt;'
        >>> md_escape("a|b `c` *d* [e](f)")
        'a\\\\|b \\\\`c\\\\` \\\\*d\\\\* \\\\[e\\\\](f)'
        >>> md_escape("# not a heading\\nnext")
        '\\\\# not a heading next'
        >>> md_escape(None)
        ''
    """
    if value is None:
        return ""
    if type(value) is str:
        return _escaped(value)
    return _escape_text(str(value))


def _escape_text(value: str) -> str:
    text = _CONTROL.sub("", _BREAKS.sub(" ", value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(r"\\\1", text)


# Titles, control ids and messages repeat across hosts: each distinct text is escaped once.
_escaped = lru_cache(maxsize=1 << 14)(_escape_text)


def md_codeblock(lines: Iterable[object], info: str = "text") -> str:
    """A fenced code block holding ``lines`` verbatim, whatever backticks they contain.

    The fence is one backtick longer than the longest backtick run in the text (at least three),
    so no device line can close it early. Control characters are dropped. Code block content is
    never interpreted as HTML or Markdown by a CommonMark renderer.

    Examples:
        >>> print(md_codeblock(["ok"]))
        ```text
        ok
        ```
        >>> print(md_codeblock(["a ```` b"]))
        `````text
        a ```` b
        `````
    """
    body = "\n".join(_CONTROL.sub("", str(line).replace("\r", "")) for line in lines)
    longest = max((len(m.group(0)) for m in _BACKTICK_RUN.finditer(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


@cache
def _env(templates_dir: str, lang: str) -> Environment:
    # Autoescape off on purpose: this is Markdown. Escaping is explicit, through the filters.
    env = ReportEnvironment(
        loader=FileSystemLoader(templates_dir),
        autoescape=False,  # Markdown: values escaped by md_escape / md_codeblock
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md_escape"] = md_escape
    env.filters["md_codeblock"] = md_codeblock
    return install_i18n(env, templates_dir, lang)


def markdown_template(templates_dir: Path, lang: str) -> Template:
    """The Markdown report template compiled for ``lang`` (kept once compiled)."""
    try:
        return _env(str(templates_dir), lang).get_template(TEMPLATE)
    except TemplateError as exc:
        raise ReportError(f"{templates_dir / TEMPLATE}: {exc}") from None


def _context(report: OperatorReport) -> dict[str, Any]:
    """The template context: run, operator, summary, what needs action, collection and per-host findings.

    Hosts are sorted by name; each host's findings are in triage order (action first, passes last).
    """
    doc = report.document
    targets = sorted(report.targets, key=lambda t: t.name)
    hosts = in_triage_order(host_sections(targets, report.sorted_findings, report.row))
    return {
        "lang": report.lang,
        **I18N_CONTEXT,
        "run": doc["run"],
        "operator": report.result.operators[report.operator].model_dump(mode="json"),
        "summary": doc["summary"],
        "compliant_hosts": sum(h["compliant"] for h in hosts),
        "collection": sorted(doc["collection"], key=lambda c: (c["host"], c["state"], c["detail"])),
        "failures": failures(hosts),
        "hosts": hosts,
        "evidence_href": evidence_href,
        "detailed_statuses": ["fail", "warn", "error"],
    }


def markdown_chunks(report: OperatorReport) -> Iterator[bytes]:
    """``report.md`` of ``report`` in its language, as UTF-8 chunks."""
    if report.operator not in report.result.operators:
        raise ReportError(f"operator {report.operator!r} is not in this run")
    template = markdown_template(report.templates_dir, report.lang)
    return stream(template, _context(report), report.templates_dir / TEMPLATE)


def render_markdown(result: RunResult, operator: str, templates_dir: Path, lang: str | None = None) -> bytes:
    """Render ``report.md`` for ``operator`` (UTF-8). ``lang=None`` uses the operator's language.

    Deterministic: hosts and findings are sorted, and the only times shown are the run's own.
    """
    return b"".join(markdown_chunks(operator_report(result, operator, templates_dir, lang)))
