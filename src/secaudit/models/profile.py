"""Profiles, per-operator tailoring, waivers and attestations: content that shapes a run."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from datetime import datetime, timedelta

from pydantic import AwareDatetime, Field, field_validator, model_validator

from secaudit.models.base import Frozen
from secaudit.models.control import CONTROL_ID_PATTERN
from secaudit.models.enums import Phase, Role, Severity, Status


def _utc(value: datetime) -> datetime:
    if value.utcoffset() != timedelta(0):
        raise ValueError("must be in UTC (end with Z or +00:00)")
    return value


class Selection(Frozen):
    """Which controls a profile selects. Empty lists select everything."""

    phases: tuple[Phase, ...] = ()
    roles: tuple[Role, ...] = ()
    tags: tuple[str, ...] = ()
    controls: tuple[str, ...] = Field(default=(), description="ids or globs, e.g. SEC-MGMT-*")
    exclude: tuple[str, ...] = Field(default=(), description="ids or globs removed after selection")


class Requirement(Frozen):
    """One requirement of a standard and the controls that implement it (prowler compliance shape)."""

    scheme: str
    ref: str
    controls: tuple[str, ...]


class Profile(Frozen):
    """A named selection of controls with knob overrides (``checks/profiles/<id>.yaml``)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str
    title_zh: str = ""
    select: Selection = Selection()
    knobs: Mapping[str, int] = Field(default_factory=dict)
    requirements: tuple[Requirement, ...] = ()


class Tailoring(Frozen):
    """Per-operator tailoring (``checks/tailoring/<operator>.yaml``)."""

    operator: str
    severity: Mapping[str, Severity] = Field(default_factory=dict, description="control id -> severity")
    disabled: Mapping[str, str] = Field(default_factory=dict, description="control id -> reason (required)")
    knobs: Mapping[str, int] = Field(default_factory=dict)
    lang: str | None = None

    @field_validator("disabled")
    @classmethod
    def _reasons(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        for control, reason in value.items():
            if not reason or not reason.strip():
                raise ValueError(f"disabled control {control} needs a reason")
        return value


class Scope(Frozen):
    """Where a waiver or attestation applies; every given field must match."""

    hosts: tuple[str, ...] = Field(default=(), description="host names or globs")
    operator: str | None = None
    role: Role | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Scope:
        if not self.hosts and self.operator is None and self.role is None:
            raise ValueError("scope needs at least one of hosts, operator, role")
        return self

    def matches(self, host: str, operator: str, role: Role) -> bool:
        """True when the scope covers this host."""
        if self.operator is not None and self.operator != operator:
            return False
        if self.role is not None and self.role is not role:
            return False
        return not self.hosts or any(fnmatch.fnmatchcase(host, pat) for pat in self.hosts)


class Waiver(Frozen):
    """An accepted risk. A waived finding keeps its real status; only fail/warn can be waived."""

    control: str = Field(pattern=CONTROL_ID_PATTERN)
    scope: Scope
    justification: str = Field(min_length=10)
    approver: str = Field(min_length=2)
    ticket: str = Field(min_length=1)
    expires: AwareDatetime
    evidence_digest: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="observed_digest of the waived finding"
    )

    _utc = field_validator("expires")(_utc)


class WaiverFile(Frozen):
    """A waivers YAML file."""

    waivers: tuple[Waiver, ...]


class Attestation(Frozen):
    """A human statement that turns a ``manual`` control into pass or fail until it expires."""

    control: str = Field(pattern=CONTROL_ID_PATTERN)
    scope: Scope
    result: Status
    statement: str = Field(min_length=10)
    attested_by: str = Field(min_length=2)
    attested_at: AwareDatetime
    reference: str = Field(min_length=1, description="document, report or certificate id")
    expires: AwareDatetime

    _utc = field_validator("attested_at", "expires")(_utc)

    @field_validator("result")
    @classmethod
    def _pass_or_fail(cls, value: Status) -> Status:
        if value not in (Status.PASS, Status.FAIL):
            raise ValueError("an attestation result is pass or fail")
        return value


class AttestationFile(Frozen):
    """An attestations YAML file."""

    attestations: tuple[Attestation, ...]
