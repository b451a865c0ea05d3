"""``secaudit run``, ``scan-config`` and ``verify``: audit, scan saved files, verify bundles."""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from secaudit.cli._app import (
    ChecksOpt,
    ControlOpt,
    HostOpt,
    OperatorOpt,
    PhaseOpt,
    ProfileOpt,
    RoleOpt,
    SiteOpt,
    TagOpt,
    TemplatesOpt,
    app,
    die,
    err,
    guard,
    out,
    passphrase,
    summary_table,
)
from secaudit.collect.base import Collector
from secaudit.collect.files import EvidenceFile, FilesCollector
from secaudit.collect.sharded import ShardedCollector
from secaudit.health import CollectionHealth, collection_health
from secaudit.models.enums import Environment, EvidenceSource, Platform, Role
from secaudit.models.finding import Finding
from secaudit.models.target import Target, operators_of
from secaudit.pipeline import RunConfig, run_audit, scan_exit_code
from secaudit.pipeline.selection import select
from secaudit.platforms import get_platform
from secaudit.replay import replay as replay_bundle
from secaudit.report.json_doc import dumps, findings_document
from secaudit.report.scan import scan_junit, scan_sarif
from secaudit.resources import default_checks
from secaudit.sign.manifest import MANIFEST, verify_bundle
from secaudit.sign.suites import SIGNATURE_FILES, Verifier

if TYPE_CHECKING:
    from secaudit.pipeline.run import RunOutcome


