"""Live audits through Nornir + netmiko against the embedded lab (127.0.0.1 only).

Each platform's happy path, each fault mode's classified failure (never a pass), read-only
collection, isolation of a hung device, and planted secrets that must not appear in any output.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from secaudit.collect.credentials import Credential
from secaudit.collect.live import LiveCollector, LiveOptions
from secaudit.collect.plan import PlannedCommand, build_plan
from secaudit.evaluate.loader import load_catalogue
from secaudit.inventory import load_inventory
from secaudit.lab.fleet import FAMILIES, FleetDevice, LabPaths, _device, start_lab
from secaudit.lab.model import FaultMode
from secaudit.lab.server import Lab
from secaudit.models.enums import CollectionState, EvidenceState, Status
from secaudit.models.knobs import Knobs
from secaudit.pipeline import evaluate_host
from secaudit.platforms import get_platform

from conftest import CHECKS, TEMPLATES, audit_args

PASSWORD = "Pl4nted-Lab-Passw0rd-7"  # planted: must never appear in any output
# Secrets planted in a device's configuration (TACACS key, SNMP community, local password, BGP key)
PLANTED = ("PlantedTacacsKey9x", "PlantedCommunity9x", "PlantedUserPw9x", "PlantedBgpKey9x")
CATALOGUE = load_catalogue(CHECKS)
READ_TIMEOUT = 6.0
FAULTS = {
    "f-wrongpw": ("huawei_vrp", FaultMode.WRONG_PASSWORD, CollectionState.AUTH_FAILED),
    "f-rekeyed": ("cisco_xr", FaultMode.CHANGED_HOST_KEY, CollectionState.HOST_KEY_CHANGED),
    "f-closed": ("zte_zxros", FaultMode.CLOSED_PORT, CollectionState.UNREACHABLE),
    "f-hang": ("huawei_vrp", FaultMode.HANG_AFTER_LOGIN, CollectionState.TIMEOUT),
    "f-pager": ("huawei_smartax", FaultMode.PAGER_LEFT_ON, CollectionState.PAGING_NOT_DISABLED),
    "f-rejected": ("cisco_xr", FaultMode.COMMAND_REJECTED, CollectionState.COMMAND_REJECTED),
    "f-cut": ("zte_zxa10", FaultMode.DISCONNECT_MID_OUTPUT, CollectionState.DISCONNECTED),
    "f-cuthang": ("huawei_vrp", FaultMode.TRUNCATE_THEN_HANG, CollectionState.OUTPUT_TRUNCATED),
    "f-empty": ("cisco_xr", FaultMode.EMPTY_OUTPUT, CollectionState.EMPTY),
    "f-cfghang": ("huawei_vrp", FaultMode.HANG_AFTER_LOGIN, CollectionState.TIMEOUT),
    "f-garbage": ("huawei_vrp", FaultMode.GARBAGE_OUTPUT, None),
}


def _fleet() -> list[FleetDevice]:
    fleet = [
        _device(
            f"ok-{platform.replace('_', '-')}",
            platform,
            "telecom",
            "lab",
            password=PASSWORD,
            variants=(),
            fault=FaultMode.NONE,
        )
        for platform in FAMILIES
    ]
    leaky = _device(
        "leaky-vrp", "huawei_vrp", "telecom", "lab", password=PASSWORD, variants=(), fault=FaultMode.NONE
    )
    config = leaky.spec.outputs["display current-configuration"]
    config = config.replace(
        "hwtacacs-server shared-key cipher %^%#REDACTED%^%#", f"hwtacacs-server shared-key {PLANTED[0]}", 1
    ).replace(
        "\n#\nreturn",
        f"\n#\nsnmp-agent community read {PLANTED[1]}\n#\naaa\n local-user noc password simple {PLANTED[2]}\n"
        f"#\nbgp 65001\n peer 10.0.0.9 password simple {PLANTED[3]}\n#\nreturn",
    )
    assert all(secret in config for secret in PLANTED)
    outputs = {**leaky.spec.outputs, "display current-configuration": config}
    fleet.append(dataclasses.replace(leaky, spec=dataclasses.replace(leaky.spec, outputs=outputs)))
    for name, (platform, fault, _) in FAULTS.items():
        device = _device(name, platform, "mobile", "lab", password=PASSWORD, variants=(), fault=fault)
        if name == "f-cfghang":  # answers everything but hangs on the configuration read
            config = get_platform(platform).config_command
            device = dataclasses.replace(device, spec=dataclasses.replace(device.spec, fault_command=config))
        fleet.append(device)
    return fleet


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, LabPaths, list[FleetDevice]]]:
    fleet = _fleet()
    paths = LabPaths(tmp_path_factory.mktemp("lab"))
    lab = start_lab(fleet, paths, dict.fromkeys(("telecom", "mobile", "unicom", "tower", "cable"), PASSWORD))
    try:
        yield lab, paths, fleet
    finally:
        lab.stop()


@pytest.fixture(scope="module")
def collected(lab):  # type: ignore[no-untyped-def]
    _, paths, _ = lab
    inv = load_inventory(paths.inventory)
    plan = build_plan(inv.targets, CATALOGUE.controls)
    creds = {op: Credential("auditor", PASSWORD) for op in ("telecom", "mobile")}
    # no config_timeout: --timeout bounds the configuration read too
    options = LiveOptions(known_hosts_dir=paths.known_hosts, command_timeout=READ_TIMEOUT, num_workers=20)
    collector = LiveCollector(inv.nornir, creds, options, secrets=(PASSWORD,))
    return {c.target.name: c for c in collector.collect(inv.targets, plan)}


def test_every_platform_happy_path(collected) -> None:  # type: ignore[no-untyped-def]
    for platform in FAMILIES:
        host = collected[f"ok-{platform.replace('_', '-')}"]
        assert host.state is CollectionState.OK, (platform, host.detail)
        planned = build_plan([host.target], CATALOGUE.controls)[host.target.name]
        if not planned:  # every control block manual (FiberHome): a session, nothing to collect
            assert not host.evidence, platform
            continue
        assert host.evidence
        optional = {p.command for p in planned if p.optional}
        not_ok = [(e.command, e.detail) for e in host.evidence if e.state is not EvidenceState.OK]
        assert all(cmd in optional for cmd, _ in not_ok), not_ok
        findings = evaluate_host(host.target, host.evidence, CATALOGUE.controls, Knobs())
        bad = [
            (f.control_id, f.message) for f in findings if f.status in (Status.ERROR, Status.NOT_COLLECTED)
        ]
        assert not bad, (platform, bad)


def test_fiberhome_collects_through_the_generic_driver(lab) -> None:  # type: ignore[no-untyped-def]
    """FiberHome AN5516 (no netmiko driver of its own; cisco_ios, docs/add-a-platform.md): the normal
    Nornir + netmiko collector logs in, enters enable mode, collects the lab's canned commands
    and leaves, sending nothing else."""
    instance, paths, fleet = lab
    device = next(d for d in fleet if d.spec.name == "ok-fiberhome-an")
    spec = get_platform(device.spec.platform)
    assert spec.netmiko_device_type == "cisco_ios"
    inv = load_inventory(paths.inventory)
    targets = tuple(t for t in inv.targets if t.name == device.spec.name)
    commands = sorted(device.spec.outputs)
    plan = {device.spec.name: tuple(PlannedCommand(c, is_config=False) for c in commands)}
    options = LiveOptions(known_hosts_dir=paths.known_hosts, command_timeout=6.0)
    collector = LiveCollector(inv.nornir, {"telecom": Credential("auditor", PASSWORD)}, options)
    [host] = list(collector.collect(targets, plan))
    assert host.state is CollectionState.OK, host.detail
    assert [e.command for e in host.evidence] == commands
    for evidence in host.evidence:
        assert evidence.state is EvidenceState.OK, (evidence.command, evidence.detail)
        assert evidence.text.strip() == device.spec.outputs[evidence.command].strip()
    expected = ["terminal width 511", "terminal length 0", "enable", *commands, "exit"]
    deadline = time.monotonic() + 5.0  # the goodbye reaches the device after the collector returns
    while (sent := instance.commands(device.spec.name)[-len(expected) :]) != expected:
        assert time.monotonic() < deadline, sent
        time.sleep(0.05)


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_is_classified_and_never_passes(collected, name: str) -> None:  # type: ignore[no-untyped-def]
    host = collected[name]
    expected = FAULTS[name][2]
    if expected is not None:
        assert host.state is expected, (name, host.state, host.detail)
    else:
        assert host.state is not CollectionState.OK or any(
            e.state is not EvidenceState.OK for e in host.evidence
        )
    findings = evaluate_host(host.target, host.evidence, CATALOGUE.controls, Knobs())
    bad_commands = {e.command for e in host.evidence if e.state is not EvidenceState.OK}
    for f in findings:
        if f.status is Status.PASS:
            assert not {e.command for e in f.evidence} & bad_commands, (
                f.control_id,
                "passed on bad evidence",
            )


def test_disconnect_is_detected_without_waiting_for_the_read_timeout(collected) -> None:  # type: ignore[no-untyped-def]
    """The device closes the channel mid-output: classified at once, not after the read timeout."""
    cut = collected["f-cut"]
    assert cut.state is CollectionState.DISCONNECTED, cut.detail
    assert "closed by the device" in cut.detail
    assert cut.seconds is not None
    assert cut.seconds < READ_TIMEOUT / 2, cut.seconds


def test_cut_then_hang_is_truncated_and_empty_is_empty(collected) -> None:  # type: ignore[no-untyped-def]
    cut = collected["f-cuthang"]
    assert cut.state is CollectionState.OUTPUT_TRUNCATED, cut.detail
    assert "mid-stream" in cut.detail
    empty = collected["f-empty"]
    assert empty.state is CollectionState.EMPTY, empty.detail
    assert {e.state for e in empty.evidence} == {EvidenceState.EMPTY}


def test_timeout_bounds_the_configuration_read(collected) -> None:  # type: ignore[no-untyped-def]
    """Without a --config-timeout, the hung configuration read ends at --timeout (not 120 s)."""
    hung = collected["f-cfghang"]
    assert hung.state is CollectionState.TIMEOUT, hung.detail
    spec = get_platform(hung.target.platform)
    states = {e.command: e.state for e in hung.evidence}
    assert states[spec.config_command or ""] is EvidenceState.COLLECT_ERROR
    assert hung.seconds is not None
    assert hung.seconds < 2 * READ_TIMEOUT + 4, hung.seconds


def test_unknown_host_key_fails_closed(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, paths, _ = lab
    inv = load_inventory(paths.inventory)
    targets = tuple(t for t in inv.targets if t.name.startswith("ok-"))[:1]
    options = LiveOptions(known_hosts_dir=tmp_path / "empty", command_timeout=5.0)
    collector = LiveCollector(inv.nornir, {"telecom": Credential("auditor", PASSWORD)}, options)
    [host] = list(collector.collect(targets, build_plan(targets, CATALOGUE.controls)))
    assert host.state is CollectionState.HOST_KEY_UNKNOWN


def test_unenrolled_key_in_an_existing_file_fails_closed(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A known_hosts file that exists but pins another device: paramiko's strict check refuses."""
    _, paths, _ = lab
    inv = load_inventory(paths.inventory)
    [target] = [t for t in inv.targets if t.name == "ok-cisco-xr"]
    other = next(t for t in inv.targets if t.name.startswith("ok-") and t.name != target.name)
    pins = tmp_path / "pins"
    pins.mkdir()
    shutil.copy(paths.known_hosts / f"{other.name}.known_hosts", pins / f"{target.name}.known_hosts")
    options = LiveOptions(known_hosts_dir=pins, command_timeout=5.0)
    collector = LiveCollector(inv.nornir, {"telecom": Credential("auditor", PASSWORD)}, options)
    [host] = list(collector.collect((target,), build_plan((target,), CATALOGUE.controls)))
    assert host.state is CollectionState.HOST_KEY_UNKNOWN, host.detail


