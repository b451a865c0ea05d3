"""One platform registry: everything platform-specific lives in ``src/secaudit/platforms/<platform>.py``.

* every ``Platform`` member has one ``PlatformSpec`` in a module of its own name;
* the findings JSON schema, the lab, the live collector and the remediation driver derive their
  platform lists and per-platform behaviour from the registry;
* no other module under ``src/secaudit`` names a platform in its code (the scan below).

The recipe for a new platform is ``docs/add-a-platform.md``.
"""

from __future__ import annotations

import ast
import importlib
import io
import json
import re
import tokenize
from dataclasses import fields, is_dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from secaudit.models.enums import Platform
from secaudit.platforms import PLATFORMS, lab_platforms
from secaudit.platforms.base import PlatformSpec

from conftest import ROOT

SRC = ROOT / "src" / "secaudit"
PLATFORMS_DIR = SRC / "platforms"

# Modules of secaudit/platforms/ that are not a platform: the spec types, the registry, and the
# structural judgement of configurations (which reads a spec, never a name).
GENERIC_PLATFORM_MODULES = {"__init__.py", "base.py", "frame.py"}

#: Files outside secaudit/platforms/ allowed to name platforms, each with its reason.
ALLOWED: dict[str, str] = {
    "models/enums.py": "defines the Platform enum: its member names and values are the platform names",
}

VALUES = {p.value for p in Platform}
MEMBERS = {p.name for p in Platform}
# The names other libraries use for the platforms (netmiko, ntc-templates, hier_config): a module
# that needs one must read it from the spec. hier_config's GENERIC driver is no platform's name.
OTHER_NAMES = {
    name
    for spec in PLATFORMS.values()
    for name in (spec.netmiko_device_type, spec.ntc_platform, spec.hconfig_platform)
    if name is not None and name != "GENERIC"
}
_WORD = re.compile(
    r"(?<![A-Za-z0-9_])("
    + "|".join(sorted(map(re.escape, VALUES | MEMBERS | OTHER_NAMES), key=len, reverse=True))
    + r")(?![A-Za-z0-9_])"
)


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring nodes: documentation (their doctests run against the registry)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def platform_names_in(source: str, names: re.Pattern[str] = _WORD) -> list[str]:
    """Where ``source`` names a platform in code: string literals (docstrings excepted), comments,
    attributes and names that are a platform's value, enum member or library name, and imports of
    a platform module or of a vendor's hier_config driver.

    >>> platform_names_in('x = "show version"  # any platform')
    []
    >>> platform_names_in('if p.value in ("zte_zxa10", "x"):\\n    pass  # ZTE')
    ['line 1: string literal names zte_zxa10']
    >>> platform_names_in("def f():\\n    'cisco_xr example'\\n    return Platform.CISCO_XR")
    ['line 3: attribute names CISCO_XR']
    """
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    hits: list[str] = []
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            hits.extend(f"{where}: string literal names {m}" for m in names.findall(node.value))
        elif isinstance(node, ast.Attribute) and names.fullmatch(node.attr):
            hits.append(f"{where}: attribute names {node.attr}")
        elif isinstance(node, ast.Name) and names.fullmatch(node.id):
            hits.append(f"{where}: name {node.id}")
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            module = node.module
            if module.startswith("hier_config.platforms.") and not module.endswith(".driver_base"):
                hits.append(f"{where}: imports a vendor's hier_config driver ({module})")
            if module.startswith("secaudit.platforms.") and f"{module.rsplit('.', 1)[1]}.py" not in (
                GENERIC_PLATFORM_MODULES
            ):
                hits.append(f"{where}: imports a platform module ({module})")
            if module == "secaudit.platforms":
                named = [a.name for a in node.names if a.name in VALUES]
                hits.extend(f"{where}: imports platform module {name}" for name in named)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            hits.extend(f"line {tok.start[0]}: comment names {m}" for m in names.findall(tok.string))
    return hits


def _src_modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if PLATFORMS_DIR not in p.parents)


def test_nothing_outside_the_platform_modules_names_a_platform() -> None:
    problems = []
    for path in _src_modules():
        rel = path.relative_to(SRC).as_posix()
        hits = platform_names_in(path.read_text(encoding="utf-8"))
        if rel in ALLOWED:
            assert hits, f"{rel} is an allowed exception but names no platform: drop it from ALLOWED"
            continue
        problems.extend(f"{rel}: {hit}" for hit in hits)
    assert not problems, "platform knowledge outside src/secaudit/platforms/:\n" + "\n".join(problems)


def test_the_allowed_exceptions_are_few_and_exist() -> None:
    assert len(ALLOWED) <= 2
    for rel, reason in ALLOWED.items():
        assert (SRC / rel).is_file(), rel
        assert reason


def test_a_platform_module_names_only_its_own_platform() -> None:
    for spec in PLATFORMS.values():
        path = PLATFORMS_DIR / f"{spec.name.value}.py"
        own = {spec.name.value, spec.name.name, spec.netmiko_device_type, spec.ntc_platform}
        own.add(spec.hconfig_platform)
        others = (VALUES | MEMBERS | OTHER_NAMES) - own
        if not others:
            continue
        pattern = re.compile(
            r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, sorted(others))) + r")(?![A-Za-z0-9_])"
        )
        hits = platform_names_in(path.read_text(encoding="utf-8"), pattern)
        assert not hits, f"{path.name} names another platform: {hits}"


