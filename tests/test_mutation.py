"""Mutation test: break what each positive rule matched in every pass_ fixture; the verdict must change.

Applicability conditions (``applies_when``) are mutated the same way: breaking what made a control
apply must change a pass (to not_applicable), so an N/A is decided by evidence as a pass is.

* ``config_present`` / ``config_block_has``: the matched lines (the block's matching children) are
  deleted from the raw evidence;
* ``config_number``: the number read by ``value_regex`` is moved outside its bounds;
* ``field_equals`` / ``field_in`` / ``field_match``: the field value in the raw output is replaced.
``config_absent`` rules pass on absence and have nothing to delete; they are covered by fail_ cases.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from defusedxml import ElementTree as DefusedET

from secaudit.collect.offline import read_evidence
from secaudit.collect.plan import build_plan
from secaudit.collect.text import command_slug
from secaudit.evaluate.loader import load_catalogue
from secaudit.evaluate.matching import find, line_matches
from secaudit.models.control import (
    AnyOf,
    ConfigBlockHas,
    ConfigNumber,
    ConfigPresent,
    Control,
    Fallback,
    FieldEquals,
    FieldIn,
    FieldMatch,
    RowCount,
    Rule,
)
from secaudit.models.enums import Status
from secaudit.parse.config import split_one_line_banner
from secaudit.parse.evidence import parse_evidence
from secaudit.redact import redact_line, redact_text

from conftest import CHECKS
from fixtures import Case, discover, evaluate_dir, target_for

CATALOGUE = load_catalogue(CHECKS).by_id()
MUTABLE = (ConfigPresent, ConfigBlockHas, ConfigNumber, FieldEquals, FieldIn, FieldMatch, RowCount)


@dataclass(frozen=True)
class Mutation:
    case: Case
    index: int
    rule: Rule
    kind: str = "rule"  # or "when": an applicability condition

    @property
    def id(self) -> str:
        return f"{self.case.id}#{self.kind}{self.index}:{self.rule.op}"


def _positive(rule: Rule) -> list[Rule]:
    """Rules that pass on something being present (absence-style rules are left out)."""
    if isinstance(rule, Fallback):
        return _positive(rule.rules[0])  # fixtures carry every evidence: the first sub-rule decides
    if isinstance(rule, AnyOf):
        # An any_of with an absence-style alternative can still pass on that alternative.
        subs = [_positive(sub) for sub in rule.rules]
        return [] if any(not s for s in subs) else [r for sub in subs for r in sub]
    if isinstance(rule, (FieldEquals, FieldIn, FieldMatch)) and rule.quantifier == "none":
        return []  # "no row may match": an absence rule
    if isinstance(rule, RowCount) and (not rule.where or not (rule.min or rule.min_knob)):
        return []  # only "at least N rows where ..." is broken by changing the rows it counted
    return [rule] if isinstance(rule, MUTABLE) else []


def mutations() -> list[Mutation]:
    out = []
    for case in discover():
        if case.kind != "pass" or case.control_id not in CATALOGUE:
            continue
        check = CATALOGUE[case.control_id].platforms.get(case.platform)  # type: ignore[call-overload]
        if check is None:
            continue
        for i, rule in enumerate(check.rules):
            if _positive(rule):
                out.append(Mutation(case, i, rule))
        for i, rule in enumerate(check.applies_when):
            if _positive(rule):
                out.append(Mutation(case, i, rule, "when"))
    return out


def _evidence(control: Control, case: Case) -> dict[str, tuple[Path, object]]:
    """Evidence id -> (raw file, parsed evidence) for the case."""
    target = target_for(case.platform, control)
    check = control.platforms[target.platform]
    plan = {p.command: p for p in build_plan([target], [control])[target.name]}
    out = {}
    for spec in check.evidence:
        command = (
            spec.command
            if spec.command != "config"
            else next(p.command for p in plan.values() if p.is_config)
        )
        ev = read_evidence(target, plan[command], case.path / "evidence", {})
        out[spec.id] = (case.path / "evidence" / f"{command_slug(command)}.txt", parse_evidence(ev, spec))
    return out


def _flat(elem: ET.Element) -> str:
    attrs = " ".join(f'{k}="{v}"' for k, v in elem.attrib.items())
    line = elem.tag + (f" {attrs}" if attrs else "")
    if elem.text and elem.text.strip():
        line += f" = {elem.text.strip()}"
    return line


def _mutate_xml(path: Path, doomed: set[str]) -> tuple[bool, int]:
    """Remove the XML elements whose flattened line is in ``doomed`` (redacted form)."""
    root = DefusedET.fromstring(redact_text(path.read_text(encoding="utf-8")).encode("utf-8"))
    removed = 0
    for parent in list(root.iter()):
        for child in list(parent):
            if _flat(child) in doomed:
                parent.remove(child)
                removed += 1
    path.write_text(ET.tostring(root, encoding="unicode"), encoding="utf-8")
    return removed > 0, len(doomed)


def _mutate(rule: Rule, files: dict[str, tuple[Path, object]]) -> str:
    """Apply the mutation for one rule to the copied evidence.

    Returns ``changed``, ``vacuous`` (the rule matched nothing: it passed on absence) or
    ``unmatched`` (the rule matched something the raw text does not show verbatim: a test bug).
    """
    path, parsed = files[rule.evidence]  # type: ignore[union-attr]
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    changed = False
    targets = 0
    if isinstance(rule, (ConfigPresent, ConfigBlockHas)):
        nodes = find(parsed.tree, rule.path, anywhere=rule.anywhere)  # type: ignore[attr-defined]
        if isinstance(rule, ConfigBlockHas):
            doomed = {c.text for n in nodes for c in n.children if line_matches(c.text, rule.child)}
        else:
            doomed = {n.text for n in nodes}
        if path.name.endswith("_xml.txt"):
            changed, targets = _mutate_xml(path, doomed)
            return "changed" if changed else ("unmatched" if targets else "vacuous")
        # a node may span lines (banners): every line of it goes
        doomed = {part.strip() for text in doomed for part in text.split("\n")}
        targets = len(doomed)
        # evidence is evaluated redacted: compare the redacted form of each raw line
        kept = [
            ln
            for ln in lines
            if not ({p.strip() for p in split_one_line_banner(redact_line(ln).strip())} & doomed)
        ]
        changed = len(kept) != len(lines)
        lines = kept
    elif isinstance(rule, ConfigNumber):
        nodes = find(parsed.tree, rule.path, anywhere=rule.anywhere)  # type: ignore[attr-defined]
        targets = len(nodes)
        bad = "0" if (rule.min is not None or rule.min_knob is not None) else "999999"
        for i, ln in enumerate(lines):
            if any(redact_line(ln).strip() == n.text for n in nodes):
                m = re.search(rule.value_regex, ln.strip())
                if m:
                    start = len(ln) - len(ln.lstrip()) + m.start("value")
                    end = len(ln) - len(ln.lstrip()) + m.end("value")
                    lines[i] = ln[:start] + bad + ln[end:]
                    changed = True
    else:
        rows = [
            r
            for r in parsed.rows  # type: ignore[attr-defined]
            if all(re.search(rx, r.get(f, ""), re.IGNORECASE) for f, rx in rule.where.items())
        ]
        fields = tuple(rule.where) if isinstance(rule, RowCount) else (rule.field,)
        values = {r.get(f, "") for r in rows for f in fields} - {""}
        targets = len(values)
        for i, ln in enumerate(lines):
            for value in values:
                if re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", ln):
                    lines[i] = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", "mutated", ln)
                    changed = True
    path.write_text("\n".join(lines), encoding="utf-8")
    if changed:
        return "changed"
    return "unmatched" if targets else "vacuous"


MUTATIONS = mutations()


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_mutation_changes_verdict(mutation: Mutation, tmp_path: Path) -> None:
    control = CATALOGUE[mutation.case.control_id]
    case_dir = tmp_path / "case"
    shutil.copytree(mutation.case.path, case_dir)
    moved = Case(
        mutation.case.control_id, mutation.case.platform, mutation.case.name, case_dir, mutation.case.expected
    )
    files = _evidence(control, moved)
    results = [_mutate(rule, files) for rule in _positive(mutation.rule)]
    assert "unmatched" not in results, "matched lines are not in the raw evidence verbatim; cannot mutate"
    if "changed" not in results or (isinstance(mutation.rule, AnyOf) and "vacuous" in results):
        # The rule (or one any_of alternative) passed vacuously (e.g. config_block_has with
        # min_blocks 0 and no block, or a field
        # that is allowed to be empty): it behaves as an absence rule, covered by fail_ cases.
        pytest.skip(f"rule {mutation.index} ({mutation.rule.op}) passed on absence; nothing to break")
    finding = evaluate_dir(control, moved.platform, case_dir / "evidence")
    assert finding.status is not Status.PASS, (
        f"verdict still pass after breaking rule {mutation.index}: {finding.message}"
    )


def test_mutations_exist() -> None:
    assert len(MUTATIONS) >= 10
