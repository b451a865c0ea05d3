"""Score secaudit against a human auditor's verdicts on real device files.

``tests/realworld/sources.yaml`` lists real public device files (repository, commit, path,
sha256) with the verdicts a careful auditor gives where the file clearly decides a control, each
with the deciding lines. The files are not ours and are never committed: fetch them into a local
folder (``fetch_corpus.py``) and score with::

    make realworld DIR=/path/to/folder        # or: python tests/realworld/score.py --dir DIR

``tests/realworld/traits.yaml`` uses the same format for our own minimal fixtures (``file:``
instead of repository coordinates), one per trait the real files taught; CI scores them and
requires full agreement (tests/realworld/test_traits.py).

Each host's files go through the same collector as ``secaudit scan-config`` (decode, redact,
assess, parse, evaluate; every command the host has no file for is ``not_collected``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from secaudit.collect.files import EvidenceFile, FilesCollector
from secaudit.evaluate.loader import load_catalogue, load_profile
from secaudit.evaluate.policy import select_controls
from secaudit.models.enums import Environment, Platform, Role, Status
from secaudit.models.finding import Finding
from secaudit.models.target import Target
from secaudit.pipeline import RunConfig, run_audit
from secaudit.platforms import get_platform

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SOURCES = HERE / "sources.yaml"
TRAITS = HERE / "traits.yaml"
CHECKS = ROOT / "checks"

#: Statuses a human verdict may take (`error`: the file is unreadable or cut, and the tool must say so).
VERDICTS = frozenset({"pass", "fail", "warn", "not_applicable", "error"})


@dataclass(frozen=True)
class Verdict:
    """One auditor verdict: the file decides ``control`` as ``status`` (lines quoted)."""

    control: str
    status: str
    lines: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Entry:
    """One file of the corpus (real, or one of our own trait fixtures)."""

    id: str
    platform: str
    command: str | None
    host: str
    role: str | None
    sha256: str | None
    file: str | None  # own fixture, relative to tests/realworld/
    verdicts: tuple[Verdict, ...]
    span: tuple[int, int] | None = None  # 1-based inclusive line range of the device text in the file
    raw: Mapping[str, Any] = field(default_factory=dict)


def load_entries(path: Path) -> list[Entry]:
    """Read a sources/traits file; a malformed entry is an error naming the file and the entry."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries: list[Entry] = []
    seen: set[str] = set()
    for i, item in enumerate(data.get("files") or ()):
        where = f"{path.name}: files[{i}] ({item.get('id', '?')})"
        if item.get("id") in seen:
            raise ValueError(f"{where}: duplicate id")
        seen.add(item["id"])
        get_platform(item["platform"])  # unknown platform -> UnknownPlatformError
        verdicts = []
        for v in item.get("verdicts") or ():
            if v.get("status") not in VERDICTS:
                known = sorted(VERDICTS)
                raise ValueError(f"{where}: verdict {v.get('control')}: status must be one of {known}")
            lines = tuple(str(x) for x in v.get("lines") or ())
            if not lines:
                raise ValueError(f"{where}: verdict {v.get('control')}: quote the deciding lines")
            verdicts.append(Verdict(v["control"], v["status"], lines, v.get("note", "") or ""))
        entries.append(
            Entry(
                id=item["id"],
                platform=item["platform"],
                command=item.get("command"),
                host=item.get("host") or item["id"],
                role=item.get("role"),
                sha256=item.get("sha256"),
                file=item.get("file"),
                verdicts=tuple(verdicts),
                span=tuple(item["range"]) if item.get("range") else None,
                raw=item,
            )
        )
    return entries


def local_path(entry: Entry, folder: Path | None) -> Path | None:
    """Where the entry's bytes are: our own fixture, or ``<folder>/<id>`` for a real file."""
    if entry.file is not None:
        return HERE / entry.file
    return None if folder is None else folder / entry.id


@dataclass
class Scored:
    """The outcome of one verdict."""

    entry: Entry
    verdict: Verdict
    got: Status
    message: str

    @property
    def agrees(self) -> bool:
        return self.got.value == self.verdict.status


