"""`make bench`: secaudit end to end (collect, evaluate, report, sign) against N lab devices, versus a
naive sequential netmiko loop over the same devices and commands, measured in the same run.

N = 200 (BENCH_FULL=1: 1000). The naive loop is measured on a sample of the fleet (it needs about
1 s per device) and compared as devices/s. The last line printed is ``speedup: <x>``.
Not a test: timing targets live here, never in the test suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from netmiko import ConnectHandler

from secaudit.collect.credentials import load_secrets_file
from secaudit.collect.hostkeys import known_hosts_path
from secaudit.collect.plan import build_plan
from secaudit.evaluate.loader import load_catalogue
from secaudit.inventory import load_inventory
from secaudit.platforms import get_platform

ROOT = Path(__file__).resolve().parents[2]
SECAUDIT = [sys.executable, "-m", "secaudit"]


def naive(paths: Path, sample: int) -> tuple[int, float]:
    """Sequential netmiko: connect, every planned command, disconnect; one device after another."""
    inv = load_inventory(paths / "inventory")
    targets = inv.targets[:sample]
    plan = build_plan(targets, load_catalogue(ROOT / "checks").controls)
    creds = load_secrets_file(paths / "secrets.yaml")
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
            alt_key_file=str(known_hosts_path(paths / "known_hosts", t.name)),
            allow_agent=False,
            use_keys=False,
        )
        if spec.enable_before_commands:
            conn.enable()
        for item in plan[t.name]:
            conn.send_command(item.command, read_timeout=60)
        conn.disconnect()
    return len(targets), time.perf_counter() - start


def main() -> int:
    n = 1000 if os.environ.get("BENCH_FULL") else int(os.environ.get("BENCH_N", "200"))
    processes = int(os.environ.get("BENCH_PROCESSES", "3"))
    workers = int(os.environ.get("BENCH_WORKERS", "100"))
    with tempfile.TemporaryDirectory(prefix="secaudit-bench-") as tmp:
        state = Path(tmp) / "lab"
        subprocess.run(
            [*SECAUDIT, "lab", "start", "--state-dir", str(state), "--bench", str(n), "--wait", "300"],
            check=True,
        )
        try:
            subprocess.run(
                [*SECAUDIT, "keys", "generate", "--out-dir", f"{tmp}/k", "--name", "b"],
                check=True,
                capture_output=True,
            )
            sample = min(n, int(os.environ.get("BENCH_NAIVE_SAMPLE", "12")))
            naive_n, naive_s = naive(state, sample)
            start = time.perf_counter()
            proc = subprocess.run(
                [
                    *SECAUDIT,
                    "run",
                    "--inventory",
                    str(state / "inventory"),
                    "--secrets",
                    str(state / "secrets.yaml"),
                    "--known-hosts-dir",
                    str(state / "known_hosts"),
                    "--key",
                    f"{tmp}/k/b.key",
                    "--output",
                    f"{tmp}/out",
                    "--processes",
                    str(processes),
                    "--workers",
                    str(workers),
                    "--quiet",
                    "--timeout",
                    "60",
                ],
                check=False,
            )
            elapsed = time.perf_counter() - start
        finally:
            subprocess.run(
                [*SECAUDIT, "lab", "stop", "--state-dir", str(state)], check=False, capture_output=True
            )
    if proc.returncode not in (0, 1, 3):
        print(f"secaudit run failed with exit code {proc.returncode}")
        return 1
    naive_rate = naive_n / naive_s
    rate = n / elapsed
    print(f"devices: {n} (lab, {processes} collector processes x {workers} sessions)")
    print(f"naive sequential netmiko: {naive_n} devices in {naive_s:.1f} s = {naive_rate:.2f} devices/s")
    print(f"secaudit end to end (collect, evaluate, report, sign): {n} devices in {elapsed:.1f} s", end="")
    print(f" = {rate:.2f} devices/s")
    print(f"speedup: {rate / naive_rate:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
