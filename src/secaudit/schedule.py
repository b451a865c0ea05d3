"""Scheduled audits: cron expressions per job, no overlapping runs, retention, completion hooks.

Each job runs the pipeline in-process (:func:`secaudit.pipeline.run.run`, the same call ``secaudit
run`` makes); a job that fails or crashes is reported with its exit code and never takes the
scheduler down, and every device read is bounded by its timeouts. A file lock
(``fcntl.flock``) prevents overlapping runs, also across several scheduler processes. After each
run the newest ``keep_runs`` run folders are kept, and the completion hooks get the exit status:
a command (argument list, no shell) and/or a webhook POST of a JSON document.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, field_validator

from secaudit.errors import ConfigurationError, SecauditError
from secaudit.models.base import Frozen
from secaudit.pipeline.run import AuditRequest
from secaudit.pipeline.run import run as run_pipeline
from secaudit.resources import default_checks, default_templates
from secaudit.yamlio import YamlError, load_model

RUN_DIR = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")


class OnComplete(Frozen):
    """What to do when a job finishes. ``{job}``, ``{exit_code}`` and ``{run_dir}`` are substituted."""

    command: tuple[str, ...] = ()
    webhook: str | None = Field(default=None, pattern=r"^https?://")
    timeout_s: float = Field(default=10.0, gt=0)


class Job(Frozen):
    """One scheduled audit."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    cron: str = Field(description="five-field crontab expression, UTC")
    profile: str = "baseline"
    operators: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    offline: Path | None = None
    quiet: bool = True
    on_complete: OnComplete = OnComplete()

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value, timezone=UTC)
        except ValueError as exc:
            raise ValueError(f"invalid cron expression {value!r}: {exc}") from None
        return value


class Defaults(Frozen):
    """Settings shared by every job."""

    inventory: Path = Path("inventory")
    # the installation's own catalogue and templates (secaudit.resources), not ./checks of the cwd
    checks: Path = Field(default_factory=default_checks)
    templates: Path = Field(default_factory=default_templates)
    output: Path = Path("reports")
    key: Path
    key_passphrase_env: str | None = None
    secrets: Path | None = None
    known_hosts_dir: Path = Path(".secaudit/known_hosts")
    keep_runs: int = Field(default=14, ge=1)
    lock: Path = Path("reports/.schedule.lock")
    waivers: tuple[Path, ...] = ()
    attestations: tuple[Path, ...] = ()


class ScheduleConfig(Frozen):
    """``schedule.yaml``."""

    defaults: Defaults
    jobs: tuple[Job, ...] = Field(min_length=1)


def load_schedule(path: Path) -> ScheduleConfig:
    """Load and validate a schedule file; errors name the file and line."""
    try:
        config = load_model(ScheduleConfig, path)
    except YamlError as exc:
        raise ConfigurationError(str(exc)) from None
    names = [j.name for j in config.jobs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigurationError(f"{path}: duplicate job names: {', '.join(dupes)}")
    return config


@dataclass(frozen=True, slots=True)
class JobResult:
    """Outcome of one job execution."""

    job: str
    exit_code: int | None  # None: skipped because another run held the lock
    run_dir: Path | None
    started_at: datetime
    finished_at: datetime
    detail: str = ""


@contextlib.contextmanager
def run_lock(path: Path) -> Iterator[bool]:
    """Non-blocking exclusive lock; yields False when another run holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def request_for(job: Job, defaults: Defaults) -> AuditRequest:
    """The audit a job asks for (the same request ``secaudit run`` builds from its options)."""
    secret = None
    if defaults.key_passphrase_env:
        value = os.environ.get(defaults.key_passphrase_env)
        if value is None:
            raise ConfigurationError(
                f"environment variable {defaults.key_passphrase_env} (passphrase) is not set"
            )
        secret = value.encode("utf-8")
    return AuditRequest(
        key=defaults.key,
        key_passphrase=secret,
        inventory=defaults.inventory,
        checks=defaults.checks,
        templates=defaults.templates,
        output=defaults.output,
        known_hosts_dir=defaults.known_hosts_dir,
        secrets=defaults.secrets,
        profile=job.profile,
        operators=job.operators,
        roles=job.roles,
        sites=job.sites,
        hosts=job.hosts,
        waivers=defaults.waivers,
        attestations=defaults.attestations,
        offline=job.offline,
        quiet=job.quiet,
    )


def prune_runs(output: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` run folders (names sort by time). Returns what went.

    Examples:
        >>> prune_runs(Path("/nonexistent-secaudit-dir"), 3)
        []
    """
    if not output.is_dir():
        return []
    runs = sorted(p for p in output.iterdir() if p.is_dir() and RUN_DIR.match(p.name))
    doomed = runs[:-keep] if len(runs) > keep else []
    for path in doomed:
        shutil.rmtree(path)
    return doomed


def notify(job: Job, result: JobResult) -> str:
    """Run the completion hooks; returns a one-line summary of what happened."""
    values = {
        "job": job.name,
        "exit_code": "skipped" if result.exit_code is None else str(result.exit_code),
        "run_dir": str(result.run_dir or ""),
    }
    notes = []
    hook = job.on_complete
    if hook.command:
        argv = [part.format(**values) for part in hook.command]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=hook.timeout_s, check=False)
        notes.append(f"command exit {proc.returncode}")
    if hook.webhook:
        body = json.dumps(
            {
                **values,
                "exit_code": result.exit_code,
                "started_at": result.started_at.isoformat(),
                "finished_at": result.finished_at.isoformat(),
                "detail": result.detail,
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - scheme restricted to http(s) by the model
            hook.webhook, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=hook.timeout_s) as response:  # noqa: S310
                notes.append(f"webhook HTTP {response.status}")
        except OSError as exc:
            notes.append(f"webhook failed: {exc}")
    return "; ".join(notes)


def run_job(job: Job, defaults: Defaults) -> JobResult:
    """Run one job now, unless another run holds the lock. Never raises for a failed audit."""
    started = datetime.now(UTC)
    with run_lock(defaults.lock) as acquired:
        if not acquired:
            result = JobResult(
                job.name, None, None, started, datetime.now(UTC), "skipped: another run is active"
            )
        else:
            try:
                outcome = run_pipeline(request_for(job, defaults))
                code, run_dir, detail = outcome.exit_code, outcome.run_dir, ""
            except SecauditError as exc:
                code, run_dir, detail = 2, None, str(exc)[:300]
            except Exception as exc:  # a crashed job never takes the scheduler down
                code, run_dir, detail = 2, None, f"internal error ({type(exc).__name__}: {exc})"[:300]
            prune_runs(defaults.output, defaults.keep_runs)
            result = JobResult(job.name, code, run_dir, started, datetime.now(UTC), detail)
    hook_note = notify(job, result)
    return JobResult(
        result.job,
        result.exit_code,
        result.run_dir,
        result.started_at,
        result.finished_at,
        "; ".join(x for x in (result.detail, hook_note) if x),
    )


def serve(config: ScheduleConfig, jobs: tuple[Job, ...]) -> None:
    """Run the jobs on their cron schedules until interrupted (APScheduler, UTC)."""
    scheduler = BlockingScheduler(timezone=UTC)
    for job in jobs:
        scheduler.add_job(
            run_job,
            CronTrigger.from_crontab(job.cron, timezone=UTC),
            args=(job, config.defaults),
            id=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
    scheduler.start()
