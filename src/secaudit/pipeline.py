"""Wires the stages: inventory -> collect -> parse -> evaluate -> report -> sign.

This is the library entry point; ``cli.py`` only translates options into a ``RunConfig``.
"""

from __future__ import annotations

import dataclasses
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from secaudit import __version__
from secaudit.collect.plan import build_plan, resolve_command
from secaudit.errors import ReportError
from secaudit.evaluate.city import run_census, share_rows
from secaudit.evaluate.coverage import CoverageRow
from secaudit.evaluate.engine import evaluate_control, fingerprint
from secaudit.evaluate.loader import Catalogue
from secaudit.evaluate.policy import finalise, knobs_for
from secaudit.inventory import operators_of
from secaudit.models.city import Board, CityTargets, DeclaredKpis
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
from secaudit.models.finding import CollectionRecord, Finding, RunInfo, RunResult
from secaudit.models.knobs import Knobs
from secaudit.models.profile import Attestation, Profile, Tailoring, Waiver
from secaudit.models.target import OperatorInfo, Target
from secaudit.parse.evidence import parse_evidence
from secaudit.provenance import write_provenance
from secaudit.report.bundle import CityExtras, write_city_bundle, write_operator_bundle
from secaudit.sign.manifest import RunStamp, sign_bundle
from secaudit.sign.suites import Signer


def new_run_id(now: datetime) -> str:
    """Run id: UTC timestamp plus 6 random hex digits.

    Examples:
        >>> import re
        >>> bool(re.fullmatch(r"20260101T000000Z-[0-9a-f]{6}", new_run_id(datetime(2026, 1, 1, tzinfo=UTC))))
        True
    """
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def evaluate_host(
    target: Target, evidence: Iterable[Evidence], controls: Iterable[Control], knobs: Knobs
) -> list[Finding]:
    """Parse a host's evidence as each control asks and evaluate every in-scope control."""
    by_command = {e.command: e for e in evidence}
    cache: dict[tuple[str, str, str | None, bool], ParsedEvidence] = {}
    findings: list[Finding] = []
    for control in controls:
        check = control.platforms.get(target.platform)
        parsed: dict[str, ParsedEvidence] = {}
        if check is not None and check.evaluated:
            for spec in check.evidence:
                command = resolve_command(target.platform, spec) or spec.command
                ev = by_command.get(command) or Evidence(
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
                key = (command, spec.parser, spec.template, spec.allow_no_rows)
                if key not in cache:
                    cache[key] = parse_evidence(ev, spec)
                parsed[spec.id] = cache[key]
        finding = evaluate_control(target, control, parsed, knobs)
        if finding is not None:
            findings.append(finding)
    return findings


HOST_KEY_CONTROL = "SEC-COLL-001"


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
        expected="the host key enrolled with `secaudit hostkeys scan`",
        remediation=(
            "verify the device fingerprint on the console",
            "secaudit hostkeys scan --host <host> --replace",
        ),
    )


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything a run needs besides the collector.

    ``controls`` is the selection (profile + CLI narrowing) out of ``catalogue``; ``None`` means
    the whole catalogue.
    """

    catalogue: Catalogue
    operators: Mapping[str, OperatorInfo]
    targets: tuple[Target, ...]
    profile: Profile | None = None
    controls: tuple[Control, ...] | None = None
    tailoring: Mapping[str, Tailoring] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    attestations: tuple[Attestation, ...] = ()
    city_targets: CityTargets | None = None
    boards: Mapping[Platform, Mapping[str, Board]] = field(default_factory=dict)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    run_id: str | None = None

    def selected(self) -> tuple[Control, ...]:
        """The controls this run evaluates."""
        return self.catalogue.controls if self.controls is None else self.controls

    def knobs(self, operator: str) -> Knobs:
        """Knobs for one operator: defaults, profile, then the operator's tailoring."""
        return knobs_for(self.profile, self.tailoring.get(operator))


Collector = Callable[[tuple[Target, ...], Mapping[str, tuple[object, ...]]], Iterable[HostEvidence]]


