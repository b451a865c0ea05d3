"""``secaudit worker --operator OP``: a Celery worker inside one operator's management network.

The worker holds what never crosses the broker: the operator's device credentials (environment or
secrets file, :mod:`secaudit.collect.credentials`) and its known_hosts folder. It consumes only
its operator's queue, refuses hosts of any other operator, checks every planned command against
the platform's read-only allowlist itself (a refused command means the host is not contacted at
all), and collects with the same Nornir + netmiko code as the local engine, with Nornir's logging
off and every connection closed, failed hosts included. Collection runs in a prefork pool child
under a hard time limit (soft limits do not stop Nornir's threads).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secaudit.collect.base import failed_host
from secaudit.collect.credentials import Credential, scrub, secret_values
from secaudit.collect.live import LiveCollector, LiveOptions, ReadOnlyViolationError, check_read_only
from secaudit.collect.plan import PlannedCommand
from secaudit.errors import ConfigurationError
from secaudit.fleet import wire
from secaudit.fleet.settings import COLLECT_TASK, PING_TASK, FleetSettings, key_prefix, make_app, queue_name
from secaudit.models.enums import CollectionState, EvidenceState
from secaudit.models.evidence import HostEvidence
from secaudit.models.target import Target
from secaudit.platforms import get_platform

#: How often a worker announces itself (``<prefix>alive``, expiring after :data:`ALIVE_TTL`).
ALIVE_EVERY = 2.0
ALIVE_TTL = 10


@dataclass(frozen=True, slots=True)
class WorkerContext:
    """What one operator's worker holds locally (never sent over the broker)."""

    operator: str
    credentials: Mapping[str, Credential] = field(repr=False)
    options: LiveOptions
    allow_non_loopback: bool = False


def _nornir(targets: tuple[Target, ...], options: LiveOptions) -> Any:
    """An in-memory Nornir for the shard's hosts: logging off, no ~/.ssh/config, threaded runner."""
    from nornir.core import Nornir  # noqa: PLC0415
    from nornir.core.configuration import Config, LoggingConfig, SSHConfig  # noqa: PLC0415
    from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory  # noqa: PLC0415
    from nornir.plugins.runners import ThreadedRunner  # noqa: PLC0415

    hosts = Hosts(
        {
            t.name: Host(
                t.name, hostname=t.hostname, port=t.port, platform=t.platform.value, defaults=Defaults()
            )
            for t in targets
        }
    )
    config = Config(
        logging=LoggingConfig(enabled=False),
        ssh=SSHConfig(config_file=str(options.known_hosts_dir / "ssh_config.none")),
    )
    return Nornir(
        inventory=Inventory(hosts=hosts, groups=Groups(), defaults=Defaults()),
        config=config,
        runner=ThreadedRunner(num_workers=options.num_workers),
    )


def _refusal(ctx: WorkerContext, target: Target, plan: tuple[PlannedCommand, ...]) -> str:
    """Why this worker will not contact the host (empty when it will)."""
    from secaudit.pipeline.run import is_loopback  # noqa: PLC0415

    if target.operator != ctx.operator:
        return f"refused by the {ctx.operator} worker: host belongs to operator {target.operator}"
    if not ctx.allow_non_loopback and not is_loopback(target.hostname):
        return f"refused by the {ctx.operator} worker: {target.hostname} is not on loopback"
    spec = get_platform(target.platform)
    for item in plan:
        try:
            check_read_only(spec, item.command)
        except ReadOnlyViolationError as exc:
            return f"refused by the {ctx.operator} worker: {exc}"
    return ""


