"""`make bench-fleet`: the local engine versus Celery with 2 workers, on the same lab devices.

One lab of N devices (BENCH_FLEET_N, default 200; the issue's target size is 2,000), half
telecom and half mobile, two sites each. In the same run:

1. ``local``: ``secaudit run`` in-process with ``--processes 2`` (the local engine's best on 2 cores);
2. ``celery``: the same run with ``--engine celery``, one ``secaudit worker`` per operator
   (concurrency 1 each: 2 collecting processes, like the local run), a private redis-server on
   127.0.0.1 with the fleet's ACL users and signed messages;
3. the chunk sweep: the celery run at chunk sizes BENCH_FLEET_CHUNKS (default 5,25,100).

It prints devices/s of each and, last, ``celery/local ratio: X`` (celery devices/s over local
devices/s at the default chunk size; the issue's target is at least 0.95). Findings of the two
engines are compared too (a benchmark of a wrong answer is worthless).
Not a test: timing targets live here, never in the test suite. The machine is shared: run it as
``flock /tmp/secaudit-bench.lock make bench-fleet`` and repeat to see the noise.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "fleet"))

from fleet_support import Identities, RedisServer, coordinator_settings, start_worker  # noqa: E402

from secaudit.fleet.engine import DEFAULT_CHUNK, CeleryCollector  # noqa: E402
from secaudit.lab.fleet import FAMILIES, LabPaths, _device, start_lab  # noqa: E402
from secaudit.lab.model import FaultMode  # noqa: E402
from secaudit.pipeline.run import AuditRequest, RunOutcome, run  # noqa: E402
from secaudit.sign.keys import generate_keypair  # noqa: E402

ROOT = HERE.parents[1]
PASSWORD = "Bench-Fleet-Passw0rd-1"
PLATFORMS = [p for p in FAMILIES if p not in ("huawei_ont", "fiberhome_an")]


def _fleet(n: int) -> list:  # type: ignore[type-arg]
    out = []
    for i in range(n):
        op = ("telecom", "mobile")[i % 2]
        platform = PLATFORMS[(i // 2) % len(PLATFORMS)]
        site = ("s1", "s2")[(i // 4) % 2]
        out.append(
            _device(f"fb-{i:05d}", platform, op, site, password=PASSWORD, variants=(), fault=FaultMode.NONE)
        )
    return out


def _request(paths: LabPaths, key: Path, out: Path, **kw: object) -> AuditRequest:
    return AuditRequest(
        key=key,
        inventory=paths.inventory,
        checks=ROOT / "checks",
        templates=ROOT / "templates",
        output=out,
        history_db=out / "h.sqlite3",
        secrets=paths.secrets,
        known_hosts_dir=paths.known_hosts,
        timeout=30.0,
        config_timeout=60.0,
        quiet=True,
        **kw,  # type: ignore[arg-type]
    )


def _timed(label: str, n: int, body: object) -> tuple[float, RunOutcome]:
    started = time.perf_counter()
    outcome = body()  # type: ignore[operator]
    seconds = time.perf_counter() - started
    rate = n / seconds
    bad = sum(r.state.value != "ok" for r in outcome.result.collection)
    print(f"{label}: {n} devices in {seconds:.1f} s = {rate:.1f} devices/s ({bad} not ok)", flush=True)
    return rate, outcome


def _status(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def simulate(sizes: list[int]) -> None:
    """The coordinator's collector alone over a plan of fake devices answered inside the workers."""
    import gc
    import subprocess

    from secaudit.collect.plan import build_plan
    from secaudit.evaluate.loader import load_catalogue
    from secaudit.fleet.broker import worker_user
    from secaudit.fleet.settings import PASSWORD_ENV, key_prefix
    from secaudit.models.enums import Environment, Platform, Role
    from secaudit.models.target import Target

    with tempfile.TemporaryDirectory(prefix="secaudit-bench-fleet-sim-") as tmp_name:
        tmp = Path(tmp_name)
        server = RedisServer(tmp / "redis").start()
        ids = Identities.create(tmp / "ids")
        procs = []
        try:
            for op in ("telecom", "mobile"):
                ident = ids.worker(op)
                env = {**os.environ, PASSWORD_ENV: server.passwords[worker_user(op)]}
                cmd = [sys.executable, str(HERE / "fleet_fake_worker.py"), op, server.url(worker_user(op))]
                cmd += [str(ident.key), str(ident.cert), str(ident.trust)]
                procs.append(
                    subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                )
            with server.admin() as admin:
                end = time.monotonic() + 30
                while not all(admin.exists(f"{key_prefix(op)}alive") for op in ("telecom", "mobile")):
                    assert time.monotonic() < end, "fake workers did not start"
                    time.sleep(0.2)
            catalogue = load_catalogue(ROOT / "checks")
            model = Target(
                name="sim-0",
                hostname="127.0.0.1",
                platform=Platform.HUAWEI_VRP,
                operator="telecom",
                role=Role.GATEWAY,
                site="s0",
                environment=Environment.LAB,
                model="NE40E",
            )
            commands = build_plan([model], catalogue.controls)["sim-0"]
            print(
                f"simulated plan: {len(commands)} commands per device, fake answers inside 2 workers",
                flush=True,
            )
            for size in sizes:
                targets = tuple(
                    model.model_copy(
                        update={
                            "name": f"sim-{i}",
                            "operator": ("telecom", "mobile")[i % 2],
                            "site": f"s{i % 40}",
                        }
                    )
                    for i in range(size)
                )
                plan = dict.fromkeys((t.name for t in targets), commands)
                collector = CeleryCollector(
                    coordinator_settings(server, ids), run_id=uuid.uuid4().hex[:8], chunk_size=DEFAULT_CHUNK
                )
                gc.collect()
                before = _status("VmRSS")
                Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
                started = time.perf_counter()
                got = sum(1 for _ in collector.collect(targets, plan))
                seconds = time.perf_counter() - started
                peak = _status("VmHWM")
                print(
                    f"simulated {size} devices: {got} hosts back in {seconds:.1f} s = {got / seconds:.0f} "
                    f"hosts/s, coordinator RSS {before:.0f} MiB holding the plan, peak {peak:.0f} MiB while "
                    f"collecting (+{peak - before:.0f} MiB)",
                    flush=True,
                )
                del targets, plan
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(20)
            server.stop()


