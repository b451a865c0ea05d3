"""``secaudit lab start|stop|status|serve`` and ``hostkeys scan``: the device lab and host keys."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from secaudit.cli._app import (
    HostOpt,
    OperatorOpt,
    RoleOpt,
    SiteOpt,
    StateDir,
    die,
    guard,
    hostkeys_app,
    lab_app,
    out,
)
from secaudit.collect.classify import classify_exception
from secaudit.collect.hostkeys import enrol, known_hosts_path, read_enrolled
from secaudit.collect.hostkeys import scan as scan_host_key
from secaudit.inventory import TargetFilter, load_inventory
from secaudit.lab.fleet import LabPaths, bench_fleet, default_fleet, default_state_dir, new_passwords
from secaudit.lab.fleet import serve as serve_lab
from secaudit.lab.state import process_alive, read_state, serves_state_dir
from secaudit.pipeline.run import is_loopback


def lab_paths(state_dir: Path | None) -> LabPaths:
    return LabPaths(state_dir or default_state_dir())


@lab_app.command("serve")
def lab_serve(
    state_dir: StateDir = None,
    bench: Annotated[
        int, typer.Option(help="Serve N healthy benchmark devices instead of the demo fleet")
    ] = 0,
) -> None:
    """Run the lab in the foreground until interrupted (`lab start` runs this in the background)."""

    def body() -> int:
        paths = lab_paths(state_dir)
        passwords = new_passwords()
        fleet = bench_fleet(bench, passwords["telecom"]) if bench else default_fleet(passwords)
        if bench:
            passwords = dict.fromkeys(passwords, passwords["telecom"])
        serve_lab(fleet, paths, passwords)
        return 0

    guard(body)


@lab_app.command("start")
def lab_start(
    state_dir: StateDir = None,
    bench: Annotated[
        int, typer.Option(help="Serve N healthy benchmark devices instead of the demo fleet")
    ] = 0,
    wait: Annotated[float, typer.Option(help="Seconds to wait for the lab to come up")] = 60.0,
) -> None:
    """Start the lab in the background; prints where its inventory, known_hosts and secrets are."""

    def body() -> int:
        paths = lab_paths(state_dir)
        if paths.state.is_file() and _ours(read_state(paths.state).pid, paths):
            die(
                f"this checkout's lab is already running ({paths.state}); "
                f"stop it first with `secaudit lab stop --state-dir {paths.root}`"
            )
        paths.root.mkdir(parents=True, exist_ok=True)
        paths.state.unlink(missing_ok=True)
        log = (paths.root / "lab.log").open("ab")
        argv = [sys.executable, "-m", "secaudit", "lab", "serve", "--state-dir", str(paths.root.resolve())]
        if bench:
            argv += ["--bench", str(bench)]
        proc = subprocess.Popen(
            argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + wait
        while not paths.state.is_file():
            if proc.poll() is not None:
                die(f"lab exited with code {proc.returncode}; see {paths.root / 'lab.log'}")
            if time.monotonic() > deadline:
                proc.terminate()
                die(f"lab did not start within {wait:.0f} s; see {paths.root / 'lab.log'}")
            time.sleep(0.1)
        state = read_state(paths.state)
        out.print(f"lab running: pid {state.pid}, {len(state.devices)} devices on {state.host}")
        out.print(f"  inventory   {paths.inventory}")
        out.print(f"  known_hosts {paths.known_hosts}")
        out.print(f"  secrets     {paths.secrets}")
        return 0

    guard(body)


def _ours(pid: int, paths: LabPaths) -> bool:
    """The pid of a state file is alive and (where /proc tells) serves this very state folder."""
    return process_alive(pid) and serves_state_dir(pid, paths.root) is not False


@lab_app.command("stop")
def lab_stop(state_dir: StateDir = None) -> None:
    """Stop the lab started with `lab start` for this state folder (never another one's)."""

    def body() -> int:
        paths = lab_paths(state_dir)
        if not paths.state.is_file():
            out.print(f"no lab running for {paths.root}")
            return 0
        pid = read_state(paths.state).pid
        if process_alive(pid) and not _ours(pid, paths):
            paths.state.unlink(missing_ok=True)
            out.print(f"stale lab state removed: pid {pid} is not the lab of {paths.root}; nothing stopped")
            return 0
        if process_alive(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while process_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
        paths.state.unlink(missing_ok=True)
        out.print(f"lab stopped (pid {pid})")
        return 0

    guard(body)


@lab_app.command("status")
def lab_status(state_dir: StateDir = None) -> None:
    """Show the running lab's devices, ports and faults. Exit 1 when no lab runs."""

    def body() -> int:
        paths = lab_paths(state_dir)
        if not paths.state.is_file():
            out.print("no lab running")
            return 1
        state = read_state(paths.state)
        manifest = json.loads(paths.manifest.read_text()) if paths.manifest.is_file() else {}
        table = Table(title=f"lab pid {state.pid} ({'running' if process_alive(state.pid) else 'DEAD'})")
        for col in ("device", "platform", "operator", "port", "fault", "variants"):
            table.add_column(col)
        for name, dev in sorted(state.devices.items()):
            info = manifest.get(name, {})
            table.add_row(
                name,
                dev.platform,
                info.get("operator", ""),
                str(dev.port),
                info.get("fault", ""),
                ", ".join(info.get("variants", [])),
            )
        out.print(table)
        return 0 if process_alive(state.pid) else 1

    guard(body)


@hostkeys_app.command("scan")
def hostkeys_scan(
    inventory: Annotated[Path, typer.Option(help="Nornir SimpleInventory folder")] = Path("inventory"),
    known_hosts_dir: Annotated[Path, typer.Option(help="Per-host known_hosts files")] = Path(
        ".secaudit/known_hosts"
    ),
    operator: OperatorOpt = None,
    role: RoleOpt = None,
    site: SiteOpt = None,
    host: HostOpt = None,
    replace: Annotated[
        bool, typer.Option(help="Replace a changed key (only after verifying it out of band)")
    ] = False,
    allow_non_loopback: Annotated[
        bool, typer.Option(help="Allow addresses outside 127.0.0.0/8 and ::1")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds per host")] = 10.0,
) -> None:
    """Fetch each host's SSH key (no login), show its SHA-256 fingerprint and enrol it explicitly.

    A key that differs from the enrolled one is reported as CHANGED and left alone unless
    --replace is given. Exit 0 when nothing changed or failed, 1 otherwise.
    """

    def body() -> int:
        inv = load_inventory(
            inventory,
            TargetFilter(tuple(operator or ()), tuple(role or ()), tuple(site or ()), tuple(host or ())),
        )
        table = Table(title=f"host keys ({known_hosts_dir})")
        for col in ("host", "address", "key type", "SHA-256 fingerprint", "result"):
            table.add_column(col)
        problems = 0
        for t in inv.targets:
            if not is_loopback(t.hostname) and not allow_non_loopback:
                die(f"host {t.name!r} ({t.hostname}) is not on loopback; pass --allow-non-loopback")
            port = t.port or 22
            path = known_hosts_path(known_hosts_dir, t.name)
            try:
                key = scan_host_key(t.hostname, port, timeout)
            except Exception as exc:
                state, detail = classify_exception(exc)
                table.add_row(t.name, f"{t.hostname}:{port}", "-", "-", f"{state.value}: {detail}")
                problems += 1
                continue
            enrolled = read_enrolled(path, t.hostname, port)
            if enrolled is None:
                enrol(path, t.hostname, port, key)
                result = "enrolled"
            elif enrolled == key:
                result = "unchanged"
            elif replace:
                enrol(path, t.hostname, port, key)
                result = f"REPLACED (was {enrolled.fingerprint})"
                problems += 1
            else:
                result = f"CHANGED (enrolled {enrolled.fingerprint}); not replaced"
                problems += 1
            table.add_row(t.name, f"{t.hostname}:{port}", key.key_type, key.fingerprint, result)
        out.print(table)
        return 1 if problems else 0

    guard(body)
