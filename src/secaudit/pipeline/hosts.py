"""One host through parse -> evaluate -> remediate: the only evaluation loop.

Live, sharded (in the worker processes), offline, configuration scans and ``verify --replay`` all
evaluate a host with :func:`evaluate_host` and finish its findings with :func:`finish_host`, so a
host gives the same findings whichever way its evidence arrived.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from secaudit.collect.plan import resolve_command
from secaudit.evaluate.engine import evaluate_control, fingerprint
from secaudit.evaluate.policy import finalise
from secaudit.models.control import Control
from secaudit.models.enums import (
    CollectionState,
    EvidenceSource,
    EvidenceState,
    Phase,
    Platform,
    Severity,
    Status,
)
from secaudit.models.evidence import Evidence, HostEvidence, ParsedEvidence
from secaudit.models.finding import Finding
from secaudit.models.knobs import Knobs
from secaudit.models.profile import Attestation, Tailoring, Waiver
from secaudit.models.target import Target
from secaudit.parse.evidence import parse_evidence
from secaudit.platforms import get_platform
from secaudit.remediate import needs_plan, plan_for_host, render_plan
from secaudit.timing import StageTimes, timed

HOST_KEY_CONTROL = "SEC-COLL-001"


def _not_in_plan(target: Target, command: str) -> Evidence:
    return Evidence(
        host=target.name,
        platform=target.platform,
        command=command,
        slug="",
        text="",
        sha256="",
        source=EvidenceSource.OFFLINE,
        state=EvidenceState.NOT_COLLECTED,
        detail="not part of this run's command plan",
    )


def evaluate_host(
    target: Target,
    evidence: Iterable[Evidence],
    controls: Iterable[Control],
    knobs: Knobs,
    times: StageTimes | None = None,
) -> list[Finding]:
    """Parse a host's evidence as each control asks and evaluate every in-scope control.

    ``times`` (optional) receives the CPU time spent parsing and evaluating.
    """
    by_command = {e.command: e for e in evidence}
    cache: dict[tuple[str, str, str | None, bool], ParsedEvidence] = {}
    findings: list[Finding] = []
    clock = time.thread_time if times is not None else None
    started = clock() if clock is not None else 0.0
    parsing = 0.0
    for control in controls:
        check = control.platforms.get(target.platform)
        parsed: dict[str, ParsedEvidence] = {}
        if check is not None and check.evaluated:
            for spec in check.evidence:
                command = resolve_command(target.platform, spec) or spec.command
                key = (command, spec.parser, spec.template, spec.allow_no_rows)
                if key not in cache:
                    ev = by_command.get(command) or _not_in_plan(target, command)
                    before = clock() if clock is not None else 0.0
                    cache[key] = parse_evidence(ev, spec)
                    if clock is not None:
                        parsing += clock() - before
                parsed[spec.id] = cache[key]
        finding = evaluate_control(target, control, parsed, knobs)
        if finding is not None:
            findings.append(finding)
    if times is not None and clock is not None:
        times.add("parse", parsing)
        times.add("evaluate", clock() - started - parsing)
    return findings


def evaluate_collected(
    host: HostEvidence, controls: Sequence[Control], knobs: Knobs, times: StageTimes | None = None
) -> tuple[Finding, ...]:
    """Evaluate a collected host (picklable entry point for collector worker processes)."""
    return tuple(evaluate_host(host.target, host.evidence, controls, knobs, times))


def host_key_finding(host: HostEvidence) -> Finding:
    """A changed SSH host key is a critical security finding for the device, not a timeout."""
    t = host.target
    return Finding(
        fingerprint=fingerprint(HOST_KEY_CONTROL, t.name),
        control_id=HOST_KEY_CONTROL,
        control_version=1,
        title="Device SSH host key matches the enrolled key",
        title_zh="设备SSH主机密钥与登记一致",
        host=t.name,
        operator=t.operator,
        role=t.role,
        platform=t.platform,
        phase=Phase.OPERATE,
        severity=Severity.CRITICAL,
        status=Status.FAIL,
        message=(
            f"the device presented a different SSH host key than the one enrolled: {host.detail}; treat as a "
            "possible interception or an unrecorded device replacement; verify out of band, then re-enrol"
        ),
        message_zh=(
            f"设备出示的 SSH 主机密钥与登记的不一致：{host.detail}；应视为可能的中间人攻击或未登记的"
            "设备更换；请通过带外方式核实后重新登记"
        ),
        expected="the host key enrolled with `secaudit hostkeys scan`",
        expected_zh="与 `secaudit hostkeys scan` 登记的主机密钥一致",
        remediation=(
            "verify the device fingerprint on the console",
            "secaudit hostkeys scan --host <host> --replace",
        ),
    )


@dataclass(frozen=True, slots=True)
class Policy:
    """What turns raw findings into final ones: tailoring, waivers, attestations, the run's clock."""

    tailoring: Mapping[str, Tailoring]
    waivers: Sequence[Waiver]
    attestations: Sequence[Attestation]
    now: datetime


def finish_host(host: HostEvidence, raw: Iterable[Finding], policy: Policy) -> list[Finding]:
    """The host's final findings: a changed host key added, then tailoring, attestations, waivers."""
    found = list(raw)
    if host.state is CollectionState.HOST_KEY_CHANGED:
        found.append(host_key_finding(host))
    return [
        finalise(
            f,
            tailoring=policy.tailoring,
            waivers=policy.waivers,
            attestations=policy.attestations,
            now=policy.now,
        )
        for f in found
    ]


def remediation_text(
    host: HostEvidence, findings: Sequence[Finding], controls_by_id: Mapping[str, Control], run_id: str
) -> str | None:
    """The remediation stage for one host: its plan as text, or ``None`` when nothing needs fixing.

    The plan is made from the host's own (redacted) running-configuration evidence, in memory.
    """
    target = host.target
    if not needs_plan(findings, target.name):
        return None
    command = get_platform(target.platform).config_command
    running = next((e.text for e in host.evidence if command is not None and e.command == command), None)
    plan = plan_for_host(target.name, target.platform, findings, controls_by_id, running or None, run_id)
    return render_plan(plan)


@dataclass(frozen=True, slots=True)
class HostWork:
    """One collected host through parse, evaluate, policy and remediation (a ``HostProcessor``).

    Picklable, so collector worker processes run exactly what the single-process loop runs.
    ``keep_evidence``: platforms whose evidence the run still needs after processing (the city
    census); every other host's evidence is dropped once processed (the store, if any, has it),
    so a large run holds findings in memory, not configurations.
    """

    controls: tuple[Control, ...]
    knobs: Mapping[str, Knobs]
    policy: Policy
    run_id: str
    remediate: bool = False
    keep_evidence: frozenset[Platform] = frozenset()

    def __call__(self, host: HostEvidence, times: StageTimes | None = None) -> HostEvidence:
        """The host with final findings, its remediation text, and (maybe) without evidence."""
        target = host.target
        raw = (
            host.findings
            if host.findings is not None
            else evaluate_host(target, host.evidence, self.controls, self.knobs[target.operator], times)
        )
        with timed(times, "evaluate"):
            final = tuple(finish_host(host, raw, self.policy))
        text = host.remediation
        if self.remediate and text is None:
            with timed(times, "remediate"):
                text = remediation_text(host, final, {c.id: c for c in self.controls}, self.run_id)
        evidence = host.evidence if target.platform in self.keep_evidence else ()
        return replace(host, evidence=evidence, findings=final, remediation=text, processed=True)
