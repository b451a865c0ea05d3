"""Remediation plans: for one host, the failing controls' fixes as ordered command blocks.

* A platform with a remediation driver (``PlatformSpec.remediation``; hier_config has a real
  driver for it): the fix is the *minimal* change from the running configuration to one with the
  control's remediation lines, and its rollback (:mod:`secaudit.remediate.minimal`).
* Every other platform, a control without configuration evidence, or a host without a readable
  running configuration: the control's own remediation and rollback lines, as written (templates).

Lines holding placeholders (``<ip-1>``, ``<key>``) or values redacted from the evidence
(``<redacted:cipher>``) are kept, and their block is marked ``REQUIRES VALUES`` so nobody
pastes it blindly. One-off commands in a remediation (``save``, ``rsa local-key-pair create``,
``crypto key generate rsa``; the platform's ``RemediationRules.exec_commands``) are not
configuration lines: they are listed after the configuration and have no rollback.

The plan is advice for an engineer, never applied by secaudit; :mod:`secaudit.remediate.render`
writes it as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from hier_config import HConfig
from hier_config.exceptions import DuplicateChildError
from pydantic import Field

from secaudit.errors import ParseError
from secaudit.models.base import Frozen
from secaudit.models.control import Control, PlatformCheck
from secaudit.models.enums import SEVERITY_ORDER, Platform, Severity, Status
from secaudit.models.finding import Finding
from secaudit.remediate.driver import negation_of, rules_for, split_exec
from secaudit.remediate.minimal import (
    REDACTED,
    keep_defaults,
    minimal_change,
    placeholder_safe_rollback,
    placeholders,
    running_tree,
    tree_lines,
)

_STATUS_ORDER: Mapping[Status, int] = {Status.FAIL: 0, Status.WARN: 1}

Method = Literal["minimal", "template"]


class ControlFix(Frozen):
    """The fix for one failing (or warning) control on one host."""

    control_id: str
    control_version: int
    title: str
    severity: Severity
    status: Status
    message: str
    method: Method = Field(description="minimal: computed by hier_config; template: the control's lines")
    remediation: tuple[str, ...] = ()
    exec_commands: tuple[str, ...] = Field(
        default=(), description="one-off commands (not configuration lines), after the configuration"
    )
    rollback: tuple[str, ...] = ()
    rollback_known: bool = False
    requires_values: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class RemediationPlan(Frozen):
    """Every fix for one host, most urgent first."""

    run_id: str
    host: str
    platform: Platform
    running_config: bool = Field(description="a readable running configuration was used")
    fixes: tuple[ControlFix, ...] = ()
    waived: tuple[str, ...] = Field(default=(), description="failing controls left out: waived")
    notes: tuple[str, ...] = ()


def _order(finding: Finding) -> tuple[int, int, str]:
    return (_STATUS_ORDER[finding.status], SEVERITY_ORDER[finding.severity], finding.control_id)


def _has_config_evidence(check: PlatformCheck) -> bool:
    return any(e.parser == "config" for e in check.evidence)


def fix_lines(finding: Finding, check: PlatformCheck | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The remediation and rollback lines of a finding: its failed rules' own fixes, filled from
    the observed values (what the engine put on the finding); the check's lines for a finding
    that carries none.
    """
    if finding.remediation:
        if finding.rollback or check is None or finding.remediation != check.remediation:
            return finding.remediation, finding.rollback
        return finding.remediation, check.rollback
    if check is not None:
        return check.remediation, check.rollback
    return (), ()


def _template_fix(
    finding: Finding, check: PlatformCheck | None, notes: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool]:
    lines, rollback = fix_lines(finding, check)
    config, execs = split_exec(finding.platform, lines)
    if not rollback:
        notes.append("rollback not known: restore the configuration saved before the change")
    return config, execs, rollback, bool(rollback)