def main() -> int:
    sim = [int(x) for x in os.environ.get("BENCH_FLEET_SIM", "").split(",") if x]
    if "--simulate" in sys.argv:
        simulate(sim)
        return 0
    n = int(os.environ.get("BENCH_FLEET_N", "200"))
    chunks = [int(c) for c in os.environ.get("BENCH_FLEET_CHUNKS", "5,25,100").split(",") if c]
    with tempfile.TemporaryDirectory(prefix="secaudit-bench-fleet-") as tmp_name:
        tmp = Path(tmp_name)
        paths = LabPaths(tmp / "lab")
        lab = start_lab(
            _fleet(n), paths, dict.fromkeys(("telecom", "mobile", "unicom", "tower", "cable"), PASSWORD)
        )
        server = RedisServer(tmp / "redis").start()
        ids = Identities.create(tmp / "ids")
        key, _, _ = generate_keypair(tmp / "sign", "k")
        workers = []
        try:
            local_rate, local = _timed(
                "local engine (--processes 2)",
                n,
                lambda: run(_request(paths, key, tmp / "local", processes=2)),
            )
            for op in ("telecom", "mobile"):
                workers.append(
                    start_worker(
                        server,
                        ids,
                        op,
                        secrets_file=paths.secrets,
                        known_hosts=paths.known_hosts,
                        logs=tmp / "logs",
                        concurrency=1,
                        timeout=30.0,
                    )
                )
            rates: dict[int, float] = {}
            for chunk in sorted({DEFAULT_CHUNK, *chunks}):
                collector = CeleryCollector(
                    coordinator_settings(server, ids, hard_time_limit=600),
                    run_id=uuid.uuid4().hex[:8],
                    chunk_size=chunk,
                    processes=2,  # evaluation in 2 local processes, like the local run
                )
                rate, outcome = _timed(
                    f"celery, 2 workers, chunk {chunk}",
                    n,
                    lambda c=collector, k=chunk: run(_request(paths, key, tmp / f"celery-{k}"), collector=c),
                )
                rates[chunk] = rate
                same = sorted((f.host, f.control_id, f.status) for f in outcome.result.findings) == sorted(
                    (f.host, f.control_id, f.status) for f in local.result.findings
                )
                print(f"  findings identical to the local engine: {same}", flush=True)
            ratio = rates[DEFAULT_CHUNK] / local_rate
        finally:
            for w in workers:
                w.stop()
            server.stop()
            lab.stop()
    if sim:  # a fresh process: its peak RSS is the coordinator's alone
        import subprocess

        subprocess.run([sys.executable, __file__, "--simulate"], check=True)
    print(f"celery/local ratio: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
