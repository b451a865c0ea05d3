"""Roll-ups of findings: counts per status, compliance, score. Pure functions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from secaudit.models.enums import BLOCKING_STATUSES, Status
from secaudit.models.finding import Finding
from secaudit.models.target import Target


def status_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Counts for every status (zeros included), in enum order.

    Examples:
        >>> status_counts([])["pass"]
        0
    """
    counter = Counter(f.status for f in findings)
    return {s.value: counter.get(s, 0) for s in Status}


def is_compliant(findings: Iterable[Finding]) -> bool:
    """Compliant only when no in-scope finding is fail, error or not_collected (waivers ignored).

    Examples:
        >>> is_compliant([])
        True
    """
    return not any(f.status in BLOCKING_STATUSES for f in findings)


def is_compliant_with_waivers(findings: Iterable[Finding]) -> bool:
    """As :func:`is_compliant`, but a fail covered by a valid waiver does not block."""
    return not any(
        f.status in BLOCKING_STATUSES and not (f.waived and f.status is Status.FAIL) for f in findings
    )


def score(findings: Iterable[Finding], *, with_waivers: bool = False) -> float | None:
    """Share (0-100) of automated in-scope findings that pass; warn counts half.

    manual and not_applicable are left out; error and not_collected count as not passing.
    ``None`` when nothing is scorable.

    Examples:
        >>> score([]) is None
        True
    """
    total = 0.0
    got = 0.0
    for f in findings:
        if f.status in (Status.MANUAL, Status.NOT_APPLICABLE):
            continue
        total += 1
        if f.status is Status.PASS or (with_waivers and f.waived):
            got += 1
        elif f.status is Status.WARN:
            got += 0.5
    return None if total == 0 else round(100.0 * got / total, 1)


def host_sections(
    targets: Iterable[Target],
    findings: Iterable[Finding],
    dump: Callable[[Finding], dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Per host, in ``targets`` order: its facts, compliance and its findings (JSON-ready).

    ``dump`` turns a finding into its JSON-ready dict (default ``model_dump(mode="json")``); an
    :class:`~secaudit.report.base.OperatorReport` passes its shared dicts, made once per operator.

    Examples:
        >>> host_sections([], [])
        []
    """
    by_host: dict[str, list[Finding]] = {}
    for f in findings:
        by_host.setdefault(f.host, []).append(f)
    sections = []
    for t in targets:
        own = by_host.get(t.name, [])
        sections.append(
            {
                "name": t.name,
                "platform": t.platform.value,
                "role": t.role.value,
                "site": t.site,
                "model": t.model,
                "compliant": is_compliant(own),
                "findings": [dump(f) for f in own] if dump else [f.model_dump(mode="json") for f in own],
            }
        )
    return sections
