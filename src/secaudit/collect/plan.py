"""The command plan: the union of evidence the selected controls need, per host."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from secaudit.models.control import Control
from secaudit.models.evidence import EvidenceSpec
from secaudit.models.target import Target
from secaudit.platforms import get_platform


@dataclass(frozen=True, slots=True)
class PlannedCommand:
    """One command to run (or file to read) on one host."""

    command: str
    is_config: bool
    optional: bool = False


def resolve_command(platform: str, spec: EvidenceSpec) -> str | None:
    """The concrete command for an evidence spec (``config`` -> the platform's config command)."""
    if spec.command == "config":
        return get_platform(platform).config_command
    return spec.command


def build_plan(
    targets: Iterable[Target], controls: Iterable[Control]
) -> Mapping[str, tuple[PlannedCommand, ...]]:
    """Per host, the de-duplicated, ordered commands all applicable controls need."""
    controls = tuple(controls)
    plan: dict[str, tuple[PlannedCommand, ...]] = {}
    for target in targets:
        seen: dict[str, PlannedCommand] = {}
        for control in controls:
            if target.role not in control.roles:
                continue
            check = control.platforms.get(target.platform)
            if check is None or not check.evaluated:
                continue
            for spec in check.evidence:
                command = resolve_command(target.platform, spec)
                if command is None:
                    continue
                is_config = spec.parser == "config"
                previous = seen.get(command)
                seen[command] = PlannedCommand(
                    command,
                    is_config or (previous is not None and previous.is_config),
                    optional=spec.optional and (previous is None or previous.optional),
                )
        plan[target.name] = tuple(sorted(seen.values(), key=lambda p: p.command))
    return plan
