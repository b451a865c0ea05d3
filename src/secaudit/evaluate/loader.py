"""Load and lint the check catalogue (``checks/``). Broken content fails before any collection."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from secaudit.errors import CheckDefinitionError
from secaudit.evaluate.functions import FUNCTIONS
from secaudit.models.city import Board, CityTargets, DeclaredKpis
from secaudit.models.control import (
    COMPOSITE,
    ConfigNumber,
    Control,
    Fallback,
    PlatformCheck,
    PythonRule,
    Rule,
)
from secaudit.models.enums import Platform
from secaudit.models.knobs import Knobs
from secaudit.models.profile import Attestation, AttestationFile, Profile, Tailoring, Waiver, WaiverFile
from secaudit.models.target import OPERATOR_IDS
from secaudit.parse.textfsm import OWN_TEMPLATES, find_template
from secaudit.platforms import get_platform
from secaudit.yamlio import YamlError, line_of, load_model, load_yaml, validate


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The loaded controls plus a digest of every content file they came from."""

    controls: tuple[Control, ...]
    digest: str
    root: Path

    def by_id(self) -> dict[str, Control]:
        """Controls keyed by id."""
        return {c.id: c for c in self.controls}


def _python_rules(rule: Rule) -> list[PythonRule]:
    if isinstance(rule, COMPOSITE):
        return [p for sub in rule.rules for p in _python_rules(sub)]
    return [rule] if isinstance(rule, PythonRule) else []


def lint_control(control: Control, path: Path) -> list[str]:
    """Cross-file checks pydantic cannot do. Returns problems as ``file: message`` lines."""
    problems: list[str] = []
    if control.id != path.stem:
        problems.append(f"{path}: id {control.id!r} differs from the file name {path.stem!r}")
    domain = control.id.split("-")[1].lower()
    if path.parent.name != domain:
        problems.append(f"{path}: control {control.id} belongs in checks/controls/{domain}/")
    known_knobs = set(Knobs.model_fields)
    for knob in control.knobs:
        if knob not in known_knobs:
            problems.append(f"{path}: unknown knob {knob!r} (known: {', '.join(sorted(known_knobs))})")
    for platform, check in control.platforms.items():
        spec = get_platform(platform)
        for ev in check.evidence:
            if ev.command == "config" and spec.config_command is None:
                problems.append(f"{path}: {platform}: platform has no configuration command")
            if ev.parser == "textfsm":
                if ev.template is not None:
                    if not (OWN_TEMPLATES / ev.template).is_file():
                        problems.append(
                            f"{path}: {platform}: template {ev.template!r} not in {OWN_TEMPLATES}"
                        )
                elif find_template(platform.value, ev.command) is None:
                    problems.append(f"{path}: {platform}: no TextFSM template for {ev.command!r}")
        for rule in (*check.applies_when, *check.rules):
            for prule in _python_rules(rule):
                if prule.function not in FUNCTIONS.names():
                    problems.append(f"{path}: {platform}: unknown python function {prule.function!r}")
    return problems


def content_digest(*roots: Path) -> str:
    """SHA-256 over the relative path and content of every file under ``roots`` (sorted)."""
    outer = hashlib.sha256()
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = f"{root.name}/{path.relative_to(root).as_posix()}"
            outer.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return outer.hexdigest()


