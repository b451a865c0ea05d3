"""Every rule's message is control content in both report languages, and findings carry it.

A report in zh-CN shows each failed rule's ``message_zh`` (English reports its ``message``), so
every rule of every control (sub-rules of ``any_of``/``fallback``, applicability conditions and
manual screens included) must have both. The fixture cases then show that a finding's Chinese
text is made of the failed rules' own ``message_zh``, never the engine's English detail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from secaudit.models.control import COMPOSITE, Control, Rule

from fixtures import Case, discover, evaluate_dir, target_for

CJK = re.compile(r"[\u4e00-\u9fff]")


def _rules(rule: Rule) -> Iterator[Rule]:
    yield rule
    if isinstance(rule, COMPOSITE):
        for sub in rule.rules:
            yield from _rules(sub)


def _every_rule(control: Control) -> Iterator[tuple[str, Rule]]:
    for platform, check in control.platforms.items():
        for top in (*check.applies_when, *check.rules, *check.screens):
            for rule in _rules(top):
                yield f"{control.id} {platform.value}", rule


def test_every_rule_message_and_expectation_is_in_both_languages(catalogue) -> None:  # type: ignore[no-untyped-def]
    problems = []
    count = 0
    for control in catalogue.controls:
        for where, rule in _every_rule(control):
            count += 1
            if not rule.message.strip():
                problems.append(f"{where}: empty message")
            if not rule.message_zh:
                problems.append(f"{where}: no message_zh for {rule.message!r}")
            elif not CJK.search(rule.message_zh):
                problems.append(f"{where}: message_zh of {rule.message!r} is not Chinese")
            if rule.expected_zh and not rule.expected:
                problems.append(f"{where}: expected_zh without expected")
            if rule.expected and not rule.expected_zh:
                problems.append(f"{where}: no expected_zh for {rule.expected!r}")
    assert count > 600  # the whole catalogue was walked (639 rules when this test was written)
    assert not problems, "\n".join(problems[:40])


def test_every_manual_and_not_applicable_text_is_in_both_languages(catalogue) -> None:  # type: ignore[no-untyped-def]
    problems = []
    for control in catalogue.controls:
        for platform, check in control.platforms.items():
            where = f"{control.id} {platform.value}"
            for english, chinese in (
                (check.attest, check.attest_zh),
                (check.not_applicable, check.not_applicable_zh),
            ):
                if english and not (chinese and CJK.search(chinese)):
                    problems.append(f"{where}: no Chinese text for {english[:60]!r}")
                if chinese and not english:
                    problems.append(f"{where}: Chinese text without the English one")
    assert not problems, "\n".join(problems[:40])


def test_the_same_message_has_one_translation(catalogue) -> None:  # type: ignore[no-untyped-def]
    seen: dict[str, set[str]] = {}
    for control in catalogue.controls:
        for _, rule in _every_rule(control):
            seen.setdefault(rule.message, set()).add(rule.message_zh or "")
    differing = {m: zh for m, zh in seen.items() if len(zh) > 1}
    assert not differing, differing


CASES = [c for c in discover() if c.kind in ("fail", "warn")]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_failed_finding_reads_as_its_rules_in_chinese(case: Case, catalogue) -> None:  # type: ignore[no-untyped-def]
    control = catalogue.by_id()[case.control_id]
    finding = evaluate_dir(control, case.platform, case.path / "evidence")
    assert finding.status.value in ("fail", "warn")
    check = control.platforms[case.platform]
    own = {r.message_zh or "" for top in (*check.rules, *check.screens) for r in _rules(top)}
    rest = finding.message_zh
    for text in sorted(own, key=len, reverse=True):
        rest = rest.replace(text, "")
    assert finding.message_zh != rest, "no failed rule's message_zh in the finding"
    assert not rest.strip("；"), (rest, finding.message_zh, finding.message)
    assert "line(s)" not in finding.message_zh and "re_search" not in finding.message_zh


def test_manual_and_not_applicable_findings_read_in_chinese(catalogue) -> None:  # type: ignore[no-untyped-def]
    from secaudit.evaluate.engine import evaluate_control
    from secaudit.models.knobs import Knobs

    seen = {"manual": 0, "not_applicable": 0}
    for control in catalogue.controls:
        for platform, check in control.platforms.items():
            if check.evaluated:
                continue
            target = target_for(platform.value, control)
            finding = evaluate_control(target, control, {}, Knobs())
            assert finding is not None
            if check.manual:
                assert finding.message_zh == f"人工核查：{check.attest_zh}"
                seen["manual"] += 1
            else:
                assert finding.message_zh.endswith(f"不适用：{check.not_applicable_zh}")
                seen["not_applicable"] += 1
    assert seen["manual"] > 50 and seen["not_applicable"] > 5
