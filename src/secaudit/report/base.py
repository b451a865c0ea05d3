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
    """What every format renders: one operator's findings, hosts and run, in one language."""

    result: RunResult
    operator: str
    templates_dir: Path
    lang: str

    @cached_property
    def findings(self) -> list[Finding]:
        """This operator's findings."""
        return [f for f in self.result.findings if f.operator == self.operator]

    @cached_property
    def targets(self) -> list[Target]:
        """This operator's hosts."""
        return [t for t in self.result.targets if t.operator == self.operator]

    @cached_property
    def document(self) -> dict[str, Any]:
        """The findings document (``findings.json``), which the HTML report also reads."""
        from secaudit.report.json_doc import findings_document  # noqa: PLC0415 - avoids an import cycle

        return findings_document(self.result, self.operator, self.findings)


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
