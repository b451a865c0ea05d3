"""Profiles, tailoring, waivers and attestations applied to controls and findings. Pure."""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from secaudit.models.control import Control
from secaudit.models.enums import Status
from secaudit.models.finding import AttestationRef, Finding, WaiverRef
from secaudit.models.knobs import Knobs
from secaudit.models.profile import Attestation, Profile, Selection, Tailoring, Waiver


def _id_match(control_id: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(control_id, p) for p in patterns)


def select_controls(controls: Iterable[Control], *selections: Selection) -> tuple[Control, ...]:
    """Controls that satisfy every selection (profile first, then CLI narrowing).

    Examples:
        >>> select_controls([], Selection())
        ()
    """
    chosen = []
    for control in controls:
        ok = True
        for sel in selections:
            if (
                (sel.phases and control.phase not in sel.phases)
                or (sel.roles and not set(control.roles) & set(sel.roles))
                or (sel.tags and not set(control.tags) & set(sel.tags))
                or (sel.controls and not _id_match(control.id, sel.controls))
                or (sel.exclude and _id_match(control.id, sel.exclude))
            ):
                ok = False
            if not ok:
                break
        if ok:
            chosen.append(control)
    return tuple(chosen)


def knobs_for(profile: Profile | None, tailoring: Tailoring | None) -> Knobs:
    """Defaults, then profile overrides, then the operator's tailoring (unknown knobs rejected)."""
    values: dict[str, int] = {}
    if profile is not None:
        values.update(profile.knobs)
    if tailoring is not None:
        values.update(tailoring.knobs)
    return Knobs(**values)


def apply_tailoring(finding: Finding, tailoring: Tailoring | None) -> Finding:
    """Severity override and disabled controls (shown as not_applicable with the reason)."""
    if tailoring is None:
        return finding
    update: dict[str, object] = {}
    if finding.control_id in tailoring.severity:
        update["severity"] = tailoring.severity[finding.control_id]
    reason = tailoring.disabled.get(finding.control_id)
    if reason is not None:
        update.update(
            status=Status.NOT_APPLICABLE,
            message=f"disabled by {tailoring.operator} tailoring: {reason}",
            message_zh=f"已由 {tailoring.operator} 的裁剪配置停用：{reason}",
            remediation=(),
        )
    return finding.model_copy(update=update) if update else finding


def observed_digest(observed: Sequence[str]) -> str:
    """SHA-256 of the observed lines, the value a waiver's ``evidence_digest`` pins.

    Examples:
        >>> observed_digest([])[:8]
        'e3b0c442'
    """
    return hashlib.sha256("\n".join(observed).encode("utf-8")).hexdigest()


def apply_waivers(finding: Finding, waivers: Iterable[Waiver], now: datetime) -> Finding:
    """Attach the first matching waiver to a fail/warn finding; only an active one waives it."""
    if finding.status not in (Status.FAIL, Status.WARN):
        return finding
    for waiver in waivers:
        if waiver.control != finding.control_id or not waiver.scope.matches(
            finding.host, finding.operator, finding.role
        ):
            continue
        if waiver.expires <= now:
            state = "expired"
        elif waiver.evidence_digest is not None and waiver.evidence_digest != finding.observed_digest:
            state = "lapsed"
        else:
            state = "active"
        ref = WaiverRef(
            ticket=waiver.ticket,
            approver=waiver.approver,
            justification=waiver.justification,
            expires=waiver.expires,
            state=state,
        )
        return finding.model_copy(update={"waived": state == "active", "waiver": ref})
    return finding


def apply_attestations(finding: Finding, attestations: Iterable[Attestation], now: datetime) -> Finding:
    """Turn a manual finding into pass/fail from a matching attestation; expired → fail."""
    if finding.status is not Status.MANUAL:
        return finding
    for att in attestations:
        if att.control != finding.control_id or not att.scope.matches(
            finding.host, finding.operator, finding.role
        ):
            continue
        expired = att.expires <= now
        status = Status.FAIL if expired else att.result
        if expired:
            message = f"attestation {att.reference} by {att.attested_by} expired on {att.expires:%Y-%m-%d}"
        else:
            message = f"attested {att.result.value} by {att.attested_by} ({att.reference}): {att.statement}"
        ref = AttestationRef(
            reference=att.reference,
            attested_by=att.attested_by,
            attested_at=att.attested_at,
            expires=att.expires,
            statement=att.statement,
            expired=expired,
        )
        return finding.model_copy(update={"status": status, "message": message, "attestation": ref})
    return finding


def finalise(
    finding: Finding,
    *,
    tailoring: Mapping[str, Tailoring],
    waivers: Sequence[Waiver],
    attestations: Sequence[Attestation],
    now: datetime,
) -> Finding:
    """Digest, tailoring, attestations, then waivers: the order a reviewer expects."""
    digest = observed_digest(finding.observed)
    if finding.observed_digest != digest:
        finding = finding.model_copy(update={"observed_digest": digest})
    finding = apply_tailoring(finding, tailoring.get(finding.operator))
    finding = apply_attestations(finding, attestations, now)
    return apply_waivers(finding, waivers, now)
