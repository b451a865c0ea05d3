"""Discovery and evaluation of control fixture cases (tests/controls/<ID>/<platform>/<case>/)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from secaudit.collect.offline import read_evidence
from secaudit.collect.plan import build_plan
from secaudit.models.control import Control
from secaudit.models.enums import Environment, Platform
from secaudit.models.finding import Finding
from secaudit.models.knobs import Knobs
from secaudit.models.target import Target
from secaudit.pipeline import evaluate_host
from secaudit.platforms import get_platform

CONTROLS_DIR = Path(__file__).resolve().parent / "controls"
PREFIXES = {
    "pass": "pass",
    "fail": "fail",
    "warn": "warn",
    "error": "error",
    "na": "not_applicable",
    "nc": "not_collected",
    "manual": "manual",
}


@dataclass(frozen=True)
class Case:
    control_id: str
    platform: str
    name: str
    path: Path
    expected: dict[str, str]

    @property
    def kind(self) -> str:
        return self.name.split("_", 1)[0]

    @property
    def id(self) -> str:
        return f"{self.control_id}/{self.platform}/{self.name}"


def discover() -> list[Case]:
    cases = []
    for exp in sorted(CONTROLS_DIR.glob("*/*/*/expected.yml")):
        case_dir = exp.parent
        cases.append(
            Case(
                control_id=case_dir.parent.parent.name,
                platform=case_dir.parent.name,
                name=case_dir.name,
                path=case_dir,
                expected=yaml.safe_load(exp.read_text(encoding="utf-8")),
            )
        )
    return cases


def target_for(platform: str, control: Control, name: str = "fixture-host") -> Target:
    spec = get_platform(platform)
    role = spec.default_role if spec.default_role in control.roles else control.roles[0]
    return Target(
        name=name,
        hostname="127.0.0.1",
        platform=Platform(platform),
        operator="telecom",
        role=role,
        site="fixture",
        environment=Environment.LAB,
        model="fixture",
    )


def evaluate_dir(control: Control, platform: str, evidence_dir: Path, knobs: Knobs | None = None) -> Finding:
    target = target_for(platform, control)
    plan = build_plan([target], [control])[target.name]
    evidence = tuple(read_evidence(target, cmd, evidence_dir, {}) for cmd in plan)
    findings = evaluate_host(target, evidence, [control], knobs or Knobs())
    assert len(findings) == 1
    return findings[0]