def collect(
    ctx: WorkerContext, targets: tuple[Target, ...], plan: Mapping[str, tuple[PlannedCommand, ...]]
) -> list[HostEvidence]:
    """Collect a shard: refused hosts are never contacted; every host comes back exactly once."""
    out: list[HostEvidence] = []
    runnable: list[Target] = []
    for target in targets:
        why = _refusal(ctx, target, plan.get(target.name, ()))
        if why:
            out.append(
                failed_host(
                    target,
                    plan.get(target.name, ()),
                    CollectionState.COMMAND_REJECTED,
                    why,
                    EvidenceState.COLLECT_ERROR,
                )
            )
        else:
            runnable.append(target)
    if not runnable:
        return out
    for name in ("nornir", "paramiko", "netmiko"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    nornir = _nornir(tuple(runnable), ctx.options)
    collector = LiveCollector(nornir, ctx.credentials, ctx.options, secrets=secret_values(ctx.credentials))
    try:
        out.extend(collector.collect(tuple(runnable), plan))
    finally:
        with contextlib.suppress(Exception):  # every session, failed hosts included
            nornir.close_connections(on_failed=True)
    return out


def pack(hosts: list[HostEvidence], shard_id: str, store: Any, prefix: str) -> dict[str, Any]:
    """The shard's result manifest: compressed evidence inline, or by reference once too large."""
    entries: list[dict[str, Any]] = []
    inline = 0
    for index, host in enumerate(hosts):
        blob = wire.pack_host(host)
        if len(blob) > wire.HOST_LIMIT:
            why = (
                f"evidence is {len(blob)} bytes compressed, over the {wire.HOST_LIMIT}-byte limit of one host"
            )
            blob = wire.pack_host(
                failed_host(
                    host.target,
                    [PlannedCommand(e.command, False) for e in host.evidence],
                    CollectionState.COLLECTOR_FAILED,
                    why,
                    EvidenceState.COLLECT_ERROR,
                )
            )
        if inline + len(blob) <= wire.INLINE_LIMIT or store is None:
            inline += len(blob)
            entries.append({"host": host.target.name, "data": wire.encode_blob(blob)})
            continue
        key = f"{prefix}evidence:{shard_id}:{index}"
        store.set(key, blob, ex=wire.REFERENCE_TTL)
        entries.append({"host": host.target.name, "ref": key})
    return {"shard": shard_id, "hosts": entries}


_CONTEXT: dict[str, WorkerContext] = {}


def register_tasks(app: Any, operator: str) -> None:
    """The worker's tasks, bound to the context installed by :func:`serve`."""

    @app.task(name=COLLECT_TASK, bind=True)  # type: ignore[untyped-decorator]
    def collect_shard(self: Any, msg: dict[str, Any]) -> dict[str, Any]:
        ctx = _CONTEXT[operator]
        _, targets, plan = wire.read_shard(msg)  # each target's own operator is checked per host
        try:
            hosts = collect(ctx, targets, plan)
        except Exception as exc:  # what crosses the broker never carries a credential
            text = scrub(f"{type(exc).__name__}: {exc}", secret_values(ctx.credentials))
            raise RuntimeError(f"the {ctx.operator} worker could not collect the shard: {text}") from None
        import redis  # noqa: PLC0415

        with redis.Redis.from_url(app.conf.broker_url) as store:
            return pack(hosts, str(msg["shard"]), store, key_prefix(operator))

    @app.task(name=PING_TASK)  # type: ignore[untyped-decorator]
    def ping(value: str) -> str:
        return f"{operator}:{value}"


def _announce(app: Any, operator: str, stop: threading.Event) -> None:
    """Keep ``<prefix>alive`` set while the worker runs (the coordinator's liveness check)."""
    import redis  # noqa: PLC0415

    key = f"{key_prefix(operator)}alive"
    while not stop.is_set():
        with contextlib.suppress(Exception), redis.Redis.from_url(app.conf.broker_url) as client:
            while not stop.is_set():
                client.set(key, "1", ex=ALIVE_TTL)
                stop.wait(ALIVE_EVERY)
        stop.wait(ALIVE_EVERY)


def serve(
    settings: FleetSettings, ctx: WorkerContext, *, concurrency: int = 2, loglevel: str = "INFO"
) -> None:
    """Run the worker until it is stopped (SIGTERM: warm shutdown)."""
    if not ctx.credentials:
        raise ConfigurationError(
            f"no credentials for operator {ctx.operator}: set SECAUDIT_{ctx.operator.upper()}_USERNAME/"
            "_PASSWORD or pass --secrets"
        )
    if not ctx.options.known_hosts_dir.is_dir():
        raise ConfigurationError(f"{ctx.options.known_hosts_dir}: known_hosts folder not found")
    app = make_app(settings, ctx.operator, name=f"secaudit-worker-{ctx.operator}")
    from celery.app import trace  # noqa: PLC0415

    # the worker's log names each shard and its run time, never the evidence it returns
    trace.LOG_SUCCESS = "Task %(name)s[%(id)s] succeeded in %(runtime)ss"
    _CONTEXT[ctx.operator] = ctx
    register_tasks(app, ctx.operator)
    stop = threading.Event()
    beat = threading.Thread(
        target=_announce, args=(app, ctx.operator, stop), daemon=True, name="secaudit-alive"
    )
    beat.start()
    try:
        app.worker_main(
            [
                "worker",
                "--queues",
                queue_name(ctx.operator),
                "--pool",
                "prefork",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"{ctx.operator}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                loglevel,
            ]
        )
    finally:
        stop.set()


def context(
    operator: str,
    credentials: Mapping[str, Credential],
    known_hosts: Path,
    options: LiveOptions,
    allow_non_loopback: bool,
) -> WorkerContext:
    """The worker's context, keeping only its own operator's credentials."""
    own = {operator: credentials[operator]} if operator in credentials else {}
    return WorkerContext(operator, own, options, allow_non_loopback)
