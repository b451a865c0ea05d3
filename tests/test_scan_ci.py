"""``scan-config --format junit|sarif``: what a CI job over configuration backups reads."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
from junitparser import Failure, JUnitXml

from conftest import CHECKS

TESTS = Path(__file__).resolve().parent
SARIF_SCHEMA = TESTS / "data" / "schemas" / "sarif-2.1.0.json"

# A VRP backup: SNMPv2c community in clear (a fail with a line to point at), telnet off (a pass).
GOOD_LINES = ["#", "sysname R1", "#", "telnet server disable", "telnet ipv6 server disable", "#"]
BAD_LINES = ["#", "sysname R2", "#", "snmp-agent", "snmp-agent community read s3cr3t-Str1ng", "#"]
SELECTION = ("--control", "SEC-MGMT-001", "--control", "SEC-SNMP-001")


def scan(cwd: Path, *args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "secaudit",
            "scan-config",
            "--platform",
            "huawei_vrp",
            "--checks",
            CHECKS,
            *map(str, args),
        ],
        capture_output=True,
        cwd=cwd,
        check=False,
    )


def backups(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "backups"
    folder.mkdir()
    good, bad = folder / "r1.cfg", folder / "r2.cfg"
    good.write_text("\n".join([*GOOD_LINES, "return", ""]))
    bad.write_text("\n".join([*BAD_LINES, "return", ""]))
    return good, bad


def test_sarif_points_at_the_scanned_file_and_line(tmp_path: Path) -> None:
    good, bad = backups(tmp_path)
    out = tmp_path / "scan.sarif"
    proc = scan(
        tmp_path, "--format", "sarif", "--output", out, *SELECTION, "backups/r1.cfg", "backups/r2.cfg"
    )
    assert proc.returncode == 1, proc.stderr  # a fail: the CI gate still sees it
    assert proc.stdout == b""  # the document went to --output
    doc = json.loads(out.read_bytes())
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    (run,) = doc["runs"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    artifacts = {a["location"]["uri"]: a["hashes"]["sha-256"] for a in run["artifacts"]}
    assert artifacts == {
        "backups/r1.cfg": hashlib.sha256(good.read_bytes()).hexdigest(),
        "backups/r2.cfg": hashlib.sha256(bad.read_bytes()).hexdigest(),
    }
    [snmp] = [r for r in run["results"] if r["ruleId"] == "SEC-SNMP-001"]
    physical = snmp["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "backups/r2.cfg"
    assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert run["artifacts"][physical["artifactLocation"]["index"]]["location"]["uri"] == "backups/r2.cfg"
    # the line the auditor would point at: where the community is configured
    assert BAD_LINES[physical["region"]["startLine"] - 1].startswith("snmp-agent community")
    assert snmp["level"] == "error"
    # no result points into an evidence store a scan never wrote, and the secret stays out
    assert "BUNDLEROOT" not in out.read_text()
    assert "s3cr3t" not in out.read_text()
    # the passing control of r1 is checked, not reported
    assert not [r for r in run["results"] if r["properties"]["host"] == "r1"]


def test_sarif_file_outside_the_working_folder_gets_an_absolute_uri(tmp_path: Path) -> None:
    _, bad = backups(tmp_path)
    elsewhere = tmp_path / "ci"
    elsewhere.mkdir()
    proc = scan(elsewhere, "--format", "sarif", *SELECTION, bad)
    assert proc.returncode == 1, proc.stderr
    (run,) = json.loads(proc.stdout)["runs"]
    assert [a["location"] for a in run["artifacts"]] == [{"uri": bad.as_uri()}]


def test_junit_one_suite_per_file_and_a_failure_for_the_fail(tmp_path: Path) -> None:
    backups(tmp_path)
    out = tmp_path / "junit.xml"
    proc = scan(tmp_path, "--format", "junit", "-o", out, *SELECTION, "backups/r1.cfg", "backups/r2.cfg")
    assert proc.returncode == 1, proc.stderr
    suites = {s.name: s for s in JUnitXml.fromfile(str(out))}
    assert set(suites) == {"r1", "r2"}
    failed = {case.name for case in suites["r2"] if any(isinstance(r, Failure) for r in case.result)}
    assert any("SEC-SNMP-001" in name for name in failed), failed
    assert not any(isinstance(r, Failure) for case in suites["r1"] for r in case.result)


def test_output_needs_a_document_format(tmp_path: Path) -> None:
    good, _ = backups(tmp_path)
    proc = scan(tmp_path, "--output", tmp_path / "x", good)
    assert proc.returncode == 2
    assert b"--output needs --format" in proc.stderr
    proc = scan(tmp_path, "--format", "xml", good)
    assert proc.returncode == 2
    assert b"table, json, junit, sarif" in proc.stderr
