"""Findings and run results: what ``findings.json`` holds (schema in report/schemas/)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import AwareDatetime, Field

from secaudit.models.base import Frozen
from secaudit.models.city import PonCensus
from secaudit.models.enums import (
    CollectionState,
    EvidenceSource,
    EvidenceState,
    Phase,
    Platform,
    Role,
    Severity,
    Status,
)
from secaudit.models.target import OperatorInfo, Target


class EvidenceRef(Frozen):
    """Which evidence a finding rests on."""

    command: str
    sha256: str
    state: EvidenceState
    template: str | None = None


class WaiverRef(Frozen):
    """The waiver that matched a finding and its state.

    ``active`` waives the finding; ``expired`` and ``lapsed`` (evidence digest no longer matches)
    are shown but do not waive it.
    """

    ticket: str
    approver: str
    justification: str
    expires: AwareDatetime
    state: Literal["active", "expired", "lapsed"]


class AttestationRef(Frozen):
    """The attestation that decided a manual control."""

    reference: str
    attested_by: str
    attested_at: AwareDatetime
    expires: AwareDatetime
    statement: str
    expired: bool


class Finding(Frozen):
    """The result of one control on one host."""

    fingerprint: str
    control_id: str
    control_version: int
    title: str
    title_zh: str
    host: str
    operator: str
    role: Role
    platform: Platform
    phase: Phase
    severity: Severity
    status: Status
    waived: bool = False
    waiver: WaiverRef | None = None
    attestation: AttestationRef | None = None
    message: str
    message_zh: str = Field(default="", description="the message for a Chinese reader (control content)")
    observed: tuple[str, ...] = ()
    observed_digest: str = Field(default="", description="SHA-256 of the observed lines; pins waivers")
    expected: str = ""
    expected_zh: str = Field(default="", description="the expectation for a Chinese reader")
    remediation: tuple[str, ...] = Field(
        default=(),
        description="the fix: the failed rules' own lines, placeholders filled from observed values",
    )
    rollback: tuple[str, ...] = Field(
        default=(), description="how to undo the remediation lines, where known"
    )
    evidence: tuple[EvidenceRef, ...] = ()


class RunInfo(Frozen):
    """Run metadata shared by every bundle of one run."""

    id: str = Field(pattern=r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")
    started_at: AwareDatetime
    finished_at: AwareDatetime
    tool_version: str
    checks_digest: str
    profile: str
    source: EvidenceSource


class CollectionRecord(Frozen):
    """How collection went for one host (``ok`` or a classified failure)."""

    host: str
    operator: str
    state: CollectionState
    detail: str = ""
    seconds: float | None = None


class RunResult(Frozen):
    """Everything one run produced, before it is split into per-operator bundles."""

    run: RunInfo
    operators: Mapping[str, OperatorInfo]
    targets: tuple[Target, ...]
    findings: tuple[Finding, ...]
    collection: tuple[CollectionRecord, ...] = ()
    pon_census: tuple[PonCensus, ...] = ()
