"""End to end through the CLI: run --offline, verify, tamper, scan-config, checks lint."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from secaudit.report.json_doc import SCHEMA_PATH

from conftest import CHECKS, EXAMPLES, INVENTORY, ROOT, audit_args

SECAUDIT = [sys.executable, "-m", "secaudit"]


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SECAUDIT, *map(str, args)], capture_output=True, text=True, cwd=cwd, check=False)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("run")
    keys = tmp / "keys"
    assert cli("keys", "generate", "--out-dir", keys, "--name", "t").returncode == 0
    latest = tmp / "LATEST"
    proc = cli(
        *audit_args(tmp / "reports", evidence=EXAMPLES / "evidence"),
        "--key",
        keys / "t.key",
        "--latest-file",
        latest,
    )
    run_dir = Path(latest.read_text().strip())
    return run_dir, keys / "t.pub", proc


def test_run_exit_code_is_incomplete(demo_run) -> None:  # type: ignore[no-untyped-def]
    run_dir, _, proc = demo_run
    assert proc.returncode == 3, proc.stderr
    assert "exit code 3" in proc.stdout
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "city",
        "evidence",
        "mobile",
        "telecom",
        "tower",
        "unicom",
    ]


def test_findings_json_validates_against_schema(demo_run) -> None:  # type: ignore[no-untyped-def]
    run_dir, _, _ = demo_run
    schema = json.loads(SCHEMA_PATH.read_text())
    for op in ("telecom", "mobile", "unicom", "tower"):
        doc = json.loads((run_dir / op / "findings.json").read_text())
        jsonschema.validate(doc, schema)
        assert doc["run"]["operator"] == op
        assert {f["operator"] for f in doc["findings"]} == {op}


def test_no_bundle_holds_another_operators_hosts(demo_run) -> None:  # type: ignore[no-untyped-def]
    run_dir, _, _ = demo_run
    prefixes = {"telecom": "tel-", "mobile": "mob-", "unicom": "uni-", "tower": "twr-"}
    for op, prefix in prefixes.items():
        others = [p for p in prefixes.values() if p != prefix]
        for path in (run_dir / op).rglob("*"):
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                assert not any(o in text or o in str(path) for o in others), (
                    f"{path} mentions another operator"
                )


def test_truncated_evidence_is_error_never_pass(demo_run) -> None:  # type: ignore[no-untyped-def]
    run_dir, _, _ = demo_run
    doc = json.loads((run_dir / "unicom" / "findings.json").read_text())
    olt = [f for f in doc["findings"] if f["host"] == "uni-olt-jx01"]
    config_only = [f for f in olt if f["control_id"] in ("SEC-SNMP-001", "SEC-NTP-001")]
    assert config_only
    assert all(f["status"] == "error" for f in config_only)
    assert all("truncated" in f["message"] for f in config_only)


def test_html_is_self_contained_and_escaped(demo_run) -> None:  # type: ignore[no-untyped-def]
    run_dir, _, _ = demo_run
    for html in run_dir.rglob("report.html"):
        text = html.read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text), html
        assert "<link" not in text and "@import" not in text, html
        assert "嘉兴" in text


def test_verify_ok_then_tamper(demo_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_dir, pub, _ = demo_run
    assert cli("verify", run_dir / "telecom", "--pubkey", pub).returncode == 0
    copy = tmp_path / "telecom"
    shutil.copytree(run_dir / "telecom", copy)
    (copy / "findings.json").write_text((copy / "findings.json").read_text().replace('"fail"', '"pass"'))
    proc = cli("verify", copy, "--pubkey", pub)
    assert proc.returncode == 1
    assert "changed: findings.json" in proc.stdout


def test_verify_usage_error(tmp_path: Path) -> None:
    proc = cli("verify", tmp_path, "--pubkey", tmp_path / "nope.pub")
    assert proc.returncode == 2
    assert "nope.pub" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_run_output_is_atomic_no_partial_left(demo_run) -> None:  # type: ignore[no-untyped-def]
    run_dir, _, _ = demo_run
    assert not [p for p in run_dir.parent.iterdir() if p.name.startswith(".partial-")]


def test_scan_config_json(tmp_path: Path) -> None:
    cfg = ROOT / "tests" / "data" / "catalogue" / "vrp_5_2.cfg"
    selection = ("--control", "SEC-MGMT-001", "--control", "SEC-NTP-*", "--control", "SEC-SNMP-001")
    proc = cli(
        "scan-config", "--platform", "huawei_vrp", "--format", "json", "--checks", CHECKS, *selection, cfg
    )
    # a fail was found (SNMP-001); NTP-002 waits for `display ntp-service status`, which a saved
    # configuration cannot hold: not_collected, and not "incomplete" for scan-config
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text()))
    status = {f["control_id"]: f["status"] for f in doc["findings"]}
    # MGMT-001: 'telnet server disable' in the configuration stands in for the status command
    assert {k: status[k] for k in ("SEC-MGMT-001", "SEC-NTP-001", "SEC-SNMP-001")} == {
        "SEC-MGMT-001": "pass",
        "SEC-NTP-001": "pass",
        "SEC-SNMP-001": "fail",
    }
    assert set(status) <= {"SEC-MGMT-001", "SEC-NTP-001", "SEC-NTP-002", "SEC-SNMP-001"}
    assert {f["host"] for f in doc["findings"]} == {"vrp_5_2"}


def test_scan_config_exit_codes(tmp_path: Path) -> None:
    """0: no fail (not_collected controls do not count); 3: the configuration itself is bad."""
    good = tmp_path / "r1.cfg"
    good.write_text("#\nsysname R1\n#\nntp-service unicast-server 10.0.0.1\n#\nreturn\n<R1>\n")
    ok = cli("scan-config", "--platform", "huawei_vrp", "--checks", CHECKS, "--control", "SEC-NTP-002", good)
    assert ok.returncode == 0, ok.stdout  # NTP-002 needs `display ntp-service status`: not_collected
    cut = tmp_path / "r2.cfg"
    cut.write_text("#\nsysname R2\n#\nntp-service unicast-server 10.0.0.1\n")
    bad = cli(
        "scan-config",
        "--platform",
        "huawei_vrp",
        "--checks",
        CHECKS,
        "--control",
        "SEC-NTP-001",
        "--format",
        "json",
        cut,
    )
    assert bad.returncode == 3, bad.stdout  # the file is cut: incomplete, even though it proves a fail
    assert [f["status"] for f in json.loads(bad.stdout)["findings"]] == ["fail"]


def test_scan_config_unknown_platform() -> None:
    proc = cli("scan-config", "--platform", "huawei_olt", "--checks", CHECKS, __file__)
    assert proc.returncode == 2
    assert "unknown platform 'huawei_olt'" in proc.stderr


def test_live_without_credentials_or_host_keys_fails_closed(tmp_path: Path) -> None:
    keys = tmp_path / "k"
    assert cli("keys", "generate", "--out-dir", keys, "--name", "l").returncode == 0
    latest = tmp_path / "LATEST"
    proc = cli(
        *audit_args(tmp_path / "r"),
        "--key",
        keys / "l.key",
        "--latest-file",
        latest,
        "--known-hosts-dir",
        tmp_path / "kh",
        "--operator",
        "telecom",
    )
    assert proc.returncode == 3, proc.stderr
    doc = json.loads((Path(latest.read_text().strip()) / "telecom" / "findings.json").read_text())
    assert doc["run"]["source"] == "live"
    assert {c["state"] for c in doc["collection"]} == {"auth_failed"}
    assert not [f for f in doc["findings"] if f["status"] == "pass"]


def test_live_refuses_production_hosts(tmp_path: Path) -> None:
    inv = tmp_path / "inventory"
    shutil.copytree(INVENTORY, inv)
    hosts = inv / "hosts.yaml"
    hosts.write_text(
        hosts.read_text().replace(
            "environment: lab, model: MA5600T", "environment: production, model: MA5600T"
        )
    )
    keys = tmp_path / "k"
    assert cli("keys", "generate", "--out-dir", keys, "--name", "l").returncode == 0
    proc = cli(
        "run", "--inventory", inv, "--checks", CHECKS, "--key", keys / "l.key", "--output", tmp_path / "r"
    )
    assert proc.returncode == 2
    assert "production" in proc.stderr


def test_checks_lint_reports_file_and_line(tmp_path: Path) -> None:
    checks = tmp_path / "checks"
    shutil.copytree(CHECKS, checks)
    bad = checks / "controls" / "ntp" / "SEC-NTP-001.yaml"
    bad.write_text(bad.read_text().replace("severity: medium", "sevrity: medium"))
    broken = checks / "controls" / "snmp" / "SEC-SNMP-001.yaml"
    broken.write_text(broken.read_text().replace("phase: build", "phase: [build"))
    proc = cli("checks", "lint", "--checks", checks)
    assert proc.returncode == 2
    assert re.search(r"SEC-NTP-001\.yaml:\d+: .*sevrity", proc.stderr), proc.stderr
    assert re.search(r"SEC-SNMP-001\.yaml:\d+: YAML syntax error", proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr


def test_checks_list_json() -> None:
    proc = cli("checks", "list", "--format", "json", "--checks", CHECKS)
    assert proc.returncode == 0
    rows = json.loads(proc.stdout)
    assert {r["id"] for r in rows} >= {"SEC-MGMT-001", "SEC-SNMP-001", "SEC-NTP-001"}
    assert all(
        {"id", "title", "title_zh", "phase", "roles", "severity", "standards", "platforms"} <= set(r)
        for r in rows
    )


def _findings(run_dir: Path) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    out = {}
    for op in ("telecom", "mobile", "unicom", "tower"):
        for f in json.loads((run_dir / op / "findings.json").read_text())["findings"]:
            out[f["fingerprint"]] = (f["status"], f["message"], tuple(e["sha256"] for e in f["evidence"]))
    return out


def test_replay_of_run_evidence_gives_identical_findings(demo_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_dir, _, _ = demo_run
    keys = tmp_path / "k"
    assert cli("keys", "generate", "--out-dir", keys, "--name", "r").returncode == 0
    latest = tmp_path / "LATEST"
    proc = cli(
        *audit_args(tmp_path / "reports", evidence=run_dir / "evidence"),
        "--key",
        keys / "r.key",
        "--latest-file",
        latest,
    )
    assert proc.returncode == 3, proc.stderr
    replay = Path(latest.read_text().strip())
    assert _findings(replay) == _findings(run_dir)
    collection = json.loads((replay / "unicom" / "findings.json").read_text())["collection"]
    assert {c["host"]: c["state"] for c in collection}["uni-olt-jx01"] == "output_truncated"


def test_evidence_bundle_is_signed_and_replayable(demo_run) -> None:  # type: ignore[no-untyped-def]
    run_dir, pub, _ = demo_run
    assert cli("verify", run_dir / "evidence", "--pubkey", pub).returncode == 0
    meta = json.loads((run_dir / "evidence" / "tel-olt-xh01" / "meta.json").read_text())
    collection = json.loads((run_dir / "telecom" / "findings.json").read_text())["collection"]
    assert meta["collection"]["state"] == {c["host"]: c["state"] for c in collection}["tel-olt-xh01"]
    stored = run_dir / "evidence" / "tel-olt-xh01"
    for slug, entry in meta["commands"].items():
        if entry["state"] == "ok":
            digest = hashlib.sha256((stored / f"{slug}.txt").read_bytes()).hexdigest()
            assert digest == entry["sha256"]


def test_remediation_plans_and_all_formats_in_bundle(demo_run) -> None:  # type: ignore[no-untyped-def]
    run_dir, _, _ = demo_run
    bundle = run_dir / "unicom"
    for name in ("report.html", "report.md", "findings.json", "findings.csv", "junit.xml", "findings.sarif"):
        assert (bundle / name).is_file(), name
    plan = (bundle / "remediation" / "uni-csr-jx01.txt").read_text()
    assert run_dir.name in plan
    assert "SEC-MGMT-001" in plan
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert "remediation/uni-csr-jx01.txt" in {f["path"] for f in manifest["files"]}


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
@pytest.mark.parametrize("suite", ["ecdsa-x509", "sm2"])
def test_bundle_suites_verify_with_secaudit_and_openssl(suite: str, tmp_path: Path) -> None:
    keys = tmp_path / "k"
    assert cli("keys", "generate", "--suite", suite, "--out-dir", keys, "--name", "s").returncode == 0
    latest = tmp_path / "LATEST"
    signing = ("--key", keys / "s.key", *(("--cert", keys / "s.crt") if suite == "ecdsa-x509" else ()))
    proc = cli(
        *audit_args(tmp_path / "r", evidence=EXAMPLES / "evidence"),
        *signing,
        "--latest-file",
        latest,
        "--operator",
        "telecom",
        "--quiet",
    )
    assert proc.returncode in (0, 1, 3), proc.stderr
    bundle = Path(latest.read_text().strip()) / "telecom"
    manifest = bundle / "manifest.json"
    if suite == "ecdsa-x509":
        trust = tmp_path / "trust"
        trust.mkdir()
        shutil.copy(keys / "s.crt", trust / "s.crt")
        assert cli("verify", bundle, "--trust", trust).returncode == 0
        openssl = [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(bundle / "manifest.p7s"),
            "-content",
            str(manifest),
            "-CAfile",
            str(keys / "s.crt"),
            "-out",
            "/dev/null",
        ]
    else:
        assert cli("verify", bundle, "--pubkey", keys / "s.pub").returncode == 0
        openssl = [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            str(keys / "s.pub"),
            "-rawin",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
            "-in",
            str(manifest),
            "-sigfile",
            str(bundle / "manifest.sm2.sig"),
        ]
    assert subprocess.run(openssl, capture_output=True, check=False).returncode == 0
    (bundle / "report.md").write_text("tampered")
    tampered = cli(
        "verify",
        bundle,
        *(("--trust", tmp_path / "trust") if suite == "ecdsa-x509" else ("--pubkey", keys / "s.pub")),
    )
    assert tampered.returncode == 1
    assert "changed: report.md" in tampered.stdout
    manifest.write_bytes(manifest.read_bytes().replace(b'"tool_version":"', b'"tool_version":"x'))
    assert subprocess.run(openssl, capture_output=True, check=False).returncode != 0


def test_verify_replay_rederives_findings_and_catches_a_dishonest_resign(tmp_path: Path) -> None:
    from secaudit.sign.keys import load_private_key
    from secaudit.sign.manifest import RunStamp, sign_bundle

    keys = tmp_path / "k"
    assert cli("keys", "generate", "--out-dir", keys, "--name", "r").returncode == 0
    latest = tmp_path / "LATEST"
    cli(
        *audit_args(tmp_path / "out", evidence=EXAMPLES / "evidence"),
        "--key",
        keys / "r.key",
        "--latest-file",
        latest,
        "--operator",
        "unicom",
        "--waivers",
        EXAMPLES / "waivers.yaml",
        "--quiet",
    )
    bundle = Path(latest.read_text().strip()) / "unicom"
    for name in ("run.json", "inventory.json", "waivers.json", "attestations.json"):
        assert (bundle / "provenance" / name).is_file()
    assert (bundle / "provenance" / "catalogue" / "controls" / "mgmt" / "SEC-MGMT-001.yaml").is_file()
    ok = cli("verify", bundle, "--pubkey", keys / "r.pub", "--replay")
    assert ok.returncode == 0, ok.stdout
    assert "re-derived from the evidence" in ok.stdout
    doc = json.loads((bundle / "findings.json").read_text())
    for f in doc["findings"]:
        if f["host"] == "uni-csr-jx01" and f["control_id"] == "SEC-MGMT-001":
            f["status"] = "pass"
    (bundle / "findings.json").write_text(json.dumps(doc))
    (bundle / "manifest.json").unlink()  # re-sign as a dishonest signer holding the key would
    sign_bundle(bundle, load_private_key(keys / "r.key"), RunStamp(doc["run"]["id"], "0", "0" * 64, "s", "f"))
    forged = cli("verify", bundle, "--pubkey", keys / "r.pub", "--replay")
    assert forged.returncode == 1
    assert "uni-csr-jx01 SEC-MGMT-001: recorded pass" in forged.stdout


def test_per_operator_keys(tmp_path: Path) -> None:
    keys = tmp_path / "k"
    for name in ("main", "tel"):
        assert cli("keys", "generate", "--out-dir", keys, "--name", name).returncode == 0
    latest = tmp_path / "L"
    cli(
        *audit_args(tmp_path / "r", evidence=EXAMPLES / "evidence"),
        "--key",
        keys / "main.key",
        "--key-for",
        f"telecom={keys / 'tel.key'}",
        "--operator",
        "telecom",
        "--operator",
        "mobile",
        "--latest-file",
        latest,
        "--quiet",
    )
    run_dir = Path(latest.read_text().strip())
    assert cli("verify", run_dir / "telecom", "--pubkey", keys / "tel.pub").returncode == 0
    assert cli("verify", run_dir / "telecom", "--pubkey", keys / "main.pub").returncode == 1
    assert cli("verify", run_dir / "mobile", "--pubkey", keys / "main.pub").returncode == 0
    assert cli("verify", run_dir / "city", "--pubkey", keys / "main.pub").returncode == 0


def test_console_names_hosts_not_fully_collected(demo_run) -> None:  # type: ignore[no-untyped-def]
    _, _, proc = demo_run
    lines = [ln.split() for ln in proc.stdout.splitlines()]
    assert "not fully collected: 1 of 7 hosts" in proc.stdout
    assert next(ln[:3] for ln in lines if ln[:1] == ["uni-olt-jx01"]) == [
        "uni-olt-jx01",
        "unicom",
        "output_truncated",
    ]
    assert "COLLECTION INCOMPLETE" not in proc.stdout  # 1 of 7 is not half


def test_mostly_uncollected_run_warns_and_is_incomplete_in_history(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(EXAMPLES / "evidence" / "tel-olt-xh01", evidence / "tel-olt-xh01")
    keys = tmp_path / "keys"
    assert cli("keys", "generate", "--out-dir", keys, "--name", "t").returncode == 0
    run = [*audit_args(tmp_path / "reports", evidence=evidence), "--key", keys / "t.key"]
    proc = cli(*run)
    assert proc.returncode == 3, proc.stderr
    assert "not fully collected: 6 of 7 hosts" in proc.stdout
    for host in ("mob-csr-nh01", "uni-olt-jx01", "twr-csr-hn01"):
        assert re.search(rf"^\s+{host}\s+\w+\s+evidence_missing\s+\S", proc.stdout, re.MULTILINE), host
    assert "COLLECTION INCOMPLETE: 6 of 7 hosts (86 %)" in " ".join(proc.stdout.split())
    quiet = cli(*run, "--quiet")
    assert quiet.stdout == ""
    assert "COLLECTION INCOMPLETE" in quiet.stderr
    history = cli("history", "--db", tmp_path / "reports" / "history.sqlite3")
    assert history.returncode == 0
    assert history.stdout.count("collection_incomplete") == 2
    assert "(not in trend)" in history.stdout
