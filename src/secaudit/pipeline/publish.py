"""Write and sign a run's bundles: atomic at the run level (``.partial-<run-id>`` renamed at the end).

Operator bundles are independent, so a large run writes them in parallel: the operators are
split by their number of findings between this process and forked report workers (one per spare
core), each writing whole bundles. The files are the same bytes whichever process writes them.
"""

from __future__ import annotations

import dataclasses
import functools
import multiprocessing
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from secaudit.errors import ReportError, SecauditError
from secaudit.evaluate.city import share_rows
from secaudit.evaluate.coverage import CoverageRow
from secaudit.inventory import operators_of
from secaudit.models.city import CityTargets, DeclaredKpis
from secaudit.models.finding import RunResult
from secaudit.models.profile import Attestation, Waiver
from secaudit.provenance import write_provenance
from secaudit.report.bundle import CityExtras, write_city_bundle, write_operator_bundle
from secaudit.report.formats import preload
from secaudit.sign.manifest import RunStamp, sign_bundle
from secaudit.sign.suites import Signer
from secaudit.timing import StageTimes, timed


def city_extras(
    result: RunResult,
    targets: CityTargets | None,
    kpis: DeclaredKpis | None,
    coverage: Iterable[CoverageRow] = (),
) -> CityExtras:
    """JSON-ready city sections: annex targets with measured/declared values, census, coverage."""
    operators = operators_of(result.targets)
    target_rows: list[dict[str, Any]] = []
    if targets is not None:
        shares = {r.operator: r for r in share_rows(targets, result.pon_census, operators)}
        for t in targets.targets:
            per_op = []
            for op in sorted(set(t.values) | set(operators), key=lambda o: (o not in operators, o)):
                entry: dict[str, Any] = {
                    "operator": op,
                    "target": t.values.get(op),
                    "value": None,
                    "meets": None,
                }
                if t.kind == "measured" and op in shares:
                    sr = shares[op]
                    entry.update(
                        value=sr.measured_pct,
                        meets=sr.meets,
                        complete=sr.complete,
                        olts=sr.olts,
                        ten_g_ports=sr.ten_g_ports,
                        total_ports=sr.total_ports,
                    )
                elif t.kind == "declared" and kpis is not None:
                    value = kpis.operators.get(op, {}).get(t.id)
                    entry.update(
                        value=value,
                        meets=None if value is None or entry["target"] is None else value >= entry["target"],
                    )
                per_op.append(entry)
            target_rows.append({**t.model_dump(mode="json"), "operators": per_op})
    return CityExtras(
        targets=target_rows,
        kpi_source=f"{kpis.source} (declared {kpis.declared_at:%Y-%m-%d})" if kpis is not None else "",
        coverage=[dataclasses.asdict(r) for r in coverage],
        census=[c.model_dump(mode="json") | {"total": c.total, "ten_g": c.ten_g} for c in result.pon_census],
    )


def partial_dir(output_root: Path, run_id: str) -> Path:
    """Where a run is assembled before it is renamed into place (created empty)."""
    output_root.mkdir(parents=True, exist_ok=True)
    final = output_root / run_id
    if final.exists():
        raise ReportError(f"{final}: run folder already exists")
    partial = output_root / f".partial-{run_id}"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()
    return partial


@dataclass(frozen=True, slots=True)
class Provenance:
    """What goes into each operator bundle's ``provenance/`` (see :mod:`secaudit.provenance`)."""

    checks_root: Path
    params: Mapping[str, Any]
    waivers: tuple[Waiver, ...] = ()
    attestations: tuple[Attestation, ...] = ()


@dataclass(frozen=True, slots=True)
class _Job:
    """Everything needed to write and sign one bundle of a run (shared by forked workers)."""

    result: RunResult
    partial: Path
    templates_dir: Path
    lang: str | None
    remediation: Mapping[str, str]
    provenance: Provenance | None
    stamp: RunStamp | None
    private_key: Signer | Ed25519PrivateKey | None
    operator_keys: Mapping[str, Signer | Ed25519PrivateKey]

    def sign(self, bundle: Path, times: StageTimes | None) -> None:
        """Sign ``bundle`` (with its operator's own key when it has one); nothing without a key."""
        if self.private_key is None or self.stamp is None:
            return
        with timed(times, "sign"):
            sign_bundle(bundle, self.operator_keys.get(bundle.name, self.private_key), self.stamp)

    def operators(self, ops: Sequence[str], times: StageTimes | None) -> None:
        """Write (reports, evidence, remediation, provenance) and sign the bundles of ``ops``."""
        for op in ops:
            with timed(times, "report"):
                folder = write_operator_bundle(
                    self.partial,
                    self.templates_dir,
                    self.result,
                    op,
                    lang=self.lang,
                    remediation=self.remediation,
                )
                if self.provenance is not None:
                    write_provenance(
                        folder,
                        self.result,
                        [t for t in self.result.targets if t.operator == op],
                        checks_root=self.provenance.checks_root,
                        params=self.provenance.params,
                        waivers=self.provenance.waivers,
                        attestations=self.provenance.attestations,
                    )
            self.sign(folder, times)

    def in_worker(self, ops: Sequence[str]) -> StageTimes:
        """:meth:`operators` in a report worker process: returns the worker's stage times."""
        own = StageTimes()
        self.operators(ops, own)
        return own


