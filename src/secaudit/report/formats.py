"""The built-in report formats of an operator bundle, registered in :data:`FORMATS`.

``report.html`` and ``report.md`` (Jinja2 templates, autoescaped HTML), ``findings.json`` (the
findings schema), ``findings.csv``, ``junit.xml`` and ``findings.sarif``. Formats that installed
packages declare under the ``secaudit.report_formats`` entry point are added by
:func:`report_formats`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from secaudit.report.base import FormatRegistry, OperatorReport
from secaudit.report.csv_out import render_csv
from secaudit.report.html import render
from secaudit.report.json_doc import dumps
from secaudit.report.junit import render_junit
from secaudit.report.markdown import render_markdown
from secaudit.report.sarif import render_sarif
from secaudit.report.summary import host_sections


@dataclass(frozen=True, slots=True)
class BuiltinFormat:
    """A format made of a name, a file name and a render function."""

    name: str
    filename: str
    renderer: Callable[[OperatorReport], bytes]

    def render(self, report: OperatorReport) -> bytes:
        """Render ``report``."""
        return self.renderer(report)


def _html(report: OperatorReport) -> bytes:
    doc = report.document
    context = {
        "lang": report.lang,
        "run": doc["run"],
        "operator": report.result.operators[report.operator].model_dump(mode="json"),
        "summary": doc["summary"],
        "hosts": host_sections(report.targets, report.findings),
        "collection": doc["collection"],
    }
    return render(report.templates_dir, "html/report.html.j2", context)


FORMATS = FormatRegistry()
for _fmt in (
    BuiltinFormat("json", "findings.json", lambda r: dumps(r.document)),
    BuiltinFormat("html", "report.html", _html),
    BuiltinFormat(
        "markdown", "report.md", lambda r: render_markdown(r.result, r.operator, r.templates_dir, r.lang)
    ),
    BuiltinFormat("csv", "findings.csv", lambda r: render_csv(r.result, r.operator)),
    BuiltinFormat("junit", "junit.xml", lambda r: render_junit(r.result, r.operator)),
    BuiltinFormat("sarif", "findings.sarif", lambda r: render_sarif(r.result, r.operator)),
):
    FORMATS.register(_fmt)


@cache
def report_formats() -> FormatRegistry:
    """The built-in formats plus those installed packages declare (loaded once)."""
    registry = FormatRegistry()
    for fmt in FORMATS:
        registry.register(fmt)
    registry.load_entry_points()
    return registry
