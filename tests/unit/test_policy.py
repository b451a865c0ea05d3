"""Profiles, tailoring, waivers and attestations."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from secaudit.errors import CheckDefinitionError
from secaudit.evaluate.engine import fingerprint
from secaudit.evaluate.loader import load_attestations, load_waivers
from secaudit.evaluate.policy import (
    apply_attestations,
    apply_tailoring,
    apply_waivers,
    finalise,
    knobs_for,
    observed_digest,
    select_controls,
)
from secaudit.models.enums import Phase, Platform, Role, Severity, Status
from secaudit.models.finding import Finding
from secaudit.models.profile import Attestation, Profile, Scope, Selection, Tailoring, Waiver
from secaudit.pipeline import exit_code
from secaudit.report.summary import is_compliant, is_compliant_with_waivers, score

from conftest import EXAMPLES

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def finding(
    status: Status = Status.FAIL, control: str = "SEC-NTP-001", host: str = "olt-1", **kw: object
) -> Finding:
    base = {
        "fingerprint": fingerprint(control, host),
        "control_id": control,
        "control_version": 1,
        "title": "t",
        "title_zh": "t",
        "host": host,
        "operator": "mobile",
        "role": Role.OLT,
        "platform": Platform.HUAWEI_SMARTAX,
        "phase": Phase.BUILD,
        "severity": Severity.MEDIUM,
        "status": status,
        "message": "m",
        "observed": ("ntp-service unicast-server 10.0.0.1",),
    }
    base.update(kw)
    f = Finding.model_validate(base)
    return f.model_copy(update={"observed_digest": observed_digest(f.observed)})


def waiver(**kw: object) -> Waiver:
    base = {
        "control": "SEC-NTP-001",
        "scope": {"hosts": ["olt-*"], "operator": "mobile"},
        "justification": "second source after the upgrade",
        "approver": "ops lead",
        "ticket": "T-1",
        "expires": "2026-12-31T00:00:00Z",
    }
    base.update(kw)
    return Waiver.model_validate(base)


def test_active_waiver_waives_but_keeps_status() -> None:
    f = apply_waivers(finding(), [waiver()], NOW)
    assert f.status is Status.FAIL
    assert f.waived
    assert f.waiver is not None
    assert f.waiver.state == "active"
    assert exit_code([f]) == 0
    assert not is_compliant([f])
    assert is_compliant_with_waivers([f])
    assert score([f]) == 0.0
    assert score([f], with_waivers=True) == 100.0


def test_expired_waiver_shown_but_counts_as_failing() -> None:
    f = apply_waivers(finding(), [waiver(expires="2026-11-01T00:00:00Z")], NOW)
    assert not f.waived
    assert f.waiver is not None
    assert f.waiver.state == "expired"
    assert exit_code([f]) == 1
    assert not is_compliant_with_waivers([f])


def test_waiver_lapses_when_evidence_changes() -> None:
    pinned = waiver(evidence_digest=observed_digest(("ntp-service unicast-server 10.0.0.1",)))
    assert apply_waivers(finding(), [pinned], NOW).waived
    changed = finding(observed=("ntp-service unicast-server 10.9.9.9",))
    f = apply_waivers(changed, [pinned], NOW)
    assert not f.waived
    assert f.waiver is not None
    assert f.waiver.state == "lapsed"


@pytest.mark.parametrize(
    "w",
    [
        {"scope": {"hosts": ["csr-*"]}},
        {"scope": {"operator": "telecom"}},
        {"scope": {"role": "edge5g"}},
        {"control": "SEC-SNMP-001"},
    ],
)
def test_waiver_scope_must_match(w: dict[str, object]) -> None:
    f = apply_waivers(finding(), [waiver(**w)], NOW)
    assert not f.waived
    assert f.waiver is None


def test_errors_and_passes_are_never_waived() -> None:
    for status in (Status.ERROR, Status.PASS, Status.NOT_COLLECTED):
        assert apply_waivers(finding(status), [waiver()], NOW).waiver is None


@pytest.mark.parametrize(
    "bad",
    [
        {"expires": "2026-12-31T00:00:00+08:00"},
        {"expires": "2026-12-31T00:00:00"},
        {"justification": ""},
        {"approver": ""},
        {"ticket": ""},
        {"scope": {}},
        {"unknown_field": 1},
    ],
)
def test_waiver_fields_are_required(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        waiver(**bad)


def attestation(**kw: object) -> Attestation:
    base = {
        "control": "SEC-PLAN-004",
        "scope": {"operator": "mobile"},
        "result": "pass",
        "statement": "NESAS evaluation report covers MA5800 V100R019",
        "attested_by": "auditor",
        "attested_at": "2026-01-01T00:00:00Z",
        "reference": "NESAS-2025-0042",
        "expires": "2027-01-01T00:00:00Z",
    }
    base.update(kw)
    return Attestation.model_validate(base)


def test_attestation_turns_manual_into_result() -> None:
    manual = finding(Status.MANUAL, control="SEC-PLAN-004")
    assert apply_attestations(manual, [attestation()], NOW).status is Status.PASS
    assert apply_attestations(manual, [attestation(result="fail")], NOW).status is Status.FAIL


def test_expired_attestation_is_fail() -> None:
    manual = finding(Status.MANUAL, control="SEC-PLAN-004")
    f = apply_attestations(manual, [attestation(expires="2026-06-01T00:00:00Z")], NOW)
    assert f.status is Status.FAIL
    assert "expired" in f.message
    assert f.attestation is not None
    assert f.attestation.expired


def test_attestation_only_for_manual() -> None:
    assert (
        apply_attestations(finding(Status.FAIL, control="SEC-PLAN-004"), [attestation()], NOW).status
        is Status.FAIL
    )
    with pytest.raises(ValidationError):
        attestation(result="manual")


def test_tailoring_severity_and_disabled() -> None:
    t = Tailoring(operator="mobile", severity={"SEC-NTP-001": Severity.HIGH}, disabled={})
    assert apply_tailoring(finding(), t).severity is Severity.HIGH
    t2 = Tailoring(operator="mobile", disabled={"SEC-NTP-001": "no NTP on this site class"})
    f = apply_tailoring(finding(), t2)
    assert f.status is Status.NOT_APPLICABLE
    assert "no NTP on this site class" in f.message
    with pytest.raises(ValidationError):
        Tailoring(operator="mobile", disabled={"SEC-NTP-001": " "})


def test_knob_overrides_profile_then_operator() -> None:
    profile = Profile(id="p", title="p", knobs={"ntp_servers_min": 3, "pwd_min_len": 12})
    tailoring = Tailoring(operator="mobile", knobs={"ntp_servers_min": 4})
    knobs = knobs_for(profile, tailoring)
    assert (knobs.ntp_servers_min, knobs.pwd_min_len, knobs.idle_timeout_max_min) == (4, 12, 10)
    with pytest.raises(ValidationError):
        knobs_for(Profile(id="p", title="p", knobs={"ntp_server_min": 3}), None)


def test_selection(catalogue) -> None:  # type: ignore[no-untyped-def]
    ids = {c.id for c in select_controls(catalogue.controls, Selection(controls=("SEC-NTP-*",)))}
    assert ids == {c.id for c in catalogue.controls if c.id.startswith("SEC-NTP-")}
    build = select_controls(catalogue.controls, Selection(phases=(Phase.BUILD,)))
    assert build
    assert all(c.phase is Phase.BUILD for c in build)
    none = select_controls(
        catalogue.controls, Selection(phases=(Phase.BUILD,)), Selection(controls=("SEC-XYZ-*",))
    )
    assert none == ()


def test_finalise_order_digest_then_waiver() -> None:
    raw = Finding.model_validate({**finding().model_dump(), "observed_digest": ""})
    pinned = waiver(evidence_digest=observed_digest(raw.observed))
    f = finalise(raw, tailoring={}, waivers=[pinned], attestations=[], now=NOW)
    assert f.observed_digest == observed_digest(raw.observed)
    assert f.waived


def test_scope_needs_something() -> None:
    with pytest.raises(ValidationError):
        Scope()


_ATTESTATIONS = """attestations:
  - control: SEC-PHY-001
    scope: {hosts: [olt-1]}
    result: pass
    statement: Physical access log reviewed monthly.
    attested_by: sec-lead
    attested_at: 2026-11-01T00:00:00Z
    reference: DOC-1
    expires: 2027-11-01T00:00:00Z
"""


def test_entry_files_name_an_unknown_control_by_file_and_index(tmp_path: Path) -> None:
    waivers = EXAMPLES / "waivers.yaml"
    controls = set(re.findall(r"control: (SEC-[A-Z]+-\d+)", waivers.read_text(encoding="utf-8")))
    first = load_waivers([waivers], controls)[0].control
    with pytest.raises(CheckDefinitionError, match=r"waivers\.yaml: waivers\[0\]: unknown control"):
        load_waivers([waivers], controls - {first})

    attestations = tmp_path / "att.yaml"
    attestations.write_text(_ATTESTATIONS, encoding="utf-8")
    assert [a.control for a in load_attestations([attestations], {"SEC-PHY-001"})] == ["SEC-PHY-001"]
    with pytest.raises(
        CheckDefinitionError, match=r"att\.yaml: attestations\[0\]: unknown control SEC-PHY-001"
    ):
        load_attestations([attestations], set())
