"""``secaudit run --engine celery``: the plan sharded over the operators' workers, evidence back.

:class:`CeleryCollector` is an ordinary :class:`~secaudit.collect.base.Collector`: the pipeline
stores, evaluates, reports and signs exactly as with the local engine. The plan is cut per
operator and site into shards of ``chunk_size`` hosts, sent (signed) to the operator's queue, and
each shard's result (a manifest of compressed evidence) is read back as soon as it is ready.

Nothing is lost silently: every target is yielded exactly once (a shard delivered twice after a
worker died is read once), as collected, or ``not_collected`` when no worker of its operator is
online, or ``collector_failed`` when its shard failed on the worker (hard time limit) or produced
no result before the run's deadline. A broker that stays unreachable longer than
``broker_grace`` stops the run with a :class:`~secaudit.errors.CollectionError`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from secaudit.collect.base import HostProcessor, Plan, failed_host
from secaudit.errors import CollectionError
from secaudit.fleet import wire
from secaudit.fleet.settings import COLLECT_TASK, FleetSettings, key_prefix, make_app, queue_name
from secaudit.models.enums import CollectionState, EvidenceSource, EvidenceState
from secaudit.models.evidence import HostEvidence
from secaudit.models.target import Target

#: Hosts per shard (see docs/architecture.md, "Fleet engine", for the measurement behind it).
DEFAULT_CHUNK = 20


def shards(targets: tuple[Target, ...], chunk_size: int) -> list[tuple[str, str, tuple[Target, ...]]]:
    """Cut the targets per operator and site into chunks: (operator, site, hosts).

    Examples:
        >>> from secaudit.models.enums import Environment, Platform, Role
        >>> def t(n, op, site):
        ...     return Target(name=n, hostname="127.0.0.1", platform=Platform.CISCO_XR, operator=op,
        ...                   role=Role.EDGE5G, site=site, environment=Environment.LAB, model="m")
        >>> cut = shards((t("a", "mobile", "s1"), t("b", "telecom", "s1"), t("c", "mobile", "s1"),
        ...               t("d", "mobile", "s2")), 1)
        >>> [(op, site, [h.name for h in hosts]) for op, site, hosts in cut]
        [('mobile', 's1', ['a']), ('mobile', 's1', ['c']), ('mobile', 's2', ['d']), ('telecom', 's1', ['b'])]
    """
    out: list[tuple[str, str, tuple[Target, ...]]] = []
    ordered = sorted(targets, key=lambda t: (t.operator, t.site))
    for (operator, site), group in groupby(ordered, key=lambda t: (t.operator, t.site)):
        hosts = tuple(group)
        for i in range(0, len(hosts), max(1, chunk_size)):
            out.append((operator, site, hosts[i : i + chunk_size]))
    return out


@dataclass
class _Pending:
    operator: str
    shard_id: str
    targets: tuple[Target, ...]


@dataclass
class _Dispatch:
    """One collection's state: shards still to send, shards in flight, hosts already yielded."""

    queues: dict[str, deque[tuple[int, str, tuple[Target, ...]]]]  # per operator: (index, site, hosts)
    plan: Plan
    pending: dict[str, _Pending] = field(default_factory=dict)
    in_flight: Counter[str] = field(default_factory=Counter)
    seen: set[str] = field(default_factory=set)
    offline: dict[str, str] = field(default_factory=dict)
    out: deque[HostEvidence] = field(default_factory=deque)
    marked: set[str] = field(default_factory=set)  # operators whose run marker is set

    @classmethod
    def of(cls, cut: list[tuple[str, str, tuple[Target, ...]]], plan: Plan) -> _Dispatch:
        """The shards queued per operator, in order."""
        queues: dict[str, deque[tuple[int, str, tuple[Target, ...]]]] = {}
        for index, (operator, site, hosts) in enumerate(cut):
            queues.setdefault(operator, deque()).append((index, site, hosts))
        return cls(queues, plan)

    def queued(self) -> int:
        """Hosts not sent yet."""
        return sum(len(hosts) for queue in self.queues.values() for _, _, hosts in queue)

    def done(self, task_id: str) -> _Pending:
        """A shard that is no longer in flight."""
        shard = self.pending.pop(task_id)
        self.in_flight[shard.operator] -= 1
        return shard

    def fail(self, hosts: tuple[Target, ...], state: CollectionState, why: str) -> list[HostEvidence]:
        """The hosts not yielded yet, as not collected (``state``) for ``why``."""
        evidence = (
            EvidenceState.NOT_COLLECTED
            if state is CollectionState.NOT_COLLECTED
            else EvidenceState.COLLECT_ERROR
        )
        out = []
        for t in hosts:
            if t.name not in self.seen:
                self.seen.add(t.name)
                out.append(failed_host(t, self.plan.get(t.name, ()), state, why, evidence))
        return out


