"""Bad input: a clear one-line message, no traceback, nothing written outside the run folder,
never a pass."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from secaudit.collect.text import assess, decode_output
from secaudit.errors import ParseError
from secaudit.models.enums import EvidenceState
from secaudit.models.manifest import FileDigest, Manifest
from secaudit.parse.config import normalise_lines, xml_lines
from secaudit.platforms import get_platform
from secaudit.redact import redact_line
from secaudit.sign.manifest import canonical_bytes

from conftest import CHECKS, EXAMPLES, INVENTORY, audit_args

SECAUDIT = [sys.executable, "-m", "secaudit"]


def cli(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SECAUDIT, *map(str, args)], capture_output=True, text=True, check=False, cwd=cwd)


def _one_clean_line(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert len([ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]) == 1, proc.stderr


def test_path_traversal_host_name(tmp_path: Path) -> None:
    inv = tmp_path / "inventory"
    shutil.copytree(INVENTORY, inv)
    hosts = inv / "hosts.yaml"
    hosts.write_text(hosts.read_text().replace("tel-olt-xh01:", "../../etc:", 1))
    keys = tmp_path / "k"
    cli("keys", "generate", "--out-dir", keys, "--name", "b")
    proc = cli(
        "run",
        "--offline",
        EXAMPLES / "evidence",
        "--inventory",
        inv,
        "--checks",
        CHECKS,
        "--key",
        keys / "b.key",
        "--output",
        tmp_path / "out",
        cwd=tmp_path,
    )
    _one_clean_line(proc)
    assert "../../etc" in proc.stderr and "hosts.yaml:" in proc.stderr
    assert not (tmp_path / "etc").exists()
    assert not list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True


def test_duplicate_control_ids(tmp_path: Path) -> None:
    checks = tmp_path / "checks"
    shutil.copytree(CHECKS, checks)
    (checks / "controls" / "mgmt" / "copy").mkdir()
    shutil.copy(
        checks / "controls" / "mgmt" / "SEC-MGMT-001.yaml",
        checks / "controls" / "mgmt" / "copy" / "SEC-MGMT-001.yaml",
    )
    proc = cli("checks", "lint", "--checks", checks)
    assert proc.returncode == 2
    assert "duplicate control id SEC-MGMT-001" in proc.stderr


def test_malformed_waivers(tmp_path: Path) -> None:
    bad = tmp_path / "w.yaml"
    bad.write_text("waivers:\n  - control: SEC-MGMT-001\n    scope: {hosts: [a\n")
    proc = cli("waivers", "lint", bad, "--checks", CHECKS)
    _one_clean_line(proc)
    assert "w.yaml:" in proc.stderr


def test_hostile_evidence_never_passes(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(EXAMPLES / "evidence", evidence)
    host = evidence / "tel-csr-xh01"
    cfg = host / "display_current-configuration.txt"
    # NUL bytes, ANSI escapes and GBK text in a banner: decoded, not fatal
    cfg.write_bytes(cfg.read_bytes().replace(b"sysname", "\x00\x1b[31m告警\x1b[0m\nsysname".encode("gbk"), 1))
    # a 100 MB status output (sparse): refused as too large, an error
    big = host / "display_telnet_server_status.txt"
    with big.open("r+b") as handle:
        handle.truncate(100 * 1024 * 1024)
    # a symlink where evidence should be: refused
    other = evidence / "tel-olt-xh01" / "display_sysman_service_state.txt"
    other.unlink()
    other.symlink_to("/etc/passwd")
    keys = tmp_path / "k"
    cli("keys", "generate", "--out-dir", keys, "--name", "b")
    latest = tmp_path / "L"
    proc = cli(
        *audit_args(tmp_path / "out", evidence=evidence),
        "--key",
        keys / "b.key",
        "--operator",
        "telecom",
        "--latest-file",
        latest,
    )
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads((Path(latest.read_text().strip()) / "telecom" / "findings.json").read_text())
    by = {(f["host"], f["control_id"]): f for f in doc["findings"]}
    assert by[("tel-csr-xh01", "SEC-MGMT-001")]["status"] == "error"
    assert by[("tel-olt-xh01", "SEC-MGMT-001")]["status"] == "error"
    assert "symlinks are refused" in by[("tel-olt-xh01", "SEC-MGMT-001")]["message"]
    stored = Path(latest.read_text().strip()) / "evidence" / "tel-olt-xh01"
    assert b"root:" not in b"".join(p.read_bytes() for p in stored.iterdir())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_decode_and_assess_never_raise(data: bytes) -> None:
    text = decode_output(data)
    state, _ = assess(get_platform("huawei_vrp"), "display current-configuration", text, is_config=True)
    if "---- More" in text:
        assert state is not EvidenceState.OK


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_parsers_fail_only_with_parse_error(text: str) -> None:
    for name in ("huawei_vrp", "huawei_smartax", "zte_zxros"):
        normalise_lines(get_platform(name), text)
    with contextlib.suppress(ParseError):
        xml_lines(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_redaction_is_idempotent(line: str) -> None:
    once = redact_line(line)
    assert redact_line(once) == once


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=30), st.integers(min_value=0, max_value=10**9)),
        max_size=10,
    ),
    st.text(max_size=40),
)
def test_manifest_canonical_form_round_trips(files: list[tuple[str, int]], run_id: str) -> None:
    manifest = Manifest(
        bundle="b",
        run_id=run_id,
        tool_version="0",
        checks_digest="c",
        started_at="s",
        finished_at="f",
        signed_at="t",
        key_id="k",
        files=tuple(FileDigest(path=p, sha256="0" * 64, size=n) for p, n in files),
    )
    data = canonical_bytes(manifest)
    assert canonical_bytes(Manifest.model_validate_json(data)) == data
    assert data.endswith(b"\n") and b"\n" not in data[:-1]
