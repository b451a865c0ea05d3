"""The report-format protocol and its registry.

A format turns one operator's part of a run into the bytes of one file of the bundle. The
built-in formats are registered below; a deployment's private format plugs in through the
entry-point group ``secaudit.report_formats`` (an object, or a class taking no arguments, with
``name``, ``filename`` and ``render``), without touching the pipeline or the bundle writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from secaudit.errors import ReportError
from secaudit.models.finding import Finding, RunResult
from secaudit.models.target import Target

ENTRY_POINT_GROUP = "secaudit.report_formats"


@dataclass(frozen=True)
class OperatorReport:
    """What every format renders: one operator's findings, hosts and run, in one language.

    Whatever several formats need is computed once here and shared: the operator's findings in
    run order and sorted by host, control and fingerprint, each finding dumped to its JSON-ready
    dict once (``rows``), the run's hosts by name and the findings document. Formats only read
    these objects; none may change them.
    """

    result: RunResult
    operator: str
    templates_dir: Path
    lang: str

    @cached_property
    def findings(self) -> list[Finding]:
        """This operator's findings, in run order."""
        return [f for f in self.result.findings if f.operator == self.operator]

    @cached_property
    def sorted_findings(self) -> list[Finding]:
        """This operator's findings sorted by host, control id and fingerprint."""
        return sorted(self.findings, key=lambda f: (f.host, f.control_id, f.fingerprint))

    @cached_property
    def targets(self) -> list[Target]:
        """This operator's hosts, in run order."""
        return [t for t in self.result.targets if t.operator == self.operator]

    @cached_property
    def target_by_name(self) -> dict[str, Target]:
        """Every host of the run by name (the first of a name wins, as a linear search would)."""
        out: dict[str, Target] = {}
        for t in self.result.targets:
            out.setdefault(t.name, t)
        return out

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        """Each finding of :attr:`findings` as ``model_dump(mode="json")``, same order, dumped once."""
        return [f.model_dump(mode="json") for f in self.findings]

    @cached_property
    def _row_of(self) -> dict[int, dict[str, Any]]:
        return {id(f): row for f, row in zip(self.findings, self.rows, strict=True)}

    def row(self, finding: Finding) -> dict[str, Any]:
        """The shared JSON-ready dict of one of this operator's findings."""
        return self._row_of[id(finding)]

    @cached_property
    def document(self) -> dict[str, Any]:
        """The findings document (``findings.json``), which the HTML and Markdown reports also read."""
        from secaudit.report.json_doc import findings_document  # noqa: PLC0415 - avoids an import cycle

        return findings_document(self.result, self.operator, self.findings, self.rows)


def operator_report(
    result: RunResult, operator: str, templates_dir: Path | None = None, lang: str | None = None
) -> OperatorReport:
    """The :class:`OperatorReport` of ``operator`` (its own language unless ``lang``).

    Raises :class:`ReportError` when ``operator`` is not in the run. ``templates_dir`` matters
    only to the formats rendered from templates.
    """
    if operator not in result.operators:
        raise ReportError(f"operator {operator!r} is not in this run")
    return OperatorReport(result, operator, templates_dir or Path(), lang or result.operators[operator].lang)


@runtime_checkable
class ReportFormat(Protocol):
    """One file of an operator bundle."""

    @property
    def name(self) -> str:
        """Short name (``html``, ``sarif``)."""
        ...

    @property
    def filename(self) -> str:
        """The file written into the operator bundle."""
        ...

    def render(self, report: OperatorReport) -> bytes:
        """The file's bytes."""
        ...


@runtime_checkable
class ChunkedFormat(Protocol):
    """A report format that can also hand its file over in parts (the built-ins do)."""

    def chunks(self, report: OperatorReport) -> Iterator[bytes]:
        """The file's bytes in order, in parts; joined, they are ``render(report)``."""
        ...


def format_chunks(fmt: ReportFormat, report: OperatorReport) -> Iterator[bytes]:
    """The bytes of ``fmt`` for ``report``, in parts when the format can stream them."""
    if isinstance(fmt, ChunkedFormat):
        yield from fmt.chunks(report)
    else:
        yield fmt.render(report)


class FormatRegistry:
    """Report formats by name (per-instance state; a duplicate name is an error)."""

    def __init__(self) -> None:
        self._items: dict[str, ReportFormat] = {}

    def register(self, fmt: ReportFormat) -> ReportFormat:
        """Add ``fmt``; its name and file name must be new."""
        if not isinstance(fmt, ReportFormat):
            raise ReportError(f"{fmt!r} is not a report format (name, filename, render)")
        if fmt.name in self._items:
            raise ReportError(f"report format {fmt.name!r} is already registered")
        if any(f.filename == fmt.filename for f in self._items.values()):
            raise ReportError(f"report format {fmt.name!r}: another format already writes {fmt.filename}")
        self._items[fmt.name] = fmt
        return fmt

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register the formats installed packages declare; returns their names."""
        added = []
        for ep in entry_points(group=group):
            obj = ep.load()
            fmt = obj() if isinstance(obj, type) else obj
            added.append(self.register(fmt).name)
        return added

    def __iter__(self) -> Iterator[ReportFormat]:
        return iter(self._items.values())

    def names(self) -> tuple[str, ...]:
        """Names in registration order."""
        return tuple(self._items)