def _minimal_fix(
    finding: Finding, check: PlatformCheck, running: HConfig, notes: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool]:
    config, execs = split_exec(finding.platform, fix_lines(finding, check)[0])
    remediation, rollback, future = minimal_change(running, config)
    dropped = placeholder_safe_rollback(rollback, future)
    if dropped:
        notes.append(
            "rollback: restore from the saved configuration what these lines removed: "
            + "; ".join(f"'{negation_of(finding.platform, line)}'" for line in dropped)
        )
    kept = keep_defaults(rollback, running)
    if kept:
        notes.append(f"rollback leaves the platform default on: {', '.join(kept)}")
    rem_lines = tree_lines(remediation)
    back_lines = tree_lines(rollback)
    if not rem_lines and config:
        notes.append(
            "every configuration line of the fix is already configured: "
            "the failure needs a change the fix's lines do not express"
        )
    if placeholders(back_lines):
        notes.append(
            "the rollback treats placeholder objects as new: if a value names an existing object, "
            "restore its lines from the saved configuration instead"
        )
    if execs:
        notes.append(f"one-off commands have no rollback: {', '.join(execs)}")
    return rem_lines, execs, back_lines, bool(back_lines) or not rem_lines


def fix_for(finding: Finding, control: Control | None, running: HConfig | None) -> ControlFix:
    """The fix for one finding: minimal (hier_config) when ``running`` is given and usable."""
    check = control.platforms.get(finding.platform) if control is not None else None
    notes: list[str] = []
    if control is None:
        notes.append("control not in the loaded catalogue: lines are the finding's own remediation")
    elif control.version != finding.control_version:
        notes.append(
            f"the loaded control is v{control.version}, the finding was evaluated against "
            f"v{finding.control_version}: re-run the audit before applying"
        )
    use_minimal = (
        running is not None
        and check is not None
        and rules_for(finding.platform) is not None
        and _has_config_evidence(check)
        and bool(fix_lines(finding, check)[0])
    )
    method: Method = "template"
    if use_minimal and running is not None and check is not None:
        try:
            rem, execs, back, known = _minimal_fix(finding, check, running, notes)
            method = "minimal"
        except (DuplicateChildError, ValueError, TypeError) as exc:  # malformed control lines
            notes.append(f"hier_config could not compute a minimal change ({exc}): lines are the template")
    if method == "template":
        rem, execs, back, known = _template_fix(finding, check, notes)
    if not rem and not execs:
        notes.append("the control defines no remediation lines: see the finding message")
    every = (*rem, *execs, *back)
    redacted = placeholders(every, REDACTED)
    if redacted:
        notes.append(
            "values redacted in the evidence appear in this block: take them from the device "
            "or the saved configuration"
        )
    return ControlFix(
        control_id=finding.control_id,
        control_version=finding.control_version,
        title=finding.title,
        severity=finding.severity,
        status=finding.status,
        message=finding.message,
        method=method,
        remediation=rem,
        exec_commands=execs,
        rollback=back,
        rollback_known=known,
        requires_values=(*placeholders(every), *redacted),
        notes=tuple(notes),
    )


def needs_plan(findings: Iterable[Finding], host: str) -> bool:
    """Does ``host`` have a fail or warn finding that is not waived (so a plan file is due)?

    Examples:
        >>> needs_plan([], "r1")
        False
    """
    return any(f.host == host and f.status in _STATUS_ORDER and not f.waived for f in findings)


def plan_for_host(  # noqa: PLR0917 - the signature the remediation issue asks for
    target_name: str,
    platform: Platform | str,
    findings: Iterable[Finding],
    controls_by_id: Mapping[str, Control],
    running_config_text: str | None,
    run_id: str,
) -> RemediationPlan:
    """The remediation plan of one host: its fail findings, then warn, each by severity.

    ``findings`` may hold other hosts' findings (they are ignored). Waived findings are listed
    but get no block. ``running_config_text`` is the host's running-configuration evidence; on a
    platform with a remediation driver it makes the fixes minimal, elsewhere it is not needed.
    """
    plat = Platform(platform)
    own = [f for f in findings if f.host == target_name and f.status in _STATUS_ORDER]
    waived = tuple(sorted(f.control_id for f in own if f.waived))
    notes: list[str] = []
    running: HConfig | None = None
    if rules_for(plat) is not None:
        if running_config_text is None:
            notes.append("no running configuration: fixes are the controls' templates, not minimal")
        else:
            try:
                running = running_tree(plat, running_config_text)
            except ParseError as exc:
                notes.append(f"running configuration unreadable ({exc}): fixes are the controls' templates")
    fixes = tuple(
        fix_for(f, controls_by_id.get(f.control_id), running)
        for f in sorted((f for f in own if not f.waived), key=_order)
    )
    return RemediationPlan(
        run_id=run_id,
        host=target_name,
        platform=plat,
        running_config=running is not None,
        fixes=fixes,
        waived=waived,
        notes=tuple(notes),
    )
