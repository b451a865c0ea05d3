"""The built-in report formats of an operator bundle, registered in :data:`FORMATS`.

``report.html`` and ``report.md`` (Jinja2 templates, autoescaped HTML), ``findings.json`` (the
findings schema), ``findings.csv``, ``junit.xml`` and ``findings.sarif``. Formats that installed
packages declare under the ``secaudit.report_formats`` entry point are added by
:func:`report_formats`.

Each built-in format writes its file as a stream of chunks (:meth:`BuiltinFormat.chunks`), so the
bundle writer never holds a whole report; ``render`` joins the chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from secaudit.errors import ReportError
from secaudit.report.base import FormatRegistry, OperatorReport
from secaudit.report.csv_out import csv_chunks
from secaudit.report.html import html_template, render_chunks
from secaudit.report.json_doc import iter_dumps
from secaudit.report.junit import junit_chunks
from secaudit.report.markdown import markdown_chunks, markdown_template
from secaudit.report.sarif import sarif_chunks
from secaudit.report.summary import host_sections
from secaudit.report.triage import evidence_href, failures, in_triage_order


@dataclass(frozen=True, slots=True)
class BuiltinFormat:
    """A format made of a name, a file name and a render function (or a chunk writer)."""

    name: str
    filename: str
    renderer: Callable[[OperatorReport], bytes] | None = None
    writer: Callable[[OperatorReport], Iterable[bytes]] | None = None

    def __post_init__(self) -> None:
        if self.renderer is None and self.writer is None:
            raise ReportError(f"report format {self.name!r} needs a renderer or a writer")

    def render(self, report: OperatorReport) -> bytes:
        """Render ``report``."""
        if self.renderer is not None:
            return self.renderer(report)
        return b"".join(self.chunks(report))

    def chunks(self, report: OperatorReport) -> Iterator[bytes]:
        """The file's bytes in order, in parts (their concatenation is :meth:`render`)."""
        if self.writer is not None:
            yield from self.writer(report)
        else:
            yield self.render(report)


HTML_TEMPLATE = "html/report.html.j2"


def _html(report: OperatorReport) -> Iterator[bytes]:
    doc = report.document
    hosts = in_triage_order(host_sections(report.targets, report.findings, report.row))
    context = {
        "lang": report.lang,
        "run": doc["run"],
        "operator": report.result.operators[report.operator].model_dump(mode="json"),
        "summary": doc["summary"],
        "failures": failures(hosts),
        "hosts": hosts,
        "collection": doc["collection"],
        "evidence_href": evidence_href,
    }
    return render_chunks(report.templates_dir, HTML_TEMPLATE, context)


FORMATS = FormatRegistry()
for _fmt in (
    BuiltinFormat("json", "findings.json", writer=lambda r: iter_dumps(r.document)),
    BuiltinFormat("html", "report.html", writer=_html),
    BuiltinFormat("markdown", "report.md", writer=markdown_chunks),
    BuiltinFormat("csv", "findings.csv", writer=csv_chunks),
    BuiltinFormat("junit", "junit.xml", writer=junit_chunks),
    BuiltinFormat("sarif", "findings.sarif", writer=sarif_chunks),
):
    FORMATS.register(_fmt)


def preload(templates_dir: Path, langs: Iterable[str]) -> None:
    """Load the installed formats and compile the report templates of ``langs`` now.

    A process about to fork report workers calls this first, so the workers inherit both.
    """
    report_formats()
    for lang in set(langs):
        html_template(templates_dir, HTML_TEMPLATE, lang)
        markdown_template(templates_dir, lang)


@cache
def report_formats() -> FormatRegistry:
    """The built-in formats plus those installed packages declare (loaded once)."""
    registry = FormatRegistry()
    for fmt in FORMATS:
        registry.register(fmt)
    registry.load_entry_points()
    return registry
