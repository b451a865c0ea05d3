"""``findings.sarif``: one operator's problems as SARIF 2.1.0, for security tooling.

One run; ``tool.driver`` is secaudit with one rule per control id among the operator's findings.
Only findings that need attention become results: ``fail``, ``warn``, ``error`` and
``not_collected``. ``pass``, ``manual`` and ``not_applicable`` are not results (the rule list
still shows what was checked; findings.json has everything).

Levels: ``fail`` of critical or high severity is ``error``, any other ``fail`` and every ``warn``
is ``warning``; ``error`` and ``not_collected`` (the control could not be checked) are ``note``.
SARIF 2.1.0 section 3.27.9 allows a level other than ``none`` only with ``kind: "fail"``, so all
results carry ``kind: "fail"``; the secaudit status is in ``properties.status``. (``open`` or
``review`` would force ``level: "none"``, which viewers hide: a device that could not be checked
must stay visible.)

Locations: a logical location for the host (``kind: "resource"``) and, where the evidence was
stored, a physical location pointing at the evidence file inside the bundle,
``evidence/<host>/<command-slug>.txt`` relative to the uriBaseId ``BUNDLEROOT``; ``run.artifacts`` lists those
files with their SHA-256. Waived findings carry an external, accepted suppression.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from secaudit.errors import ReportError
from secaudit.models.enums import Severity, Status
from secaudit.models.finding import EvidenceRef, Finding, RunResult
from secaudit.report.base import OperatorReport, operator_report
from secaudit.report.json_doc import dumps, iter_dumps

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
#: uriBaseId of the evidence files: the operator bundle folder (``reports/<run>/<operator>/``).
BUNDLE_ROOT = "BUNDLEROOT"
#: Key of ``partialFingerprints``; bump the version if :func:`secaudit.evaluate.engine.fingerprint` changes.
FINGERPRINT_KEY = "secaudit/v1"

#: SHA-256 of no bytes: the digest of evidence that has no text, for which no file is stored.
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

REPORTED: tuple[Status, ...] = (Status.FAIL, Status.WARN, Status.ERROR, Status.NOT_COLLECTED)

# GitHub code scanning reads ``security-severity`` (0-10) to rank alerts.
_SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}

# Same rule as secaudit.collect.text.command_slug (tested to agree); report must not import collect.
_SLUG_STRIP = re.compile(r"[^a-z0-9-]+")


def evidence_slug(command: str) -> str:
    """File-name slug of an evidence command, as the evidence store names the file.

    Examples:
        >>> evidence_slug("display current-configuration | section snmp")
        'display_current-configuration_section_snmp'
    """
    return _SLUG_STRIP.sub("_", command.strip().lower()).strip("_")


def evidence_uri(host: str, command: str) -> str:
    """Bundle-relative URI of the evidence file of ``command`` on ``host``.

    Examples:
        >>> evidence_uri("olt-1", "display current-configuration")
        'evidence/olt-1/display_current-configuration.txt'
    """
    return f"evidence/{quote(host, safe='')}/{quote(evidence_slug(command), safe='')}.txt"


def level(f: Finding) -> str:
    """SARIF level of a reported finding.

    Examples:
        >>> from types import SimpleNamespace as N
        >>> level(N(status=Status.FAIL, severity=Severity.HIGH))
        'error'
        >>> level(N(status=Status.FAIL, severity=Severity.MEDIUM))
        'warning'
        >>> level(N(status=Status.WARN, severity=Severity.HIGH))
        'warning'
        >>> level(N(status=Status.NOT_COLLECTED, severity=Severity.CRITICAL))
        'note'
    """
    if f.status is Status.FAIL:
        return "error" if f.severity in (Severity.CRITICAL, Severity.HIGH) else "warning"
    if f.status is Status.WARN:
        return "warning"
    return "note"


def _stored(refs: tuple[EvidenceRef, ...]) -> list[EvidenceRef]:
    """Evidence items that have a file in the bundle (the store writes only non-empty text)."""
    return [r for r in refs if r.sha256 not in ("", EMPTY_SHA256) and evidence_slug(r.command)]


def _rule(f: Finding) -> dict[str, Any]:
    return {
        "id": f.control_id,
        "name": f.control_id,
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": f.title_zh},
        "defaultConfiguration": {
            "level": "error" if f.severity in (Severity.CRITICAL, Severity.HIGH) else "warning"
        },
        "properties": {
            "phase": f.phase.value,
            "severity": f.severity.value,
            "security-severity": _SECURITY_SEVERITY[f.severity],
            "control_version": f.control_version,
            "tags": sorted({"security", "network", f.phase.value, f.severity.value}),
        },
    }


def _physical(uri: str, index: int) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": BUNDLE_ROOT, "index": index}}}


def _result(f: Finding, operator: str, rule_index: int, artifact_index: dict[str, int]) -> dict[str, Any]:
    stored = _stored(f.evidence)
    uris = [evidence_uri(f.host, r.command) for r in stored]
    location: dict[str, Any] = {
        "logicalLocations": [
            {"name": f.host, "fullyQualifiedName": f"{operator}/{f.host}", "kind": "resource"}
        ]
    }
    if uris:
        location |= _physical(uris[0], artifact_index[uris[0]])
    out: dict[str, Any] = {
        "ruleId": f.control_id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": level(f),
        "message": {"text": f.message or f.status.value},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "status": f.status.value,
            "severity": f.severity.value,
            "phase": f.phase.value,
            "host": f.host,
            "platform": f.platform.value,
            "role": f.role.value,
            "waived": f.waived,
            "observed": list(f.observed),
            "expected": f.expected,
            "remediation": list(f.remediation),
            "evidence": [
                {"command": e.command, "state": e.state.value, "sha256": e.sha256} for e in f.evidence
            ],
        },
    }
    if len(uris) > 1:
        out["relatedLocations"] = [
            {"id": i, **_physical(uri, artifact_index[uri])} for i, uri in enumerate(uris[1:], start=1)
        ]
    if f.waiver is not None:
        out["properties"]["waiver"] = {"ticket": f.waiver.ticket, "state": f.waiver.state}
    if f.waived and f.waiver is not None:
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": (
                    f"{f.waiver.ticket}: {f.waiver.justification} (approved by {f.waiver.approver}, "
                    f"expires {f.waiver.expires.isoformat()})"
                ),
            }
        ]
    return out


def sarif_document(result: RunResult, operator: str, report: OperatorReport | None = None) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict (see the module docstring for the mapping).

    ``report`` (of ``operator``) shares its sorted findings when the caller has one.
    """
    if operator not in result.operators:
        raise ReportError(f"operator {operator!r} is not in this run")
    report = report or operator_report(result, operator)
    findings = report.sorted_findings
    first_of: dict[str, Finding] = {}
    for f in sorted(findings, key=lambda f: (f.control_id, -f.control_version, f.host)):
        first_of.setdefault(f.control_id, f)
    rule_ids = sorted(first_of)
    rule_index = {rid: i for i, rid in enumerate(rule_ids)}
    reported = [f for f in findings if f.status in REPORTED]

    files: dict[str, str] = {}
    for f in reported:
        for r in _stored(f.evidence):
            files.setdefault(evidence_uri(f.host, r.command), r.sha256)
    artifact_uris = sorted(files)
    artifact_index = {uri: i for i, uri in enumerate(artifact_uris)}

    hosts = {f.host for f in findings} | {t.name for t in report.targets}
    notifications = [
        {
            "level": "error",
            "message": {
                "text": f"{c.host}: collection {c.state.value}" + (f": {c.detail}" if c.detail else "")
            },
            "locations": [{"logicalLocations": [{"name": c.host, "kind": "resource"}]}],
        }
        for c in sorted(result.collection, key=lambda c: (c.host, c.state.value, c.detail))
        if c.operator == operator and c.host in hosts and c.state.value != "ok"
    ]
    invocation: dict[str, Any] = {
        "executionSuccessful": True,
        "startTimeUtc": result.run.started_at.isoformat().replace("+00:00", "Z"),
        "endTimeUtc": result.run.finished_at.isoformat().replace("+00:00", "Z"),
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "secaudit",
                "version": result.run.tool_version,
                "rules": [_rule(first_of[rid]) for rid in rule_ids],
            }
        },
        "automationDetails": {"id": f"secaudit/{operator}/{result.run.id}"},
        "originalUriBaseIds": {
            BUNDLE_ROOT: {"description": {"text": "The operator bundle folder: reports/<run>/<operator>/"}}
        },
        "invocations": [invocation],
        "artifacts": [
            {"location": {"uri": uri, "uriBaseId": BUNDLE_ROOT}, "hashes": {"sha-256": files[uri]}}
            for uri in artifact_uris
        ],
        "results": [_result(f, operator, rule_index[f.control_id], artifact_index) for f in reported],
        "properties": {
            "operator": operator,
            "run_id": result.run.id,
            "profile": result.run.profile,
            "checks_digest": result.run.checks_digest,
            "evidence_source": result.run.source.value,
        },
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def sarif_chunks(report: OperatorReport) -> Iterator[bytes]:
    """``findings.sarif`` of ``report`` (UTF-8 JSON, sorted keys, trailing newline)."""
    yield from iter_dumps(sarif_document(report.result, report.operator, report))


def render_sarif(result: RunResult, operator: str) -> bytes:
    """Render ``findings.sarif`` for ``operator`` (UTF-8 JSON, sorted keys, trailing newline)."""
    return dumps(sarif_document(result, operator))
