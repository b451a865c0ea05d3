"""CPU time per pipeline stage, for ``secaudit run --timings`` and ``make bench``.

A stage's time is the CPU time of the thread that runs it (``time.thread_time``), summed over
hosts and, for collector worker processes, over workers. ``setup`` (loading the catalogue,
inventory and keys, once per run) is reported in seconds, not per device. ``collect`` is what
remains of the run's whole CPU time (this process and its finished worker processes) once setup
and the other stages are taken out: sessions, SSH transport threads, reading files, storing
evidence.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

STAGES = ("collect", "parse", "evaluate", "remediate", "report", "sign")
MEASURED = STAGES[1:]


def _zero() -> dict[str, float]:
    return dict.fromkeys(MEASURED, 0.0)


@dataclass
class StageTimes:
    """Seconds of CPU per measured stage (``parse`` ... ``sign``); picklable, mergeable.

    Examples:
        >>> t = StageTimes()
        >>> t.add("parse", 0.5); t.merge(StageTimes({"parse": 0.25}))
        >>> t.cpu["parse"]
        0.75
    """

    cpu: dict[str, float] = field(default_factory=_zero)

    def add(self, stage: str, seconds: float) -> None:
        """Add ``seconds`` to ``stage``."""
        self.cpu[stage] = self.cpu.get(stage, 0.0) + seconds

    def merge(self, other: StageTimes) -> None:
        """Add another process's (or host's) times to these."""
        for stage, seconds in other.cpu.items():
            self.add(stage, seconds)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Count the calling thread's CPU time inside the block as ``name``."""
        start = time.thread_time()
        try:
            yield
        finally:
            self.add(name, time.thread_time() - start)


@contextmanager
def timed(times: StageTimes | None, name: str) -> Iterator[None]:
    """:meth:`StageTimes.stage` when timing is on, else nothing (no clock read)."""
    if times is None:
        yield
        return
    with times.stage(name):
        yield


def process_cpu() -> float:
    """CPU seconds of this process plus its finished (waited-for) child processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident set size in MB: (this process, the largest finished child process)."""
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / (1024 * 1024)  # Linux: KiB, macOS: bytes
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    return own, child


def report(
    times: StageTimes, *, hosts: int, cpu_start: float, wall_seconds: float, workers: int = 0
) -> dict[str, Any]:
    """The ``--timings`` document: CPU ms per device per stage, totals, wall time and peak RSS.

    ``collect`` is the run's whole CPU time minus the measured stages (never below zero).
    """
    total = process_cpu() - cpu_start
    setup = times.cpu.get("setup", 0.0)
    measured = setup + sum(times.cpu.get(s, 0.0) for s in MEASURED)
    seconds: Mapping[str, float] = {
        "collect": max(total - measured, 0.0),
        **{s: times.cpu.get(s, 0.0) for s in MEASURED},
    }
    per = max(hosts, 1)
    own, child = peak_rss_mb()
    return {
        "hosts": hosts,
        "wall_seconds": round(wall_seconds, 3),
        "cpu_seconds": round(total, 3),
        "setup_cpu_seconds": round(setup, 3),
        "cpu_ms_per_device": {s: round(seconds[s] * 1000 / per, 3) for s in STAGES},
        "peak_rss_mb": {
            "main": round(own, 1),
            "largest_worker": round(child, 1),
            "bound": round(own + child * workers, 1),
        },
        "workers": workers,
    }
