"""A whole run, as ``secaudit run`` does it: load, gate, collect, evaluate, remediate, report, sign.

:class:`AuditRequest` holds the options of a run (paths, filters, selection, keys, limits); the
command line, ``schedule`` and the tests build one. :func:`run` loads the content and inventory,
applies the production and loopback gates, picks the collector (live, sharded or offline, unless
one is given), drives the audit loop, records history and publishes the signed bundles.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import json
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from secrets import token_hex

from secaudit.collect.base import Collector
from secaudit.collect.credentials import Credential, secret_values
from secaudit.collect.credentials import resolve as resolve_credentials
from secaudit.collect.live import LiveCollector, LiveOptions
from secaudit.collect.offline import OfflineCollector
from secaudit.collect.sharded import ShardedCollector, live_collector
from secaudit.collect.store import EvidenceStore
from secaudit.errors import ConfigurationError, InventoryError, SecauditError
from secaudit.evaluate.coverage import coverage_rows, load_standards
from secaudit.evaluate.loader import (
    load_attestations,
    load_boards,
    load_city_targets,
    load_kpis,
    load_waivers,
)
from secaudit.history import DEFAULT_DB_NAME, HistoryStore, fleet_label, trend_points, trend_svg
from secaudit.history.trend import CHART_LABELS
from secaudit.inventory import LoadedInventory, TargetFilter, load_inventory
from secaudit.models.enums import Environment, EvidenceSource
from secaudit.models.evidence import HostEvidence
from secaudit.models.finding import Finding, RunResult
from secaudit.models.target import operators_of
from secaudit.pipeline.audit import RunConfig, exit_code, new_run_id, run_audit
from secaudit.pipeline.publish import Provenance, city_extras, partial_dir, publish
from secaudit.pipeline.selection import select
from secaudit.progress import RunProgress
from secaudit.report.html import translate
from secaudit.resources import content_dir
from secaudit.sign.suites import Signer, load_signer, with_cms_cosigner
from secaudit.timing import StageTimes, process_cpu, timed
from secaudit.timing import report as timing_report


@dataclass(frozen=True, slots=True)
class FleetOptions:
    """``run --engine celery``: the broker, the coordinator's signing identity, shards and limits."""

    broker_url: str
    key: Path
    cert: Path
    trust: Path
    chunk_size: int = 20
    deadline: float = 3600.0
    worker_wait: float = 5.0
    hard_time_limit: float = 600.0


ENGINES = ("local", "celery")


@dataclass(frozen=True, slots=True)
class AuditRequest:
    """Everything ``secaudit run`` is asked to do. Paths default to the shipped content.

    ``key_for`` maps an operator to its own key (and optional certificate); ``key_passphrase`` is
    the passphrase bytes already read from the environment variable the user named.
    """

    key: Path
    inventory: Path = Path("inventory")
    offline: Path | None = None
    checks: Path | None = None
    templates: Path | None = None
    output: Path = Path("reports")
    cert: Path | None = None
    cosign: tuple[Path, Path] | None = None  # (key, certificate): a CMS co-signature, manifest.p7s
    key_for: Mapping[str, tuple[Path, Path | None]] = field(default_factory=dict)
    key_passphrase: bytes | None = None
    operators: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    lang: str | None = None
    profile: str = "baseline"
    phases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    waivers: tuple[Path, ...] = ()
    attestations: tuple[Path, ...] = ()
    kpi: Path | None = None
    secrets: Path | None = None
    known_hosts_dir: Path = Path(".secaudit/known_hosts")
    workers: int = 20
    processes: int = 1
    timeout: float = 30.0
    config_timeout: float | None = None  # None: --timeout bounds the configuration read too
    allow_production: bool = False
    allow_non_loopback: bool = False
    latest_file: Path | None = None
    history_db: Path | None = None
    fleet: str | None = None
    quiet: bool = False
    log_json: bool = False
    timings: Path | None = None
    engine: str = "local"
    celery: FleetOptions | None = None  # --engine celery: broker, identity, shard size

    @property
    def checks_dir(self) -> Path:
        """The catalogue folder (the shipped one unless ``checks`` is given)."""
        return self.checks or content_dir("checks")

    @property
    def templates_dir(self) -> Path:
        """The report templates folder (the shipped one unless ``templates`` is given)."""
        return self.templates or content_dir("templates")

    def parameters(self, source: EvidenceSource) -> dict[str, object]:
        """The run parameters recorded in each bundle's provenance."""
        return {
            "profile": self.profile,
            "phases": list(self.phases),
            "tags": list(self.tags),
            "controls": list(self.controls),
            "operators": list(self.operators),
            "roles": list(self.roles),
            "sites": list(self.sites),
            "hosts": list(self.hosts),
            "source": source.value,
            "lang": self.lang,
            "offline": str(self.offline) if self.offline else None,
        }


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """A finished run: its result, its signed run folder and the exit code."""

    result: RunResult
    run_dir: Path
    exit_code: int
    timings: Mapping[str, object] | None = None