def load_catalogue(checks_dir: Path, *, collect_problems: list[str] | None = None) -> Catalogue:
    """Load every ``checks/controls/**/*.yaml``.

    Raises :class:`CheckDefinitionError` on the first problem, unless ``collect_problems`` is
    given (``checks lint``), in which case all problems are appended there and the valid controls
    are returned.
    """
    controls_dir = checks_dir / "controls"
    if not controls_dir.is_dir():
        raise CheckDefinitionError(f"{controls_dir}: no controls folder")
    problems: list[str] = []
    controls: dict[str, tuple[Control, Path]] = {}
    for path in sorted(controls_dir.rglob("*.y*ml")):
        try:
            control = load_model(Control, path)
        except YamlError as exc:
            problems.append(str(exc))
            continue
        if control.id in controls:
            problems.append(f"{path}: duplicate control id {control.id} (also in {controls[control.id][1]})")
            continue
        issues = lint_control(control, path)
        problems.extend(issues)
        if not issues:
            controls[control.id] = (control, path)
    if not controls and not problems:
        problems.append(f"{controls_dir}: no control files found")
    if problems and collect_problems is None:
        raise CheckDefinitionError(
            problems[0] + (f" (+{len(problems) - 1} more problems)" if len(problems) > 1 else "")
        )
    if collect_problems is not None:
        collect_problems.extend(problems)
    ordered = tuple(c for c, _ in sorted(controls.values(), key=lambda cp: cp[0].id))
    return Catalogue(controls=ordered, digest=content_digest(checks_dir, OWN_TEMPLATES), root=checks_dir)


def load_profile(checks_dir: Path, name: str, control_ids: set[str]) -> Profile:
    """Load ``checks/profiles/<name>.yaml``; knob names and requirement controls must exist."""
    path = checks_dir / "profiles" / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in (checks_dir / "profiles").glob("*.yaml"))
        raise CheckDefinitionError(f"{path}: no such profile (known: {', '.join(known) or 'none'})")
    try:
        profile = load_model(Profile, path)
    except YamlError as exc:
        raise CheckDefinitionError(str(exc)) from None
    if profile.id != name:
        raise CheckDefinitionError(f"{path}: id {profile.id!r} differs from the file name {name!r}")
    _check_knobs(path, profile.knobs)
    for req in profile.requirements:
        for cid in req.controls:
            if cid not in control_ids:
                raise CheckDefinitionError(
                    f"{path}: requirement {req.scheme} {req.ref} names unknown control {cid}"
                )
    return profile


def _check_knobs(path: Path, knobs: Mapping[str, int]) -> None:
    try:
        Knobs(**knobs)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise CheckDefinitionError(f"{path}: knobs.{'.'.join(map(str, err['loc']))}: {err['msg']}") from None


def load_tailoring(checks_dir: Path, control_ids: set[str]) -> dict[str, Tailoring]:
    """Load every ``checks/tailoring/<operator>.yaml`` (file stem = operator id)."""
    out: dict[str, Tailoring] = {}
    folder = checks_dir / "tailoring"
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.yaml")):
        try:
            tailoring = load_model(Tailoring, path)
        except YamlError as exc:
            raise CheckDefinitionError(str(exc)) from None
        if tailoring.operator != path.stem:
            raise CheckDefinitionError(f"{path}: operator {tailoring.operator!r} differs from the file name")
        if tailoring.operator not in OPERATOR_IDS:
            raise CheckDefinitionError(f"{path}: unknown operator {tailoring.operator!r}")
        for cid in (*tailoring.severity, *tailoring.disabled):
            if cid not in control_ids:
                raise CheckDefinitionError(f"{path}: unknown control {cid}")
        _check_knobs(path, tailoring.knobs)
        out[tailoring.operator] = tailoring
    return out


class _NamesControl(Protocol):
    @property
    def control(self) -> str: ...


_Entry = TypeVar("_Entry", bound=_NamesControl)
_File = TypeVar("_File", bound=BaseModel)


def _load_control_entries(
    paths: Iterable[Path],
    file_model: type[_File],
    key: str,
    entries: Callable[[_File], tuple[_Entry, ...]],
    control_ids: set[str],
) -> tuple[_Entry, ...]:
    """Load entry files (waivers, attestations); every entry must name a known control."""
    out: list[_Entry] = []
    for path in paths:
        try:
            data = load_model(file_model, path)
        except YamlError as exc:
            raise CheckDefinitionError(str(exc)) from None
        for i, entry in enumerate(entries(data)):
            if entry.control not in control_ids:
                raise CheckDefinitionError(f"{path}: {key}[{i}]: unknown control {entry.control}")
            out.append(entry)
    return tuple(out)