def publish(
    result: RunResult,
    partial: Path,
    templates_dir: Path,
    private_key: Signer | Ed25519PrivateKey | None,
    *,
    lang: str | None = None,
    extras: CityExtras | None = None,
    remediation: Mapping[str, str] | None = None,
    provenance: Provenance | None = None,
    operator_keys: Mapping[str, Signer | Ed25519PrivateKey] | None = None,
    times: StageTimes | None = None,
    processes: int | None = None,
) -> Path:
    """Write every bundle of a run and sign each one; atomic at the run level.

    ``partial`` (from :func:`partial_dir`) already holds ``evidence/`` from the evidence store.
    Bundles are built there and the folder is renamed to ``<output_root>/<run_id>/`` only after
    every bundle is written and signed, so an interrupted run leaves no folder that looks complete.
    ``operator_keys`` signs an operator's bundle with that operator's own key (the city and
    evidence bundles, and operators without one, use ``private_key``). ``remediation`` holds each
    host's plan text from the remediation stage; the report stage only writes it. ``processes``
    caps the processes writing and signing operator bundles (default: one per available core;
    see :func:`report_processes`); the bytes written are the same for any number.
    """
    final = partial.parent / result.run.id
    stamp = None
    if private_key is not None:
        stamp = RunStamp(
            run_id=result.run.id,
            tool_version=result.run.tool_version,
            checks_digest=result.run.checks_digest,
            started_at=result.run.started_at.isoformat(),
            finished_at=result.run.finished_at.isoformat(),
        )
    job = _Job(
        result,
        partial,
        templates_dir,
        lang,
        remediation or {},
        provenance,
        stamp,
        private_key,
        operator_keys or {},
    )
    operators = operators_of(result.targets)
    weights = dict.fromkeys(operators, 1)
    for f in result.findings:
        if f.operator in weights:
            weights[f.operator] += 1
    own, *shares = [group for group in split_work(weights, report_processes(result, processes)) if group] or [
        []
    ]
    if shares:
        preload(templates_dir, (lang or result.operators[op].lang for op in operators))
    workers: list[_Worker] = []
    try:
        try:
            for share in shares:
                workers.append(_Worker.start(functools.partial(job.in_worker, share)))
            job.operators(own, times)
            with timed(times, "report"):
                city = write_city_bundle(partial, templates_dir, result, lang or "zh-CN", extras)
            job.sign(city, times)
            if (partial / "evidence").is_dir():
                # Workers may still copy host folders out of it; signing adds top-level files only.
                job.sign(partial / "evidence", times)
            for worker in workers:
                worker_times = worker.wait()
                if times is not None:
                    times.merge(worker_times)
        finally:
            for worker in workers:
                worker.stop()
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


#: Below this many findings a run is written in one process (a fork costs more than it saves).
PARALLEL_MIN_FINDINGS = 2000


def report_processes(result: RunResult, wanted: int | None = None) -> int:
    """How many processes write the operator bundles of ``result``.

    One when the run is small, when only one operator has a bundle, when ``fork`` is not
    available or when other threads are running (forking a threaded process is unsafe); else
    ``wanted`` (default: the cores this process may use), at most one per operator.
    """
    operators = len(operators_of(result.targets))
    if operators < 2 or len(result.findings) < PARALLEL_MIN_FINDINGS:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(wanted if wanted is not None else cores, operators))


def split_work(weights: Mapping[str, int], parts: int) -> list[list[str]]:
    """Split names into ``parts`` groups of about equal total weight (heaviest first, greedy).

    Each group keeps the names' original order. The first group is the lightest (the calling
    process also writes the city bundle and signs the evidence bundle).

    Examples:
        >>> split_work({"a": 5, "b": 3, "c": 3, "d": 2}, 2)
        [['b', 'c'], ['a', 'd']]
        >>> split_work({"a": 1}, 3)
        [[], [], ['a']]
    """
    bins: list[list[str]] = [[] for _ in range(parts)]
    totals = [0] * parts
    for name in sorted(weights, key=lambda n: -weights[n]):
        i = totals.index(min(totals))
        bins[i].append(name)
        totals[i] += weights[name]
    order = {name: k for k, name in enumerate(weights)}
    ranked = sorted(range(parts), key=lambda i: (totals[i], i))
    return [sorted(bins[i], key=order.__getitem__) for i in ranked]


@dataclass(slots=True)
class _Worker:
    """A forked process running one task; :meth:`wait` gives its stage times or re-raises its error."""

    process: BaseProcess
    inbox: Connection

    @classmethod
    def start(cls, task: Callable[[], StageTimes]) -> _Worker:
        ctx = multiprocessing.get_context("fork")
        inbox, outbox = ctx.Pipe(duplex=False)

        def run() -> None:
            try:
                outbox.send(("ok", task()))
            except BaseException as exc:  # every failure goes back to the parent
                error = exc if isinstance(exc, SecauditError) else ReportError(f"{type(exc).__name__}: {exc}")
                try:
                    outbox.send(("error", error))
                except Exception:  # an unpicklable error still says what it was
                    outbox.send(("error", ReportError(str(exc))))
            finally:
                outbox.close()

        process = ctx.Process(target=run, name="secaudit-report", daemon=True)
        process.start()
        outbox.close()
        return cls(process, inbox)

    def wait(self) -> StageTimes:
        try:
            kind, payload = self.inbox.recv()
        except EOFError:
            self.process.join()
            raise ReportError(
                f"a report worker process exited with code {self.process.exitcode} before it finished"
            ) from None
        finally:
            self.inbox.close()
        self.process.join()
        if kind == "error":
            raise payload
        times: StageTimes = payload
        return times

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
