"""Several collector processes: one Python process tops out near 20-24 devices/s (GIL-bound,
docs/collection-notes.md §6), so large fleets are split into chunks collected and evaluated by a process
pool. Each worker runs the same Nornir + netmiko collector, writes each host's evidence to the
shared store as soon as it is done, and evaluates the host with the evaluator it is given (the
pipeline's own, passed as a picklable callable: the collect stage does not import the pipeline).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

from secaudit.collect.credentials import Credential, secret_values
from secaudit.collect.live import LiveCollector, LiveOptions
from secaudit.collect.plan import PlannedCommand
from secaudit.collect.store import EvidenceStore
from secaudit.inventory import init_nornir
from secaudit.models.control import Control
from secaudit.models.enums import EvidenceSource
from secaudit.models.evidence import HostEvidence
from secaudit.models.finding import Finding
from secaudit.models.knobs import Knobs
from secaudit.models.target import Target
from secaudit.timing import StageTimes

#: ``(host, controls, knobs, times) -> findings``: a module-level function, so that it pickles.
Evaluator = Callable[[HostEvidence, Sequence[Control], Knobs, StageTimes | None], tuple[Finding, ...]]


@dataclass(frozen=True, slots=True)
class ChunkJob:
    """Everything a worker needs (picklable)."""

    inventory_dir: Path
    targets: tuple[Target, ...]
    plan: Mapping[str, tuple[PlannedCommand, ...]]
    credentials: Mapping[str, Credential]
    options: LiveOptions
    store_root: Path
    secrets: tuple[str, ...]
    controls: tuple[Control, ...]
    knobs: Mapping[str, Knobs]
    evaluator: Evaluator | None = None
    timed: bool = False


def _run_chunk(job: ChunkJob) -> list[HostEvidence]:
    store = EvidenceStore(job.store_root)
    nornir = init_nornir(job.inventory_dir, num_workers=job.options.num_workers)
    collector = LiveCollector(nornir, job.credentials, job.options, secrets=job.secrets)
    out = []
    for collected in collector.collect(job.targets, job.plan):
        store.write_host(
            collected.target, collected.evidence, collected.state, collected.detail, collected.collected_at
        )
        times = StageTimes() if job.timed else None
        findings = (
            job.evaluator(collected, job.controls, job.knobs[collected.target.operator], times)
            if job.evaluator is not None
            else None
        )
        cpu = dict(times.cpu) if times is not None else None
        out.append(replace(collected, findings=findings, stored=True, cpu=cpu))
    return out


def collect_sharded(
    template: ChunkJob, processes: int, chunk_size: int | None = None
) -> Iterator[HostEvidence]:
    """Split ``template.targets`` into chunks, collect (and evaluate) them on ``processes`` workers.

    By default each process gets about two chunks: every chunk loads the inventory once, so
    fewer, larger chunks cost less, while two per process still balance slow and fast devices.
    """
    targets = template.targets
    if chunk_size is None:
        chunk_size = max(10, -(-len(targets) // (processes * 2)))
    chunks = [targets[i : i + chunk_size] for i in range(0, len(targets), chunk_size)]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        futures = [
            pool.submit(
                _run_chunk,
                replace(template, targets=chunk, plan={t.name: template.plan.get(t.name, ()) for t in chunk}),
            )
            for chunk in chunks
        ]
        for future in as_completed(futures):
            yield from future.result()


@dataclass(frozen=True, slots=True)
class ShardedCollector:
    """Live collection in ``processes`` worker processes (hosts are stored and evaluated there)."""

    inventory_dir: Path
    credentials: Mapping[str, Credential]
    options: LiveOptions
    store_root: Path
    processes: int
    controls: tuple[Control, ...] = ()
    knobs: Mapping[str, Knobs] | None = None
    evaluator: Evaluator | None = None
    timed: bool = False

    @property
    def source(self) -> EvidenceSource:
        """Live evidence."""
        return EvidenceSource.LIVE

    def collect(
        self, targets: tuple[Target, ...], plan: Mapping[str, tuple[PlannedCommand, ...]]
    ) -> Iterator[HostEvidence]:
        """Yield every target, collected (and, with an evaluator, evaluated) by the workers."""
        job = ChunkJob(
            inventory_dir=self.inventory_dir.resolve(),
            targets=targets,
            plan=plan,
            credentials=self.credentials,
            options=self.options,
            store_root=self.store_root,
            secrets=secret_values(self.credentials),
            controls=self.controls,
            knobs=self.knobs or {},
            evaluator=self.evaluator,
            timed=self.timed,
        )
        yield from collect_sharded(job, self.processes)
