"""The pipeline owns a run: in-process runs equal CLI runs, and a new collector plugs in unchanged."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from secaudit.collect.base import Collector, Plan
from secaudit.collect.offline import OfflineCollector
from secaudit.collect.sharded import ShardedCollector
from secaudit.errors import ConfigurationError
from secaudit.models.enums import CollectionState, EvidenceSource, Status
from secaudit.models.evidence import HostEvidence
from secaudit.models.finding import RunResult
from secaudit.models.target import Target
from secaudit.pipeline.run import AuditRequest, run
from secaudit.sign.keys import generate_keypair

from conftest import CHECKS, EXAMPLES, INVENTORY, TEMPLATES, audit_args

EVIDENCE = EXAMPLES / "evidence"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    private, _, _ = generate_keypair(tmp_path_factory.mktemp("keys"), "p")
    return private


def _request(key: Path, output: Path, **kw: object) -> AuditRequest:
    return AuditRequest(
        key=key,
        inventory=INVENTORY,
        offline=EVIDENCE,
        checks=CHECKS,
        templates=TEMPLATES,
        output=output,
        history_db=output / "h.sqlite3",
        quiet=True,
        **kw,  # type: ignore[arg-type]
    )


def _verdicts(result: RunResult) -> dict[tuple[str, str], str]:
    return {(f.host, f.control_id): f.status.value for f in result.findings}


def _bundle_verdicts(run_dir: Path) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for doc in run_dir.glob("*/findings.json"):
        for f in json.loads(doc.read_text(encoding="utf-8"))["findings"]:
            out[(f["host"], f["control_id"])] = f["status"]
    return out


def test_in_process_run_equals_the_cli_run(key: Path, tmp_path: Path) -> None:
    outcome = run(_request(key, tmp_path / "in"))
    assert outcome.exit_code == 3  # the examples hold unreachable and incomplete hosts
    assert outcome.run_dir.is_dir() and outcome.run_dir.parent == tmp_path / "in"
    in_process = _verdicts(outcome.result)
    assert in_process == _bundle_verdicts(outcome.run_dir)
    assert len(set(in_process.values())) >= 4  # a real mix of verdicts, not one status

    latest = tmp_path / "LATEST"
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "secaudit"),
            *audit_args(tmp_path / "cli", evidence=EVIDENCE),
            *("--key", str(key), "--latest-file", str(latest), "--quiet"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,  # any directory: every path is explicit
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == outcome.exit_code, proc.stderr
    assert _bundle_verdicts(Path(latest.read_text().strip())) == in_process


class CountingCollector:
    """A collector written outside secaudit: wraps the offline one and records what it was asked."""

    def __init__(self, inner: OfflineCollector) -> None:
        self.inner = inner
        self.asked: list[str] = []
        self.yielded = 0

    @property
    def source(self) -> EvidenceSource:
        return self.inner.source

    def collect(self, targets: tuple[Target, ...], plan: Plan) -> Iterator[HostEvidence]:
        self.asked = [t.name for t in targets]
        for host in self.inner.collect(targets, plan):
            self.yielded += 1
            yield host


def test_a_new_collector_plugs_in_without_touching_the_pipeline(key: Path, tmp_path: Path) -> None:
    default = run(_request(key, tmp_path / "a"))
    custom = CountingCollector(OfflineCollector(EVIDENCE))
    assert isinstance(custom, Collector)
    plugged = run(_request(key, tmp_path / "b"), collector=custom)
    assert custom.asked == [t.name for t in plugged.result.targets]
    assert custom.yielded == len(custom.asked) > 0
    assert _verdicts(plugged.result) == _verdicts(default.result)


def test_bad_request_is_a_clear_error_and_leaves_nothing(key: Path, tmp_path: Path) -> None:
    missing = dataclasses.replace(_request(key, tmp_path / "out"), offline=tmp_path / "nope")
    with pytest.raises(ConfigurationError, match="nope: evidence folder not found"):
        run(missing)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_timings_account_for_the_whole_run(key: Path, tmp_path: Path) -> None:
    path = tmp_path / "timings.json"
    outcome = run(_request(key, tmp_path / "t", timings=path))
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc == outcome.timings
    per = doc["cpu_ms_per_device"]
    assert set(per) == {"collect", "parse", "evaluate", "remediate", "report", "sign"}
    assert all(v >= 0 for v in per.values())
    assert per["parse"] > 0 and per["evaluate"] > 0 and per["report"] > 0 and per["sign"] > 0
    # the stages and the one-off setup add up to the run's CPU time
    total = sum(per.values()) * doc["hosts"] / 1000 + doc["setup_cpu_seconds"]
    assert abs(total - doc["cpu_seconds"]) < 0.05 * doc["cpu_seconds"] + 0.01
    assert doc["peak_rss_mb"]["main"] > 10


def test_offline_run_in_worker_processes_equals_one_process(key: Path, tmp_path: Path) -> None:
    one = run(_request(key, tmp_path / "one"))
    several = run(_request(key, tmp_path / "several", processes=3))
    assert _verdicts(several.result) == _verdicts(one.result)
    assert [r.model_dump() for r in several.result.collection] == [
        r.model_dump() for r in one.result.collection
    ]
    # workers wrote every host's evidence into the bundle, as the single process does
    stored = sorted(p.relative_to(several.run_dir) for p in (several.run_dir / "evidence").rglob("*.txt"))
    assert stored == sorted(p.relative_to(one.run_dir) for p in (one.run_dir / "evidence").rglob("*.txt"))
    assert _bundle_verdicts(several.run_dir) == _bundle_verdicts(one.run_dir)


class DyingCollector:
    """Yields its first host, then its worker process dies without a word (as an OOM kill would)."""

    def __init__(self, root: Path) -> None:
        self.inner = OfflineCollector(root)

    @property
    def source(self) -> EvidenceSource:
        return EvidenceSource.OFFLINE

    def collect(self, targets: tuple[Target, ...], plan: Plan) -> Iterator[HostEvidence]:
        for i, host in enumerate(self.inner.collect(targets, plan)):
            if i == 1:
                os._exit(9)
            yield host


class RaisingCollector(DyingCollector):
    def collect(self, targets: tuple[Target, ...], plan: Plan) -> Iterator[HostEvidence]:
        raise RuntimeError("inventory exploded")


@pytest.mark.parametrize(
    ("cls", "why"),
    [(DyingCollector, "exited with code 9"), (RaisingCollector, "RuntimeError: inventory exploded")],
)
def test_a_dead_worker_loses_no_host(key: Path, tmp_path: Path, cls: type, why: str) -> None:
    collector = ShardedCollector(functools.partial(cls, EVIDENCE), EvidenceSource.OFFLINE, processes=2)
    outcome = run(_request(key, tmp_path / "d"), collector=collector)
    states = {r.host: r for r in outcome.result.collection}
    assert set(states) == {t.name for t in outcome.result.targets}  # nothing silently dropped
    failed = [r for r in states.values() if r.state is CollectionState.COLLECTOR_FAILED]
    assert failed and all(why in r.detail for r in failed)
    for f in outcome.result.findings:
        if f.host in {r.host for r in failed} and f.status is not Status.MANUAL:
            assert f.status in (Status.ERROR, Status.NOT_COLLECTED), (f.host, f.control_id, f.status)
    assert outcome.exit_code == 3