def run_audit(
    config: RunConfig,
    collect: Callable[..., Iterable[HostEvidence]],
    source: EvidenceSource,
    on_host: Callable[[HostEvidence, list[Finding]], None] | None = None,
) -> tuple[RunResult, tuple[HostEvidence, ...]]:
    """Collect, parse and evaluate; returns the run result and the evidence per host."""
    started = config.now()
    controls = config.selected()
    plan = build_plan(config.targets, controls)
    findings: list[Finding] = []
    hosts: list[HostEvidence] = []
    records: list[CollectionRecord] = []
    for host in collect(config.targets, plan):
        records.append(
            CollectionRecord(
                host=host.target.name,
                operator=host.target.operator,
                state=host.state,
                detail=host.detail,
                seconds=host.seconds,
            )
        )
        raw = (
            list(host.findings)
            if host.findings is not None
            else evaluate_host(host.target, host.evidence, controls, config.knobs(host.target.operator))
        )
        if host.state is CollectionState.HOST_KEY_CHANGED:
            raw.append(host_key_finding(host))
        host_findings = [
            finalise(
                f,
                tailoring=config.tailoring,
                waivers=config.waivers,
                attestations=config.attestations,
                now=started,
            )
            for f in raw
        ]
        findings.extend(host_findings)
        hosts.append(host)
        if on_host is not None:
            on_host(host, host_findings)
    finished = config.now()
    run = RunInfo(
        id=config.run_id or new_run_id(started),
        started_at=started,
        finished_at=finished,
        tool_version=__version__,
        checks_digest=config.catalogue.digest,
        profile=config.profile.id if config.profile is not None else "baseline",
        source=source,
    )
    census = (
        run_census(config.city_targets, config.boards, ((h.target, h.evidence) for h in hosts))
        if config.city_targets is not None
        else ()
    )
    result = RunResult(
        run=run,
        operators=dict(config.operators),
        targets=config.targets,
        findings=tuple(sorted(findings, key=lambda f: (f.operator, f.host, f.control_id))),
        collection=tuple(sorted(records, key=lambda r: (r.operator, r.host))),
        pon_census=census,
    )
    return result, tuple(hosts)


def exit_code(findings: Iterable[Finding]) -> int:
    """0 clean, 1 at least one fail, 3 incomplete (error or not_collected, with or without fails).

    A fail covered by an active waiver does not count; an expired or lapsed waiver does not waive.

    Examples:
        >>> exit_code([])
        0
    """
    statuses = {f.status for f in findings if not f.waived}
    if statuses & {Status.ERROR, Status.NOT_COLLECTED}:
        return 3
    if Status.FAIL in statuses:
        return 1
    return 0


def scan_exit_code(result: RunResult) -> int:
    """Exit code of ``scan-config``: 3 when a file itself is bad, else 1 on a fail, else 0.

    A saved configuration cannot carry status commands (``display ntp-service status``), so
    controls that need them are ``not_collected`` by construction and do not make the scan
    "incomplete". A file that is cut, paged or unreadable does, even where it still proves a fail,
    and so does any ``error`` finding. An actively waived finding does not count.

    Examples:
        >>> from secaudit.models.finding import RunInfo
        >>> info = RunInfo(id="20260101T000000Z-abcdef", started_at=datetime(2026, 1, 1, tzinfo=UTC),
        ...                finished_at=datetime(2026, 1, 1, tzinfo=UTC), tool_version="0",
        ...                checks_digest="0", profile="baseline", source=EvidenceSource.OFFLINE)
        >>> scan_exit_code(RunResult(run=info, operators={}, targets=(), findings=(), collection=()))
        0
    """
    statuses = {f.status for f in result.findings if not f.waived}
    if Status.ERROR in statuses or any(r.state is not CollectionState.OK for r in result.collection):
        return 3
    if Status.FAIL in statuses:
        return 1
    return 0


