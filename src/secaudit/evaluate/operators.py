"""The closed set of rule operators. Every operator refuses to judge bad evidence.

An operator gets the rule, the host's parsed evidence by id, and the knobs; it returns an
``Outcome``. Evidence whose state is not ``ok`` gives ``error`` (or ``not_collected``) before any
operator runs, so an "absent" rule can never pass on missing, truncated or paged output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from secaudit.evaluate.functions import FUNCTIONS
from secaudit.evaluate.matching import find, line_matches, lineage_text
from secaudit.evaluate.outcome import Outcome
from secaudit.models.control import (
    AnyOf,
    ConfigAbsent,
    ConfigBlockHas,
    ConfigNumber,
    ConfigPresent,
    Fallback,
    FieldEquals,
    FieldIn,
    FieldMatch,
    FieldNumber,
    MatchRule,
    PythonRule,
    RowCount,
    Rule,
    RuleBase,
    VersionAtLeast,
    on_fail_status,
)
from secaudit.models.enums import EvidenceState, Status
from secaudit.models.evidence import ParsedEvidence
from secaudit.models.knobs import Knobs
from secaudit.redact import redact_line

Evidence = Mapping[str, ParsedEvidence]


_PATH_TEXT: dict[int, tuple[tuple[MatchRule, ...], str]] = {}


def _path_text(path: tuple[MatchRule, ...]) -> str:
    """A path as text for messages (remembered per path object: messages are built per host)."""
    hit = _PATH_TEXT.get(id(path))
    if hit is not None and hit[0] is path:
        return hit[1]

    def one(rule: MatchRule) -> str:
        fields = rule.model_dump(exclude_none=True)
        return ",".join(f"{k}={v!r}" for k, v in fields.items())

    text = " > ".join(one(r) for r in path)
    if len(_PATH_TEXT) > 50_000:
        _PATH_TEXT.clear()
    _PATH_TEXT[id(path)] = (path, text)
    return text


def _observed(nodes: list[Any], limit: int = 20) -> tuple[str, ...]:
    lines = [redact_line(lineage_text(n)) for n in nodes[:limit]]
    if len(nodes) > limit:
        lines.append(f"... and {len(nodes) - limit} more")
    return tuple(lines)


def _fail(rule: RuleBase, detail: str, observed: tuple[str, ...] = ()) -> Outcome:
    status = on_fail_status(rule.on_fail)
    message = f"{rule.message} ({detail})" if detail else rule.message
    return Outcome(status, message, observed, rule.message_zh or "")


#: Evidence states as a Chinese reader sees them in a finding.
EVIDENCE_STATE_ZH = {
    EvidenceState.OK: "正常",
    EvidenceState.MISSING: "缺失",
    EvidenceState.EMPTY: "为空",
    EvidenceState.TRUNCATED: "不完整（被截断）",
    EvidenceState.PAGED: "含分页提示（未关闭分页）",
    EvidenceState.DEVICE_ERROR: "被设备拒绝",
    EvidenceState.PARSE_ERROR: "无法解析",
    EvidenceState.COLLECT_ERROR: "采集失败",
    EvidenceState.NOT_COLLECTED: "未采集",
}


def with_zh(outcome: Outcome, rule: Rule) -> Outcome:
    """``outcome`` with its Chinese text: the rule's ``message_zh`` for a failure it stands for.

    An outcome that already has Chinese text, a pass (the control's combined text replaces it),
    or a rule without ``message_zh`` is returned as is. An ``error`` the operator raised itself
    (unreadable value, too few rows) keeps the English detail after a Chinese lead.

    Examples:
        >>> from secaudit.models.control import RowCount
        >>> rule = RowCount(op="row_count", evidence="e", min=1, message="x", message_zh="没有行")
        >>> with_zh(Outcome(Status.FAIL, "x (0 row(s))"), rule).message_zh
        '没有行'
        >>> with_zh(Outcome(Status.ERROR, "no version string found"), rule).message_zh
        '证据无法用于判定（no version string found）'
    """
    if outcome.message_zh or outcome.status is Status.PASS:
        return outcome
    if outcome.message.startswith(rule.message) and rule.message_zh:
        return outcome._replace(message_zh=rule.message_zh)
    if outcome.status is Status.ERROR:
        return outcome._replace(message_zh=f"证据无法用于判定（{outcome.message}）")
    return outcome


def _bound(literal: float | None, knob: str | None, knobs: Knobs) -> float | None:
    if knob is not None:
        return knobs.value(knob)
    return literal


def evidence_gate(parsed: ParsedEvidence | None, evidence_id: str) -> Outcome | None:
    """``error``/``not_collected`` outcome when evidence is unusable, else ``None``.

    Examples:
        >>> evidence_gate(None, "running").status
        <Status.ERROR: 'error'>
    """
    if parsed is None:
        return Outcome(
            Status.ERROR,
            f"evidence {evidence_id!r} was not provided to the evaluator",
            message_zh=f"评估时缺少证据“{evidence_id}”",
        )
    if parsed.state is EvidenceState.OK:
        return None
    cmd = parsed.evidence.command
    if parsed.state is EvidenceState.NOT_COLLECTED:
        return Outcome(
            Status.NOT_COLLECTED,
            f"'{cmd}' was not collected: {parsed.detail or 'not in this run'}",
            message_zh=f"未采集“{cmd}”" + (f"（{parsed.detail}）" if parsed.detail else "（本次未采集）"),
        )
    return Outcome(
        Status.ERROR,
        f"'{cmd}' evidence is {parsed.state.value}: {parsed.detail}",
        message_zh=f"“{cmd}”的证据{EVIDENCE_STATE_ZH[parsed.state]}，无法判定"
        + (f"（{parsed.detail}）" if parsed.detail else ""),
    )


def _tree(parsed: ParsedEvidence, eid: str) -> Any:
    if parsed.tree is None:
        raise TypeError(f"evidence {eid!r} is not configuration evidence (parser: config)")
    return parsed.tree


def _rows(parsed: ParsedEvidence, eid: str, where: Mapping[str, str]) -> list[dict[str, str]]:
    if parsed.rows is None:
        raise TypeError(f"evidence {eid!r} is not TextFSM evidence (parser: textfsm)")
    out = []
    for row in parsed.rows:
        if all(re.search(rx, row.get(field, ""), re.IGNORECASE) for field, rx in where.items()):
            out.append(row)
    return out


def _config_present(rule: ConfigPresent, ev: Evidence, knobs: Knobs) -> Outcome:
    nodes = find(_tree(ev[rule.evidence], rule.evidence), rule.path, anywhere=rule.anywhere)
    need = int(_bound(float(rule.min), rule.min_knob, knobs) or 1)
    most = _bound(None if rule.max is None else float(rule.max), rule.max_knob, knobs)
    if len(nodes) < need:
        return _fail(
            rule, f"{len(nodes)} line(s) match {_path_text(rule.path)}, need {need}", _observed(nodes)
        )
    if most is not None and len(nodes) > most:
        return _fail(
            rule,
            f"{len(nodes)} line(s) match {_path_text(rule.path)}, at most {most:g} allowed",
            _observed(nodes),
        )
    return Outcome(Status.PASS, f"{len(nodes)} line(s) match (need {need})", _observed(nodes))


def _config_absent(rule: ConfigAbsent, ev: Evidence, knobs: Knobs) -> Outcome:
    nodes = find(_tree(ev[rule.evidence], rule.evidence), rule.path, anywhere=rule.anywhere)
    if not nodes:
        return Outcome(Status.PASS, f"no line matches {_path_text(rule.path)}")
    return _fail(rule, f"{len(nodes)} line(s) present", _observed(nodes))


def _config_block_has(rule: ConfigBlockHas, ev: Evidence, knobs: Knobs) -> Outcome:
    blocks = find(_tree(ev[rule.evidence], rule.evidence), rule.path, anywhere=rule.anywhere)
    if len(blocks) < rule.min_blocks:
        return _fail(rule, f"{len(blocks)} block(s) match {_path_text(rule.path)}, need {rule.min_blocks}")
    if rule.when_child is not None:
        selector = rule.when_child
        blocks = [b for b in blocks if any(line_matches(c.text, selector) for c in b.children)]
        if len(blocks) < rule.min_blocks:
            return _fail(rule, f"{len(blocks)} selected block(s), need {rule.min_blocks}")
    missing = [b for b in blocks if not any(line_matches(c.text, rule.child) for c in b.children)]
    if missing:
        return _fail(
            rule,
            f"{len(missing)} of {len(blocks)} block(s) lack {_path_text((rule.child,))}",
            _observed(missing),
        )
    return Outcome(Status.PASS, f"all {len(blocks)} block(s) have the required line", _observed(blocks))


def _defaulted_blocks(rule: ConfigNumber, tree: Any) -> list[str]:
    """Blocks (the path without its last level) that lack the line: they have ``block_default``."""
    blocks = find(tree, rule.path[:-1], anywhere=rule.anywhere)
    if not blocks:
        return ["(no block configured)"]
    return [
        redact_line(lineage_text(b))
        for b in blocks
        if not any(line_matches(c.text, rule.path[-1]) for c in b.children)
    ]


def _config_number(rule: ConfigNumber, ev: Evidence, knobs: Knobs) -> Outcome:
    tree = _tree(ev[rule.evidence], rule.evidence)
    nodes = find(tree, rule.path, anywhere=rule.anywhere)
    lo = _bound(rule.min, rule.min_knob, knobs)
    hi = _bound(rule.max, rule.max_knob, knobs)
    expected = f"value within [{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"

    def outside(value: float) -> bool:
        return (lo is not None and value < lo) or (hi is not None and value > hi)

    defaulted: list[str] = []
    if rule.block_default is not None:
        default = rule.block_default
        defaulted = [f"{b} (no line: platform default {default:g})" for b in _defaulted_blocks(rule, tree)]
        if defaulted and outside(default):
            return _fail(
                rule,
                f"{len(defaulted)} block(s) keep the default {default:g}, outside {expected}",
                tuple(defaulted[:20]),
            )
    elif not nodes:
        if rule.if_missing == "pass":
            return Outcome(Status.PASS, f"no line matches {_path_text(rule.path)} (allowed by the control)")
        status = Status.WARN if rule.if_missing == "warn" else Status.FAIL
        return Outcome(
            status,
            f"{rule.message} (no line matches {_path_text(rule.path)}; {expected})",
            message_zh=rule.message_zh or "",
        )
    bad: list[Any] = []
    unreadable: list[Any] = []
    for node in nodes:
        match = re.search(rule.value_regex, node.text)
        if match is None:
            unreadable.append(node)
            continue
        if outside(float(match.group("value"))):
            bad.append(node)
    if unreadable:
        return Outcome(Status.ERROR, f"value not readable with {rule.value_regex!r}", _observed(unreadable))
    if bad:
        return _fail(rule, f"{len(bad)} line(s) outside {expected}", _observed(bad))
    if defaulted:
        shown = (*_observed(nodes), *defaulted[:20])
        return Outcome(
            Status.PASS, f"{len(nodes)} line(s) and {len(defaulted)} default(s) within {expected}", shown
        )
    return Outcome(Status.PASS, f"{len(nodes)} line(s) within {expected}", _observed(nodes))


def _field_check(rule: FieldEquals | FieldIn | FieldMatch, ev: Evidence, knobs: Knobs) -> Outcome:
    rows = _rows(ev[rule.evidence], rule.evidence, rule.where)
    if len(rows) < rule.min_rows:
        return Outcome(
            Status.ERROR,
            f"expected at least {rule.min_rows} parsed row(s) where {dict(rule.where)}, found {len(rows)}",
        )

    def ok(row: dict[str, str]) -> bool:
        value = row.get(rule.field)
        if value is None:
            raise KeyError(f"field {rule.field!r} not in parsed rows (fields: {sorted(row)})")
        if isinstance(rule, FieldEquals):
            return value.strip().lower() == rule.value.lower()
        if isinstance(rule, FieldIn):
            return value.strip().lower() in {v.lower() for v in rule.values}
        return re.search(rule.re_search, value) is not None

    results = [(row, ok(row)) for row in rows]
    shown = tuple(redact_line(", ".join(f"{k}={v}" for k, v in row.items() if v)) for row, _ in results[:20])
    if rule.quantifier == "all":
        passed = all(r for _, r in results)
    elif rule.quantifier == "any":
        passed = any(r for _, r in results)
    else:
        passed = not any(r for _, r in results)
    if passed:
        return Outcome(Status.PASS, f"{rule.quantifier} of {len(rows)} row(s) satisfy {rule.field}", shown)
    offending = tuple(
        redact_line(", ".join(f"{k}={v}" for k, v in row.items() if v))
        for row, r in results
        if (not r if rule.quantifier != "none" else r)
    )
    return _fail(
        rule, f"{rule.field} check failed on {len(offending) or len(rows)} row(s)", offending or shown
    )


def _field_number(rule: FieldNumber, ev: Evidence, knobs: Knobs) -> Outcome:
    rows = _rows(ev[rule.evidence], rule.evidence, rule.where)
    if len(rows) < rule.min_rows:
        return Outcome(
            Status.ERROR,
            f"expected at least {rule.min_rows} parsed row(s) where {dict(rule.where)}, found {len(rows)}",
        )
    lo = _bound(rule.min, rule.min_knob, knobs)
    hi = _bound(rule.max, rule.max_knob, knobs)
    bad: list[str] = []
    for row in rows:
        raw = row.get(rule.field)
        if raw is None:
            raise KeyError(f"field {rule.field!r} not in parsed rows (fields: {sorted(row)})")
        try:
            value = float(raw)
        except ValueError:
            return Outcome(Status.ERROR, f"field {rule.field!r} is not a number: {raw!r}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            bad.append(f"{rule.field}={raw}")
    bounds = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
    if bad:
        return _fail(rule, f"{len(bad)} row(s) outside {bounds}", tuple(bad))
    return Outcome(
        Status.PASS,
        f"{len(rows)} row(s) within {bounds}",
        tuple(f"{rule.field}={r.get(rule.field)}" for r in rows),
    )


def _row_count(rule: RowCount, ev: Evidence, knobs: Knobs) -> Outcome:
    rows = _rows(ev[rule.evidence], rule.evidence, rule.where)
    lo = _bound(None if rule.min is None else float(rule.min), rule.min_knob, knobs)
    hi = _bound(None if rule.max is None else float(rule.max), rule.max_knob, knobs)
    n = len(rows)
    shown = tuple(redact_line(", ".join(f"{k}={v}" for k, v in r.items() if v)) for r in rows[:20])
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        return _fail(rule, f"{n} row(s), expected [{lo}, {hi}]", shown)
    return Outcome(Status.PASS, f"{n} row(s) within bounds", shown)


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key for vendor version strings: numbers compare as numbers, letters as text.

    Examples:
        >>> version_key("V800R011C00SPC200") < version_key("V800R012C00")
        True
        >>> version_key("7.3.2") < version_key("7.10.1")
        True
    """
    parts = re.findall(r"\d+|[A-Za-z]+", version)
    return tuple((0, int(p)) if p.isdigit() else (1, p.upper()) for p in parts)


def _version_at_least(rule: VersionAtLeast, ev: Evidence, knobs: Knobs) -> Outcome:
    parsed = ev[rule.evidence]
    minimum = rule.minimum
    if rule.field is not None:
        rows = _rows(parsed, rule.evidence, {})
        values = [r.get(rule.field, "") for r in rows if r.get(rule.field)]
    else:
        values = [m.group("value") for m in re.finditer(rule.value_regex or "", parsed.text)]
    if not values:
        return Outcome(Status.ERROR, "no version string found in the evidence")
    old = [v for v in values if version_key(v) < version_key(minimum)]
    if old:
        return _fail(rule, f"version {old[0]} < {minimum}", tuple(old))
    return Outcome(Status.PASS, f"version {values[0]} >= {minimum}", tuple(values))


def _python(rule: PythonRule, ev: Evidence, knobs: Knobs) -> Outcome:
    return FUNCTIONS.get(rule.function)(rule, ev, knobs)


_OPS: dict[str, Callable[[Any, Evidence, Knobs], Outcome]] = {
    "config_present": _config_present,
    "config_absent": _config_absent,
    "config_block_has": _config_block_has,
    "config_number": _config_number,
    "field_equals": _field_check,
    "field_in": _field_check,
    "field_match": _field_check,
    "field_number": _field_number,
    "row_count": _row_count,
    "version_at_least": _version_at_least,
    "python": _python,
}

OPERATOR_NAMES: frozenset[str] = frozenset({*_OPS, "any_of", "fallback"})


def _seen_in_damaged(rule: Rule, ev: Evidence, knobs: Knobs) -> Outcome | None:
    """A forbidden line seen in a truncated or paged configuration proves the fail it stands for.

    Only ``config_absent`` is judged on damaged evidence, and only its fail (or warn) counts: what
    was not seen may still be in the part that is missing, so nothing here can ever pass.
    """
    if not isinstance(rule, ConfigAbsent):
        return None
    parsed = ev.get(rule.evidence)
    if parsed is None or parsed.partial_tree is None:
        return None
    seen = _config_absent(rule, {**ev, rule.evidence: replace(parsed, tree=parsed.partial_tree)}, knobs)
    if seen.status not in (Status.FAIL, Status.WARN):
        return None
    return Outcome(
        seen.status,
        f"{seen.message}; seen in {parsed.state.value} evidence, so the rest of the configuration was "
        f"not judged ({parsed.detail})",
        seen.observed,
        f"{rule.message_zh or seen.message}；该行见于{EVIDENCE_STATE_ZH[parsed.state]}的证据，其余配置未判定",
    )


def evaluate_rule(rule: Rule, ev: Evidence, knobs: Knobs) -> Outcome:
    """Evaluate one rule. Bad evidence -> error/not_collected; a crash in an operator -> error."""
    if isinstance(rule, Fallback):
        outcomes = []
        for sub in rule.rules:
            outcome = evaluate_rule(sub, ev, knobs)
            if outcome.status is not Status.NOT_COLLECTED:
                return outcome
            outcomes.append(outcome)
        return outcomes[0]
    if isinstance(rule, AnyOf):
        outcomes = [evaluate_rule(sub, ev, knobs) for sub in rule.rules]
        for wanted in (Status.PASS, Status.WARN):
            hit = next((o for o in outcomes if o.status is wanted), None)
            if hit is not None:
                return hit
        for bad in (Status.ERROR, Status.NOT_COLLECTED):
            hit = next((o for o in outcomes if o.status is bad), None)
            if hit is not None:
                return hit
        observed = tuple(line for o in outcomes for line in o.observed)
        status = on_fail_status(rule.on_fail)
        return Outcome(status, rule.message, observed, rule.message_zh or "")
    gate = evidence_gate(ev.get(rule.evidence), rule.evidence)
    if gate is not None:
        return _seen_in_damaged(rule, ev, knobs) or gate
    try:
        return with_zh(_OPS[rule.op](rule, ev, knobs), rule)
    except (KeyError, TypeError, ValueError, re.error) as exc:
        return Outcome(
            Status.ERROR,
            f"rule {rule.op} could not be evaluated: {exc}",
            message_zh=f"规则 {rule.op} 无法评估（{exc}）",
        )
