"""Scheduled audits: cron expressions per job, no overlapping runs, retention, completion hooks.

Each job runs ``secaudit run`` in a child process (same interpreter), so a crash or a hung
device never takes the scheduler down. A file lock (``fcntl.flock``) prevents overlapping runs,
also across several scheduler processes. After each run the newest ``keep_runs`` run folders are
kept, and the completion hooks get the exit status: a command (argument list, no shell) and/or a
webhook POST of a JSON document.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, field_validator

from secaudit.errors import ConfigurationError
from secaudit.models.base import Frozen
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
    checks: Path = Path("checks")
    templates: Path = Path("templates")
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


def command_for(job: Job, defaults: Defaults, latest_file: Path) -> list[str]:
    """The ``secaudit run`` argument list for a job (no shell is involved)."""
    cmd = [sys.executable, "-m", "secaudit", "run"]
    cmd += ["--inventory", str(defaults.inventory), "--checks", str(defaults.checks)]
    cmd += ["--templates", str(defaults.templates), "--output", str(defaults.output)]
    cmd += ["--key", str(defaults.key), "--profile", job.profile, "--latest-file", str(latest_file)]
    cmd += ["--known-hosts-dir", str(defaults.known_hosts_dir)]
    if defaults.key_passphrase_env:
        cmd += ["--key-passphrase-env", defaults.key_passphrase_env]
    if defaults.secrets is not None:
        cmd += ["--secrets", str(defaults.secrets)]
    for flag, values in (
        ("--operator", job.operators),
        ("--role", job.roles),
        ("--site", job.sites),
        ("--host", job.hosts),
    ):
        for value in values:
            cmd += [flag, value]
    for path in defaults.waivers:
        cmd += ["--waivers", str(path)]
    for path in defaults.attestations:
        cmd += ["--attestations", str(path)]
    if job.offline is not None:
        cmd += ["--offline", str(job.offline)]
    if job.quiet:
        cmd.append("--quiet")
    return cmd


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
            latest = defaults.output / f".latest-{job.name}"
            latest.unlink(missing_ok=True)
            proc = subprocess.run(
                command_for(job, defaults, latest), capture_output=True, text=True, check=False
            )
            run_dir = Path(latest.read_text().strip()) if latest.is_file() else None
            detail = (proc.stderr.strip().splitlines() or [""])[-1][:300]
            prune_runs(defaults.output, defaults.keep_runs)
            result = JobResult(job.name, proc.returncode, run_dir, started, datetime.now(UTC), detail)
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