def city_extras(
    result: RunResult,
    targets: CityTargets | None,
    kpis: DeclaredKpis | None,
    coverage: Iterable[CoverageRow] = (),
) -> CityExtras:
    """JSON-ready city sections: annex targets with measured/declared values, census, coverage."""
    operators = operators_of(result.targets)
    target_rows: list[dict[str, Any]] = []
    if targets is not None:
        shares = {r.operator: r for r in share_rows(targets, result.pon_census, operators)}
        for t in targets.targets:
            per_op = []
            for op in sorted(set(t.values) | set(operators), key=lambda o: (o not in operators, o)):
                entry: dict[str, Any] = {
                    "operator": op,
                    "target": t.values.get(op),
                    "value": None,
                    "meets": None,
                }
                if t.kind == "measured" and op in shares:
                    sr = shares[op]
                    entry.update(
                        value=sr.measured_pct,
                        meets=sr.meets,
                        complete=sr.complete,
                        olts=sr.olts,
                        ten_g_ports=sr.ten_g_ports,
                        total_ports=sr.total_ports,
                    )
                elif t.kind == "declared" and kpis is not None:
                    value = kpis.operators.get(op, {}).get(t.id)
                    entry.update(
                        value=value,
                        meets=None if value is None or entry["target"] is None else value >= entry["target"],
                    )
                per_op.append(entry)
            target_rows.append({**t.model_dump(mode="json"), "operators": per_op})
    return CityExtras(
        targets=target_rows,
        kpi_source=f"{kpis.source} (declared {kpis.declared_at:%Y-%m-%d})" if kpis is not None else "",
        coverage=[dataclasses.asdict(r) for r in coverage],
        census=[c.model_dump(mode="json") | {"total": c.total, "ten_g": c.ten_g} for c in result.pon_census],
    )


def partial_dir(output_root: Path, run_id: str) -> Path:
    """Where a run is assembled before it is renamed into place (created empty)."""
    output_root.mkdir(parents=True, exist_ok=True)
    final = output_root / run_id
    if final.exists():
        raise ReportError(f"{final}: run folder already exists")
    partial = output_root / f".partial-{run_id}"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()
    return partial


@dataclass(frozen=True, slots=True)
class Provenance:
    """What goes into each operator bundle's ``provenance/`` (see :mod:`secaudit.provenance`)."""

    checks_root: Path
    params: Mapping[str, Any]
    waivers: tuple[Waiver, ...] = ()
    attestations: tuple[Attestation, ...] = ()


def publish(
    result: RunResult,
    partial: Path,
    templates_dir: Path,
    private_key: Signer | Ed25519PrivateKey | None,
    *,
    lang: str | None = None,
    extras: CityExtras | None = None,
    controls_by_id: Mapping[str, Control] | None = None,
    provenance: Provenance | None = None,
    operator_keys: Mapping[str, Signer | Ed25519PrivateKey] | None = None,
) -> Path:
    """Write every bundle of a run and sign each one; atomic at the run level.

    ``partial`` (from :func:`partial_dir`) already holds ``evidence/`` from the evidence store.
    Bundles are built there and the folder is renamed to ``<output_root>/<run_id>/`` only after
    every bundle is written and signed, so an interrupted run leaves no folder that looks complete.
    ``operator_keys`` signs an operator's bundle with that operator's own key (the city and
    evidence bundles, and operators without one, use ``private_key``).
    """
    final = partial.parent / result.run.id
    try:
        bundles = [
            write_operator_bundle(
                partial, templates_dir, result, op, lang=lang, controls_by_id=controls_by_id
            )
            for op in operators_of(result.targets)
        ]
        if provenance is not None:
            for bundle in bundles:
                write_provenance(
                    bundle,
                    result,
                    [t for t in result.targets if t.operator == bundle.name],
                    checks_root=provenance.checks_root,
                    params=provenance.params,
                    waivers=provenance.waivers,
                    attestations=provenance.attestations,
                )
        bundles.append(write_city_bundle(partial, templates_dir, result, lang or "zh-CN", extras))
        if (partial / "evidence").is_dir():
            bundles.append(partial / "evidence")
        if private_key is not None:
            stamp = RunStamp(
                run_id=result.run.id,
                tool_version=result.run.tool_version,
                checks_digest=result.run.checks_digest,
                started_at=result.run.started_at.isoformat(),
                finished_at=result.run.finished_at.isoformat(),
            )
            for bundle in bundles:
                sign_bundle(bundle, (operator_keys or {}).get(bundle.name, private_key), stamp)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final
