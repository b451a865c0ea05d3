"""Pure evaluation: (target, control, parsed evidence, knobs) -> Finding."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import lru_cache

from secaudit.evaluate.fixes import FAILED, finding_fix
from secaudit.evaluate.matching import find, lineage_text
from secaudit.evaluate.operators import evaluate_rule
from secaudit.evaluate.outcome import Outcome
from secaudit.evaluate.policy import observed_digest
from secaudit.models.control import ConfigPresent, Control, PlatformCheck, Rule
from secaudit.models.enums import EvidenceState, Status
from secaudit.models.evidence import ParsedEvidence
from secaudit.models.finding import EvidenceRef, Finding
from secaudit.models.knobs import Knobs
from secaudit.models.target import Target
from secaudit.redact import redact_line


def fingerprint(control_id: str, host: str, locator: str = "") -> str:
    """Stable finding id: the same control on the same host (and locator) in every run.

    Examples:
        >>> fingerprint("SEC-MGMT-001", "olt-1") == fingerprint("SEC-MGMT-001", "olt-1")
        True
        >>> len(fingerprint("SEC-MGMT-001", "olt-1"))
        24
    """
    return hashlib.sha256(f"{control_id}\x1f{host}\x1f{locator}".encode()).hexdigest()[:24]


@lru_cache(maxsize=4096)
def evidence_ref(command: str, sha256: str, state: EvidenceState, template: str | None) -> EvidenceRef:
    """The (immutable, shared) reference to one piece of evidence: every control citing it gets the same.

    Examples:
        >>> a = evidence_ref("display version", "00", EvidenceState.OK, None)
        >>> a is evidence_ref("display version", "00", EvidenceState.OK, None), a.command
        (True, 'display version')
    """
    return EvidenceRef(command=command, sha256=sha256, state=state, template=template)


def combine(outcomes: list[Outcome]) -> Outcome:
    """Combine rule outcomes: a proven fail wins, then error, not_collected, warn; pass needs all.

    Examples:
        >>> combine([Outcome(Status.PASS, "a"), Outcome(Status.ERROR, "b")]).status
        <Status.ERROR: 'error'>
        >>> combine([Outcome(Status.FAIL, "a"), Outcome(Status.ERROR, "b")]).status
        <Status.FAIL: 'fail'>
        >>> combine([]).status
        <Status.ERROR: 'error'>
    """
    if not outcomes:
        return Outcome(Status.ERROR, "no rule was evaluated", message_zh="没有评估任何规则")
    for status in (Status.FAIL, Status.ERROR, Status.NOT_COLLECTED, Status.WARN):
        hits = [o for o in outcomes if o.status is status]
        if hits:
            others = [
                o for o in outcomes if o.status in (Status.ERROR, Status.NOT_COLLECTED) and o not in hits
            ]
            shown = (*hits, *others)
            message = "; ".join(dict.fromkeys(o.message for o in shown))
            message_zh = "；".join(dict.fromkeys(o.message_zh or o.message for o in shown))
            observed = tuple(dict.fromkeys(line for o in hits for line in o.observed))
            return Outcome(status, message, observed, message_zh)
    observed = tuple(dict.fromkeys(line for o in outcomes for line in o.observed))
    return Outcome(
        Status.PASS, f"all {len(outcomes)} rule(s) passed", observed, f"全部 {len(outcomes)} 条规则通过"
    )


def _misplaced(rule: Rule, ev: Mapping[str, ParsedEvidence]) -> list[str]:
    """Lines that would satisfy an anchored ``config_present`` condition, found at another depth.

    An applicability condition that looks for a top-level line (``snmp-agent``) and finds it only
    nested under another block means the layout was not understood (VRP3's one-space indentation
    read as hierarchy): deciding not_applicable there could hide a fail.
    """
    if not isinstance(rule, ConfigPresent) or rule.anywhere:
        return []
    parsed = ev.get(rule.evidence)
    if parsed is None or parsed.tree is None:
        return []
    return [lineage_text(node) for node in find(parsed.tree, rule.path[-1:], anywhere=True)]


def _seen_applying(rule: Rule, ev: Mapping[str, ParsedEvidence]) -> bool:
    """True when a ``config_present`` condition is met by lines seen whole in damaged evidence.

    A line seen is present, so the control applies; its rules still need good evidence to pass.
    """
    if not isinstance(rule, ConfigPresent):
        return False
    parsed = ev.get(rule.evidence)
    if parsed is None or parsed.partial_tree is None:
        return False
    return len(find(parsed.partial_tree, rule.path, anywhere=rule.anywhere)) >= rule.min


def _applicability(check: PlatformCheck, ev: Mapping[str, ParsedEvidence], knobs: Knobs) -> Outcome | None:
    """``None`` when the control applies; otherwise not_applicable, proven like a pass, or why not."""
    for rule in check.applies_when:
        outcome = evaluate_rule(rule, ev, knobs)
        if outcome.status is Status.ERROR and _seen_applying(rule, ev):
            continue  # the line that makes the control apply was seen in truncated/paged evidence
        if outcome.status in (Status.ERROR, Status.NOT_COLLECTED):
            return Outcome(
                outcome.status,
                f"applicability could not be decided: {outcome.message}",
                message_zh=f"无法判定是否适用：{outcome.message_zh or outcome.message}",
            )
        if outcome.status is not Status.PASS:
            stray = _misplaced(rule, ev)
            if stray:
                return Outcome(
                    Status.ERROR,
                    f"applicability could not be decided: {len(stray)} line(s) that would make the control "
                    "apply sit at an unexpected depth, so the configuration's layout was not understood",
                    tuple(redact_line(line) for line in stray[:20]),
                    f"无法判定是否适用：{len(stray)} 行本应使控制项适用的配置出现在意外的层级，"
                    "未能理解该配置的结构",
                )
            return Outcome(
                Status.NOT_APPLICABLE,
                f"not applicable: {rule.message}",
                message_zh=f"不适用：{rule.message_zh or rule.message}",
            )
    return None


def screen(
    check: PlatformCheck,
    ev: Mapping[str, ParsedEvidence],
    knobs: Knobs,
    outcomes: list[Outcome] | None = None,
) -> Outcome:
    """A manual check: its screens can prove a fail (or warn); otherwise a human decides.

    ``outcomes`` are the screens' outcomes when the caller already has them.

    Examples:
        >>> screen(PlatformCheck(manual=True, attest="show the ACL"), {}, Knobs()).status
        <Status.MANUAL: 'manual'>
    """
    attest = f"manual check: {check.attest}"
    attest_zh = f"人工核查：{check.attest_zh or check.attest}"
    if outcomes is None:
        outcomes = [evaluate_rule(rule, ev, knobs) for rule in check.screens]
    proven = [o for o in outcomes if o.status in (Status.FAIL, Status.WARN)]
    if proven:
        return combine(proven)
    bad = [o for o in outcomes if o.status in (Status.ERROR, Status.NOT_COLLECTED)]
    if bad:
        undecided = "; ".join(o.message for o in bad)
        undecided_zh = "；".join(o.message_zh or o.message for o in bad)
        return Outcome(
            Status.MANUAL,
            f"{attest} (the evidence could not be screened: {undecided})",
            message_zh=f"{attest_zh}（证据无法筛查：{undecided_zh}）",
        )
    if outcomes:
        observed = tuple(dict.fromkeys(line for o in outcomes for line in o.observed))
        return Outcome(
            Status.MANUAL,
            f"{attest} (the evidence shows nothing against it)",
            observed,
            f"{attest_zh}（证据中未见反例）",
        )
    return Outcome(Status.MANUAL, attest, message_zh=attest_zh)


def expectations(rules: Sequence[Rule]) -> tuple[str, str]:
    """What the rules expect, in English and in Chinese (a rule's own text, else its message).

    Examples:
        >>> from secaudit.models.control import RowCount
        >>> r = RowCount(op="row_count", evidence="e", min=1, message="no rows", message_zh="没有行")
        >>> expectations([r, r.model_copy(update={"expected": "1 row", "expected_zh": "1 行"})])
        ('no rows; 1 row', '没有行；1 行')
    """
    english = "; ".join(r.expected or r.message for r in rules)
    chinese = "；".join(r.expected_zh or r.message_zh or r.expected or r.message for r in rules)
    return english, chinese


def evaluate_control(
    target: Target, control: Control, evidence: Mapping[str, ParsedEvidence], knobs: Knobs
) -> Finding | None:
    """Evaluate one control on one host; ``None`` when the host's role is out of the control's scope.

    ``evidence`` maps the check's evidence ids to parsed evidence.
    """
    if target.role not in control.roles:
        return None
    check = control.platforms.get(target.platform)
    refs: tuple[EvidenceRef, ...] = ()
    remediation: tuple[str, ...] = ()
    rollback: tuple[str, ...] = ()
    expected = expected_zh = ""
    if check is not None and check.evaluated:
        refs = tuple(
            evidence_ref(p.evidence.command, p.evidence.sha256, p.state, p.template)
            for p in (evidence.get(spec.id) for spec in check.evidence)
            if p is not None
        )
        remediation, rollback = check.remediation, check.rollback
    if check is None:
        outcome = Outcome(
            Status.MANUAL,
            f"secaudit has no automated check of this control for platform {target.platform.value}; "
            "assess it manually",
            message_zh=f"secaudit 没有该控制项在 {target.platform.value} 平台上的自动检查，请人工评估",
        )
    elif check.not_applicable is not None:
        why_zh = check.not_applicable_zh or check.not_applicable
        outcome = Outcome(
            Status.NOT_APPLICABLE,
            f"not applicable on {target.platform.value}: {check.not_applicable}",
            message_zh=f"在 {target.platform.value} 上不适用：{why_zh}",
        )
    elif check.manual:
        outcomes = [evaluate_rule(rule, evidence, knobs) for rule in check.screens]
        outcome = screen(check, evidence, knobs, outcomes)
        expected, expected_zh = expectations(check.screens)
        if outcome.status in FAILED:
            remediation, rollback = finding_fix(check, check.screens, outcomes)
    else:
        expected, expected_zh = expectations(check.rules)
        gate = _applicability(check, evidence, knobs)
        if gate is not None:
            outcome = gate
        else:
            outcomes = [evaluate_rule(rule, evidence, knobs) for rule in check.rules]
            outcome = combine(outcomes)
            if outcome.status in FAILED:
                remediation, rollback = finding_fix(check, check.rules, outcomes)
    if outcome.status in (Status.PASS, Status.NOT_APPLICABLE, Status.MANUAL):
        remediation = rollback = ()
    return Finding(
        fingerprint=fingerprint(control.id, target.name),
        control_id=control.id,
        control_version=control.version,
        title=control.title,
        title_zh=control.title_zh,
        host=target.name,
        operator=target.operator,
        role=target.role,
        platform=target.platform,
        phase=control.phase,
        severity=control.severity,
        status=outcome.status,
        message=outcome.message,
        message_zh=outcome.message_zh or outcome.message,
        observed=outcome.observed,
        observed_digest=observed_digest(outcome.observed),
        expected=expected,
        expected_zh=expected_zh,
        remediation=remediation,
        rollback=rollback,
        evidence=refs,
    )