LOOPBACK_NAMES = frozenset({"localhost", "::1"})


def is_loopback(hostname: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost (no DNS lookup is made).

    Examples:
        >>> is_loopback("127.0.0.5"), is_loopback("::1"), is_loopback("10.0.0.1"), is_loopback("r1.example")
        (True, True, False, False)
    """
    if hostname in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def check_live_gates(inv: LoadedInventory, *, allow_production: bool, allow_non_loopback: bool) -> None:
    """Refuse live collection from production hosts and non-loopback addresses unless allowed."""
    for t in inv.targets:
        if t.environment is Environment.PRODUCTION and not allow_production:
            raise ConfigurationError(
                f"host {t.name!r} is a production device; pass --allow-production to audit it live"
            )
        if not is_loopback(t.hostname) and not allow_non_loopback:
            raise ConfigurationError(
                f"host {t.name!r} ({t.hostname}) is not on loopback; pass --allow-non-loopback"
            )


def default_collector(
    request: AuditRequest,
    inv: LoadedInventory,
    creds: Mapping[str, Credential],
    store_root: Path,
    *,
    timed: bool = False,
) -> Collector:
    """The collector ``secaudit run`` uses: offline folder or live, in one or several processes,
    or the operators' fleet workers (``engine="celery"``)."""
    if request.engine == "celery":
        return fleet_collector(request)
    if request.offline is not None:
        if request.processes > 1:
            return ShardedCollector(
                make=functools.partial(OfflineCollector, request.offline),
                source=EvidenceSource.OFFLINE,
                processes=request.processes,
                store_root=store_root,
                timed=timed,
            )
        return OfflineCollector(request.offline)
    options = LiveOptions(
        known_hosts_dir=request.known_hosts_dir,
        command_timeout=request.timeout,
        config_timeout=request.config_timeout,
        num_workers=request.workers,
    )
    if request.processes > 1:
        return ShardedCollector(
            make=functools.partial(
                live_collector, request.inventory.resolve(), creds, options, secret_values(creds)
            ),
            source=EvidenceSource.LIVE,
            processes=request.processes,
            store_root=store_root,
            timed=timed,
        )
    return LiveCollector(inv.nornir, creds, options, secrets=secret_values(creds))


def fleet_collector(request: AuditRequest) -> Collector:
    """The fleet engine's collector; the coordinator holds no device credentials."""
    from secaudit.fleet.engine import CeleryCollector  # noqa: PLC0415 - the fleet extra is optional
    from secaudit.fleet.settings import FleetSettings, Identity, password_from_env  # noqa: PLC0415

    fleet = request.celery
    if fleet is None:
        raise ConfigurationError(
            "--engine celery needs --broker-url, --fleet-key, --fleet-cert and --fleet-trust"
        )
    if request.offline is not None:
        raise ConfigurationError("--engine celery collects live; it cannot be combined with --offline")
    settings = FleetSettings(
        broker_url=fleet.broker_url,
        password=password_from_env(),
        identity=Identity(fleet.key, fleet.cert, fleet.trust),
        hard_time_limit=fleet.hard_time_limit,
        allow_non_loopback=request.allow_non_loopback,
    )
    settings.url()
    return CeleryCollector(
        settings,
        run_id=token_hex(6),
        chunk_size=fleet.chunk_size,
        deadline=fleet.deadline,
        worker_wait=fleet.worker_wait,
        processes=request.processes,
    )


def _signers(request: AuditRequest) -> tuple[Signer, dict[str, Signer]]:
    def signer_of(key: Path, cert: Path | None) -> Signer:
        signer = load_signer(key, request.key_passphrase, cert)
        if request.cosign is not None:
            signer = with_cms_cosigner(signer, *request.cosign, request.key_passphrase)
        return signer

    per_operator = {op: signer_of(key, cert) for op, (key, cert) in request.key_for.items()}
    return signer_of(request.key, request.cert), per_operator


def _operator_label(result: RunResult, op: str) -> str:
    """An operator as the chart's legend names it: display names, never the code alone."""
    info = result.operators.get(op)
    if info is None:
        return op
    names = dict.fromkeys(n for n in (info.display_name, info.display_name_en) if n)
    return " / ".join(names) or op


def _record_history(
    result: RunResult,
    db: Path,
    progress: RunProgress,
    fleet: str | None,
    tr: Callable[[str], str] = str,
) -> str:
    """Record the run; returns the trend chart (SVG) of its fleet: the city line and one line per
    operator, its labels through ``tr``. History problems never fail a run."""
    try:
        store = HistoryStore(db)
        row = store.record(result, fleet=fleet)
        operators = {
            _operator_label(result, op): trend_points(store, operator=op, limit=20, fleet=row.fleet)
            for op in operators_of(result.targets)
        }
        return trend_svg(
            trend_points(store, limit=20, fleet=row.fleet),
            title=f"{tr('Compliance score')} — {fleet_label(row.fleet)}",
            operators=operators,
            labels={label: tr(label) for label in CHART_LABELS},
        )
    except SecauditError as exc:
        progress.warn(f"run history not updated: {exc}")
        return ""


def run(request: AuditRequest, collector: Collector | None = None) -> RunOutcome:
    """Do a whole audit run; raises a :class:`SecauditError` with a one-line message on bad input.

    ``collector`` replaces the one :func:`default_collector` would pick (the fleet engine, tests).
    """
    if request.offline is not None and not request.offline.is_dir():
        raise ConfigurationError(f"{request.offline}: evidence folder not found")
    times = StageTimes() if request.timings is not None else None
    cpu_start, wall_start = process_cpu(), time.perf_counter()
    signer, operator_keys = _signers(request)
    checks = request.checks_dir
    chosen = select(checks, request.profile, request.phases, request.tags, request.controls)
    ids = {c.id for c in chosen.catalogue.controls}
    inv = load_inventory(
        request.inventory, TargetFilter(request.operators, request.roles, request.sites, request.hosts)
    )
    if not inv.targets:
        raise InventoryError("no host matches the inventory filters")
    if request.engine not in ENGINES:
        raise ConfigurationError(f"--engine must be one of {', '.join(ENGINES)}, not {request.engine!r}")
    live = request.offline is None and collector is None and request.engine == "local"
    creds: dict[str, Credential] = {}
    if request.engine == "celery" and collector is None:
        check_live_gates(
            inv, allow_production=request.allow_production, allow_non_loopback=request.allow_non_loopback
        )
    if live:
        check_live_gates(
            inv, allow_production=request.allow_production, allow_non_loopback=request.allow_non_loopback
        )
        creds = resolve_credentials(operators_of(inv.targets), request.secrets)
    started = datetime.now(UTC)
    run_id = new_run_id(started)
    config = RunConfig(
        catalogue=chosen.catalogue,
        operators=inv.operators,
        targets=inv.targets,
        profile=chosen.profile,
        controls=chosen.controls,
        tailoring=chosen.tailoring,
        waivers=load_waivers(request.waivers, ids),
        attestations=load_attestations(request.attestations, ids),
        city_targets=load_city_targets(checks),
        boards=load_boards(checks),
        run_id=run_id,
        started=started,
    )
    kpis = load_kpis(request.kpi) if request.kpi is not None else None
    coverage = coverage_rows(load_standards(checks), chosen.catalogue.controls)
    partial = partial_dir(request.output, run_id)
    progress = RunProgress(
        inv.targets, enabled=not request.quiet, log_json=request.log_json, secrets=secret_values(creds)
    )

    def on_host(host: HostEvidence, findings: list[Finding]) -> None:
        progress.host_done(host.target, host.state, host.detail, host.seconds)
        if host.note:
            progress.warn(host.note)

    if times is not None:
        times.add("setup", process_cpu() - cpu_start)
    try:
        the_collector = collector or default_collector(
            request, inv, creds, partial / "evidence", timed=times is not None
        )
        with progress:
            audit = run_audit(
                config,
                the_collector,
                store=EvidenceStore(partial / "evidence"),
                on_host=on_host,
                remediate=True,
                times=times,
            )
        result = audit.result
        with timed(times, "report"):
            extras = city_extras(result, config.city_targets, kpis, coverage)
            trend = _record_history(
                result,
                request.history_db or request.output / DEFAULT_DB_NAME,
                progress,
                request.fleet,
                translate(request.templates_dir, request.lang or "zh-CN"),
            )
        run_dir = publish(
            result,
            partial,
            request.templates_dir,
            signer,
            lang=request.lang,
            extras=dataclasses.replace(extras, trend_svg=trend),
            remediation=audit.remediation,
            provenance=Provenance(
                checks, request.parameters(result.run.source), config.waivers, config.attestations
            ),
            operator_keys=operator_keys,
            times=times,
        )
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if request.latest_file is not None:
        request.latest_file.write_text(f"{run_dir}\n")
    code = exit_code(result.findings)
    progress.finished(result, run_dir, code)
    doc = None
    if times is not None and request.timings is not None:
        workers = request.processes if request.processes > 1 and request.offline is None else 0
        doc = timing_report(
            times,
            hosts=len(result.targets),
            cpu_start=cpu_start,
            wall_seconds=time.perf_counter() - wall_start,
            workers=workers,
        )
        request.timings.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return RunOutcome(result, run_dir, code, doc)


__all__ = [
    "ENGINES",
    "AuditRequest",
    "FleetOptions",
    "RunOutcome",
    "check_live_gates",
    "default_collector",
    "is_loopback",
    "run",
    "select",
]
