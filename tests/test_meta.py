"""Completeness meta-tests: content and its fixtures must agree."""

from __future__ import annotations

from collections import defaultdict

from secaudit.evaluate.loader import load_catalogue, required_kinds
from secaudit.models.enums import Platform
from secaudit.platforms import PLATFORMS

from conftest import CHECKS, ROOT
from fixtures import CONTROLS_DIR, discover


def test_every_automated_block_has_pass_fail_and_error_cases() -> None:
    catalogue = load_catalogue(CHECKS)
    kinds: dict[tuple[str, str], set[str]] = defaultdict(set)
    for case in discover():
        kinds[(case.control_id, case.platform)].add(case.kind)
    missing = []
    for control in catalogue.controls:
        for platform, check in control.platforms.items():
            if not check.evaluated:
                continue
            have = kinds[(control.id, platform.value)]
            for needed in required_kinds(check):
                if needed not in have:
                    missing.append(f"{control.id}/{platform.value}: no {needed}_ case")
    assert not missing, "\n".join(missing)


def test_fixture_folders_name_real_controls_and_platforms() -> None:
    ids = {c.id for c in load_catalogue(CHECKS).controls}
    for control_dir in CONTROLS_DIR.iterdir():
        assert control_dir.name in ids, f"fixtures for unknown control {control_dir.name}"
        for platform_dir in control_dir.iterdir():
            assert platform_dir.name in {p.value for p in Platform}


def test_platform_registry_is_closed_and_consistent() -> None:
    import importlib

    dispatch = importlib.import_module("netmiko.ssh_dispatcher")

    assert set(PLATFORMS) == set(Platform)
    for platform, spec in PLATFORMS.items():
        assert spec.name is platform
        if spec.netmiko_device_type is not None:
            assert spec.netmiko_device_type in dispatch.CLASS_MAPPER_BASE, spec.netmiko_device_type
        from hier_config import Platform as HPlatform

        assert spec.hconfig_platform in HPlatform.__members__


def test_no_source_module_over_500_lines() -> None:
    """Modules stay small enough to own one job (issue 11); split a module before it grows past 500."""
    src = ROOT / "src" / "secaudit"
    sizes = {
        p.relative_to(src).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for p in src.rglob("*.py")
    }
    big = {name: n for name, n in sizes.items() if n > 500}
    assert not big, f"modules over 500 lines: {big}"
