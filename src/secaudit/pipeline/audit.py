"""The audit loop: collect -> parse -> evaluate -> remediate, one host at a time.

:func:`run_audit` drives any :class:`~secaudit.collect.base.Collector`: it stores each host's
evidence as soon as the collector yields it, reports progress, evaluates the host (unless a
collector worker already did), applies the run's policy and makes the host's remediation plan.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from secaudit import __version__
from secaudit.collect.base import Collector, ProcessingCollector
from secaudit.collect.plan import build_plan
from secaudit.collect.store import EvidenceStore
from secaudit.evaluate.city import run_census
from secaudit.evaluate.loader import Catalogue
from secaudit.evaluate.policy import knobs_for
from secaudit.models.city import Board, CityTargets
from secaudit.models.control import Control
from secaudit.models.enums import CollectionState, Platform, Status
from secaudit.models.evidence import Evidence, HostEvidence
from secaudit.models.finding import CollectionRecord, Finding, RunInfo, RunResult
from secaudit.models.knobs import Knobs
from secaudit.models.profile import Attestation, Profile, Tailoring, Waiver
from secaudit.models.target import OperatorInfo, Target
from secaudit.pipeline.hosts import HostWork, Policy
from secaudit.timing import StageTimes


def new_run_id(now: datetime) -> str:
    """Run id: UTC timestamp plus 6 random hex digits.

    Examples:
        >>> import re
        >>> bool(re.fullmatch(r"20260101T000000Z-[0-9a-f]{6}", new_run_id(datetime(2026, 1, 1, tzinfo=UTC))))
        True
    """
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


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
    started: datetime | None = None  # the run's clock (waiver expiry); default: now() at start

    def selected(self) -> tuple[Control, ...]:
        """The controls this run evaluates."""
        return self.catalogue.controls if self.controls is None else self.controls

    def knobs(self, operator: str) -> Knobs:
        """Knobs for one operator: defaults, profile, then the operator's tailoring."""
        return knobs_for(self.profile, self.tailoring.get(operator))


@dataclass(frozen=True, slots=True)
class Audit:
    """What the audit loop produced: the run result and each host's remediation plan text."""

    result: RunResult
    remediation: Mapping[str, str] = field(default_factory=dict)


def run_audit(
    config: RunConfig,
    collector: Collector,
    *,
    store: EvidenceStore | None = None,
    on_host: Callable[[HostEvidence, list[Finding]], None] | None = None,
    remediate: bool = False,
    times: StageTimes | None = None,
) -> Audit:
    """Collect, parse, evaluate and (``remediate``) plan fixes for every target of ``config``.

    ``store`` receives each host's evidence as soon as it is collected (unless the collector
    stored it already); ``on_host`` sees each host with its final findings; ``times`` receives
    the CPU time per stage (including what collector worker processes report per host).
    """
    started = config.started or config.now()
    run_id = config.run_id or new_run_id(started)
    work = host_work(config, run_id, started, remediate=remediate)
    plan = build_plan(config.targets, work.controls)
    findings: list[Finding] = []
    records: list[CollectionRecord] = []
    census_hosts: list[tuple[Target, tuple[Evidence, ...]]] = []
    plans: dict[str, str] = {}
    stream = (
        collector.collect_processed(config.targets, plan, work)
        if isinstance(collector, ProcessingCollector)
        else collector.collect(config.targets, plan)
    )
    for arrived in stream:
        host = _processed(arrived, store, work, times)
        target = host.target
        records.append(
            CollectionRecord(
                host=target.name,
                operator=target.operator,
                state=host.state,
                detail=host.detail,
                seconds=host.seconds,
            )
        )
        host_findings = list(host.findings or ())
        findings.extend(host_findings)
        if target.platform in work.keep_evidence:
            census_hosts.append((target, host.evidence))
        if host.remediation is not None:
            plans[target.name] = host.remediation
        if on_host is not None:
            on_host(host, host_findings)
    run = RunInfo(
        id=run_id,
        started_at=started,
        finished_at=config.now(),
        tool_version=__version__,
        checks_digest=config.catalogue.digest,
        profile=config.profile.id if config.profile is not None else "baseline",
        source=collector.source,
    )
    census = (
        run_census(config.city_targets, config.boards, census_hosts)
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
    return Audit(result, plans)


def _processed(
    host: HostEvidence, store: EvidenceStore | None, work: HostWork, times: StageTimes | None
) -> HostEvidence:
    """A host as the loop needs it: stored, processed (here unless a worker did), times merged."""
    if store is not None and not host.stored:
        store.write_host(host.target, host.evidence, host.state, host.detail, host.collected_at)
        host = replace(host, stored=True)
    if times is not None and host.cpu:
        times.merge(StageTimes(dict(host.cpu)))
    return host if host.processed else work(host, times)


def host_work(config: RunConfig, run_id: str, started: datetime, *, remediate: bool) -> HostWork:
    """The per-host processing of a run (picklable: collector workers run it too)."""
    census = frozenset(config.city_targets.census) if config.city_targets is not None else frozenset()
    return HostWork(
        controls=config.selected(),
        knobs={op: config.knobs(op) for op in {t.operator for t in config.targets}},
        policy=Policy(config.tailoring, config.waivers, config.attestations, started),
        run_id=run_id,
        remediate=remediate,
        keep_evidence=census,
    )


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
        >>> from secaudit.models.enums import EvidenceSource
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
