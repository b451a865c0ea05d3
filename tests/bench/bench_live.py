"""`make bench`: secaudit end to end (collect, evaluate, remediate, report, sign) against lab devices,
versus a naive sequential netmiko loop over the same devices and commands, measured in the same run.

N = 200 (BENCH_FULL=1: 1000; BENCH_N=n for another size). One lab of N devices is started; the
naive loop runs first, on a sample of it (about 1 s per device; BENCH_NAIVE_SAMPLE, default 12),
then ``secaudit run --processes P --workers W --timings`` audits growing subsets of the same lab
(each subset gets its own inventory, as a fleet of that size would): 100 and N devices, and with
BENCH_FULL also 200 and 500. It prints

* the cost curve: devices/s, client and lab CPU ms per device and peak RSS at each size;
* memory per device at 200 and N devices (peak RSS bound / devices, and the growth per extra
  device between the two sizes), to show it stays flat;
* for the largest run: the per-stage CPU ms per device from ``--timings`` (collect, parse,
  evaluate, remediate, report, sign), the lab process's own CPU ms per device (from
  ``/proc/<pid>/stat``, the pid from the lab's state file) and the run's peak RSS (main process,
  largest worker, bound = main + workers x largest);
* ``naive sequential netmiko: ...``, ``secaudit end to end (...): N devices in X s = R devices/s``
  and, last, ``speedup: <x>`` (secaudit devices/s over naive devices/s).

BENCH_PROCESSES / BENCH_WORKERS override the collector processes and sessions per process.
Not a test: timing targets live here, never in the test suite. The machine is shared: run it as
``flock /tmp/secaudit-bench.lock make bench`` and repeat to see the noise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netmiko import ConnectHandler
from ruamel.yaml import YAML

from secaudit.collect.credentials import load_secrets_file
from secaudit.collect.hostkeys import known_hosts_path
from secaudit.collect.plan import build_plan
from secaudit.evaluate.loader import load_catalogue
from secaudit.inventory import load_inventory
from secaudit.lab.fleet import LabPaths
from secaudit.lab.state import read_state
from secaudit.platforms import get_platform

ROOT = Path(__file__).resolve().parents[2]
SECAUDIT = [sys.executable, "-m", "secaudit"]
STAGES = ("collect", "parse", "evaluate", "remediate", "report", "sign")
#: Collector processes and sessions per process. Two cores, shared with the lab process: two
#: collector processes of 20 sessions keep both cores busy; more sessions per process only wait
#: longer for their process's GIL (docs/collection-notes.md section 6).
PROCESSES, WORKERS = 2, 20


def proc_cpu_seconds(stat: str, ticks_per_second: int) -> float:
    """User + system CPU seconds from the text of ``/proc/<pid>/stat`` (all threads, living or ended).

    The command name (field 2) may hold spaces and parentheses, so fields are counted after its
    closing parenthesis: utime and stime are fields 14 and 15.

    Examples:
        >>> proc_cpu_seconds("42 (python -m x (y)) S 1 42 42 0 -1 0 0 0 0 0 250 50 0 0", 100)
        3.0
    """
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks_per_second


def lab_cpu(pid: int) -> float:
    """CPU seconds the lab process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    return proc_cpu_seconds(stat, os.sysconf("SC_CLK_TCK"))


def sizes_for(n: int, *, full: bool) -> list[int]:
    """The fleet sizes a bench run audits: the cost curve's and the memory comparison's.

    Examples:
        >>> sizes_for(1000, full=True)
        [100, 200, 500, 1000]
        >>> sizes_for(200, full=False)
        [100, 200]
        >>> sizes_for(50, full=False)
        [50]
    """
    wanted = {100, 200, 500, n} if full else {100, n}
    return sorted(s for s in wanted if s <= n)


@dataclass(frozen=True, slots=True)
class Measured:
    """One ``secaudit run`` of the bench: its size, wall time, lab CPU and ``--timings`` document."""

    devices: int
    seconds: float
    lab_cpu_seconds: float
    timings: dict[str, Any]

    @property
    def rate(self) -> float:
        """Devices per second, end to end."""
        return self.devices / self.seconds

    @property
    def rss_bound_mb(self) -> float:
        """Peak RSS bound of the run: main process + workers x the largest worker."""
        return float(self.timings["peak_rss_mb"]["bound"])


def subset_inventory(source: Path, target: Path, size: int) -> Path:
    """Copy the lab's inventory to ``target`` with only its first ``size`` hosts."""
    yaml = YAML(typ="safe")
    hosts = yaml.load((source / "hosts.yaml").read_text(encoding="utf-8"))
    target.mkdir(parents=True, exist_ok=True)
    with (target / "hosts.yaml").open("w", encoding="utf-8") as handle:
        yaml.dump(dict(list(hosts.items())[:size]), handle)
    for name in ("groups.yaml", "defaults.yaml"):
        (target / name).write_bytes((source / name).read_bytes())
    return target


def naive(paths: LabPaths, sample: int) -> tuple[int, float]:
    """Sequential netmiko: connect, every planned command, disconnect; one device after another."""
    inv = load_inventory(paths.inventory)
    targets = inv.targets[:sample]
    plan = build_plan(targets, load_catalogue(ROOT / "checks").controls)
    creds = load_secrets_file(paths.secrets)
    start = time.perf_counter()
    for t in targets:
        spec = get_platform(t.platform)
        conn = ConnectHandler(
            device_type=spec.netmiko_device_type,
            host=t.hostname,
            port=t.port,
            username=creds[t.operator].username,
            password=creds[t.operator].password,
            ssh_strict=True,
            system_host_keys=False,
            alt_host_keys=True,
            alt_key_file=str(known_hosts_path(paths.known_hosts, t.name)),
            allow_agent=False,
            use_keys=False,
        )
        if spec.enable_before_commands:
            conn.enable()
        for item in plan[t.name]:
            conn.send_command(item.command, read_timeout=60)
        conn.disconnect()
    return len(targets), time.perf_counter() - start


