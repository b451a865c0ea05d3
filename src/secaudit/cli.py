"""Command-line interface. Exit codes: 0 clean, 1 fail found, 3 incomplete, 2 usage/content error."""

from __future__ import annotations

import dataclasses
import fnmatch
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from secaudit import __version__
from secaudit.collect.classify import classify_exception
from secaudit.collect.credentials import Credential, secret_values
from secaudit.collect.credentials import resolve as resolve_credentials
from secaudit.collect.files import EvidenceFile, FilesCollector
from secaudit.collect.hostkeys import enrol, known_hosts_path, read_enrolled
from secaudit.collect.hostkeys import scan as scan_host_key
from secaudit.collect.live import LiveCollector, LiveOptions
from secaudit.collect.offline import collect_offline
from secaudit.collect.plan import PlannedCommand
from secaudit.collect.sharded import ChunkJob, collect_sharded
from secaudit.collect.store import EvidenceStore
from secaudit.errors import SecauditError
from secaudit.evaluate.coverage import coverage_markdown, coverage_rows, load_standards
from secaudit.evaluate.loader import (
    Catalogue,
    fixture_problems,
    load_attestations,
    load_boards,
    load_catalogue,
    load_city_targets,
    load_kpis,
    load_profile,
    load_tailoring,
    load_waivers,
)
from secaudit.evaluate.policy import select_controls
from secaudit.history import (
    DEFAULT_DB_NAME,
    HistoryStore,
    diff_json,
    diff_markdown,
    diff_table,
    history_for,
    trend_points,
    trend_svg,
)
from secaudit.history import diff as history_diff
from secaudit.inventory import TargetFilter, load_inventory, operators_of
from secaudit.lab.fleet import LabPaths, bench_fleet, default_fleet, default_state_dir, new_passwords
from secaudit.lab.fleet import serve as serve_lab
from secaudit.lab.state import process_alive, read_state
from secaudit.models.control import Control
from secaudit.models.enums import Environment, EvidenceSource, Platform, Role, Status
from secaudit.models.evidence import HostEvidence
from secaudit.models.finding import Finding, RunResult
from secaudit.models.profile import Profile, Selection, Tailoring
from secaudit.models.target import Target
from secaudit.pipeline import (
    Provenance,
    RunConfig,
    city_extras,
    exit_code,
    new_run_id,
    partial_dir,
    publish,
    run_audit,
    scan_exit_code,
)
from secaudit.platforms import get_platform
from secaudit.progress import RunProgress
from secaudit.replay import replay as replay_bundle
from secaudit.report.json_doc import dumps, findings_document
from secaudit.report.summary import is_compliant, score, status_counts
from secaudit.schedule import load_schedule, run_job, serve
from secaudit.sign.keys import generate_keypair
from secaudit.sign.manifest import MANIFEST, verify_bundle
from secaudit.sign.sm2 import generate_sm2_keypair
from secaudit.sign.suites import SIGNATURE_FILES, Verifier, load_signer
from secaudit.sign.x509 import generate_identity