def _target(host: str, entries: Sequence[Entry]) -> Target:
    first = entries[0]
    platforms = {e.platform for e in entries}
    if len(platforms) != 1:
        raise ValueError(f"host {host}: files of several platforms {sorted(platforms)}")
    spec = get_platform(first.platform)
    role = next((e.role for e in entries if e.role), None)
    return Target(
        name=host,
        hostname=host,
        platform=Platform(first.platform),
        operator="unassigned",
        role=Role(role) if role else spec.default_role,
        site="corpus",
        environment=Environment.PRODUCTION,
        model="unknown",
    )


def _sliced(path: Path, span: tuple[int, int], scratch: Path, name: str) -> Path:
    """The device text inside a page that quotes it (a Markdown note): lines ``span`` of ``path``."""
    first, last = span
    lines = path.read_bytes().split(b"\n")
    out = scratch / name
    out.write_bytes(b"\n".join(lines[first - 1 : last]) + b"\n")
    return out


def evaluate_entries(entries: Sequence[Entry], folder: Path | None) -> tuple[list[Finding], list[str]]:
    """Evaluate every host whose files are present; returns findings and problems (missing/mismatch)."""
    with tempfile.TemporaryDirectory(prefix="secaudit-corpus-") as scratch:
        return _evaluate(entries, folder, Path(scratch))


def _evaluate(
    entries: Sequence[Entry], folder: Path | None, scratch: Path
) -> tuple[list[Finding], list[str]]:
    problems: list[str] = []
    by_host: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        by_host[e.host].append(e)
    files: dict[str, list[EvidenceFile]] = {}
    targets: list[Target] = []
    for host, group in by_host.items():
        present: list[EvidenceFile] = []
        for e in group:
            path = local_path(e, folder)
            if path is None or not path.is_file():
                problems.append(f"{e.id}: file not found ({path})")
                continue
            if e.sha256 is not None and hashlib.sha256(path.read_bytes()).hexdigest() != e.sha256:
                problems.append(f"{e.id}: sha256 differs from sources ({path})")
                continue
            if e.span is not None:
                path = _sliced(path, e.span, scratch, e.id)
            present.append(EvidenceFile(path, e.command))
        commands = [e.command for e in group]
        if len(commands) != len(set(commands)):
            problems.append(f"host {host}: two files hold the same command; give each snapshot its own host")
            continue
        if present and len(present) == len(group):
            files[host] = present
            targets.append(_target(host, group))
    catalogue = load_catalogue(CHECKS)
    profile = load_profile(CHECKS, "baseline", {c.id for c in catalogue.controls})
    controls = select_controls(catalogue.controls, profile.select)
    config = RunConfig(
        catalogue=catalogue, operators={}, targets=tuple(targets), profile=profile, controls=controls
    )
    result = run_audit(config, FilesCollector(files)).result
    return list(result.findings), problems


def score(entries: Sequence[Entry], folder: Path | None) -> tuple[list[Scored], list[str]]:
    """Compare secaudit's findings with every verdict of the present files."""
    findings, problems = evaluate_entries(entries, folder)
    by_key = {(f.host, f.control_id): f for f in findings}
    hosts = {f.host for f in findings}
    out: list[Scored] = []
    for e in entries:
        if e.host not in hosts:
            continue
        for v in e.verdicts:
            f = by_key.get((e.host, v.control))
            if f is None:
                out.append(Scored(e, v, Status.NOT_APPLICABLE, "control not evaluated (role out of scope)"))
            else:
                out.append(Scored(e, v, f.status, f.message))
    return out, problems


def cause(s: Scored) -> str:
    """Why a verdict was missed, in words a reviewer groups by."""
    want, got, msg = s.verdict.status, s.got, s.message
    if got is Status.PASS and want in ("fail", "warn"):
        return "FALSE PASS"
    if got is Status.NOT_APPLICABLE:
        return "FALSE NOT_APPLICABLE"
    if got is Status.ERROR:
        if "truncated" in msg:
            return "complete evidence judged truncated"
        if "parse_error" in msg:
            return "evidence not parsed"
        if "applicability could not be decided" in msg:
            return "applicability undecided"
        return "a rule could not judge the evidence"
    if got is Status.NOT_COLLECTED:
        return (
            "a fail the file proves, reported not_collected"
            if want == "fail"
            else "the file decides, but the control waits for other evidence"
        )
    if got is Status.MANUAL:
        return "manual where the file decides"
    if want == "not_applicable":
        return "applicability missed (control judged on a device it does not apply to)"
    if got is Status.FAIL and want == "pass":
        return "false fail"
    if got is Status.WARN:
        return f"warn where the file decides {want}"
    return f"{want} expected, {got.value} given"


