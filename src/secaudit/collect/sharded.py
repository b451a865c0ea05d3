"""Several collector processes: one Python process tops out near 20-24 devices/s (GIL-bound,
collection notes §6), so large fleets are split into chunks collected and evaluated by a process
pool. Each worker runs the same Nornir + netmiko collector and the same evaluator as a
single-process run, and writes each host's evidence to the shared store as soon as it is done.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from secaudit.collect.credentials import Credential
from secaudit.collect.live import LiveCollector, LiveOptions
from secaudit.collect.plan import PlannedCommand
from secaudit.collect.store import EvidenceStore
from secaudit.inventory import init_nornir
from secaudit.models.control import Control
from secaudit.models.evidence import HostEvidence
from secaudit.models.finding import Finding
from secaudit.models.knobs import Knobs
from secaudit.models.target import Target
from secaudit.pipeline import evaluate_host


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


def evaluate(collection: HostEvidence, controls: Sequence[Control], knobs: Knobs) -> list[Finding]:
    """Evaluate one collected host (the same function a single-process run uses)."""
    return evaluate_host(collection.target, collection.evidence, controls, knobs)


def _run_chunk(job: ChunkJob) -> list[tuple[HostEvidence, list[Finding]]]:
    store = EvidenceStore(job.store_root)
    nornir = init_nornir(job.inventory_dir, num_workers=job.options.num_workers)
    collector = LiveCollector(nornir, job.credentials, job.options, secrets=job.secrets)
    out = []
    for collected in collector.collect(job.targets, job.plan):
        store.write_host(
            collected.target, collected.evidence, collected.state, collected.detail, collected.collected_at
        )
        out.append((collected, evaluate(collected, job.controls, job.knobs[collected.target.operator])))
    return out


def collect_sharded(
    template: ChunkJob, processes: int, chunk_size: int | None = None
) -> Iterator[tuple[HostEvidence, list[Finding]]]:
    """Split ``template.targets`` into chunks, collect and evaluate them on ``processes`` workers.

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
                ChunkJob(
                    template.inventory_dir,
                    chunk,
                    {t.name: template.plan.get(t.name, ()) for t in chunk},
                    template.credentials,
                    template.options,
                    template.store_root,
                    template.secrets,
                    template.controls,
                    template.knobs,
                ),
            )
            for chunk in chunks
        ]
        for future in as_completed(futures):
            yield from future.result()
