"""Triage order for the reports: what needs action first, across hosts, with links to evidence.

The operator reports open with every finding that needs action (``fail``, ``error``,
``not_collected``, ``warn``) across all hosts, most severe first; each host's own table lists its
findings in the same order, passes last. Pure functions over the JSON-ready finding dicts the
reports already share (they are read, never changed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from secaudit.models.enums import SEVERITY_ORDER, Severity, Status
from secaudit.report.sarif import EMPTY_SHA256, evidence_slug, evidence_uri

#: Statuses that need someone's action, in the order they are listed.
ACTION_STATUSES: tuple[str, ...] = (
    Status.FAIL.value,
    Status.ERROR.value,
    Status.NOT_COLLECTED.value,
    Status.WARN.value,
)
#: Every status, in triage order (the ones needing action first, passes last).
STATUS_ORDER: tuple[str, ...] = (
    *ACTION_STATUSES,
    Status.MANUAL.value,
    Status.NOT_APPLICABLE.value,
    Status.PASS.value,
)
_STATUS_RANK = {s: i for i, s in enumerate(STATUS_ORDER)}
_SEVERITY_RANK = {s.value: rank for s, rank in SEVERITY_ORDER.items()}


def triage_key(row: Mapping[str, Any]) -> tuple[int, int, str, str]:
    """Sort key of a finding dict: status (action first), severity (most severe first), control, host.

    Examples:
        >>> rows = [
        ...     {"status": "pass", "severity": "critical", "control_id": "SEC-A-001", "host": "h"},
        ...     {"status": "fail", "severity": "low", "control_id": "SEC-A-002", "host": "h"},
        ...     {"status": "fail", "severity": "high", "control_id": "SEC-A-003", "host": "h"},
        ... ]
        >>> [r["control_id"] for r in sorted(rows, key=triage_key)]
        ['SEC-A-003', 'SEC-A-002', 'SEC-A-001']
    """
    return (
        _STATUS_RANK.get(row["status"], len(STATUS_ORDER)),
        _SEVERITY_RANK.get(row["severity"], len(Severity)),
        row["control_id"],
        row["host"],
    )


def failures_key(row: Mapping[str, Any]) -> tuple[int, int, str, str]:
    """Sort key of the failures table: severity first, then status, control and host.

    Examples:
        >>> rows = [
        ...     {"status": "warn", "severity": "critical", "control_id": "SEC-A-001", "host": "h"},
        ...     {"status": "fail", "severity": "low", "control_id": "SEC-A-002", "host": "h"},
        ... ]
        >>> [r["control_id"] for r in sorted(rows, key=failures_key)]
        ['SEC-A-001', 'SEC-A-002']
    """
    status, severity, control, host = triage_key(row)
    return (severity, status, control, host)


def failures(hosts: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every finding that needs action across ``hosts`` (host sections), most severe first.

    Examples:
        >>> hosts = [{"name": "h", "findings": [
        ...     {"status": "pass", "severity": "high", "control_id": "SEC-A-001", "host": "h"},
        ...     {"status": "warn", "severity": "low", "control_id": "SEC-A-002", "host": "h"}]}]
        >>> [r["control_id"] for r in failures(hosts)]
        ['SEC-A-002']
    """
    rows = [f for h in hosts for f in h["findings"] if f["status"] in ACTION_STATUSES]
    return sorted(rows, key=failures_key)


def in_triage_order(hosts: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Host sections with each host's findings in triage order (new dicts; the findings are shared).

    Examples:
        >>> hosts = [{"name": "h", "findings": [
        ...     {"status": "pass", "severity": "high", "control_id": "SEC-A-001", "host": "h"},
        ...     {"status": "warn", "severity": "low", "control_id": "SEC-A-002", "host": "h"}]}]
        >>> [f["control_id"] for f in in_triage_order(hosts)[0]["findings"]]
        ['SEC-A-002', 'SEC-A-001']
    """
    return [{**h, "findings": sorted(h["findings"], key=triage_key)} for h in hosts]


def evidence_href(host: str, evidence: Mapping[str, Any]) -> str | None:
    """Bundle-relative link to a finding's evidence file, or ``None`` when the bundle has none.

    The evidence store writes a file only for non-empty text (the same rule ``findings.sarif``
    follows), so a link is given only for evidence with a digest of some bytes.

    Examples:
        >>> evidence_href("olt-1", {"command": "display current-configuration", "sha256": "ab" * 32})
        'evidence/olt-1/display_current-configuration.txt'
        >>> evidence_href("olt-1", {"command": "display x", "sha256": EMPTY_SHA256}) is None
        True
    """
    if evidence.get("sha256") in (None, "", EMPTY_SHA256):
        return None
    return _href(host, str(evidence.get("command", "")))


@lru_cache(maxsize=1 << 16)
def _href(host: str, command: str) -> str | None:
    # The same host and command recur in every finding of a host: each link is made once.
    return evidence_uri(host, command) if evidence_slug(command) else None