def report(scored: Sequence[Scored], problems: Sequence[str], entries: Sequence[Entry]) -> dict[str, Any]:
    """Summary numbers and the misses grouped by cause."""
    total = len(scored)
    agree = sum(s.agrees for s in scored)
    misses = [s for s in scored if not s.agrees]
    by_cause: dict[str, list[dict[str, str]]] = defaultdict(list)
    for s in misses:
        by_cause[cause(s)].append(
            {
                "file": s.entry.id,
                "control": s.verdict.control,
                "expected": s.verdict.status,
                "got": s.got.value,
                "message": s.message[:240],
                "lines": "; ".join(s.verdict.lines)[:200],
            }
        )
    per_platform: dict[str, Counter[str]] = defaultdict(Counter)
    for s in scored:
        per_platform[s.entry.platform]["total"] += 1
        per_platform[s.entry.platform]["agree"] += s.agrees
    return {
        "files": len(entries),
        "files_scored": len({s.entry.id for s in scored} | {e.id for e in entries if not e.verdicts}),
        "problems": list(problems),
        "verdicts": total,
        "agree": agree,
        "agreement_pct": round(100.0 * agree / total, 1) if total else 0.0,
        "false_pass": len(by_cause.get("FALSE PASS", ())),
        "false_not_applicable": len(by_cause.get("FALSE NOT_APPLICABLE", ())),
        "per_platform": {p: dict(c) for p, c in sorted(per_platform.items())},
        "misses_by_cause": dict(sorted(by_cause.items(), key=lambda kv: (-len(kv[1]), kv[0]))),
    }


def print_report(rep: Mapping[str, Any], out: Any = sys.stdout) -> None:
    """Human-readable report."""
    w = out.write
    w(f"files: {rep['files']} listed, {rep['files_scored']} scored\n")
    for p in rep["problems"]:
        w(f"  not scored: {p}\n")
    w(f"verdicts: {rep['verdicts']}\n")
    w(f"agreement: {rep['agreement_pct']:.1f}% ({rep['agree']}/{rep['verdicts']})\n")
    w(f"false passes: {rep['false_pass']}\n")
    w(f"false not_applicable: {rep['false_not_applicable']}\n")
    for platform, c in rep["per_platform"].items():
        pct = 100.0 * c.get("agree", 0) / c["total"] if c["total"] else 0.0
        w(f"  {platform:16} {pct:5.1f}% ({c.get('agree', 0)}/{c['total']})\n")
    if rep["misses_by_cause"]:
        w("misses by cause:\n")
    for name, rows in rep["misses_by_cause"].items():
        w(f"  {name} ({len(rows)})\n")
        for r in rows:
            w(f"    {r['file']} {r['control']}: expected {r['expected']}, got {r['got']}: {r['message']}\n")


def main(argv: Iterable[str] | None = None) -> int:
    """Score a corpus folder (or the trait fixtures) and print the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="folder holding the corpus files as <id> (see fetch_corpus.py)")
    ap.add_argument("--sources", type=Path, default=SOURCES)
    ap.add_argument("--traits", action="store_true", help="score our own trait fixtures instead")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--min-agreement", type=float, default=0.0, help="exit 1 below this agreement %%")
    args = ap.parse_args(list(argv) if argv is not None else None)
    if not args.traits and args.dir is None:
        ap.error("--dir is required (or --traits)")
    if args.dir is not None and not args.dir.is_dir():
        ap.error(f"{args.dir}: no such folder")
    entries = load_entries(TRAITS if args.traits else args.sources)
    scored, problems = score(entries, args.dir)
    rep = report(scored, problems, entries)
    if args.json:
        sys.stdout.write(json.dumps(rep, indent=2, ensure_ascii=False) + "\n")
    else:
        print_report(rep)
    failed = rep["false_pass"] or rep["false_not_applicable"] or rep["agreement_pct"] < args.min_agreement
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