@dataclass
class CeleryCollector:
    """Collect through the operators' Celery workers; evaluation stays with the pipeline.

    ``worker_wait``: how long an operator's worker may take to show itself before its hosts are
    ``not_collected``. ``deadline``: the longest the whole collection may take. ``processes``:
    local processes evaluating the arriving hosts (``run --processes``). At most
    ``max_in_flight`` shards per operator are queued or running at once, so neither the broker nor
    this process holds a whole city's plan in messages, and no operator waits for another's.
    """

    settings: FleetSettings
    run_id: str = "run"
    chunk_size: int = DEFAULT_CHUNK
    deadline: float = 3600.0
    worker_wait: float = 5.0
    broker_grace: float = 30.0
    poll: float = 0.1
    max_in_flight: int = 200
    processes: int = 1
    duplicates: int = 0
    _apps: dict[str, Any] = field(default_factory=dict, repr=False)
    _last_alive: dict[str, float] = field(default_factory=dict, repr=False)
    _checked: float = 0.0

    @property
    def source(self) -> EvidenceSource:
        """Live evidence (collected by the workers)."""
        return EvidenceSource.LIVE

    def app(self, operator: str) -> Any:
        """The Celery application for one operator's queue and key prefix (one per operator)."""
        if operator not in self._apps:
            app = make_app(self.settings, operator, name=f"secaudit-coordinator-{operator}")
            # Results are read with MGET (_ready). Celery's Redis backend would otherwise SUBSCRIBE
            # to every sent shard's result channel: Redis would push each result a second time
            # into a socket nobody reads, one subscription per shard.
            app.backend.on_task_call = _no_subscription
            self._apps[operator] = app
        return self._apps[operator]

    def _online(self, operator: str) -> bool:
        client = self.app(operator).backend.client
        end = time.monotonic() + self.worker_wait
        while True:
            if client.exists(f"{key_prefix(operator)}alive"):
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.2)

    def _offline(self, operator: str) -> str:
        return (
            f"no secaudit worker of operator {operator} is online (none announced itself within "
            f"{self.worker_wait:g} s); start `secaudit worker --operator {operator}` in its network"
        )

    def collect(self, targets: tuple[Target, ...], plan: Plan) -> Iterator[HostEvidence]:
        """Send shards (at most ``max_in_flight`` at a time) and yield each host as its shard's
        result arrives."""
        run = _Dispatch.of(shards(targets, self.chunk_size), plan)
        yield from self._gather(run)

    def collect_processed(
        self, targets: tuple[Target, ...], plan: Plan, process: HostProcessor | None
    ) -> Iterator[HostEvidence]:
        """Collect through the workers and, with ``processes`` > 1, evaluate the arriving hosts in
        that many local processes (the pipeline's own ``process``: evaluation stays central)."""
        if process is None or self.processes <= 1:
            yield from self.collect(targets, plan)  # the pipeline processes each host itself
            return
        window: deque[Future[HostEvidence]] = deque()
        with ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("fork")) as pool:
            for host in self.collect(targets, plan):
                window.append(pool.submit(process, host, None))
                while window and (window[0].done() or len(window) > 8 * self.processes):
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()

    def _top_up(self, run: _Dispatch) -> None:
        """Send queued shards up to the in-flight window; offline operators' hosts go to ``run.out``."""
        for operator, queue in run.queues.items():  # a window per operator: none waits for another
            while queue and run.in_flight[operator] < self.max_in_flight:
                index, site, hosts = queue[0]
                if operator not in run.offline:
                    run.offline[operator] = "" if self._online(operator) else self._offline(operator)
                if run.offline[operator]:
                    queue.popleft()
                    run.out.extend(run.fail(hosts, CollectionState.NOT_COLLECTED, run.offline[operator]))
                    continue
                if operator not in run.marked:  # gone after a broker restart = the broker lost its data
                    self.app(operator).backend.client.set(
                        self._marker(operator), "1", ex=int(self.deadline) + 3600
                    )
                    run.marked.add(operator)
                shard_id = f"{self.run_id}/{operator}/{site}/{index}"
                msg = wire.shard_message(self.run_id, shard_id, operator, hosts, run.plan)
                result = self.app(operator).send_task(COLLECT_TASK, args=[msg], queue=queue_name(operator))
                queue.popleft()  # only once sent: a send that fails is retried with the broker
                run.pending[result.id] = _Pending(operator, shard_id, hosts)
                run.in_flight[operator] += 1

    def _gather(self, run: _Dispatch) -> Iterator[HostEvidence]:
        pending = run.pending
        end = time.monotonic() + self.deadline
        unreachable_since: float | None = None
        while pending or run.queued():
            if time.monotonic() >= end:
                break
            try:
                self._top_up(run)
                ready = self._ready(pending)
                gone = self._gone(pending)
                unreachable_since = None
            except CollectionError:
                raise
            except Exception as exc:  # the broker went away: retry for a while, then fail clearly
                if not _connection_error(exc):
                    raise
                now = time.monotonic()
                unreachable_since = unreachable_since or now
                if now - unreachable_since > self.broker_grace:
                    lost = sum(len(p.targets) for p in pending.values())
                    lost += run.queued()
                    raise CollectionError(
                        f"the fleet broker is unreachable since {now - unreachable_since:.0f} s ({exc}); "
                        f"{lost} hosts were not collected, so the run is stopped instead of reporting short"
                    ) from exc
                time.sleep(0.5)
                continue
            while run.out:
                yield run.out.popleft()
            for operator, why in gone.items():  # its worker stopped announcing itself mid-run
                run.offline[operator] = why  # its shards still queued are not sent
                for task_id in [i for i, p in pending.items() if p.operator == operator]:
                    yield from run.fail(run.done(task_id).targets, CollectionState.NOT_COLLECTED, why)
            for task_id, meta in ready:
                if task_id not in pending:
                    continue
                shard = run.done(task_id)
                yield from self._hosts(shard, meta, run.seen, run.plan)
                with contextlib.suppress(Exception):  # read once; an unforgotten result just expires
                    self.app(shard.operator).backend.forget(task_id)
            if not ready:
                time.sleep(self.poll)
        while run.out:
            yield run.out.popleft()
        for shard in pending.values():
            why = (
                f"shard {shard.shard_id} gave no result within the run's {self.deadline:g} s deadline "
                f"(worker of operator {shard.operator} offline or stalled)"
            )
            yield from run.fail(shard.targets, CollectionState.COLLECTOR_FAILED, why)
        for queue in run.queues.values():
            for _index, _site, hosts in queue:
                why = f"not sent before the run's {self.deadline:g} s deadline"
                yield from run.fail(hosts, CollectionState.COLLECTOR_FAILED, why)

    def _marker(self, operator: str) -> str:
        return f"{key_prefix(operator)}run:{self.run_id}"

    def _gone(self, pending: Mapping[str, _Pending]) -> dict[str, str]:
        """Operators with shards pending whose workers all stopped announcing themselves.

        Raises :class:`CollectionError` when the broker no longer knows the run (it restarted
        without its data): the shards in flight are lost, and waiting would only end in timeouts.
        """
        now = time.monotonic()
        if now - self._checked < 2.0:
            return {}
        self._checked = now
        gone: dict[str, str] = {}
        for operator in {p.operator for p in pending.values()}:
            client = self.app(operator).backend.client
            if not client.exists(self._marker(operator)):
                lost = sum(len(p.targets) for p in pending.values())
                raise CollectionError(
                    f"the fleet broker lost this run's state for operator {operator} (restarted without "
                    f"persistence?): {lost} hosts in flight were not collected, so the run is stopped "
                    "instead of reporting short"
                )
            if client.exists(f"{key_prefix(operator)}alive"):
                self._last_alive[operator] = now
                continue
            silent = now - self._last_alive.setdefault(operator, now)
            if silent > self.worker_wait:
                gone[operator] = (
                    f"every secaudit worker of operator {operator} went offline during the run (none "
                    f"announced itself for {silent:.0f} s); its unfinished shards were not collected"
                )
        return gone

    def _ready(self, pending: Mapping[str, _Pending]) -> list[tuple[str, dict[str, Any]]]:
        """The finished shards' result metadata (one MGET per operator and 500 shards)."""
        by_operator: dict[str, list[str]] = {}
        for task_id, shard in pending.items():
            by_operator.setdefault(shard.operator, []).append(task_id)
        ready: list[tuple[str, dict[str, Any]]] = []
        for operator, ids in by_operator.items():
            backend = self.app(operator).backend
            for i in range(0, len(ids), 500):
                batch = ids[i : i + 500]
                values = backend.mget([backend.get_key_for_task(t) for t in batch])
                for task_id, value in zip(batch, values, strict=True):
                    if value is None:
                        continue
                    meta = backend.decode_result(value)
                    if meta.get("status") in ("SUCCESS", "FAILURE", "REVOKED"):
                        ready.append((task_id, meta))
        return ready

    def _hosts(
        self, shard: _Pending, meta: Mapping[str, Any], seen: set[str], plan: Plan
    ) -> Iterator[HostEvidence]:
        by_name = {t.name: t for t in shard.targets}
        got: set[str] = set()
        if meta["status"] == "SUCCESS":
            client = self.app(shard.operator).backend.client
            prefix = key_prefix(shard.operator)
            for entry in meta["result"]["hosts"]:
                name = str(entry["host"])
                if name not in by_name or name in got:
                    continue
                if "ref" in entry:
                    ref = str(entry["ref"])
                    if not ref.startswith(prefix):
                        continue  # a reference outside the operator's own prefix is never followed
                    blob = client.get(ref)
                    client.delete(ref)
                    if blob is None:
                        continue
                else:
                    blob = wire.decode_blob(str(entry["data"]))
                got.add(name)
                if name in seen:
                    self.duplicates += 1
                    continue
                seen.add(name)
                yield wire.unpack_host(blob, by_name)
            why = f"shard {shard.shard_id}: the worker's result did not include this host"
        else:
            error = meta.get("result")
            kind, args = (
                (type(error).__name__, error.args)
                if isinstance(error, BaseException)
                else ("error", (error,))
            )
            detail = ", ".join(str(a) for a in args)
            why = f"shard {shard.shard_id} failed on the {shard.operator} worker: {kind}: {detail}"
            if kind == "TimeLimitExceeded":
                why = (
                    f"shard {shard.shard_id} exceeded the {shard.operator} worker's hard time limit "
                    f"({detail} s) and was stopped"
                )
        for t in shard.targets:
            if t.name not in seen:
                seen.add(t.name)
                yield failed_host(
                    t,
                    plan.get(t.name, ()),
                    CollectionState.COLLECTOR_FAILED,
                    why,
                    EvidenceState.COLLECT_ERROR,
                )


def _no_subscription(producer: Any, task_id: str) -> None:
    """Stands in for the result backend's per-task subscription (results are polled instead)."""


def _connection_error(exc: BaseException) -> bool:
    import redis  # noqa: PLC0415
    from kombu.exceptions import OperationalError  # noqa: PLC0415

    return isinstance(
        exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError | OperationalError | OSError
    )