def test_one_module_per_platform() -> None:
    modules = {p.name for p in PLATFORMS_DIR.glob("*.py")} - GENERIC_PLATFORM_MODULES
    assert modules == {f"{p.value}.py" for p in Platform}
    assert list(PLATFORMS) == list(Platform)  # the registry lists every member, in enum order
    for platform, spec in PLATFORMS.items():
        module = importlib.import_module(f"secaudit.platforms.{platform.value}")
        assert module.PLATFORM is spec


def _assert_frozen_slotted(cls: type) -> None:
    assert is_dataclass(cls), cls
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen, cls
    assert "__slots__" in cls.__dict__, cls


def test_a_platform_is_frozen_slotted_data() -> None:
    _assert_frozen_slotted(PlatformSpec)
    nested = {f.name for f in fields(PlatformSpec)} & {"remediation", "lab"}
    assert nested == {"remediation", "lab"}
    for spec in PLATFORMS.values():
        for value in (spec.remediation, spec.lab, spec.lab.cli if spec.lab else None):
            if value is not None:
                _assert_frozen_slotted(type(value))


def test_the_findings_schema_lists_exactly_the_registry() -> None:
    from secaudit.report.json_doc import SCHEMA_PATH

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$defs"]["platform"]["enum"] == [p.value for p in PLATFORMS], (
        "report/schemas/findings.schema.json: $defs.platform.enum must equal the registry (in order)"
    )


def test_live_drivers_and_offline_flags_agree() -> None:
    for spec in PLATFORMS.values():
        assert spec.offline_only == (spec.netmiko_device_type is None), spec.name
        if spec.lab is not None:
            assert spec.netmiko_device_type is not None, f"{spec.name}: the lab simulates a CLI"
        if spec.netmiko_device_type is not None:
            assert spec.read_only_prefixes, f"{spec.name}: a live platform needs a read-only allowlist"


def test_the_lab_derives_its_platforms_from_the_registry() -> None:
    from secaudit.lab import LAB_PLATFORMS
    from secaudit.lab.fleet import FAMILIES
    from secaudit.lab.fleetdata import lab_data_platforms
    from secaudit.lab.platforms import PROFILES

    expected = tuple(spec.name.value for spec in lab_platforms())
    assert expected == LAB_PLATFORMS
    assert tuple(PROFILES) == expected
    assert tuple(FAMILIES) == expected
    assert set(lab_data_platforms()) == set(expected)  # one data folder per simulated platform
    for spec in lab_platforms():
        assert spec.lab is not None
        assert PROFILES[spec.name.value] is spec.lab.cli
        assert FAMILIES[spec.name.value] == (spec.lab.family, spec.default_role.value, spec.lab.model)


def test_the_remediation_driver_is_built_from_the_registry() -> None:
    from hier_config import Platform as HConfigPlatform
    from hier_config import get_hconfig_driver

    from secaudit.remediate.driver import RemediationDriver, hconfig_driver, rules_for

    for platform, spec in PLATFORMS.items():
        assert rules_for(platform) is spec.remediation
        if spec.remediation is None:
            with pytest.raises(ValueError, match="no hier_config remediation driver"):
                hconfig_driver(platform)
            continue
        driver = hconfig_driver(platform)
        native = get_hconfig_driver(HConfigPlatform[spec.hconfig_platform])
        assert isinstance(driver, RemediationDriver)
        assert isinstance(driver, type(native))
        assert type(native) is not type(get_hconfig_driver(HConfigPlatform.GENERIC))
        assert driver.table is spec.remediation
        assert driver.negation_prefix == native.negation_prefix
        added = len(driver.rules.idempotent_commands) - len(native.rules.idempotent_commands)
        assert added == len(spec.remediation.single_value_settings)


class _FakeConnection:
    """Just enough of a netmiko connection for ``collect_host``."""

    base_prompt = "DEV"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def check_enable_mode(self) -> bool:
        return False

    def enable(self) -> None:
        self.calls.append("enable")

    def send_command(self, command: str, **_: Any) -> str:
        self.calls.append(command)
        return "x\n"


@pytest.mark.parametrize("platform", [s.name for s in PLATFORMS.values() if s.netmiko_device_type])
def test_the_live_collector_enables_when_the_spec_says_so(platform: Platform) -> None:
    from secaudit.collect.live import LiveOptions, collect_host
    from secaudit.collect.plan import PlannedCommand
    from secaudit.models.enums import Environment
    from secaudit.models.target import Target

    spec = PLATFORMS[platform]
    conn = _FakeConnection()
    host = SimpleNamespace(get_connection=lambda *_: conn, close_connection=lambda *_: None, connections={})
    task = SimpleNamespace(host=host, nornir=SimpleNamespace(config=None))
    target = Target(
        name="dev",
        hostname="127.0.0.1",
        platform=platform,
        operator="telecom",
        role=spec.default_role,
        site="lab",
        environment=Environment.LAB,
        model="lab",
    )
    command = f"{spec.read_only_prefixes[0]}version"
    plan = (PlannedCommand(command, is_config=False),)
    collect_host(task, target, plan, LiveOptions(known_hosts_dir=Path()), ())  # type: ignore[arg-type]
    expected = ["enable"] if spec.enable_before_commands else []
    assert conn.calls == [*expected, *spec.session_setup, command]