def test_sessions_use_aes_gcm_over_a_nodelay_socket(lab, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The live collector offers AES-GCM first and turns Nagle off; the host key is still checked."""
    from secaudit.collect import transport as live

    _, paths, _ = lab
    seen: list[tuple[str, int, str]] = []
    original = live.AeadFirstClient.connect

    def connect(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        transport = self.get_transport()
        nodelay = transport.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        seen.append((transport.remote_cipher, nodelay, type(self._policy).__name__))

    monkeypatch.setattr(live.AeadFirstClient, "connect", connect)
    inv = load_inventory(paths.inventory)
    targets = tuple(t for t in inv.targets if t.name == "ok-huawei-vrp")
    options = LiveOptions(known_hosts_dir=paths.known_hosts, command_timeout=6.0)
    collector = LiveCollector(inv.nornir, {"telecom": Credential("auditor", PASSWORD)}, options)
    [host] = list(collector.collect(targets, build_plan(targets, CATALOGUE.controls)))
    assert host.state is CollectionState.OK, host.detail
    assert seen == [("aes128-gcm@openssh.com", 1, "RejectPolicy")]


def test_read_only(lab, collected) -> None:  # type: ignore[no-untyped-def]
    instance, _, fleet = lab
    forbidden = (
        "system-view",
        "configure",
        "config",
        "conf ",
        "interface",
        "undo ",
        "no ",
        "reset",
        "reboot",
        "save",
    )
    for device in fleet:
        for command in instance.commands(device.spec.name):
            low = command.strip().lower()
            if low in ("undo smart", "undo alarm output all"):  # SmartAX session settings, not configuration
                continue
            assert not low.startswith(forbidden), (device.spec.name, command)


def test_hung_device_delays_no_other(collected) -> None:  # type: ignore[no-untyped-def]
    hung = collected["f-hang"]
    healthy = collected["ok-huawei-vrp"]
    assert hung.state is CollectionState.TIMEOUT
    # the healthy VRP needs ~3 s (2.2 s of it netmiko's disconnect); the hung one waits its timeouts
    assert healthy.seconds < hung.seconds


@pytest.mark.parametrize("processes", [0, 2], ids=["threads", "worker-processes"])
def test_cli_live_run_leaks_no_secret(lab, tmp_path: Path, processes: int) -> None:  # type: ignore[no-untyped-def]
    """A live CLI run (threaded, or sharded over worker processes) leaks no secret and replays."""
    _, paths, _ = lab
    keys = tmp_path / "k"
    subprocess.run(
        [sys.executable, "-m", "secaudit", "keys", "generate", "--out-dir", str(keys), "--name", "l"],
        check=True,
    )
    latest = tmp_path / "LATEST"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "secaudit",
            *audit_args(tmp_path / "reports", inventory=paths.inventory),
            "--key",
            str(keys / "l.key"),
            "--secrets",
            str(paths.secrets),
            "--known-hosts-dir",
            str(paths.known_hosts),
            "--timeout",
            "6",
            "--config-timeout",
            "6",
            "--latest-file",
            str(latest),
            "--log-json",
            *(["--processes", str(processes)] if processes else []),
            "--host",
            "ok-*",
            "--host",
            "f-wrongpw",
            "--host",
            "f-rekeyed",
            "--host",
            "leaky-vrp",
        ],
        capture_output=True,
        text=True,
        check=False,
        # telecom's credentials come from the environment (they win over the secrets file)
        env={**os.environ, "SECAUDIT_TELECOM_USERNAME": "auditor", "SECAUDIT_TELECOM_PASSWORD": PASSWORD},
    )
    assert proc.returncode in (1, 3), proc.stderr[-2000:]
    # the console names each host not fully collected, with its class and detail
    for name, state in (("f-wrongpw", "auth_failed"), ("f-rekeyed", "host_key_changed")):
        assert re.search(rf"^\s+{name}\s+mobile\s+{state}\s+\S", proc.stdout, re.MULTILINE), proc.stdout
    [run_event] = [
        json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{") and '"run"' in line
    ]
    assert {h["host"]: h["state"] for h in run_event["not_fully_collected"]} == {
        "f-wrongpw": "auth_failed",
        "f-rekeyed": "host_key_changed",
    }
    assert run_event["completeness"] == "complete"  # 2 of 10 hosts
    run_dir = Path(latest.read_text().strip())
    for secret in (PASSWORD, *PLANTED):
        assert secret not in proc.stdout + proc.stderr
        for path in [*run_dir.rglob("*"), tmp_path / "reports" / "history.sqlite3"]:
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), (secret, path)
    leaky = json.loads((run_dir / "telecom" / "findings.json").read_text())
    iam4 = [f for f in leaky["findings"] if f["host"] == "leaky-vrp" and f["control_id"] == "SEC-IAM-004"]
    assert [f["status"] for f in iam4] == ["fail"]  # the cleartext secret is still detected, redacted
    doc = json.loads((run_dir / "telecom" / "findings.json").read_text())
    assert doc["run"]["source"] == "live"
    assert {c["state"] for c in doc["collection"]} == {"ok"}
    mobile = json.loads((run_dir / "mobile" / "findings.json").read_text())
    rekeyed = [
        f for f in mobile["findings"] if f["host"] == "f-rekeyed" and f["control_id"] == "SEC-COLL-001"
    ]
    assert [(f["status"], f["severity"]) for f in rekeyed] == [("fail", "critical")]
    # replaying the stored evidence gives the same findings
    replay_latest = tmp_path / "REPLAY"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "secaudit",
            *audit_args(tmp_path / "replay", evidence=run_dir / "evidence", inventory=paths.inventory),
            "--key",
            str(keys / "l.key"),
            "--latest-file",
            str(replay_latest),
            "--host",
            "ok-*",
            "--host",
            "f-wrongpw",
            "--host",
            "f-rekeyed",
            "--host",
            "leaky-vrp",
            "--quiet",
        ],
        check=False,
    )
    replay = Path(replay_latest.read_text().strip())
    for op in ("telecom", "mobile"):
        a = {
            f["fingerprint"]: (f["status"], f["message"])
            for f in json.loads((run_dir / op / "findings.json").read_text())["findings"]
        }
        b = {
            f["fingerprint"]: (f["status"], f["message"])
            for f in json.loads((replay / op / "findings.json").read_text())["findings"]
        }
        assert a == b


def test_run_without_credentials_names_every_host_and_is_incomplete(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """No host can log in: the console names each one with the reason and warns loudly; the run
    is recorded as collection_incomplete and kept out of the trend."""
    _, paths, _ = lab
    keys = tmp_path / "k"
    subprocess.run(
        [sys.executable, "-m", "secaudit", "keys", "generate", "--out-dir", str(keys), "--name", "n"],
        check=True,
    )
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("cable: {username: auditor, password: unused-here}\n")
    secrets.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECAUDIT_")}
    proc = subprocess.run(
        [
            sys.executable, "-m", "secaudit", *audit_args(tmp_path / "reports", inventory=paths.inventory),
            "--key", str(keys / "n.key"), "--secrets", str(secrets),
            "--known-hosts-dir", str(paths.known_hosts), "--timeout", "6",
            "--host", "ok-huawei-vrp", "--host", "ok-cisco-xr", "--host", "f-wrongpw",
        ],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "not fully collected: 3 of 3 hosts" in proc.stdout
    for name, operator in (("ok-huawei-vrp", "telecom"), ("ok-cisco-xr", "telecom"), ("f-wrongpw", "mobile")):
        pattern = rf"^\s+{name}\s+{operator}\s+auth_failed\s+no credentials for operator {operator}"
        assert re.search(pattern, proc.stdout, re.MULTILINE), proc.stdout
    assert "COLLECTION INCOMPLETE: 3 of 3 hosts (100 %)" in " ".join(proc.stdout.split())
    history = subprocess.run(
        [sys.executable, "-m", "secaudit", "history", "--db", str(tmp_path / "reports" / "history.sqlite3")],
        capture_output=True, text=True, check=False, env={**env, "COLUMNS": "200"},
    )  # fmt: skip
    assert "collection_incomplete" in history.stdout
    assert "(not in trend)" in history.stdout


def test_scheduled_job_against_the_lab(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from secaudit.schedule import Defaults, Job, run_job

    _, paths, _ = lab
    keys = tmp_path / "k"
    subprocess.run(
        [sys.executable, "-m", "secaudit", "keys", "generate", "--out-dir", str(keys), "--name", "s"],
        check=True,
    )
    defaults = Defaults(
        inventory=paths.inventory,
        checks=CHECKS,
        templates=TEMPLATES,
        output=tmp_path / "reports",
        key=keys / "s.key",
        secrets=paths.secrets,
        known_hosts_dir=paths.known_hosts,
        keep_runs=1,
        lock=tmp_path / "reports" / ".lock",
    )
    job = Job(name="lab-nightly", cron="0 2 * * *", hosts=("ok-huawei-smartax", "ok-cisco-xr"))
    first = run_job(job, defaults)
    second = run_job(job, defaults)
    assert first.exit_code in (0, 1, 3)
    assert second.run_dir is not None
    assert second.run_dir.is_dir()
    runs = [p for p in (tmp_path / "reports").iterdir() if p.is_dir() and p.name[0].isdigit()]
    assert runs == [second.run_dir]  # keep_runs: 1
    doc = json.loads((second.run_dir / "telecom" / "findings.json").read_text())
    assert doc["run"]["source"] == "live"
    assert {c["state"] for c in doc["collection"]} == {"ok"}


def test_killed_run_leaves_nothing_that_verifies(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import os
    import signal
    import time

    _, paths, _ = lab
    keys = tmp_path / "k"
    subprocess.run(
        [sys.executable, "-m", "secaudit", "keys", "generate", "--out-dir", str(keys), "--name", "x"],
        check=True,
    )
    out = tmp_path / "reports"
    for delay in (0.5, 2.0, 4.0):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "secaudit",
                *audit_args(out, inventory=paths.inventory),
                "--key",
                str(keys / "x.key"),
                "--secrets",
                str(paths.secrets),
                "--known-hosts-dir",
                str(paths.known_hosts),
                "--timeout",
                "6",
                "--quiet",
                "--host",
                "ok-*",
                "--host",
                "f-hang",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert (
        not [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")] if out.exists() else True
    )
    for bundle in out.glob(".partial-*/*") if out.exists() else []:
        if (bundle / "manifest.json").is_file():
            res = subprocess.run(
                [sys.executable, "-m", "secaudit", "verify", str(bundle), "--pubkey", str(keys / "x.pub")],
                capture_output=True,
                text=True,
                check=False,
            )
            assert res.returncode == 1
            assert "incomplete run" in res.stdout


def test_hostkeys_scan_enrols_and_reports_changed_keys(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, paths, _ = lab
    kh = tmp_path / "kh"
    base = [sys.executable, "-m", "secaudit", "hostkeys", "scan", "--inventory", str(paths.inventory)]
    base += ["--known-hosts-dir", str(kh), "--host", "ok-cisco-xr", "--host", "f-rekeyed"]
    first = subprocess.run(base, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count("enrolled") == 2
    assert "SHA256:" in first.stdout
    again = subprocess.run(base, capture_output=True, text=True, check=False)
    assert again.returncode == 0
    assert again.stdout.count("unchanged") == 2
    # the key the lab exported for f-rekeyed is the one it had before its "replacement"
    shutil.copy(paths.known_hosts / "f-rekeyed.known_hosts", kh / "f-rekeyed.known_hosts")
    changed = subprocess.run(base, capture_output=True, text=True, check=False)
    assert changed.returncode == 1
    assert "CHANGED" in changed.stdout and "not replaced" in changed.stdout
    assert (kh / "f-rekeyed.known_hosts").read_text() == (
        paths.known_hosts / "f-rekeyed.known_hosts"
    ).read_text()
