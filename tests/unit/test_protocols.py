"""The plug-in points: collectors and report formats satisfy their protocols; registries are closed."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from secaudit.collect.base import Collector
from secaudit.collect.files import FilesCollector
from secaudit.collect.live import LiveCollector, LiveOptions
from secaudit.collect.offline import OfflineCollector
from secaudit.collect.sharded import ShardedCollector
from secaudit.errors import ReportError
from secaudit.models.enums import EvidenceSource
from secaudit.report.base import FormatRegistry, OperatorReport, ReportFormat
from secaudit.report.formats import FORMATS, BuiltinFormat


def test_builtin_collectors_satisfy_the_protocol(tmp_path: Path) -> None:
    options = LiveOptions(known_hosts_dir=tmp_path)
    collectors = [
        OfflineCollector(tmp_path),
        FilesCollector({}),
        LiveCollector(None, {}, options),  # type: ignore[arg-type]
        ShardedCollector(functools.partial(OfflineCollector, tmp_path), EvidenceSource.LIVE, 2),
    ]
    for collector in collectors:
        assert isinstance(collector, Collector), type(collector).__name__
    assert [c.source for c in collectors] == [
        EvidenceSource.OFFLINE,
        EvidenceSource.OFFLINE,
        EvidenceSource.LIVE,
        EvidenceSource.LIVE,
    ]


def test_builtin_formats_write_the_bundle_files() -> None:
    assert FORMATS.names() == ("json", "html", "markdown", "csv", "junit", "sarif")
    assert all(isinstance(f, ReportFormat) for f in FORMATS)


def _txt(report: OperatorReport) -> bytes:
    return report.operator.encode()


def test_format_registry_is_per_instance_and_refuses_clashes() -> None:
    a, b = FormatRegistry(), FormatRegistry()
    a.register(BuiltinFormat("txt", "report.txt", _txt))
    assert a.names() == ("txt",)
    assert b.names() == ()
    with pytest.raises(ReportError, match="already registered"):
        a.register(BuiltinFormat("txt", "other.txt", _txt))
    with pytest.raises(ReportError, match=r"already writes report\.txt"):
        a.register(BuiltinFormat("text", "report.txt", _txt))
    with pytest.raises(ReportError, match="not a report format"):
        a.register(object())  # type: ignore[arg-type]


def test_entry_point_formats_are_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    class EntryPoint:
        def load(self) -> object:
            return BuiltinFormat("txt", "report.txt", _txt)

    monkeypatch.setattr("secaudit.report.base.entry_points", lambda group: [EntryPoint()])
    registry = FormatRegistry()
    assert registry.load_entry_points() == ["txt"]