def load_waivers(paths: Iterable[Path], control_ids: set[str]) -> tuple[Waiver, ...]:
    """Load waiver files; every waiver must name a known control."""
    return _load_control_entries(paths, WaiverFile, "waivers", lambda f: f.waivers, control_ids)


def load_attestations(paths: Iterable[Path], control_ids: set[str]) -> tuple[Attestation, ...]:
    """Load attestation files; every attestation must name a known control."""
    return _load_control_entries(
        paths, AttestationFile, "attestations", lambda f: f.attestations, control_ids
    )


def can_fail(check: PlatformCheck) -> bool:
    """True when some rule of the block can give ``fail`` (not only ``warn``)."""

    def rule_can_fail(rule: Rule) -> bool:
        if isinstance(rule, Fallback):
            return any(rule_can_fail(sub) for sub in rule.rules)
        if isinstance(rule, ConfigNumber) and rule.if_missing == "fail":
            return True
        return rule.on_fail == "fail"

    return any(rule_can_fail(r) for r in (*check.rules, *check.screens))


def required_kinds(check: PlatformCheck) -> tuple[str, ...]:
    """Fixture kinds a block that reads evidence needs.

    Automated: pass, error, and fail (warn where no rule can fail). Manual with screens: fail (or
    warn) and manual (nothing proven against it, so a human decides).
    """
    if check.manual:
        return ("fail" if can_fail(check) else "warn", "manual")
    return ("pass", "fail" if can_fail(check) else "warn", "error")


def fixture_problems(catalogue: Catalogue, fixtures_dir: Path) -> list[str]:
    """Missing fixture cases: every automated block needs ``pass_``, ``fail_`` (``warn_`` when none
    of its rules can fail) and ``error_`` cases."""
    problems: list[str] = []
    if not fixtures_dir.is_dir():
        return [f"{fixtures_dir}: fixtures folder not found"]
    for control in catalogue.controls:
        for platform, check in control.platforms.items():
            if not check.evaluated:
                continue
            folder = fixtures_dir / control.id / platform.value
            kinds = {p.name.split("_", 1)[0] for p in folder.glob("*_*") if (p / "expected.yml").is_file()}
            for needed in required_kinds(check):
                if needed not in kinds:
                    problems.append(
                        f"{folder}: no {needed}_* fixture case for {control.id} on {platform.value}"
                    )
    return problems


def load_city_targets(checks_dir: Path) -> CityTargets | None:
    """``checks/data/city_targets.yaml`` (None when absent)."""
    path = checks_dir / "data" / "city_targets.yaml"
    if not path.is_file():
        return None
    try:
        return load_model(CityTargets, path)
    except YamlError as exc:
        raise CheckDefinitionError(str(exc)) from None


def load_boards(checks_dir: Path) -> dict[Platform, dict[str, Board]]:
    """``checks/data/pon_boards.yaml``: platform -> board name -> technology and port count."""
    path = checks_dir / "data" / "pon_boards.yaml"
    if not path.is_file():
        return {}
    node = load_yaml(path) or {}
    out: dict[Platform, dict[str, Board]] = {}
    for platform, table in node.items():
        try:
            plat = Platform(platform)
        except ValueError:
            line = line_of(node, [platform])
            raise CheckDefinitionError(f"{path}:{line}: unknown platform {platform!r}") from None
        out[plat] = {}
        for name, body in (table or {}).items():
            try:
                out[plat][str(name)] = validate(Board, body, path, context=f"{platform}.{name}")
            except YamlError as exc:
                raise CheckDefinitionError(str(exc)) from None
    return out


def load_kpis(path: Path) -> DeclaredKpis:
    """An operator-declared KPI file."""
    try:
        return load_model(DeclaredKpis, path)
    except YamlError as exc:
        raise CheckDefinitionError(str(exc)) from None
