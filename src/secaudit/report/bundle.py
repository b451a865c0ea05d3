"""Write one run's bundles: ``<run>/<operator>/`` for every operator, plus ``<run>/city/``.

No operator's bundle holds another operator's hosts: each bundle is built from that operator's
findings and evidence only.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from secaudit.inventory import operators_of
from secaudit.models.enums import CollectionState, Phase, Severity, Status
from secaudit.models.finding import RunResult
from secaudit.report.base import OperatorReport, format_chunks
from secaudit.report.formats import report_formats
from secaudit.report.html import render
from secaudit.report.json_doc import dumps, noncompliant_hosts
from secaudit.report.summary import is_compliant, score, status_counts


def copy_evidence(source: Path, dest: Path, hosts: Iterable[str]) -> None:
    """Copy the run's evidence folders of ``hosts`` into a bundle (no other operator's hosts)."""
    for host in sorted(hosts):
        if (source / host).is_dir():
            shutil.copytree(source / host, dest / host, symlinks=False)


def write_operator_bundle(
    run_dir: Path,
    templates_dir: Path,
    result: RunResult,
    operator: str,
    *,
    lang: str | None,
    remediation: Mapping[str, str] | None = None,
) -> Path:
    """Write ``<run_dir>/<operator>/``: one file per report format (report.html, report.md,
    findings.json, findings.csv, junit.xml, findings.sarif, and any installed format), evidence/ and
    remediation/<host>.txt (the plans the remediation stage made)."""
    folder = run_dir / operator
    folder.mkdir(parents=True)
    report = OperatorReport(result, operator, templates_dir, lang or result.operators[operator].lang)
    for fmt in report_formats():
        with (folder / fmt.filename).open("wb") as handle:
            for chunk in format_chunks(fmt, report):
                handle.write(chunk)
    targets = report.targets
    copy_evidence(run_dir / "evidence", folder / "evidence", (t.name for t in targets))
    for t in targets:
        text = (remediation or {}).get(t.name)
        if text is not None:
            (folder / "remediation").mkdir(exist_ok=True)
            (folder / "remediation" / f"{t.name}.txt").write_text(text, encoding="utf-8")
    return folder


@dataclass(frozen=True, slots=True)
class CityExtras:
    """JSON-ready city sections computed upstream (the report stage does not evaluate).

    ``targets``: annex rows with per-operator target, measured and declared values;
    ``coverage``: standards coverage rows; ``census``: per-OLT PON port census.
    """

    targets: list[dict[str, Any]] = field(default_factory=list)
    kpi_source: str = ""
    coverage: list[dict[str, Any]] = field(default_factory=list)
    census: list[dict[str, Any]] = field(default_factory=list)
    trend_svg: str = ""  # inline SVG from the run history (every text in it is XML-escaped)


def _top_failing(result: RunResult, limit: int = 10) -> list[dict[str, Any]]:
    counts: dict[str, dict[str, Any]] = {}
    for f in result.findings:
        if f.status is not Status.FAIL:
            continue
        row = counts.setdefault(
            f.control_id,
            {
                "control_id": f.control_id,
                "title": f.title,
                "title_zh": f.title_zh,
                "severity": f.severity.value,
                "hosts": 0,
                "operators": set(),
            },
        )
        row["hosts"] += 1
        row["operators"].add(f.operator)
    rows = sorted(counts.values(), key=lambda r: (-r["hosts"], r["control_id"]))[:limit]
    return [{**r, "operators": sorted(r["operators"])} for r in rows]


def write_city_bundle(
    run_dir: Path, templates_dir: Path, result: RunResult, lang: str, extras: CityExtras | None = None
) -> Path:
    """Write ``<run_dir>/city/`` with an overview across operators (no per-finding detail)."""
    extras = extras or CityExtras()
    folder = run_dir / "city"
    folder.mkdir(parents=True)
    rows = []
    for op in operators_of(result.targets):
        findings = [f for f in result.findings if f.operator == op]
        hosts = [t.name for t in result.targets if t.operator == op]
        blocked = noncompliant_hosts(findings)
        rows.append(
            {
                "info": result.operators[op].model_dump(mode="json"),
                "hosts": len(hosts),
                "compliant_hosts": sum(h not in blocked for h in hosts),
                "compliant": is_compliant(findings),
                "score": score(findings),
                "score_with_waivers": score(findings, with_waivers=True),
                "by_phase": {ph.value: score([f for f in findings if f.phase is ph]) for ph in Phase},
                "fails_by_severity": {
                    sev.value: sum(f.status is Status.FAIL and f.severity is sev for f in findings)
                    for sev in Severity
                },
                "counts": status_counts(findings),
                "collection": dict(
                    Counter(r.state.value for r in result.collection if r.operator == op).most_common()
                ),
                "not_collected_hosts": [
                    {"host": r.host, "state": r.state.value, "detail": r.detail}
                    for r in sorted(result.collection, key=lambda r: r.host)
                    if r.operator == op and r.state is not CollectionState.OK
                ],
            }
        )
    run = result.run.model_dump(mode="json")
    run["operator"] = None
    top = _top_failing(result)
    overview = {
        "schema_version": "1.0",
        "run": run,
        "operators": rows,
        "top_failing": top,
        "targets": extras.targets,
        "kpi_source": extras.kpi_source,
        "pon_census": extras.census,
        "coverage": extras.coverage,
    }
    (folder / "overview.json").write_bytes(dumps(overview))
    context = {
        "lang": lang,
        "run": run,
        "operators": rows,
        "operator_info": {op: info.model_dump(mode="json") for op, info in result.operators.items()},
        "statuses": [s.value for s in Status],
        "top_failing": top,
        "targets": extras.targets,
        "kpi_source": extras.kpi_source,
        "census": extras.census,
        "coverage": extras.coverage,
        "coverage_summary": _coverage_summary(extras.coverage),
        "trend_svg": Markup(extras.trend_svg),  # noqa: S704 - built by history.trend_svg, all text escaped
    }
    (folder / "report.html").write_bytes(render(templates_dir, "html/city.html.j2", context))
    return folder


def _coverage_summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = out.setdefault(
            r["scheme"], {"scheme": r["scheme"], "automated": 0, "manual": 0, "not covered": 0}
        )
        entry[r["coverage"]] += 1
    return list(out.values())
