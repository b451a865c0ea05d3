"""``findings.csv``: one row per finding of one operator, for spreadsheets and ticket imports.

The file is UTF-8 **with a byte-order mark** (``utf-8-sig``): without it, Excel opens a CSV in
the system code page and shows the Chinese titles as mojibake. Rows end in CRLF (RFC 4180).

Cells are guarded against CSV (formula) injection: device text such as ``=cmd|' /C calc'!A0``
must never be run by a spreadsheet, so any cell starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return gets a leading apostrophe (see :func:`csv_safe`). The csv module does the
quoting, so separators, quotes and line breaks inside a cell cannot split it.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence

from secaudit.errors import ReportError
from secaudit.models.finding import EvidenceRef, Finding, RunResult
from secaudit.report.base import OperatorReport, operator_report

COLUMNS: tuple[str, ...] = (
    "run_id",
    "operator",
    "host",
    "platform",
    "role",
    "control_id",
    "control_version",
    "title",
    "title_zh",
    "phase",
    "severity",
    "status",
    "waived",
    "waiver_ticket",
    "waiver_state",
    "message",
    "observed",
    "remediation",
    "fingerprint",
    "evidence",
)

#: Separator inside the ``observed``, ``remediation`` and ``evidence`` cells.
JOIN = " | "

#: SHA-256 of no bytes: evidence without text (missing, empty), of which nothing was stored.
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """Neutralise a cell that a spreadsheet would read as a formula (leading apostrophe).

    Examples:
        >>> csv_safe("=1+1")
        "'=1+1"
        >>> csv_safe("@SUM(A1)"), csv_safe("-2"), csv_safe("\\tx")
        ("'@SUM(A1)", "'-2", "'\\tx")
        >>> csv_safe("ssh server enable")
        'ssh server enable'
    """
    return "'" + value if value.startswith(_FORMULA_START) else value


def evidence_cell(refs: Sequence[EvidenceRef]) -> str:
    """``command@sha256`` per evidence item; ``command@(state)`` when there was no text to store.

    Examples:
        >>> from secaudit.models.enums import EvidenceState
        >>> evidence_cell([EvidenceRef(command="show x", sha256="ab", state=EvidenceState.OK),
        ...                EvidenceRef(command="show y", sha256=EMPTY_SHA256, state=EvidenceState.MISSING)])
        'show x@ab | show y@(missing)'
    """
    return JOIN.join(
        f"{r.command}@{r.sha256}" if r.sha256 not in ("", EMPTY_SHA256) else f"{r.command}@({r.state.value})"
        for r in refs
    )


def _finding_row(run_id: str, f: Finding) -> list[str]:
    """The unguarded cells of one finding, in :data:`COLUMNS` order."""
    return [
        run_id,
        f.operator,
        f.host,
        f.platform.value,
        f.role.value,
        f.control_id,
        str(f.control_version),
        f.title,
        f.title_zh,
        f.phase.value,
        f.severity.value,
        f.status.value,
        "true" if f.waived else "false",
        f.waiver.ticket if f.waiver else "",
        f.waiver.state if f.waiver else "",
        f.message,
        JOIN.join(f.observed),
        JOIN.join(f.remediation),
        f.fingerprint,
        evidence_cell(f.evidence),
    ]


#: Rows written to the buffer before it is handed on as one chunk.
CHUNK_ROWS = 2000


def csv_chunks(report: OperatorReport) -> Iterator[bytes]:
    """``findings.csv`` of ``report`` as chunks: the byte-order mark, then UTF-8 rows."""
    if report.operator not in report.result.operators:
        raise ReportError(f"operator {report.operator!r} is not in this run")
    run_id = report.result.run.id
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    yield codecs.BOM_UTF8
    for i, f in enumerate(report.sorted_findings, start=1):
        # csv_safe on every cell, inlined (20 cells a row, tens of thousands of rows)
        writer.writerow(["'" + c if c.startswith(_FORMULA_START) else c for c in _finding_row(run_id, f)])
        if i % CHUNK_ROWS == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def render_csv(result: RunResult, operator: str) -> bytes:
    """Render ``findings.csv`` for ``operator``: header plus one row per finding.

    Rows are sorted by host, control id and fingerprint; every cell passes :func:`csv_safe`.
    Returns UTF-8 with BOM.
    """
    return b"".join(csv_chunks(operator_report(result, operator)))