app = typer.Typer(
    help="secaudit: audit OLTs, gateways and 5G edge routers against the dual-gigabit security baseline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
checks_app = typer.Typer(help="Inspect and lint the check catalogue.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage signing keys.", no_args_is_help=True)
waivers_app = typer.Typer(help="Check waiver files.", no_args_is_help=True)
hostkeys_app = typer.Typer(
    help="Enrol and check SSH host keys (strict checking needs them).", no_args_is_help=True
)
app.add_typer(hostkeys_app, name="hostkeys")
lab_app = typer.Typer(help="The embedded SSH device lab (127.0.0.1 only).", no_args_is_help=True)
app.add_typer(lab_app, name="lab")
StateDir = Annotated[Path | None, typer.Option(help="Lab state folder (default: outside the repository)")]
app.add_typer(checks_app, name="checks")
app.add_typer(waivers_app, name="waivers")
app.add_typer(keys_app, name="keys")

# Wide tables when piped (cron, CI logs); rich would otherwise assume 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)

EXIT_USAGE = 2
STATUS_HEADERS = {
    Status.PASS: "pass",
    Status.FAIL: "fail",
    Status.WARN: "warn",
    Status.MANUAL: "manual",
    Status.NOT_APPLICABLE: "n/a",
    Status.NOT_COLLECTED: "not coll.",
    Status.ERROR: "error",
}


def _die(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(EXIT_USAGE)


def _guard(func: Callable[[], int]) -> NoReturn:
    try:
        code = func()
    except SecauditError as exc:
        _die(str(exc))
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:
        if os.environ.get("SECAUDIT_DEBUG"):
            raise
        _die(
            f"internal error ({type(exc).__name__}: {exc}); "
            "set SECAUDIT_DEBUG=1 for a traceback and report it"
        )
    raise typer.Exit(code)


def _passphrase(env_name: str | None) -> bytes | None:
    if not env_name:
        return None
    value = os.environ.get(env_name)
    if value is None:
        _die(f"environment variable {env_name} (passphrase) is not set")
    return value.encode("utf-8")


def _summary_table(result: RunResult, title: str) -> Table:
    table = Table(title=title)
    table.add_column("operator")
    table.add_column("hosts", justify="right")
    table.add_column("compliant", justify="right")
    table.add_column("score", justify="right")
    table.add_column("w/ waivers", justify="right")
    table.add_column("waived", justify="right")
    for header in STATUS_HEADERS.values():
        table.add_column(header, justify="right")
    groups = operators_of(result.targets) or sorted({t.operator for t in result.targets})
    for op in groups:
        findings = [f for f in result.findings if f.operator == op]
        hosts = [t.name for t in result.targets if t.operator == op]
        ok = sum(is_compliant(f for f in findings if f.host == h) for h in hosts)
        counts = status_counts(findings)
        sc = score(findings)
        scw = score(findings, with_waivers=True)
        table.add_row(
            op,
            str(len(hosts)),
            str(ok),
            "-" if sc is None else f"{sc:.1f}%",
            "-" if scw is None else f"{scw:.1f}%",
            str(sum(f.waived for f in findings)),
            *(str(counts[s.value]) for s in Status),
        )
    return table


Multi = Annotated[list[str] | None, typer.Option()]
ProfileOpt = Annotated[str, typer.Option(help="Profile in checks/profiles/ (baseline, plan, build, operate)")]
PhaseOpt = Annotated[list[str] | None, typer.Option(help="Only controls of this phase (repeatable)")]
TagOpt = Annotated[list[str] | None, typer.Option(help="Only controls with this tag (repeatable)")]
ControlOpt = Annotated[list[str] | None, typer.Option(help="Only these control ids or globs (repeatable)")]


def _selection(
    checks: Path, profile: str, phase: list[str] | None, tag: list[str] | None, control: list[str] | None
) -> tuple[Catalogue, Profile, tuple[Control, ...], dict[str, Tailoring]]:
    catalogue = load_catalogue(checks)
    ids = {c.id for c in catalogue.controls}
    the_profile = load_profile(checks, profile, ids)
    try:
        narrowing = Selection(phases=tuple(phase or ()), tags=tuple(tag or ()), controls=tuple(control or ()))
    except ValidationError as exc:
        _die(f"bad selection: {exc.errors()[0]['msg']}")
    for pattern in control or ():
        if not any(fnmatch.fnmatchcase(i, pattern) for i in ids):
            _die(f"--control {pattern!r} matches no control")
    controls = select_controls(catalogue.controls, the_profile.select, narrowing)
    if not controls:
        _die(f"the selection (profile {profile!r}, phase/tag/control filters) selects no control")
    return catalogue, the_profile, controls, load_tailoring(checks, ids)


LOOPBACK_NAMES = frozenset({"localhost", "::1"})


def _is_loopback(hostname: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost (no DNS lookup is made)."""
    if hostname in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


@app.command()
def run(
    offline: Annotated[
        Path | None,
        typer.Option(help="Audit saved evidence DIR/<host>/<command-slug>.txt instead of devices"),
    ] = None,
    inventory: Annotated[Path, typer.Option(help="Nornir SimpleInventory folder")] = Path("inventory"),
    checks: Annotated[Path, typer.Option(help="Check catalogue folder")] = Path("checks"),
    templates: Annotated[Path, typer.Option(help="Report templates folder")] = Path("templates"),
    output: Annotated[Path, typer.Option(help="Where run folders are written")] = Path("reports"),
    key: Annotated[
        Path | None,
        typer.Option(help="Private key that signs the bundles (Ed25519, SM2, or X.509 with --cert)"),
    ] = None,
    cert: Annotated[
        Path | None, typer.Option(help="X.509 certificate of --key: sign with CMS (manifest.p7s)")
    ] = None,
    key_for: Annotated[
        list[str] | None,
        typer.Option(help="OPERATOR=KEY[:CERT]: sign that operator's bundle with its own key (repeatable)"),
    ] = None,
    key_passphrase_env: Annotated[
        str | None, typer.Option(help="Env var holding the key's passphrase")
    ] = None,
    operator: Multi = None,
    role: Multi = None,
    site: Multi = None,
    host: Annotated[list[str] | None, typer.Option(help="Host name or glob (repeatable)")] = None,
    lang: Annotated[
        str | None, typer.Option(help="Report language (zh-CN or en); default per operator")
    ] = None,
    profile: ProfileOpt = "baseline",
    phase: PhaseOpt = None,
    tag: TagOpt = None,
    control: ControlOpt = None,
    waivers: Annotated[list[Path] | None, typer.Option(help="Waivers YAML file (repeatable)")] = None,
    attestations: Annotated[
        list[Path] | None, typer.Option(help="Attestations YAML file (repeatable)")
    ] = None,
    kpi: Annotated[
        Path | None, typer.Option(help="Operator-declared KPI file shown in the city report")
    ] = None,
    secrets: Annotated[
        Path | None, typer.Option(help="Credentials file (YAML, mode 0600, outside the repository)")
    ] = None,
    known_hosts_dir: Annotated[
        Path, typer.Option(help="Per-host known_hosts files (enrol with `secaudit hostkeys scan`)")
    ] = Path(".secaudit/known_hosts"),
    workers: Annotated[int, typer.Option(help="Concurrent device sessions per process")] = 20,
    processes: Annotated[
        int, typer.Option(help="Collector processes (one process tops out near 20 devices/s)")
    ] = 1,
    timeout: Annotated[float, typer.Option(help="Per-command read timeout, seconds")] = 30.0,
    config_timeout: Annotated[float, typer.Option(help="Read timeout of the running configuration")] = 120.0,
    allow_production: Annotated[
        bool, typer.Option(help="Allow live collection from hosts with environment: production")
    ] = False,
    allow_non_loopback: Annotated[
        bool, typer.Option(help="Allow live collection from addresses outside 127.0.0.0/8 and ::1")
    ] = False,
    latest_file: Annotated[Path | None, typer.Option(help="Write the run folder path to this file")] = None,
    history_db: Annotated[
        Path | None, typer.Option(help="Run history database (default: <output>/history.sqlite3)")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="Print only errors (for cron)")] = False,
    log_json: Annotated[bool, typer.Option(help="One JSON line per host and per run on stderr")] = False,
) -> None:
    """Audit the inventory (live, or --offline) and write signed per-operator and city bundles."""

    def body() -> int:
        if offline is not None and not offline.is_dir():
            _die(f"{offline}: evidence folder not found")
        if key is None:
            _die("--key is required: every bundle is signed (create one with `secaudit keys generate`)")
        private_key = load_signer(key, _passphrase(key_passphrase_env), cert)
        operator_keys = {}
        for item in key_for or ():
            op, _, files = item.partition("=")
            key_file, _, cert_file = files.partition(":")
            if not op or not key_file:
                _die(f"--key-for {item!r}: expected OPERATOR=KEY or OPERATOR=KEY:CERT")
            operator_keys[op] = load_signer(
                Path(key_file), _passphrase(key_passphrase_env), Path(cert_file) if cert_file else None
            )
        catalogue, the_profile, controls, tailoring = _selection(checks, profile, phase, tag, control)
        ids = {c.id for c in catalogue.controls}
        inv = load_inventory(
            inventory,
            TargetFilter(tuple(operator or ()), tuple(role or ()), tuple(site or ()), tuple(host or ())),
        )
        if not inv.targets:
            _die("no host matches the inventory filters")
        creds: dict[str, Credential] = {}
        if offline is None:
            for t in inv.targets:
                if t.environment is Environment.PRODUCTION and not allow_production:
                    _die(f"host {t.name!r} is a production device; pass --allow-production to audit it live")
                if not _is_loopback(t.hostname) and not allow_non_loopback:
                    _die(f"host {t.name!r} ({t.hostname}) is not on loopback; pass --allow-non-loopback")
            creds = resolve_credentials(operators_of(inv.targets), secrets)
        config = RunConfig(
            catalogue=catalogue,
            operators=inv.operators,
            targets=inv.targets,
            profile=the_profile,
            controls=controls,
            tailoring=tailoring,
            waivers=load_waivers(waivers or (), ids),
            attestations=load_attestations(attestations or (), ids),
            city_targets=load_city_targets(checks),
            boards=load_boards(checks),
        )
        kpis = load_kpis(kpi) if kpi is not None else None
        coverage = coverage_rows(load_standards(checks), catalogue.controls)
        run_id = new_run_id(datetime.now(UTC))
        config = dataclasses.replace(config, run_id=run_id)
        partial = partial_dir(output, run_id)
        store = EvidenceStore(partial / "evidence")
        progress = RunProgress(
            inv.targets, enabled=not quiet, log_json=log_json, secrets=secret_values(creds)
        )
        try:
            with progress:
                if offline is not None:
                    source = EvidenceSource.OFFLINE
                    collect = _offline_collector(offline, store, progress)
                else:
                    source = EvidenceSource.LIVE
                    options = LiveOptions(
                        known_hosts_dir=known_hosts_dir,
                        command_timeout=timeout,
                        config_timeout=config_timeout,
                        num_workers=workers,
                    )
                    if processes > 1:
                        collect = _sharded_collector(
                            inventory, creds, options, partial / "evidence", progress, config, processes
                        )
                    else:
                        collect = _live_collector(inv.nornir, creds, options, store, progress)
                result, _ = run_audit(config, collect, source)
            extras = city_extras(result, config.city_targets, kpis, coverage)
            trend = _record_history(result, history_db or output / DEFAULT_DB_NAME, progress)
            extras = dataclasses.replace(extras, trend_svg=trend)
            params = {
                "profile": profile,
                "phases": phase or [],
                "tags": tag or [],
                "controls": control or [],
                "operators": operator or [],
                "roles": role or [],
                "sites": site or [],
                "hosts": host or [],
                "source": source.value,
                "lang": lang,
                "offline": str(offline) if offline else None,
            }
            run_dir = publish(
                result,
                partial,
                templates,
                private_key,
                lang=lang,
                extras=extras,
                controls_by_id=catalogue.by_id(),
                provenance=Provenance(checks, params, config.waivers, config.attestations),
                operator_keys=operator_keys,
            )
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        if latest_file is not None:
            latest_file.write_text(f"{run_dir}\n")
        code = exit_code(result.findings)
        progress.finished(result, run_dir, code)
        if not quiet:
            out.print(_summary_table(result, f"secaudit run {result.run.id} ({len(result.targets)} devices)"))
            for op in operators_of(result.targets):
                out.print(f"  {op:8s} {run_dir / op / 'report.html'}")
            out.print(f"  {'city':8s} {run_dir / 'city' / 'report.html'}")
            out.print(
                f"exit code {code}: " + {0: "clean", 1: "failures found", 3: "incomplete evidence"}[code]
            )
        return code

    _guard(body)


def _record_history(result: RunResult, db: Path, progress: RunProgress) -> str:
    """Record the run; returns the city trend chart (SVG). History problems never fail a run."""
    try:
        store = HistoryStore(db)
        store.record(result)
        return trend_svg(trend_points(store, limit=20), title="Compliance score / 合规得分")
    except SecauditError as exc:
        progress.warn(f"run history not updated: {exc}")
        return ""


def _offline_collector(
    root: Path, store: EvidenceStore, progress: RunProgress
) -> Callable[[tuple[Target, ...], Mapping[str, tuple[PlannedCommand, ...]]], Iterator[HostEvidence]]:
    def collect(
        targets: tuple[Target, ...], plan: Mapping[str, tuple[PlannedCommand, ...]]
    ) -> Iterator[HostEvidence]:
        for item in collect_offline(root, targets, plan):
            store.write_host(item.target, item.evidence, item.state, item.detail, item.collected_at)
            progress.host_done(item.target, item.state, item.detail, None)
            if item.note:
                progress.warn(item.note)
            yield item

    return collect


def _sharded_collector(
    inventory: Path,
    creds: Mapping[str, Credential],
    options: LiveOptions,
    store_root: Path,
    progress: RunProgress,
    config: RunConfig,
    processes: int,
) -> Callable[[tuple[Target, ...], Mapping[str, tuple[PlannedCommand, ...]]], Iterator[HostEvidence]]:
    def collect(
        targets: tuple[Target, ...], plan: Mapping[str, tuple[PlannedCommand, ...]]
    ) -> Iterator[HostEvidence]:
        job = ChunkJob(
            inventory_dir=inventory.resolve(),
            targets=targets,
            plan=plan,
            credentials=creds,
            options=options,
            store_root=store_root,
            secrets=secret_values(creds),
            controls=config.selected(),
            knobs={op: config.knobs(op) for op in {t.operator for t in targets}},
        )
        for c, findings in collect_sharded(job, processes):
            progress.host_done(c.target, c.state, c.detail, c.seconds)
            yield dataclasses.replace(c, findings=tuple(findings))

    return collect


def _live_collector(
    nornir: Any,
    creds: Mapping[str, Credential],
    options: LiveOptions,
    store: EvidenceStore,
    progress: RunProgress,
) -> Callable[[tuple[Target, ...], Mapping[str, tuple[PlannedCommand, ...]]], Iterator[HostEvidence]]:
    def on_host(c: HostEvidence) -> None:  # streamed: written as soon as the host is done
        store.write_host(c.target, c.evidence, c.state, c.detail, c.collected_at)
        progress.host_done(c.target, c.state, c.detail, c.seconds)

    collector = LiveCollector(nornir, creds, options, on_host=on_host, secrets=secret_values(creds))

    def collect(
        targets: tuple[Target, ...], plan: Mapping[str, tuple[PlannedCommand, ...]]
    ) -> Iterator[HostEvidence]:
        yield from collector.collect(targets, plan)

    return collect


@app.command()
def verify(
    bundle: Annotated[Path, typer.Argument(help="A bundle folder (or a run folder holding bundles)")],
    pubkey: Annotated[Path | None, typer.Option(help="Pinned public key (Ed25519 or SM2, PEM)")] = None,
    trust: Annotated[
        Path | None,
        typer.Option(help="Trust directory (CA/signer certificates, revoked.txt) for X.509 bundles"),
    ] = None,
    replay: Annotated[
        bool,
        typer.Option(help="Also re-evaluate each operator bundle's evidence with its recorded catalogue"),
    ] = False,
) -> None:
    """Verify a signed bundle: exit 0 intact, 1 invalid (names what changed), 2 usage error.

    The suite comes from the manifest: Ed25519 and SM2 need --pubkey, X.509/CMS needs --trust.
    """

    def body() -> int:
        if pubkey is None and trust is None:
            _die("give --pubkey FILE (Ed25519/SM2) or --trust DIR (X.509)")
        for path in (pubkey, trust):
            if path is not None and not path.exists():
                _die(f"{path}: not found")
        public_key = Verifier(pubkey=pubkey, trust=trust)
        if not bundle.is_dir():
            _die(f"{bundle}: not a folder")
        if (bundle / MANIFEST).exists() or any((bundle / n).exists() for n in SIGNATURE_FILES.values()):
            targets = [bundle]
        else:
            targets = sorted(p for p in bundle.iterdir() if p.is_dir() and not p.name.startswith("."))
            if not targets:
                _die(f"{bundle}: neither a bundle nor a run folder")
        bad = 0
        for b in targets:
            report = verify_bundle(b, public_key)
            if report.ok and report.manifest is not None:
                out.print(
                    f"OK       {b} ({len(report.manifest.files)} files, run {report.manifest.run_id}, "
                    f"{report.manifest.algorithm}, signed by {report.signer} at {report.manifest.signed_at})"
                )
            else:
                bad += 1
                out.print(f"INVALID  {b}")
                for problem in report.problems:
                    out.print(f"  - {problem}")
                continue
            if replay and (b / "provenance").is_dir():
                replayed = replay_bundle(b)
                for note in replayed.notes:
                    out.print(f"  note: {note}")
                if replayed.differences:
                    bad += 1
                    out.print(
                        f"REPLAY   {b}: {len(replayed.differences)} of {replayed.checked} findings differ"
                    )
                    for diff in replayed.differences[:50]:
                        out.print(f"  - {diff}")
                else:
                    out.print(f"REPLAY   {b}: all {replayed.checked} findings re-derived from the evidence")
        return 1 if bad else 0

    _guard(body)


def _scan_target(path: Path, platform: Platform, role: Role) -> Target:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).lstrip("._-") or "config"
    return Target(
        name=name,
        hostname=name,
        platform=platform,
        operator="unassigned",
        role=role,
        site="unknown",
        environment=Environment.PRODUCTION,
        model="unknown",
    )


@app.command("scan-config")
def scan_config(
    files_arg: Annotated[
        list[Path],
        typer.Argument(metavar="FILES", help="Saved configuration files (e.g. Oxidized/RANCID backups)"),
    ],
    platform: Annotated[str, typer.Option(help="secaudit platform of the files")],
    role: Annotated[str | None, typer.Option(help="Device role (default depends on platform)")] = None,
    checks: Annotated[Path, typer.Option(help="Check catalogue folder")] = Path("checks"),
    output_format: Annotated[str, typer.Option("--format", help="json or table")] = "table",
    profile: ProfileOpt = "baseline",
    phase: PhaseOpt = None,
    tag: TagOpt = None,
    control: ControlOpt = None,
) -> None:
    """Audit saved configurations without an inventory; other evidence is not_collected."""

    def body() -> int:
        spec = get_platform(platform)
        if output_format not in ("json", "table"):
            _die(f"--format must be json or table, not {output_format!r}")
        if spec.config_command is None:
            _die(f"platform {platform} has no configuration file format to scan")
        try:
            the_role = Role(role) if role else spec.default_role
        except ValueError:
            _die(f"unknown role {role!r} (known: {', '.join(r.value for r in Role)})")
        catalogue, the_profile, controls, _ = _selection(checks, profile, phase, tag, control)
        targets: list[Target] = []
        files: dict[str, list[EvidenceFile]] = {}
        for path in files_arg:
            if not path.is_file():
                _die(f"{path}: file not found")
            target = _scan_target(path, spec.name, the_role)
            if target.name in files:
                _die(f"{path}: two files map to the same host name {target.name!r}")
            files[target.name] = [EvidenceFile(path)]
            targets.append(target)
        collect = FilesCollector(files)

        config = RunConfig(
            catalogue=catalogue, operators={}, targets=tuple(targets), profile=the_profile, controls=controls
        )
        result, _ = run_audit(config, collect, EvidenceSource.OFFLINE)
        if output_format == "json":
            sys.stdout.buffer.write(dumps(findings_document(result, None, result.findings)))
        else:
            _findings_table(result.findings)
        return scan_exit_code(result)

    _guard(body)


def _findings_table(findings: Iterable[Finding]) -> None:
    table = Table()
    for col in ("host", "control", "severity", "status", "message"):
        table.add_column(col, overflow="fold")
    for f in findings:
        table.add_row(f.host, f.control_id, f.severity.value, f.status.value, f.message[:200])
    out.print(table)


@checks_app.command("list")
def checks_list(
    checks: Annotated[Path, typer.Option(help="Check catalogue folder")] = Path("checks"),
    output_format: Annotated[str, typer.Option("--format", help="table, json or markdown")] = "table",
) -> None:
    """List the controls of the catalogue."""

    def body() -> int:
        catalogue = load_catalogue(checks)
        rows: list[dict[str, Any]] = [
            {
                "id": c.id,
                "title": c.title,
                "title_zh": c.title_zh,
                "phase": c.phase.value,
                "roles": [r.value for r in c.roles],
                "severity": c.severity.value,
                "standards": [s.model_dump(mode="json", exclude_none=True) for s in c.standards],
                "platforms": sorted(p.value for p in c.platforms),
            }
            for c in catalogue.controls
        ]
        if output_format == "json":
            sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        elif output_format == "markdown":
            lines = [
                "| id | title | 名称 | phase | roles | severity | platforms | standards |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for r in rows:
                refs = "; ".join(
                    f"{s['scheme']} {s['ref']}" + (f" ({s['test_id']})" if s.get("test_id") else "")
                    for s in r["standards"]
                )
                lines.append(
                    f"| {r['id']} | {r['title']} | {r['title_zh']} | {r['phase']} | {', '.join(r['roles'])} "
                    f"| {r['severity']} | {', '.join(r['platforms'])} | {refs} |"
                )
            sys.stdout.write("\n".join(lines) + "\n")
        elif output_format == "table":
            table = Table(title=f"{len(rows)} controls")
            for col in ("id", "title", "phase", "severity", "platforms"):
                table.add_column(col, overflow="fold")
            for r in rows:
                table.add_row(
                    r["id"],
                    f"{r['title']} / {r['title_zh']}",
                    r["phase"],
                    r["severity"],
                    ", ".join(r["platforms"]),
                )
            out.print(table)
        else:
            _die(f"--format must be table, json or markdown, not {output_format!r}")
        return 0

    _guard(body)


@checks_app.command("coverage")
def checks_coverage(
    checks: Annotated[Path, typer.Option(help="Check catalogue folder")] = Path("checks"),
    output_format: Annotated[str, typer.Option("--format", help="table, markdown or json")] = "table",
) -> None:
    """Coverage matrix per standard: automated, manual or not covered, per requirement."""

    def body() -> int:
        catalogue = load_catalogue(checks)
        rows = coverage_rows(load_standards(checks), catalogue.controls)
        if output_format == "markdown":
            sys.stdout.write(coverage_markdown(rows))
        elif output_format == "json":
            sys.stdout.write(
                json.dumps([dataclasses.asdict(r) for r in rows], ensure_ascii=False, indent=2) + "\n"
            )
        elif output_format == "table":
            table = Table(title="standards coverage")
            for col in ("standard", "requirement", "coverage", "controls"):
                table.add_column(col, overflow="fold")
            for r in rows:
                table.add_row(
                    r.scheme,
                    f"{r.requirement} {r.title}",
                    r.coverage,
                    ", ".join(r.automated_by + r.manual_by),
                )
            out.print(table)
        else:
            _die(f"--format must be table, markdown or json, not {output_format!r}")
        return 0

    _guard(body)


@checks_app.command("lint")
def checks_lint(
    checks: Annotated[Path, typer.Option(help="Check catalogue folder")] = Path("checks"),
    fixtures: Annotated[
        Path | None,
        typer.Option(help="Control fixtures folder (default: tests/controls beside checks/, if present)"),
    ] = None,
) -> None:
    """Validate controls, profiles, tailoring and standards; each problem as file:line: message.

    With a fixtures folder, every automated (control, platform) block must have pass_, fail_ and
    error_ cases.
    """

    def body() -> int:
        problems: list[str] = []
        catalogue = load_catalogue(checks, collect_problems=problems)
        ids = {c.id for c in catalogue.controls}
        for path in sorted((checks / "profiles").glob("*.yaml")):
            try:
                load_profile(checks, path.stem, ids)
            except SecauditError as exc:
                problems.append(str(exc))
        try:
            load_tailoring(checks, ids)
            load_standards(checks)
        except SecauditError as exc:
            problems.append(str(exc))
        fixture_dir = fixtures if fixtures is not None else checks.resolve().parent / "tests" / "controls"
        if fixtures is not None or fixture_dir.is_dir():
            problems.extend(fixture_problems(catalogue, fixture_dir))
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"{len(problems)} problem(s) in {checks}", file=sys.stderr)
            return EXIT_USAGE
        out.print(f"{len(catalogue.controls)} controls OK")
        return 0

    _guard(body)


DbOpt = Annotated[Path, typer.Option("--db", help="Run history database")]


@app.command("diff")
def diff_runs(
    run_a: Annotated[str, typer.Argument(help="Run id, unique prefix, latest, previous or latest~N")],
    run_b: Annotated[str, typer.Argument(help="Run id, unique prefix, latest, previous or latest~N")],
    db: DbOpt = Path("reports") / "history.sqlite3",
    output_format: Annotated[str, typer.Option("--format", help="table, json or markdown")] = "table",
    include_errors: Annotated[bool, typer.Option(help="Count error findings as failing")] = False,
) -> None:
    """Compare two runs: new, fixed, regressed, still failing, waiver expired (with dates)."""

    def body() -> int:
        if not db.is_file():
            _die(f"{db}: no run history yet")
        report = history_diff(HistoryStore(db, create=False), run_a, run_b, include_errors=include_errors)
        if output_format == "json":
            sys.stdout.write(diff_json(report))
        elif output_format == "markdown":
            sys.stdout.write(diff_markdown(report))
        elif output_format == "table":
            out.print(diff_table(report))
        else:
            _die(f"--format must be table, json or markdown, not {output_format!r}")
        return 0

    _guard(body)


@app.command()
def history(
    db: DbOpt = Path("reports") / "history.sqlite3",
    host: Annotated[str | None, typer.Option(help="Only this host")] = None,
    control: Annotated[str | None, typer.Option(help="Only this control")] = None,
    limit: Annotated[int, typer.Option(help="Number of runs")] = 20,
) -> None:
    """Trend per run: status counts and scores (and the status of one host+control)."""

    def body() -> int:
        if not db.is_file():
            _die(f"{db}: no run history yet")
        points = history_for(HistoryStore(db, create=False), host=host, control=control, limit=limit)
        table = Table(title=f"history ({db})")
        for col in (
            "run",
            "started (UTC)",
            "score",
            "w/ waivers",
            "fail",
            "error",
            *(("status",) if host and control else ()),
        ):
            table.add_column(col)
        for pt in points:
            row = [
                pt.run_id,
                str(pt.started_at),
                "-" if pt.score is None else f"{pt.score:.1f}",
                "-" if pt.score_with_waivers is None else f"{pt.score_with_waivers:.1f}",
                str(pt.counts.get("fail", 0)),
                str(pt.counts.get("error", 0)),
            ]
            if host and control:
                row.append(str(pt.status or "-"))
            table.add_row(*row)
        out.print(table)
        return 0

    _guard(body)


@app.command()
def schedule(
    config: Annotated[Path, typer.Option(help="Schedule YAML (jobs with cron expressions)")],
    once: Annotated[bool, typer.Option(help="Run the selected jobs now, once, and exit")] = False,
    job: Annotated[list[str] | None, typer.Option(help="Only this job (repeatable)")] = None,
) -> None:
    """Run scheduled audits (cron per job, no overlapping runs, keep the last N runs, hooks)."""

    def body() -> int:
        cfg = load_schedule(config)
        jobs = tuple(j for j in cfg.jobs if not job or j.name in job)
        unknown = set(job or ()) - {j.name for j in cfg.jobs}
        if unknown:
            _die(f"{config}: unknown job(s): {', '.join(sorted(unknown))}")
        if not once:
            out.print(
                f"scheduling {len(jobs)} job(s) (UTC): " + ", ".join(f"{j.name} [{j.cron}]" for j in jobs)
            )
            serve(cfg, jobs)
            return 0
        worst = 0
        for j in jobs:
            res = run_job(j, cfg.defaults)
            code = "skipped" if res.exit_code is None else str(res.exit_code)
            out.print(f"{j.name}: exit {code} {res.run_dir or ''} {res.detail}".rstrip())
            if res.exit_code is not None:
                worst = max(worst, res.exit_code)
        return worst

    _guard(body)


def _lab_paths(state_dir: Path | None) -> LabPaths:
    return LabPaths(state_dir or default_state_dir())


@lab_app.command("serve")
def lab_serve(
    state_dir: StateDir = None,
    bench: Annotated[
        int, typer.Option(help="Serve N healthy benchmark devices instead of the demo fleet")
    ] = 0,
) -> None:
    """Run the lab in the foreground until interrupted (``lab start`` runs this in the background)."""

    def body() -> int:
        paths = _lab_paths(state_dir)
        passwords = new_passwords()
        fleet = bench_fleet(bench, passwords["telecom"]) if bench else default_fleet(passwords)
        if bench:
            passwords = dict.fromkeys(passwords, passwords["telecom"])
        serve_lab(fleet, paths, passwords)
        return 0

    _guard(body)


@lab_app.command("start")
def lab_start(
    state_dir: StateDir = None,
    bench: Annotated[
        int, typer.Option(help="Serve N healthy benchmark devices instead of the demo fleet")
    ] = 0,
    wait: Annotated[float, typer.Option(help="Seconds to wait for the lab to come up")] = 60.0,
) -> None:
    """Start the lab in the background; prints where its inventory, known_hosts and secrets are."""

    def body() -> int:
        paths = _lab_paths(state_dir)
        if paths.state.is_file() and process_alive(read_state(paths.state).pid):
            _die(f"a lab is already running ({paths.state}); `secaudit lab stop` first")
        paths.root.mkdir(parents=True, exist_ok=True)
        paths.state.unlink(missing_ok=True)
        log = (paths.root / "lab.log").open("ab")
        argv = [sys.executable, "-m", "secaudit", "lab", "serve", "--state-dir", str(paths.root)]
        if bench:
            argv += ["--bench", str(bench)]
        proc = subprocess.Popen(
            argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + wait
        while not paths.state.is_file():
            if proc.poll() is not None:
                _die(f"lab exited with code {proc.returncode}; see {paths.root / 'lab.log'}")
            if time.monotonic() > deadline:
                proc.terminate()
                _die(f"lab did not start within {wait:.0f} s; see {paths.root / 'lab.log'}")
            time.sleep(0.1)
        state = read_state(paths.state)
        out.print(f"lab running: pid {state.pid}, {len(state.devices)} devices on {state.host}")
        out.print(f"  inventory   {paths.inventory}")
        out.print(f"  known_hosts {paths.known_hosts}")
        out.print(f"  secrets     {paths.secrets}")
        return 0

    _guard(body)


@lab_app.command("stop")
def lab_stop(state_dir: StateDir = None) -> None:
    """Stop a lab started with ``lab start``."""

    def body() -> int:
        paths = _lab_paths(state_dir)
        if not paths.state.is_file():
            out.print("no lab running")
            return 0
        pid = read_state(paths.state).pid
        if process_alive(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while process_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
        paths.state.unlink(missing_ok=True)
        out.print(f"lab stopped (pid {pid})")
        return 0

    _guard(body)


@lab_app.command("status")
def lab_status(state_dir: StateDir = None) -> None:
    """Show the running lab's devices, ports and faults. Exit 1 when no lab runs."""

    def body() -> int:
        paths = _lab_paths(state_dir)
        if not paths.state.is_file():
            out.print("no lab running")
            return 1
        state = read_state(paths.state)
        manifest = json.loads(paths.manifest.read_text()) if paths.manifest.is_file() else {}
        table = Table(title=f"lab pid {state.pid} ({'running' if process_alive(state.pid) else 'DEAD'})")
        for col in ("device", "platform", "operator", "port", "fault", "variants"):
            table.add_column(col)
        for name, dev in sorted(state.devices.items()):
            info = manifest.get(name, {})
            table.add_row(
                name,
                dev.platform,
                info.get("operator", ""),
                str(dev.port),
                info.get("fault", ""),
                ", ".join(info.get("variants", [])),
            )
        out.print(table)
        return 0 if process_alive(state.pid) else 1

    _guard(body)


@hostkeys_app.command("scan")
def hostkeys_scan(
    inventory: Annotated[Path, typer.Option(help="Nornir SimpleInventory folder")] = Path("inventory"),
    known_hosts_dir: Annotated[Path, typer.Option(help="Per-host known_hosts files")] = Path(
        ".secaudit/known_hosts"
    ),
    operator: Multi = None,
    role: Multi = None,
    site: Multi = None,
    host: Annotated[list[str] | None, typer.Option(help="Host name or glob (repeatable)")] = None,
    replace: Annotated[
        bool, typer.Option(help="Replace a changed key (only after verifying it out of band)")
    ] = False,
    allow_non_loopback: Annotated[
        bool, typer.Option(help="Allow addresses outside 127.0.0.0/8 and ::1")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds per host")] = 10.0,
) -> None:
    """Fetch each host's SSH key (no login), show its SHA-256 fingerprint and enrol it explicitly.

    A key that differs from the enrolled one is reported as CHANGED and left alone unless
    --replace is given. Exit 0 when nothing changed or failed, 1 otherwise.
    """

    def body() -> int:
        inv = load_inventory(
            inventory,
            TargetFilter(tuple(operator or ()), tuple(role or ()), tuple(site or ()), tuple(host or ())),
        )
        table = Table(title=f"host keys ({known_hosts_dir})")
        for col in ("host", "address", "key type", "SHA-256 fingerprint", "result"):
            table.add_column(col)
        problems = 0
        for t in inv.targets:
            if not _is_loopback(t.hostname) and not allow_non_loopback:
                _die(f"host {t.name!r} ({t.hostname}) is not on loopback; pass --allow-non-loopback")
            port = t.port or 22
            path = known_hosts_path(known_hosts_dir, t.name)
            try:
                key = scan_host_key(t.hostname, port, timeout)
            except Exception as exc:
                state, detail = classify_exception(exc)
                table.add_row(t.name, f"{t.hostname}:{port}", "-", "-", f"{state.value}: {detail}")
                problems += 1
                continue
            enrolled = read_enrolled(path, t.hostname, port)
            if enrolled is None:
                enrol(path, t.hostname, port, key)
                result = "enrolled"
            elif enrolled == key:
                result = "unchanged"
            elif replace:
                enrol(path, t.hostname, port, key)
                result = f"REPLACED (was {enrolled.fingerprint})"
                problems += 1
            else:
                result = f"CHANGED (enrolled {enrolled.fingerprint}); not replaced"
                problems += 1
            table.add_row(t.name, f"{t.hostname}:{port}", key.key_type, key.fingerprint, result)
        out.print(table)
        return 1 if problems else 0

    _guard(body)


@waivers_app.command("lint")
def waivers_lint(
    files: Annotated[list[Path], typer.Argument(help="Waiver YAML files")],
    checks: Annotated[Path, typer.Option(help="Check catalogue folder")] = Path("checks"),
    warn_days: Annotated[int, typer.Option(help="Flag waivers that expire within this many days")] = 30,
) -> None:
    """Validate waivers (all fields required, UTC expiry, known controls); list expired and expiring ones.

    Exit 0 when every waiver is valid and in force, 1 when some have expired, 2 on invalid files.
    """

    def body() -> int:
        catalogue = load_catalogue(checks)
        waivers = load_waivers(files, {c.id for c in catalogue.controls})
        now = datetime.now(UTC)
        expired = 0
        table = Table(title=f"{len(waivers)} waiver(s)")
        for col in ("control", "scope", "ticket", "approver", "expires (UTC)", "state"):
            table.add_column(col)
        for w in waivers:
            days = (w.expires - now).days
            if w.expires <= now:
                state, expired = "EXPIRED", expired + 1
            elif days < warn_days:
                state = f"expires in {days} d"
            else:
                state = "in force"
            scope = ", ".join(
                x for x in (",".join(w.scope.hosts), w.scope.operator or "", w.scope.role or "") if x
            )
            table.add_row(w.control, scope, w.ticket, w.approver, f"{w.expires:%Y-%m-%d %H:%M}", state)
        out.print(table)
        return 1 if expired else 0

    _guard(body)


@keys_app.command("generate")
def keys_generate(
    out_dir: Annotated[Path, typer.Option(help="Folder for the key files")] = Path(".secaudit/keys"),
    name: Annotated[str, typer.Option(help="Base name: <name>.key and <name>.pub")] = "secaudit",
    passphrase_env: Annotated[
        str | None, typer.Option(help="Env var holding a passphrase for the private key")
    ] = None,
    suite: Annotated[
        str, typer.Option(help="ed25519 (default), ecdsa-x509 (self-signed certificate), sm2")
    ] = "ed25519",
    common_name: Annotated[
        str, typer.Option(help="Certificate subject CN (ecdsa-x509)")
    ] = "secaudit auditor",
    organization: Annotated[str | None, typer.Option(help="Certificate subject O (ecdsa-x509)")] = None,
    days: Annotated[int, typer.Option(help="Certificate validity (ecdsa-x509)")] = 730,
) -> None:
    """Create a signing key pair (private key mode 0600, optionally passphrase-encrypted).

    ed25519: <name>.key/.pub; ecdsa-x509: <name>.key/.crt (P-256, self-signed; or import an
    organisation CA's certificate with `run --key K --cert C`); sm2: <name>.key/.pub (PKCS#8/SPKI).
    """

    def body() -> int:
        passphrase = _passphrase(passphrase_env)
        if suite == "ed25519":
            private_path, public_path, kid = generate_keypair(out_dir, name, passphrase)
        elif suite == "ecdsa-x509":
            ident = generate_identity(
                out_dir,
                name,
                common_name=common_name,
                organization=organization,
                days=days,
                passphrase=passphrase,
            )
            private_path, public_path, kid = ident.key_path, ident.cert_path, ident.key_id
        elif suite == "sm2":
            private_path, public_path, kid = generate_sm2_keypair(out_dir, name, passphrase)
        else:
            _die(f"--suite must be ed25519, ecdsa-x509 or sm2, not {suite!r}")
        out.print(f"private key {private_path} (0600)\npublic      {public_path}\nkey id      {kid}")
        return 0

    _guard(body)


def _version_callback(value: bool) -> None:
    if value:
        print(f"secaudit {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version")
    ] = False,
) -> None:
    """secaudit command line."""


def main() -> None:
    """Console-script entry point."""
    app()
