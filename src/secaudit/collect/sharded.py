"""Several worker processes, each collecting and processing its share of the hosts.

One Python process tops out near 20-24 devices/s live (GIL-bound, docs/collection-notes.md §6)
and near 40 configurations/s offline, so large runs are split over processes. Each worker runs
an ordinary collector (Nornir + netmiko, saved files, evidence folders) over its share, writes
each host's evidence to the run's store, hands the host to the pipeline's host processor (parse,
evaluate, policy, remediation: the same function the single-process run uses, passed in as a
picklable callable, so the collect stage never imports the pipeline) and sends the finished host
to the parent at once. The parent streams hosts as they arrive, in any order.

A worker that dies (killed, out of memory) never loses a host silently: every host of its share
it had not sent is yielded as ``collector_failed``, naming the worker's error or exit code.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, cast

from secaudit.collect.base import Collector, HostProcessor, Plan, failed_host
from secaudit.collect.credentials import Credential
from secaudit.collect.store import EvidenceStore
from secaudit.models.enums import CollectionState, EvidenceSource
from secaudit.models.evidence import HostEvidence
from secaudit.models.target import Target
from secaudit.timing import StageTimes

if TYPE_CHECKING:
    from secaudit.collect.live import LiveOptions

#: Builds a worker's collector inside the worker process (picklable: a module-level function or a
#: ``functools.partial`` of one, or a picklable collector class).
CollectorFactory = Callable[[], Collector]


def live_collector(
    inventory_dir: Path, credentials: Mapping[str, Credential], options: LiveOptions, secrets: tuple[str, ...]
) -> Collector:
    """A worker's live collector: its own Nornir (inventory loaded once per worker)."""
    from secaudit.collect.live import LiveCollector  # noqa: PLC0415 - offline scans never load the live stack
    from secaudit.inventory import init_nornir  # noqa: PLC0415

    nornir = init_nornir(inventory_dir, num_workers=options.num_workers)
    return LiveCollector(nornir, credentials, options, secrets=secrets)


@dataclass(frozen=True, slots=True)
class _Share:
    """One worker's hosts and everything it needs (picklable)."""

    make: CollectorFactory
    targets: tuple[Target, ...]
    plan: Plan
    store_root: Path | None
    process: HostProcessor | None
    timed: bool


def _finish(host: HostEvidence, share: _Share, store: EvidenceStore | None) -> HostEvidence:
    """Store and process one collected host inside the worker."""
    if store is not None:
        store.write_host(host.target, host.evidence, host.state, host.detail, host.collected_at)
        host = replace(host, stored=True)
    if share.process is None:
        return host
    times = StageTimes() if share.timed else None
    done = share.process(host, times)
    return replace(done, cpu=dict(times.cpu)) if times is not None else done


def _worker(index: int, share: _Share, out: Connection) -> None:
    """Collect, store and process the share's hosts; one message per host, then ``done``.

    ``out`` is this worker's own pipe: a message is sent whole by this process (no feeder thread,
    no lock shared with other workers), so a worker killed mid-message only cuts its own pipe,
    which the parent reads as the worker's death.
    """
    try:
        store = EvidenceStore(share.store_root) if share.store_root is not None else None
        for collected in share.make().collect(share.targets, share.plan):
            out.send(("host", index, _finish(collected, share, store)))
    except BaseException as exc:  # the parent turns the share's missing hosts into errors
        out.send(("error", index, f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        out.send(("done", index, None))
        out.close()


def _shares(targets: tuple[Target, ...], processes: int) -> list[tuple[Target, ...]]:
    """Split targets round-robin, so slow platforms (listed together) spread over the workers.

    Examples:
        >>> _shares(tuple(range(7)), 3)
        [(0, 3, 6), (1, 4), (2, 5)]
        >>> _shares((1,), 4)
        [(1,)]
    """
    return [s for s in (targets[i::processes] for i in range(processes)) if s]


def _lost(
    targets: tuple[Target, ...], plan: Plan, source: EvidenceSource, why: str
) -> Iterator[HostEvidence]:
    """Hosts a dead worker never sent: every planned command is a collection error."""
    for target in targets:
        yield failed_host(
            target, plan.get(target.name, ()), CollectionState.COLLECTOR_FAILED, why, source=source
        )


@dataclass(frozen=True, slots=True)
class ShardedCollector:
    """Any collector, run in ``processes`` worker processes that also process each host.

    ``make`` builds the collector inside each worker (see :func:`live_collector`, or
    ``functools.partial(OfflineCollector, root)``); ``source`` is what that collector reports.
    ``store_root`` (optional) is the run's evidence store, written by the workers.
    """

    make: CollectorFactory
    source: EvidenceSource
    processes: int
    store_root: Path | None = None
    timed: bool = False

    def collect(self, targets: tuple[Target, ...], plan: Plan) -> Iterator[HostEvidence]:
        """Collect (and store) in the workers; the pipeline processes each host itself."""
        return self.collect_processed(targets, plan, None)

    def collect_processed(
        self, targets: tuple[Target, ...], plan: Plan, process: HostProcessor | None
    ) -> Iterator[HostEvidence]:
        """Collect, store and ``process`` every host in the workers; yield each as it finishes."""
        shares = _shares(targets, max(1, self.processes))
        if not shares:
            return
        ctx = multiprocessing.get_context("fork")
        workers: list[tuple[BaseProcess, tuple[Target, ...], Connection]] = []
        for share in shares:
            job = _Share(
                make=self.make,
                targets=share,
                plan={t.name: plan.get(t.name, ()) for t in share},
                store_root=self.store_root,
                process=process,
                timed=self.timed,
            )
            reader, writer = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(len(workers), job, writer), daemon=True)
            proc.start()
            writer.close()  # the worker holds the only writing end: its death closes the pipe
            workers.append((proc, share, reader))
        for host in _drain(workers):
            if isinstance(host, tuple):
                lost, why = host
                yield from _lost(lost, plan, self.source, why)
            else:
                yield host


def _drain(
    workers: list[tuple[BaseProcess, tuple[Target, ...], Connection]],
) -> Iterator[HostEvidence | tuple[tuple[Target, ...], str]]:
    """Yield hosts from the workers' pipes until every worker is done or dead, then (hosts, why)
    per worker for the hosts it never sent.

    A pipe that ends (or breaks mid-message) before its worker said ``done`` means the worker
    died (killed, out of memory, ``os._exit``): its remaining hosts are reported, never waited for.
    """
    seen: set[str] = set()
    errors: dict[int, str] = {}
    pending = {reader: i for i, (_, _, reader) in enumerate(workers)}
    try:
        while pending:
            for ready in wait(list(pending)):
                reader = cast(Connection, ready)
                index = pending[reader]
                try:
                    kind, _, payload = reader.recv()
                except (EOFError, OSError, pickle.UnpicklingError):
                    kind, payload = "done", None  # the worker is gone
                if kind == "host":
                    seen.add(payload.target.name)
                    yield payload
                elif kind == "error":
                    errors[index] = payload
                else:
                    del pending[reader]
                    reader.close()
    finally:
        for reader in pending:
            reader.close()
        for proc, _, _ in workers:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
    for i, (proc, share, _) in enumerate(workers):
        missing = tuple(t for t in share if t.name not in seen)
        if missing:
            why = errors.get(i) or f"the collector worker process exited with code {proc.exitcode}"
            yield missing, f"not collected: {why}"