@app.command()
def run(
    offline: Annotated[
        Path | None,
        typer.Option(help="Audit saved evidence DIR/<host>/<command-slug>.txt instead of devices"),
    ] = None,
    inventory: Annotated[Path, typer.Option(help="Nornir SimpleInventory folder")] = Path("inventory"),
    checks: ChecksOpt = None,
    templates: TemplatesOpt = None,
    output: Annotated[Path, typer.Option(help="Where run folders are written")] = Path("reports"),
    key: Annotated[
        Path | None,
        typer.Option(help="Private key that signs the bundles (Ed25519, SM2, or X.509 with --cert)"),
    ] = None,
    cert: Annotated[
        Path | None, typer.Option(help="X.509 certificate of --key: sign with CMS (manifest.p7s)")
    ] = None,
    cosign: Annotated[
        str | None,
        typer.Option(
            help="KEY:CERT: also sign every manifest with this X.509 key (CMS manifest.p7s beside "
            "manifest.sig)"
        ),
    ] = None,
    key_for: Annotated[
        list[str] | None,
        typer.Option(
            metavar="OP=KEY[:CERT]", help="Sign that operator's bundle with its own key (repeatable)"
        ),
    ] = None,
    key_passphrase_env: Annotated[
        str | None, typer.Option(help="Env var holding the key's passphrase")
    ] = None,
    operator: OperatorOpt = None,
    role: RoleOpt = None,
    site: SiteOpt = None,
    host: HostOpt = None,
    lang: Annotated[
        str | None, typer.Option(help="Report language (zh-CN or en); default per operator")
    ] = None,
    profile: ProfileOpt = "baseline",
    phase: PhaseOpt = None,
    tag: TagOpt = None,
    control: ControlOpt = None,
    waivers: Annotated[
        list[Path] | None, typer.Option(metavar="FILE", help="Waivers YAML file (repeatable)")
    ] = None,
    attestations: Annotated[
        list[Path] | None, typer.Option(metavar="FILE", help="Attestations YAML file (repeatable)")
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
    config_timeout: Annotated[
        float | None,
        typer.Option(help="Read timeout of the running configuration, seconds (default: --timeout)"),
    ] = None,
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
    fleet: Annotated[
        str | None,
        typer.Option(help="Fleet name for the run history (default: the set of hosts audited)"),
    ] = None,
    quiet: Annotated[bool, typer.Option(help="Print only errors (for cron)")] = False,
    log_json: Annotated[bool, typer.Option(help="One JSON line per host and per run on stderr")] = False,
    timings: Annotated[
        Path | None,
        typer.Option(help="Write CPU ms per device per stage, wall time and peak RSS to this JSON file"),
    ] = None,
    engine: Annotated[
        str, typer.Option(help="local (this machine) or celery (the operators' `secaudit worker`s)")
    ] = "local",
    broker_url: Annotated[
        str | None,
        typer.Option(help="celery: redis://USER@HOST:PORT/DB (password in $SECAUDIT_FLEET_BROKER_PASSWORD)"),
    ] = None,
    fleet_key: Annotated[
        Path | None, typer.Option(help="celery: the coordinator's RSA key (signs shards)")
    ] = None,
    fleet_cert: Annotated[Path | None, typer.Option(help="celery: the coordinator's certificate")] = None,
    fleet_trust: Annotated[
        Path | None, typer.Option(help="celery: folder of trusted worker certificates (*.pem)")
    ] = None,
    chunk_size: Annotated[int, typer.Option(help="celery: hosts per shard (per operator and site)")] = 20,
    fleet_deadline: Annotated[
        float, typer.Option(help="celery: seconds the whole collection may take")
    ] = 3600.0,
    worker_wait: Annotated[
        float, typer.Option(help="celery: seconds to wait for an operator's worker to show itself")
    ] = 5.0,
) -> None:
    """Audit the inventory (live, or --offline) and write signed per-operator and city bundles."""

    def body() -> int:
        if key is None:
            die("--key is required: every bundle is signed (create one with `secaudit keys generate`)")
        per_operator: dict[str, tuple[Path, Path | None]] = {}
        for item in key_for or ():
            op, _, files = item.partition("=")
            key_file, _, cert_file = files.partition(":")
            if not op or not key_file:
                die(f"--key-for {item!r}: expected OPERATOR=KEY or OPERATOR=KEY:CERT")
            per_operator[op] = (Path(key_file), Path(cert_file) if cert_file else None)
        cosign_files = None
        if cosign is not None:
            cosign_key, _, cosign_cert = cosign.partition(":")
            if not cosign_key or not cosign_cert:
                die(f"--cosign {cosign!r}: expected KEY:CERT")
            cosign_files = (Path(cosign_key), Path(cosign_cert))
        from secaudit.pipeline.run import AuditRequest, FleetOptions  # noqa: PLC0415 - live stack for `run` only
        from secaudit.pipeline.run import run as run_pipeline  # noqa: PLC0415

        celery_options = None
        if engine not in ("local", "celery"):
            die(f"--engine must be local or celery, not {engine!r}")
        if engine == "celery":
            if broker_url is None or fleet_key is None or fleet_cert is None or fleet_trust is None:
                die("--engine celery needs --broker-url, --fleet-key, --fleet-cert and --fleet-trust")
            if chunk_size < 1:
                die("--chunk-size must be at least 1")
            celery_options = FleetOptions(
                broker_url, fleet_key, fleet_cert, fleet_trust, chunk_size, fleet_deadline, worker_wait
            )
        request = AuditRequest(
            engine=engine,
            celery=celery_options,
            key=key,
            inventory=inventory,
            offline=offline,
            checks=checks,
            templates=templates,
            output=output,
            cert=cert,
            cosign=cosign_files,
            key_for=per_operator,
            key_passphrase=passphrase(key_passphrase_env),
            operators=tuple(operator or ()),
            roles=tuple(role or ()),
            sites=tuple(site or ()),
            hosts=tuple(host or ()),
            lang=lang,
            profile=profile,
            phases=tuple(phase or ()),
            tags=tuple(tag or ()),
            controls=tuple(control or ()),
            waivers=tuple(waivers or ()),
            attestations=tuple(attestations or ()),
            kpi=kpi,
            secrets=secrets,
            known_hosts_dir=known_hosts_dir,
            workers=workers,
            processes=processes,
            timeout=timeout,
            config_timeout=config_timeout,
            allow_production=allow_production,
            allow_non_loopback=allow_non_loopback,
            latest_file=latest_file,
            history_db=history_db,
            fleet=fleet,
            quiet=quiet,
            log_json=log_json,
            timings=timings,
        )
        outcome = run_pipeline(request)
        if not quiet:
            print_outcome(outcome)
        elif warning := collection_health(outcome.result).warning():
            err.print(f"WARNING: {warning}", style="bold red", markup=False)
        return outcome.exit_code

    guard(body)


def print_outcome(outcome: RunOutcome) -> None:
    """The summary table, the report paths and what the exit code means."""
    result, run_dir, code = outcome.result, outcome.run_dir, outcome.exit_code
    out.print(summary_table(result, f"secaudit run {result.run.id} ({len(result.targets)} devices)"))
    for op in operators_of(result.targets):
        out.print(f"  {op:8s} {run_dir / op / 'report.html'}")
    out.print(f"  {'city':8s} {run_dir / 'city' / 'report.html'}")
    print_collection_health(collection_health(result))
    out.print(f"exit code {code}: " + {0: "clean", 1: "failures found", 3: "incomplete evidence"}[code])


def print_collection_health(health: CollectionHealth) -> None:
    """Each host not fully collected with its class and detail; a loud warning for an incomplete run."""
    if not health.failed:
        out.print(f"collection: all {health.in_scope} hosts fully collected")
        return
    out.print(f"not fully collected: {len(health.failed)} of {health.in_scope} hosts")
    for line in health.lines():
        out.print(f"  {line}", markup=False)
    if warning := health.warning():
        out.print(Panel(Text(warning), title="WARNING", border_style="bold red", style="bold red"))


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
            die("give --pubkey FILE (Ed25519/SM2) or --trust DIR (X.509)")
        for path in (pubkey, trust):
            if path is not None and not path.exists():
                die(f"{path}: not found")
        public_key = Verifier(pubkey=pubkey, trust=trust)
        if not bundle.is_dir():
            die(f"{bundle}: not a folder")
        if (bundle / MANIFEST).exists() or any((bundle / n).exists() for n in SIGNATURE_FILES.values()):
            targets = [bundle]
        else:
            targets = sorted(p for p in bundle.iterdir() if p.is_dir() and not p.name.startswith("."))
            if not targets:
                die(f"{bundle}: neither a bundle nor a run folder")
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

    guard(body)


def scan_target(path: Path, platform: Platform, role: Role) -> Target:
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


SCAN_FORMATS = ("table", "json", "junit", "sarif")


@app.command("scan-config")
def scan_config(
    files_arg: Annotated[
        list[Path],
        typer.Argument(metavar="FILE", help="Saved configuration files (e.g. Oxidized/RANCID backups)"),
    ],
    platform: Annotated[str, typer.Option(help="secaudit platform of the files")],
    role: Annotated[str | None, typer.Option(help="Device role (default depends on platform)")] = None,
    checks: ChecksOpt = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="table, json (findings schema), junit (JUnit XML) or sarif (SARIF 2.1.0, "
            "locations in the scanned files)",
        ),
    ] = "table",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the json/junit/sarif document here, not to stdout"),
    ] = None,
    profile: ProfileOpt = "baseline",
    phase: PhaseOpt = None,
    tag: TagOpt = None,
    control: ControlOpt = None,
    processes: Annotated[
        int, typer.Option(help="Worker processes (0: one per core once there are 100 files or more)")
    ] = 0,
) -> None:
    """Audit saved configurations without an inventory; other evidence is not_collected.

    The exit code is the same whichever --format is chosen (0 clean, 1 a fail, 3 a file itself is
    bad), so a CI job can gate on it and still upload the JUnit or SARIF file.
    """

    def body() -> int:
        spec = get_platform(platform)
        if output_format not in SCAN_FORMATS:
            die(f"--format must be one of {', '.join(SCAN_FORMATS)}, not {output_format!r}")
        if output is not None and output_format == "table":
            die("--output needs --format json, junit or sarif")
        if spec.config_command is None:
            die(f"platform {platform} has no configuration file format to scan")
        try:
            the_role = Role(role) if role else spec.default_role
        except ValueError:
            die(f"unknown role {role!r} (known: {', '.join(r.value for r in Role)})")
        chosen = select(checks or default_checks(), profile, phase or (), tag or (), control or ())
        targets: list[Target] = []
        files: dict[str, list[EvidenceFile]] = {}
        for path in files_arg:
            if not path.is_file():
                die(f"{path}: file not found")
            target = scan_target(path, spec.name, the_role)
            if target.name in files:
                die(f"{path}: two files map to the same host name {target.name!r}")
            files[target.name] = [EvidenceFile(path)]
            targets.append(target)
        workers = processes or (os.cpu_count() or 1 if len(targets) >= 100 else 1)
        collect: Collector = FilesCollector(files)
        if workers > 1:
            collect = ShardedCollector(
                make=functools.partial(FilesCollector, files),
                source=EvidenceSource.OFFLINE,
                processes=workers,
            )

        config = RunConfig(
            catalogue=chosen.catalogue,
            operators={},
            targets=tuple(targets),
            profile=chosen.profile,
            controls=chosen.controls,
        )
        result = run_audit(config, collect).result
        if output_format == "table":
            findings_table(result.findings)
            return scan_exit_code(result)
        if output_format == "json":
            data = dumps(findings_document(result, None, result.findings))
        elif output_format == "junit":
            data = scan_junit(result)
        else:
            data = scan_sarif(result, {host: ev[0].path for host, ev in files.items()}, Path.cwd())
        if output is None:
            sys.stdout.buffer.write(data)
        else:
            try:
                output.write_bytes(data)
            except OSError as exc:
                die(f"{output}: cannot write: {exc.strerror or exc}")
        return scan_exit_code(result)

    guard(body)


def findings_table(findings: Iterable[Finding]) -> None:
    table = Table()
    for col in ("host", "control", "severity", "status", "message"):
        table.add_column(col, overflow="fold")
    for f in findings:
        table.add_row(f.host, f.control_id, f.severity.value, f.status.value, f.message[:200])
    out.print(table)
