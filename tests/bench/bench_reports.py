"""Report scale: 1,000 hosts x the full baseline rendered in every format, then signed (target: <= 4 s).

Builds a synthetic run (real catalogue, deterministic pseudo-random statuses) and prints:

* ``reports: ...`` -- writing every operator bundle (HTML, Markdown, JSON, CSV, JUnit, SARIF) and
  the city bundle, unsigned, as the report stage alone (the line ``make bench`` always printed);
* ``per format (CPU s, one process): ...`` -- each format's own cost;
* ``render+sign: N hosts, all formats, X s`` -- what ``secaudit run`` does after evaluation:
  every bundle with its evidence (a 24 kB configuration and two status outputs per host),
  remediation plans and provenance, each bundle signed (Ed25519); the best of ``--repeat`` runs;
* ``render+sign/yardstick ratio: R`` -- that time over a machine yardstick measured in the same
  run: dumping the same findings to JSON (``model_dump`` + ``json.dumps``) and hashing the bytes
  with SHA-256, the least a report stage can do. The ratio stays comparable on a busy machine;
* ``peak RSS: ...`` of this process and of the largest report worker process.

Not a test: timing targets live here, never in the test suite. Usage:
``bench_reports.py [HOSTS] [--repeat N]``. Timings on a shared machine are noisy: run it under
``flock /tmp/secaudit-bench.lock`` and repeat.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from secaudit.evaluate.engine import fingerprint
from secaudit.evaluate.loader import load_catalogue
from secaudit.lab.fleet import FAMILIES
from secaudit.models.enums import EvidenceSource, EvidenceState, Platform, Role, Status
from secaudit.models.finding import CollectionRecord, EvidenceRef, Finding, RunInfo, RunResult
from secaudit.models.target import OperatorInfo, Target
from secaudit.pipeline import publish
from secaudit.pipeline.publish import Provenance, report_processes
from secaudit.report.base import OperatorReport, format_chunks
from secaudit.report.formats import report_formats
from secaudit.sign.manifest import verify_bundle

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


def write_evidence(folder: Path, result: RunResult) -> None:
    """A configuration (~24 kB) and two status outputs per host, as the evidence store writes them."""
    for t in result.targets:
        host = folder / t.name
        host.mkdir(parents=True)
        config = "".join(f"interface GE0/0/{i}\n description {t.name} port {i}\n#\n" for i in range(500))
        (host / "display_current-configuration.txt").write_text(config[:24_000] + "return\n")
        (host / "display_version.txt").write_text(f"{t.name} software version V800R021C10\n")
        (host / "display_ssh_server_status.txt").write_text("SSH version : 2.0\nSTELNET server : Enable\n")


def yardstick(result: RunResult) -> float:
    """Seconds to dump every finding to JSON and SHA-256 the bytes: the floor of any report stage."""
    start = time.perf_counter()
    rows = [f.model_dump(mode="json") for f in result.findings]
    data = json.dumps(rows, ensure_ascii=False, sort_keys=True).encode("utf-8")
    hashlib.sha256(data).hexdigest()
    return time.perf_counter() - start


def cpu_seconds() -> float:
    """CPU of this process and its finished children (the report workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed_run(result: RunResult, folder: Path, evidence: Path | None) -> tuple[float, Path]:
    """Publish ``result`` into ``folder``: unsigned and bare, or (with ``evidence``) as a run does it.

    With ``evidence``: the evidence store is copied in first (untimed), and the run is published
    with remediation plans, provenance and an Ed25519 signature on every bundle.
    """
    partial = folder / f".partial-{result.run.id}"
    (partial / "evidence").mkdir(parents=True)
    if evidence is None:
        start = time.perf_counter()
        run_dir = publish(result, partial, ROOT / "templates", None)
        return time.perf_counter() - start, run_dir
    for host in evidence.iterdir():  # the run's evidence store, as collection leaves it
        (partial / "evidence" / host.name).mkdir()
        for f in host.iterdir():
            (partial / "evidence" / host.name / f.name).write_bytes(f.read_bytes())
    start = time.perf_counter()
    run_dir = publish(
        result,
        partial,
        ROOT / "templates",
        Ed25519PrivateKey.from_private_bytes(bytes(range(32))),
        remediation={t.name: f"# {t.name}\nundo telnet server enable\n" for t in result.targets[::3]},
        provenance=Provenance(ROOT / "checks", {"profile": "baseline"}),
    )
    return time.perf_counter() - start, run_dir


def per_format(result: RunResult) -> dict[str, float]:
    """CPU seconds per format over every operator, in one process (documents shared as in a run)."""
    seconds: dict[str, float] = {}
    for op in result.operators:
        report = OperatorReport(result, op, ROOT / "templates", result.operators[op].lang)
        start = time.process_time()
        _ = report.rows, report.document
        seconds["shared"] = seconds.get("shared", 0.0) + time.process_time() - start
        for fmt in report_formats():
            start = time.process_time()
            for _chunk in format_chunks(fmt, report):
                pass
            seconds[fmt.name] = seconds.get(fmt.name, 0.0) + time.process_time() - start
    return seconds


def best(runs: int, measure: Callable[[int], float]) -> tuple[float, float]:
    """(minimum, median) of ``runs`` measurements."""
    values = [measure(i) for i in range(runs)]
    return min(values), statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("hosts", nargs="?", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="render+sign runs (the best is reported)")
    args = parser.parse_args()
    hosts = args.hosts
    result = synthetic(hosts)
    catalogue = load_catalogue(ROOT / "checks")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        elapsed, run_dir = timed_run(result, tmp / "reports", None)
        biggest = max((p.stat().st_size for p in run_dir.rglob("report.html")), default=0)
        print(
            f"reports: {hosts} hosts x {len(catalogue.controls)} controls ({len(result.findings)} findings) "
            f"rendered in every format in {elapsed:.1f} s; largest report.html {biggest / 1e6:.1f} MB"
        )
        formats = per_format(result)
        print("per format (CPU s, one process): " + ", ".join(f"{k} {v:.2f}" for k, v in formats.items()))
        evidence = tmp / "evidence-store"
        write_evidence(evidence, result)
        cpu_before = cpu_seconds()
        signed: list[Path] = []

        def render_and_sign(i: int) -> float:
            seconds, folder = timed_run(result, tmp / f"signed-{i}", evidence)
            signed.append(folder)
            return seconds

        fastest, median = best(args.repeat, render_and_sign)
        cpu = (cpu_seconds() - cpu_before) / args.repeat
        public = Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()
        bad = [b for b in signed[-1].iterdir() if b.is_dir() and not verify_bundle(b, public).ok]
        size = sum(p.stat().st_size for p in signed[-1].rglob("*") if p.is_file())
        bundles = sum(1 for b in signed[-1].iterdir() if b.is_dir())
        yard, _ = best(args.repeat, lambda _i: yardstick(result))
    print(
        f"render+sign: {hosts} hosts, all formats, {fastest:.2f} s "
        f"(median {median:.2f} s of {args.repeat}; {cpu:.2f} s CPU; {report_processes(result)} processes; "
        f"{size / 1e6:.0f} MB in {bundles} bundles{'; VERIFY FAILED' if bad else ''})"
    )
    print(f"yardstick (findings to JSON + SHA-256): {yard:.3f} s")
    print(f"render+sign/yardstick ratio: {fastest / yard:.1f}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: {own:.0f} MB (bench process), {child:.0f} MB (largest report worker)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
