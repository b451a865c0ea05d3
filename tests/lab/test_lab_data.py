"""The lab's canned device data: hardened outputs pass the baseline, each variant breaks what it says.

For every live platform the hardened outputs (``src/secaudit/lab/data/<platform>/``) are read through
the offline collector and evaluated against every automated control of the platform's default
role. Every finding must be pass or not_applicable, except the deliberate warnings listed in
``EXPECTED_WARN``. Every variant in ``variants.yaml`` must turn each control it names into fail or
warn (a different verdict than on the hardened device) and leave every other verdict unchanged.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import pytest

from secaudit.collect.live import check_read_only
from secaudit.collect.offline import read_evidence
from secaudit.collect.plan import build_plan, resolve_command
from secaudit.collect.text import command_slug, repair_text
from secaudit.evaluate.loader import load_catalogue
from secaudit.lab import LAB_PLATFORMS
from secaudit.lab.fleetdata import (
    HOSTNAME_TOKEN,
    apply_variant,
    command_from_slug,
    lab_data_platforms,
    load_variants,
    platform_outputs,
)
from secaudit.models.control import Control
from secaudit.models.enums import Environment, Platform, Status
from secaudit.models.knobs import Knobs
from secaudit.models.target import Target
from secaudit.pipeline import evaluate_host
from secaudit.platforms import get_platform
from secaudit.platforms.frame import config_body

REPO = Path(__file__).resolve().parents[2]
CHECKS = REPO / "checks"
DATA = REPO / "src" / "secaudit" / "lab" / "data"

PLATFORMS = LAB_PLATFORMS  # every platform with a lab profile in the registry
HOSTNAME = "HZ-XH-LAB01"
MIN_VARIANTS = 5

EXPECTED_WARN: dict[str, dict[str, str]] = {
    "zte_zxros": {
        "SEC-RTE-001": (
            "the MD5 rule '(password|authentication).*\\bmd5\\b' also matches the NTP key line "
            "'ntp authentication-key 1 md5 encrypted ...', and MD5 is the only verified ZXROS NTP key type"
        ),
    },
    "cisco_xr": {
        "SEC-IAM-004": (
            "IOS XR stores TACACS+ keys only as type 7 ('key 7 ...'); SEC-IAM-006 needs TACACS+, "
            "so the reversible-key warning stays until the release supports type-6 TACACS keys"
        ),
    },
}

ACCEPTED = {Status.PASS, Status.NOT_APPLICABLE}
BROKEN = {Status.FAIL, Status.WARN}


@cache
def _catalogue_controls() -> tuple[Control, ...]:
    return load_catalogue(CHECKS).controls


def _target(platform: str) -> Target:
    spec = get_platform(platform)
    return Target(
        name="lab-host",
        hostname="127.0.0.1",
        platform=Platform(platform),
        operator="telecom",
        role=spec.default_role,
        site="lab",
        environment=Environment.LAB,
        model="lab",
    )


def _automated(platform: str) -> tuple[Control, ...]:
    role = get_platform(platform).default_role
    result = []
    for control in _catalogue_controls():
        check = control.platforms.get(platform)
        if check is None or check.manual or check.not_applicable is not None:
            continue
        if role in control.roles:
            result.append(control)
    return tuple(result)


def _needed_commands(platform: str) -> set[str]:
    commands = set()
    for control in _automated(platform):
        for spec in control.platforms[platform].evidence:
            command = resolve_command(platform, spec)
            assert command is not None
            commands.add(command)
    return commands


def _evaluate(platform: str, outputs: dict[str, str]) -> dict[str, tuple[Status, str]]:
    """Control id -> (status, message) for ``outputs`` read back through the offline collector."""
    target = _target(platform)
    controls = _automated(platform)
    plan = build_plan([target], controls)[target.name]
    with tempfile.TemporaryDirectory() as tmp:
        host_dir = Path(tmp)
        for command, text in outputs.items():
            (host_dir / f"{command_slug(command)}.txt").write_text(text, encoding="utf-8")
        evidence = tuple(read_evidence(target, cmd, host_dir, {}) for cmd in plan)
    findings = evaluate_host(target, evidence, controls, Knobs())
    assert len(findings) == len(controls)
    return {f.control_id: (f.status, f.message) for f in findings}


@cache
def _hardened(platform: str) -> dict[str, tuple[Status, str]]:
    return _evaluate(platform, platform_outputs(platform, HOSTNAME))


# Platforms whose lab data serves automated controls, and platforms the lab simulates for collection
# only (every control block manual, e.g. FiberHome: docs/add-a-platform.md).
AUDITED = tuple(p for p in PLATFORMS if _automated(p))
COLLECTION_ONLY = tuple(p for p in PLATFORMS if p not in AUDITED)


def _variant_cases() -> list[tuple[str, str]]:
    return [(platform, name) for platform, variants in load_variants().items() for name in variants]


def test_data_covers_exactly_the_live_platforms() -> None:
    assert set(lab_data_platforms()) == set(PLATFORMS)
    assert set(load_variants()) == set(AUDITED)


@pytest.mark.parametrize("platform", COLLECTION_ONLY)
def test_collection_only_platform_has_read_only_data(platform: str) -> None:
    """A platform without automated controls: its data is what collection is proven with."""
    spec = get_platform(platform)
    outputs = platform_outputs(platform, HOSTNAME)
    assert outputs, "a simulated platform needs at least one canned command"
    assert not _needed_commands(platform)
    for command, text in outputs.items():
        check_read_only(spec, command)
        assert command_from_slug(command_slug(command)) == command, command
        assert text.strip(), command


@pytest.mark.parametrize("platform", AUDITED)
def test_one_file_per_needed_command(platform: str) -> None:
    files = {p.stem for p in (DATA / platform).glob("*.txt")}
    assert {p.name for p in (DATA / platform).iterdir()} == {f"{stem}.txt" for stem in files}
    needed = _needed_commands(platform)
    assert {command_slug(c) for c in needed} == files
    for command in needed:
        assert command_from_slug(command_slug(command)) == command, command
    assert set(platform_outputs(platform, HOSTNAME)) == needed


@pytest.mark.parametrize("platform", PLATFORMS)
def test_hostname_is_the_only_template(platform: str) -> None:
    raw = {p.stem: p.read_text(encoding="utf-8") for p in (DATA / platform).glob("*.txt")}
    for slug, text in raw.items():
        assert text.count("{{") == text.count(HOSTNAME_TOKEN), slug
        assert text.endswith("\n"), slug
    outputs = platform_outputs(platform, HOSTNAME)
    assert not any(HOSTNAME_TOKEN in text for text in outputs.values())
    config_command = get_platform(platform).config_command
    if config_command is not None:
        config = outputs[config_command]
        assert HOSTNAME in config
        spec = get_platform(platform)
        assert config_body(spec, repair_text(spec, config, is_config=True)).problem == ""  # whole


def test_platform_outputs_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="no lab data"):
        platform_outputs("huawei_ont_xml", HOSTNAME)
    with pytest.raises(ValueError, match="one non-empty word"):
        platform_outputs("huawei_vrp", "two words")


@pytest.mark.parametrize("platform", AUDITED)
def test_hardened_device_passes(platform: str) -> None:
    expected_warn = EXPECTED_WARN.get(platform, {})
    statuses = _hardened(platform)
    assert set(expected_warn) <= set(statuses), "EXPECTED_WARN names a control not evaluated here"
    problems = []
    for control_id, (status, message) in sorted(statuses.items()):
        if control_id in expected_warn:
            if status is not Status.WARN:
                problems.append(f"{control_id}: expected a deliberate warn, got {status.value}: {message}")
        elif status not in ACCEPTED:
            problems.append(f"{control_id}: {status.value}: {message}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("platform", AUDITED)
def test_enough_variants(platform: str) -> None:
    variants = load_variants()[platform]
    assert len(variants) >= MIN_VARIANTS
    automated = {c.id for c in _automated(platform)}
    for name, variant in variants.items():
        assert set(variant.breaks) <= automated, f"{name}: breaks a control not automated here"


@pytest.mark.parametrize(("platform", "name"), _variant_cases())
def test_variant_breaks_what_it_says(platform: str, name: str) -> None:
    variant = load_variants()[platform][name]
    hardened_outputs = platform_outputs(platform, HOSTNAME)
    for edit in variant.edits:
        command = edit.command or get_platform(platform).config_command
        assert command in hardened_outputs, f"{name}: no output for {command!r}"
        assert hardened_outputs[command].count(edit.replace) == 1, f"{name}: {edit.replace!r} not unique"
    broken = apply_variant(hardened_outputs, variant)
    before = _hardened(platform)
    after = _evaluate(platform, broken)
    problems = []
    for control_id, (status, message) in sorted(after.items()):
        old = before[control_id][0]
        if control_id in variant.breaks:
            if status not in BROKEN or status is old:
                problems.append(
                    f"{control_id}: expected to break ({old.value} -> fail/warn), got {status.value}"
                )
        elif status is not old:
            problems.append(f"{control_id}: changed {old.value} -> {status.value} ({message})")
    assert not problems, f"{platform}/{name}:\n" + "\n".join(problems)


def test_apply_variant_rejects_ambiguous_or_missing_text() -> None:
    outputs = platform_outputs("huawei_vrp", HOSTNAME)
    variant = load_variants()["huawei_vrp"]["telnet_on"]
    bad = variant.model_copy(update={"edits": (variant.edits[0].model_copy(update={"replace": "#\n"}),)})
    with pytest.raises(ValueError, match="occurs"):
        apply_variant(outputs, bad)
    missing = variant.model_copy(
        update={"edits": (variant.edits[0].model_copy(update={"command": "display version"}),)}
    )
    with pytest.raises(ValueError, match="no such command"):
        apply_variant(outputs, missing)