def audit(
    paths: LabPaths, inventory: Path, work: Path, key: Path, *, processes: int, workers: int
) -> Measured:
    """One ``secaudit run`` over ``inventory``; raises when it fails (exit code other than 0, 1, 3)."""
    devices = len(YAML(typ="safe").load((inventory / "hosts.yaml").read_text(encoding="utf-8")))
    timings = work / f"timings-{devices}.json"
    pid = read_state(paths.state).pid
    cpu_before = lab_cpu(pid)
    start = time.perf_counter()
    proc = subprocess.run(
        [
            *SECAUDIT,
            "run",
            "--inventory",
            str(inventory),
            "--secrets",
            str(paths.secrets),
            "--known-hosts-dir",
            str(paths.known_hosts),
            "--key",
            str(key),
            "--output",
            str(work / f"out-{devices}"),
            "--processes",
            str(processes),
            "--workers",
            str(workers),
            "--quiet",
            "--timeout",
            "60",
            "--timings",
            str(timings),
        ],
        check=False,
    )
    seconds = time.perf_counter() - start
    lab_seconds = lab_cpu(pid) - cpu_before
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(f"secaudit run over {devices} devices failed with exit code {proc.returncode}")
    doc = json.loads(timings.read_text(encoding="utf-8"))
    return Measured(devices, seconds, lab_seconds, doc)


def report(runs: list[Measured], naive_n: int, naive_s: float, processes: int, workers: int) -> None:
    """Print the bench's lines; ``speedup:`` last."""
    main = runs[-1]
    n = main.devices
    print(f"devices: {n} (lab, {processes} collector processes x {workers} sessions)")
    print("cost curve (end to end):")
    for run in runs:
        client = run.timings["cpu_seconds"] * 1000 / run.devices
        lab = run.lab_cpu_seconds * 1000 / run.devices
        print(
            f"  {run.devices:5d} devices: {run.seconds:6.1f} s = {run.rate:6.2f} devices/s;"
            f" CPU ms/device: client {client:5.1f}, lab {lab:5.1f}; peak RSS bound {run.rss_bound_mb:6.1f} MB"
        )
    mem = [r for r in runs if r.devices in (200, n)]
    if mem:
        cells = ", ".join(f"{r.devices} devices {r.rss_bound_mb / r.devices:.2f} MB/device" for r in mem)
        line = f"memory per device (peak RSS bound / devices): {cells}"
        if len(mem) == 2 and mem[1].devices > mem[0].devices:
            extra = (mem[1].rss_bound_mb - mem[0].rss_bound_mb) / (mem[1].devices - mem[0].devices)
            line += f"; growth {mem[0].devices}->{mem[1].devices}: {extra:.2f} MB per extra device"
        print(line)
    per = main.timings["cpu_ms_per_device"]
    print("CPU ms per device by stage: " + ", ".join(f"{s} {per[s]:.1f}" for s in STAGES))
    print(
        f"  client total {main.timings['cpu_seconds'] * 1000 / n:.1f} ms/device"
        f" (setup {main.timings['setup_cpu_seconds']:.2f} s once);"
        f" lab {main.lab_cpu_seconds * 1000 / n:.1f} ms/device"
    )
    rss = main.timings["peak_rss_mb"]
    print(
        f"peak RSS: main {rss['main']:.1f} MB, largest worker {rss['largest_worker']:.1f} MB,"
        f" bound {rss['bound']:.1f} MB ({main.timings['workers']} workers)"
    )
    naive_rate = naive_n / naive_s
    print(f"naive sequential netmiko: {naive_n} devices in {naive_s:.1f} s = {naive_rate:.2f} devices/s")
    print(
        f"secaudit end to end (collect, evaluate, report, sign): {n} devices in {main.seconds:.1f} s", end=""
    )
    print(f" = {main.rate:.2f} devices/s")
    print(f"speedup: {main.rate / naive_rate:.1f}")


def main() -> int:
    full = bool(os.environ.get("BENCH_FULL"))
    n = 1000 if full else int(os.environ.get("BENCH_N", "200"))
    processes = int(os.environ.get("BENCH_PROCESSES", str(PROCESSES)))
    workers = int(os.environ.get("BENCH_WORKERS", str(WORKERS)))
    with tempfile.TemporaryDirectory(prefix="secaudit-bench-") as tmp:
        work = Path(tmp)
        paths = LabPaths(work / "lab")
        subprocess.run(
            [*SECAUDIT, "lab", "start", "--state-dir", str(paths.root), "--bench", str(n), "--wait", "300"],
            check=True,
        )
        try:
            subprocess.run(
                [*SECAUDIT, "keys", "generate", "--out-dir", str(work / "k"), "--name", "b"],
                check=True,
                capture_output=True,
            )
            sample = min(n, int(os.environ.get("BENCH_NAIVE_SAMPLE", "12")))
            naive_n, naive_s = naive(paths, sample)
            runs = []
            for size in sizes_for(n, full=full):
                inventory = paths.inventory
                if size < n:
                    inventory = subset_inventory(paths.inventory, work / f"inventory-{size}", size)
                runs.append(
                    audit(paths, inventory, work, work / "k" / "b.key", processes=processes, workers=workers)
                )
        except RuntimeError as exc:
            print(exc)
            return 1
        finally:
            subprocess.run(
                [*SECAUDIT, "lab", "stop", "--state-dir", str(paths.root)], check=False, capture_output=True
            )
    report(runs, naive_n, naive_s, processes, workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
