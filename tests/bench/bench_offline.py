"""`make bench`: offline audits (``scan-config`` and ``run --offline``) over N saved configurations.

The configurations are the lab's hardened device data for every platform with a configuration
format (Huawei VRP and SmartAX, ZTE ZXROS and ZXA10, Cisco IOS XR: 150-200 lines each), with
the lab's named non-compliance variants applied so verdicts differ, one hostname per file.
Measured in the same run:

* ``offline configs/s``: ``scan-config`` over all files (one invocation per platform, the
  process pool sized by secaudit) and ``run --offline`` over the same fleet as evidence folders
  (mixed platforms, with reports and signatures), end to end, process start included;
* the single-process figure of the same ``scan-config`` (``--processes 1``) as the baseline;
* ``eval/parse ratio``: CPU to evaluate all controls of a host over CPU to build its
  configuration tree alone, on a sample of the same configurations.

N = 2000 (BENCH_OFFLINE_N). Not a test: timing targets live here, never in the test suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from secaudit.collect.text import command_slug
from secaudit.lab.fleet import FAMILIES, _device, write_inventory
from secaudit.lab.fleetdata import load_variants
from secaudit.lab.model import FaultMode
from secaudit.models.enums import Platform
from secaudit.parse.config import to_tree
from secaudit.platforms import get_platform

ROOT = Path(__file__).resolve().parents[2]
SECAUDIT = [sys.executable, "-m", "secaudit"]
OPERATORS = ("telecom", "mobile", "unicom", "cable")


def build(root: Path, n: int) -> dict[str, list[Path]]:
    """Write N configurations (per platform folder), their evidence folders and an inventory."""
    platforms = [p for p in FAMILIES if get_platform(Platform(p)).config_command is not None]
    variants = load_variants()
    fleet = []
    files: dict[str, list[Path]] = defaultdict(list)
    for i in range(n):
        platform = platforms[i % len(platforms)]
        names = sorted(variants.get(platform, {}))
        chosen = [names[(i // len(platforms)) % len(names)]] if names and i % 3 else []
        device = _device(
            f"off-{i:05d}",
            platform,
            OPERATORS[i % len(OPERATORS)],
            "bench",
            password="unused",
            variants=chosen,
            fault=FaultMode.NONE,
        )
        fleet.append(device)
        spec = get_platform(Platform(platform))
        evidence = root / "evidence" / device.spec.name
        evidence.mkdir(parents=True)
        for command, text in device.spec.outputs.items():
            (evidence / f"{command_slug(command)}.txt").write_text(text, encoding="utf-8")
        config = root / "configs" / platform / f"{device.spec.name}.cfg"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(device.spec.outputs[spec.config_command or ""], encoding="utf-8")
        files[platform].append(config)
    write_inventory(root / "inventory", fleet, {d.spec.name: 22 for d in fleet})
    return files


def scan(files: dict[str, list[Path]], processes: str | None) -> float:
    """Wall seconds for scan-config over every file, one invocation per platform."""
    extra = ["--processes", processes] if processes is not None else []
    start = time.perf_counter()
    for platform, paths in files.items():
        proc = subprocess.run(
            [*SECAUDIT, "scan-config", "--platform", platform, "--format", "json", *extra, *map(str, paths)],
            stdout=subprocess.DEVNULL,
            check=False,
        )
        if proc.returncode not in (0, 1, 3):
            raise SystemExit(f"scan-config failed for {platform}: exit {proc.returncode}")
    return time.perf_counter() - start


def eval_parse_ratio(files: dict[str, list[Path]], per_platform: int = 40) -> tuple[float, float, float]:
    """(evaluate CPU ms, tree CPU ms, ratio) per configuration, averaged over a sample."""
    from secaudit.cli.audit import scan_target
    from secaudit.collect.files import EvidenceFile, file_evidence
    from secaudit.models.enums import Role
    from secaudit.models.knobs import Knobs
    from secaudit.pipeline.hosts import evaluate_host
    from secaudit.pipeline.selection import select
    from secaudit.resources import default_checks
    from secaudit.timing import StageTimes

    controls = select(default_checks(), "baseline").controls
    evaluate = tree = 0.0
    count = 0
    for platform, paths in files.items():
        spec = get_platform(Platform(platform))
        for path in paths[:per_platform]:
            target = scan_target(path, spec.name, Role(spec.default_role))
            ev = file_evidence(target, EvidenceFile(path))
            start = time.process_time()
            to_tree(spec, ev.text)
            tree += time.process_time() - start
            times = StageTimes()
            evaluate_host(target, (ev,), controls, Knobs(), times)
            evaluate += times.cpu["evaluate"]
            count += 1
    return evaluate / count * 1000, tree / count * 1000, evaluate / tree


def main() -> int:
    n = int(os.environ.get("BENCH_OFFLINE_N", "2000"))
    with tempfile.TemporaryDirectory(prefix="secaudit-bench-offline-") as tmp:
        root = Path(tmp)
        files = build(root, n)
        subprocess.run(
            [*SECAUDIT, "keys", "generate", "--out-dir", f"{tmp}/k", "--name", "b"],
            check=True,
            capture_output=True,
        )
        single = scan(files, "1")
        pooled = scan(files, None)
        timings = root / "timings.json"
        start = time.perf_counter()
        proc = subprocess.run(
            [
                *SECAUDIT,
                "run",
                "--offline",
                str(root / "evidence"),
                "--inventory",
                str(root / "inventory"),
                "--key",
                f"{tmp}/k/b.key",
                "--output",
                f"{tmp}/out",
                "--processes",
                str(os.cpu_count() or 1),
                "--quiet",
                "--timings",
                str(timings),
            ],
            check=False,
        )
        run_s = time.perf_counter() - start
        if proc.returncode not in (0, 1, 3):
            print(f"run --offline failed with exit code {proc.returncode}")
            return 1
        doc = json.loads(timings.read_text(encoding="utf-8"))
        ev_ms, tree_ms, ratio = eval_parse_ratio(files)
    print(f"offline fleet: {n} configurations, {len(files)} platforms, {os.cpu_count()} cores")
    print(f"scan-config, one process: {n} configs in {single:.1f} s = {n / single:.0f} configs/s (baseline)")
    print(f"scan-config, process pool: {n} configs in {pooled:.1f} s = {n / pooled:.0f} configs/s")
    print(f"run --offline (reports, signatures): {n} devices in {run_s:.1f} s = {n / run_s:.0f} devices/s")
    per = doc["cpu_ms_per_device"]
    print("run --offline CPU ms per device: " + ", ".join(f"{k} {v:.2f}" for k, v in per.items()))
    print(f"run --offline peak RSS MB: {doc['peak_rss_mb']}")
    print(f"evaluate {ev_ms:.2f} ms vs tree {tree_ms:.2f} ms per configuration")
    print(f"pool/single: {single / pooled:.2f}")
    print(f"eval/parse ratio: {ratio:.2f}")
    print(f"offline configs/s: {n / pooled:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
