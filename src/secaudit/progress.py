"""Run progress: a rich progress bar per operator (hosts done, failed, rate), or JSON lines.

``--quiet`` turns the bars off (cron); ``--log-json`` writes one JSON object per host and one per
run to stderr, with secret values scrubbed.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from secaudit.collect.credentials import scrub
from secaudit.health import collection_health
from secaudit.models.enums import CollectionState
from secaudit.models.finding import RunResult
from secaudit.models.target import Target


class RunProgress:
    """Thread-safe progress reporting for a run."""

    def __init__(
        self, targets: tuple[Target, ...], *, enabled: bool, log_json: bool, secrets: tuple[str, ...]
    ) -> None:
        self._lock = threading.Lock()
        self._log_json = log_json
        self._secrets = secrets
        self._start = time.monotonic()
        self._totals = Counter(t.operator for t in targets)
        self._failed: Counter[str] = Counter()
        self._done: Counter[str] = Counter()
        console = Console(stderr=True)
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        if enabled and console.is_terminal:
            self._progress = Progress(
                TextColumn("{task.description:<10}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("failed {task.fields[failed]}"),
                TextColumn("{task.fields[rate]:.1f} dev/s"),
                TimeElapsedColumn(),
                console=console,
            )
            for op, total in sorted(self._totals.items()):
                self._tasks[op] = self._progress.add_task(op, total=total, failed=0, rate=0.0)

    def __enter__(self) -> RunProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _emit(self, record: dict[str, Any]) -> None:
        if self._log_json:
            line = scrub(json.dumps(record, ensure_ascii=False, sort_keys=True), self._secrets)
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    def host_done(self, target: Target, state: CollectionState, detail: str, seconds: float | None) -> None:
        """One host finished collection."""
        with self._lock:
            self._done[target.operator] += 1
            if state is not CollectionState.OK:
                self._failed[target.operator] += 1
            elapsed = max(time.monotonic() - self._start, 1e-6)
            rate = sum(self._done.values()) / elapsed
            if self._progress is not None:
                self._progress.update(
                    self._tasks[target.operator], advance=1, failed=self._failed[target.operator], rate=rate
                )
            self._emit(
                {
                    "event": "host",
                    "host": target.name,
                    "operator": target.operator,
                    "state": state.value,
                    "detail": detail,
                    "seconds": None if seconds is None else round(seconds, 3),
                }
            )

    def warn(self, message: str) -> None:
        """A non-fatal warning (e.g. an unreadable meta.json)."""
        with self._lock:
            if self._log_json:
                self._emit({"event": "warning", "message": message})
            else:
                sys.stderr.write(f"warning: {scrub(message, self._secrets)}\n")

    def finished(self, result: RunResult, run_dir: Path, code: int) -> None:
        """The run is written and signed."""
        health = collection_health(result)
        self._emit(
            {
                "event": "run",
                "run_id": result.run.id,
                "run_dir": str(run_dir),
                "exit_code": code,
                "hosts": len(result.targets),
                "collection_failed": len(health.failed),
                "completeness": health.completeness.value,
                "not_fully_collected": [
                    {"host": r.host, "operator": r.operator, "state": r.state.value, "detail": r.detail}
                    for r in sorted(health.failed, key=lambda r: r.host)
                ],
                "seconds": round(time.monotonic() - self._start, 3),
            }
        )
