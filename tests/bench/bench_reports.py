"""Report scale: 1,000 hosts x the full baseline rendered in every format (target: <= 10 s).

Builds a synthetic run (real catalogue, deterministic pseudo-random statuses) and times writing
every operator bundle (HTML, Markdown, JSON, CSV, JUnit, SARIF, remediation plans) and the city
bundle. Prints the seconds and the size of the largest HTML report.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from secaudit.evaluate.engine import fingerprint
from secaudit.evaluate.loader import load_catalogue
from secaudit.lab.fleet import FAMILIES
from secaudit.models.enums import EvidenceSource, EvidenceState, Platform, Role, Status
from secaudit.models.finding import CollectionRecord, EvidenceRef, Finding, RunInfo, RunResult
from secaudit.models.target import OperatorInfo, Target
from secaudit.pipeline import publish

ROOT = Path(__file__).resolve().parents[2]
OPS = {
    "telecom": "嘉兴电信",
    "mobile": "嘉兴移动",
    "unicom": "嘉兴联通",
    "tower": "嘉兴铁塔",
    "cable": "嘉兴华数",
}


def synthetic(hosts: int) -> RunResult:
    rng = random.Random(7)  # noqa: S311 - reproducible test data, not security
    catalogue = load_catalogue(ROOT / "checks")
    platforms = list(FAMILIES)
    targets, findings, records = [], [], []
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(hosts):
        platform = platforms[i % len(platforms)]
        role = Role(FAMILIES[platform][1])
        op = list(OPS)[i % 5] if not (role is not Role.EDGE5G and i % 5 == 3) else "telecom"
        t = Target(
            name=f"h{i:04d}",
            hostname="127.0.0.1",
            platform=Platform(platform),
            operator=op,
            role=role,
            site=f"s{i % 40}",
            environment="lab",
            model="m",
        )
        targets.append(t)
        records.append(CollectionRecord(host=t.name, operator=op, state="ok"))
        for c in catalogue.controls:
            if role not in c.roles:
                continue
            status = rng.choices(list(Status), weights=[60, 12, 6, 12, 5, 1, 4])[0]
            findings.append(
                Finding(
                    fingerprint=fingerprint(c.id, t.name),
                    control_id=c.id,
                    control_version=c.version,
                    title=c.title,
                    title_zh=c.title_zh,
                    host=t.name,
                    operator=op,
                    role=role,
                    platform=t.platform,
                    phase=c.phase,
                    severity=c.severity,
                    status=status,
                    message=f"{status.value}: synthetic finding for {c.id}",
                    observed=("line one <script>", "line two"),
                    expected="x",
                    remediation=("fix line 1", "fix line 2") if status is Status.FAIL else (),
                    evidence=(
                        EvidenceRef(
                            command="display current-configuration", sha256="0" * 64, state=EvidenceState.OK
                        ),
                    ),
                )
            )
    run = RunInfo(
        id="20260101T000000Z-abcdef",
        started_at=now,
        finished_at=now,
        tool_version="bench",
        checks_digest="0" * 64,
        profile="baseline",
        source=EvidenceSource.OFFLINE,
    )
    operators = {op: OperatorInfo(id=op, display_name=name, display_name_en=op) for op, name in OPS.items()}
    return RunResult(
        run=run,
        operators=operators,
        targets=tuple(targets),
        findings=tuple(findings),
        collection=tuple(records),
    )


def main() -> int:
    hosts = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    result = synthetic(hosts)
    catalogue = load_catalogue(ROOT / "checks")
    with tempfile.TemporaryDirectory() as tmp:
        partial = Path(tmp) / f".partial-{result.run.id}"
        (partial / "evidence").mkdir(parents=True)
        start = time.perf_counter()
        run_dir = publish(result, partial, ROOT / "templates", None, controls_by_id=catalogue.by_id())
        elapsed = time.perf_counter() - start
        biggest = max((p.stat().st_size for p in run_dir.rglob("report.html")), default=0)
    print(
        f"reports: {hosts} hosts x {len(catalogue.controls)} controls ({len(result.findings)} findings) "
        f"rendered in every format in {elapsed:.1f} s; largest report.html {biggest / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
