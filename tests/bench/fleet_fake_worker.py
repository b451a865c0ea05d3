"""A fleet worker whose devices are cheap fakes (for `make bench-fleet`'s simulated plan only).

It is the real worker's Celery application (same queue, prefix, signing, limits) and result
packing, with the SSH collection replaced by canned text per planned command, so the bench
measures the coordinator and the broker, not the devices. Usage (environment as for
``secaudit worker``): ``fleet_fake_worker.py OPERATOR BROKER_URL KEY CERT TRUST``.
"""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secaudit.collect.text import command_slug, sha256_hex
from secaudit.fleet import wire
from secaudit.fleet.settings import (
    COLLECT_TASK,
    FleetSettings,
    Identity,
    key_prefix,
    make_app,
    password_from_env,
    queue_name,
)
from secaudit.fleet.worker import _announce, pack
from secaudit.models.enums import EvidenceSource, EvidenceState
from secaudit.models.evidence import Evidence, HostEvidence


def main() -> None:
    operator, url, key, cert, trust = sys.argv[1:6]
    settings = FleetSettings(url, password_from_env(), Identity(Path(key), Path(cert), Path(trust)))
    app = make_app(settings, operator, name=f"secaudit-fake-worker-{operator}")
    from celery.app import trace

    trace.LOG_SUCCESS = "Task %(name)s[%(id)s] succeeded in %(runtime)ss"

    @app.task(name=COLLECT_TASK)  # type: ignore[untyped-decorator]
    def collect_shard(msg: dict[str, Any]) -> dict[str, Any]:
        _, targets, plan = wire.read_shard(msg)
        now = datetime.now(UTC)
        hosts = []
        for t in targets:
            evidence = []
            for p in plan.get(t.name, ()):
                text = f"{t.name} {p.command}\n" + "fake output line\n" * 8
                evidence.append(
                    Evidence(
                        host=t.name,
                        platform=t.platform,
                        command=p.command,
                        slug=command_slug(p.command),
                        text=text,
                        sha256=sha256_hex(text.encode()),
                        collected_at=now,
                        source=EvidenceSource.LIVE,
                        state=EvidenceState.OK,
                    )
                )
            hosts.append(HostEvidence(t, tuple(evidence), collected_at=now, seconds=0.0))
        import redis

        with redis.Redis.from_url(app.conf.broker_url) as store:
            return pack(hosts, str(msg["shard"]), store, key_prefix(operator))

    stop = threading.Event()
    threading.Thread(target=_announce, args=(app, operator, stop), daemon=True).start()
    app.worker_main(
        [
            "worker",
            "--queues",
            queue_name(operator),
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--hostname",
            f"fake-{operator}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ]
    )


if __name__ == "__main__":
    main()
