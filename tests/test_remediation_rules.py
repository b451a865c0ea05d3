"""Remediation per failed rule: each rule's own fix, checked against its own rule.

* :func:`test_rule_fix_clears_its_own_rule`: for every configuration fixture that fails (or
  warns), every rule that failed and carries its own fix: the fix (placeholders filled from the
  observed lines by the engine, the rest with neutral test values) is applied to the fixture's
  configuration, and that rule alone is evaluated again: it must no longer fail or warn. A fix
  that recreates the weakness it reports (MD5 for an MD5 finding) fails here.
* :func:`test_every_rollback_parses`: every rollback block of the catalogue (rule and check
  level) parses on its platform: hier_config with secaudit's remediation driver for platforms
  that have one, the project's configuration tree parser for the others.
* The bugs issue 14 listed, one test each (``test_issue14_*``).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import replace

import pytest
from hier_config import HConfig, HConfigChild

from secaudit.collect.offline import read_evidence
from secaudit.collect.plan import build_plan
from secaudit.evaluate.fixes import FAILED, rule_fix
from secaudit.evaluate.loader import Catalogue
from secaudit.evaluate.operators import evaluate_rule
from secaudit.models.control import COMPOSITE, Control, PlatformCheck, Rule
from secaudit.models.enums import Platform
from secaudit.models.evidence import ParsedEvidence
from secaudit.models.knobs import Knobs
from secaudit.parse.config import to_hconfig
from secaudit.parse.evidence import parse_evidence
from secaudit.parse.tree import build_tree
from secaudit.platforms import get_platform
from secaudit.remediate import plan_for_host, render_plan
from secaudit.remediate.minimal import PLACEHOLDER, parse_lines, running_tree, tree_lines

from fixtures import Case, discover, evaluate_dir, target_for

RUN_ID = "20240603T101500Z-a1b2c3"

#: Neutral values for placeholders the observed lines cannot give (keys, new servers, names).
_NEUTRAL: tuple[tuple[str, str], ...] = (
    (r"ip|server|peer|lsr|host|collector|neighbor", "192.0.2.7"),
    (r"mask", "255.255.255.0"),
    (r"key|password|secret|pwd", "Test-Value-9x"),
    (r"^(id|n|idx|t|as|asn|area|process|key-id)$", "7"),
    (r"vlan", "100"),
)


def neutral(name: str) -> str:
    """A test value for placeholder ``<name>``; addresses differ per name (``<ip-1>``, ``<ip-2>``)."""
    bare = name[1:-1]
    value = next((v for pattern, v in _NEUTRAL if re.search(pattern, bare)), f"test-{bare}")
    if value == "192.0.2.7":
        value = f"192.0.2.{10 + zlib.crc32(bare.encode()) % 200}"
    return value


def _fill_neutral(lines: tuple[str, ...]) -> list[str]:
    return [PLACEHOLDER.sub(lambda m: neutral(m.group(0)), line) for line in lines]


def _config_check(control: Control, platform: str) -> PlatformCheck | None:
    check = control.platforms.get(Platform(platform))
    if check is None or not check.evaluated:
        return None
    if not check.evidence or any(e.parser != "config" for e in check.evidence):
        return None
    return check


def _negation(platform: Platform) -> tuple[str, ...]:
    spec = get_platform(platform)
    if spec.remediation is not None:
        return (parse_lines(platform, ["x"]).driver.negation_prefix,)
    return ("undo ", "no ")


_SWITCH = re.compile(r" (?:on|off|enable|disable)$")

#: Settings that hold one value on platforms without a remediation driver, as this test models
#: their CLI (entering one replaces the line with the same key, the regex's first group). Verified
#: forms of the catalogue; the hier_config platforms have theirs in ``RemediationRules``.
SINGLE_VALUE: dict[str, tuple[re.Pattern[str], ...]] = {
    "zte_zxros": tuple(
        re.compile(p)
        for p in (
            r"^(line \S+ (?:idle|absolute)-timeout) ",
            r"^(user-authen-restriction) ",
            r"^(strong-password length) ",
            r"^(global-user-aging) ",
            r"^(clock timezone) ",
            r"^(snmp-server group \S+ v3) ",
            r"^(login-type-allowed) ",
            r"^(ntp server \S+) ",
        )
    ),
    "zte_zxa10": tuple(
        re.compile(p)
        for p in (
            r"^(line \S+ (?:idle|absolute)-timeout) ",
            r"^(user-authen-restriction) ",
            r"^(strong-password length) ",
            r"^(global-user-aging) ",
            r"^(clock timezone) ",
            r"^(snmp-server group \S+ v3) ",
            r"^(line \S+ idle-timeout) ",
            r"^(ntp server \S+) ",
        )
    ),
    "huawei_smartax": tuple(
        re.compile(p)
        for p in (
            r"^(ssh server (?:cipher|hmac|key-exchange|dh-exchange min-len)) ",
            r"^(snmp-agent sys-info version) ",
            r"^(timezone) ",
            r"^(snmp-agent group v3 \S+) ",
            r"^(system user password security-length) ",
        )
    ),
}


def _same_setting(platform: str, old: str, new: str) -> bool:
    """How the CLI of a platform without a remediation driver treats a line entered again:
    ``gem add 1 eth tcont 1 encrypt on`` replaces ``gem add 1 eth tcont 1`` (new options) and
    ``... encrypt off`` (the other end of a switch); a single-value setting replaces its value."""
    if new.startswith(f"{old} ") or _SWITCH.sub("", old) == _SWITCH.sub("", new):
        return True
    if any(old == f"{neg}{new}" or new == f"{neg}{old}" for neg in ("undo ", "no ")):
        return True  # a line and its own negation are one setting
    for pattern in SINGLE_VALUE.get(platform, ()):
        a, b = pattern.match(old), pattern.match(new)
        if a is not None and b is not None and a.group(1) == b.group(1):
            return True
    return False


def _merge(
    node: HConfig | HConfigChild, fix: HConfig | HConfigChild, negations: tuple[str, ...], platform: str
) -> None:
    """Apply fix lines to a tree as the device would: a negation removes the line (or the lines
    it prefixes); a section line enters the existing section it names (``ont-lineprofile gpon
    profile-id 10`` enters ``... profile-id 10 profile-name "X"``); a line replaces its setting."""
    for child in fix.children:
        prefix = next((p for p in negations if child.text.startswith(p)), None)
        if prefix is not None and not child.children:
            positive = child.text.removeprefix(prefix)
            for old in tuple(node.children):
                if old.text == positive or old.text.startswith(f"{positive} "):
                    old.delete()
            continue
        target = node.get_child(equals=child.text)
        if target is None and child.children:
            target = next((c for c in node.children if c.text.startswith(f"{child.text} ")), None)
        if target is None:
            for old in tuple(node.children):
                if not old.children and not child.children and _same_setting(platform, old.text, child.text):
                    old.delete()
            target = node.add_child(child.text)
        _merge(target, child, negations, platform)


def apply_fix(platform: Platform, running_text: str, lines: list[str]) -> list[str]:
    """The fixture configuration with ``lines`` applied, as lines one space per level."""
    spec = get_platform(platform)
    if spec.remediation is not None:
        future = running_tree(platform, running_text).future(parse_lines(platform, lines))
        return list(tree_lines(future, exits=False))
    running = to_hconfig(spec, running_text)
    fix = to_hconfig(spec, "\n".join(lines))
    _merge(running, fix, _negation(platform), platform.value)
    return list(tree_lines(running, exits=False))


def _parsed(case: Case, control: Control) -> dict[str, ParsedEvidence]:
    target = target_for(case.platform, control)
    plan = build_plan([target], [control])[target.name]
    check = control.platforms[Platform(case.platform)]
    specs = {s.command: s for s in check.evidence}
    out = {}
    for cmd in plan:
        evidence = read_evidence(target, cmd, case.path / "evidence", {})
        spec = specs[cmd.command] if cmd.command in specs else next(iter(specs.values()))
        out[spec.id] = parse_evidence(evidence, spec)
    return out


def _own_fix_cases() -> list[Case]:
    """Fail/warn fixtures of checks on configuration evidence with a rule that has its own fix."""
    from secaudit.evaluate.loader import load_catalogue

    from conftest import CHECKS

    by_id = load_catalogue(CHECKS).by_id()
    out = []
    for case in discover():
        if case.kind not in ("fail", "warn") or case.control_id not in by_id:
            continue
        check = _config_check(by_id[case.control_id], case.platform)
        if check is not None and any(_configurable(rule) for rule in check.rules):
            out.append(case)
    return out


def _configurable(rule: Rule) -> bool:
    """A rule with its own fix in configuration lines (not prose for the ACS or a web UI)."""
    lines = rule.remediation or (rule.shapes[0].remediation if rule.shapes else ())
    return bool(lines) and not lines[0].startswith("(")


OWN_FIX_CASES = _own_fix_cases()


@pytest.mark.parametrize("case", OWN_FIX_CASES, ids=[c.id for c in OWN_FIX_CASES])
def test_rule_fix_clears_its_own_rule(case: Case, catalogue: Catalogue) -> None:
    control = catalogue.by_id()[case.control_id]
    platform = Platform(case.platform)
    check = control.platforms[platform]
    evidence = _parsed(case, control)
    problems = []
    checked = 0
    for index, rule in enumerate(check.rules):
        before = evaluate_rule(rule, evidence, Knobs())
        if not _configurable(rule) or before.status not in FAILED:
            continue
        checked += 1
        rem, _ = rule_fix(rule, before, check)
        if not rem:  # every failing line is covered by another rule's fix (fill_skip): the finding's
            rem = evaluate_dir(control, case.platform, case.path / "evidence").remediation
        lines = _fill_neutral(rem)
        (eid,) = _evidence_ids(rule)
        parsed = evidence[eid]
        tree = build_tree(apply_fix(platform, parsed.text, lines), get_platform(platform).hconfig_platform)
        fixed = {**evidence, eid: replace(parsed, tree=tree)}
        after = evaluate_rule(rule, fixed, Knobs())
        shown = "\n    ".join(lines)
        if after.status in FAILED:
            problems.append(
                f"rule {index}: its own fix leaves it {after.status.value}: {after.message}\n    {shown}"
            )
        for other_index, other in enumerate(check.rules):  # nor may it bring up another weakness
            if evaluate_rule(other, evidence, Knobs()).status in FAILED:
                continue
            now = evaluate_rule(other, fixed, Knobs())
            if now.status in FAILED:
                problems.append(f"rule {index}: its fix makes rule {other_index} {now.status.value}: ")
                problems.append(f"{now.message}\n    {shown}")
    if not checked:
        pytest.skip("no rule with its own configuration fix fails on this fixture")
    assert not problems, "\n".join(problems)


def _evidence_ids(rule: Rule) -> set[str]:
    if isinstance(rule, COMPOSITE):
        return {e for sub in rule.rules for e in _evidence_ids(sub)}
    return {rule.evidence}


def test_own_fix_cases_cover_the_bug_controls() -> None:
    ids = {c.control_id for c in OWN_FIX_CASES}
    assert {"SEC-IAM-004", "SEC-PON-002", "SEC-RTE-001"} <= ids


# --------------------------------------------------------------------------------------------
# rollbacks parse


def _rollbacks(catalogue: Catalogue) -> Iterator[tuple[str, Platform, tuple[str, ...]]]:
    def walk(rule: Rule) -> Iterator[tuple[str, ...]]:
        if rule.rollback:
            yield rule.rollback
        yield from (shape.rollback for shape in rule.shapes if shape.rollback)
        if isinstance(rule, COMPOSITE):
            for sub in rule.rules:
                yield from walk(sub)

    for control in catalogue.controls:
        for platform, check in control.platforms.items():
            if check.rollback:
                yield f"{control.id}/{platform.value}", platform, check.rollback
            for i, rule in enumerate((*check.rules, *check.screens)):
                for block in walk(rule):
                    yield f"{control.id}/{platform.value}/rule{i}", platform, block


def test_every_rollback_parses(catalogue: Catalogue) -> None:
    problems = []
    count = 0
    for where, platform, block in _rollbacks(catalogue):
        if block[0].startswith("("):  # prose (via the ACS / web UI): no configuration to parse
            continue
        count += 1
        spec = get_platform(platform)
        try:
            if spec.remediation is not None:
                tree = parse_lines(platform, block)
                kept = {line.strip() for line in tree_lines(tree)}
            else:
                parsed = build_tree(list(block), spec.hconfig_platform)
                kept = {node.text for node in parsed.nodes}
        except Exception as exc:
            problems.append(f"{where}: {exc}")
            continue
        lost = [line for line in block if line.strip() and line.strip() not in kept]
        if lost:
            problems.append(f"{where}: lines lost when parsed: {lost}")
        bare = [line for line in block if line.strip() in {"password", "secret", "key"}]
        if bare:
            problems.append(f"{where}: a bare keyword without its value: {bare}")
    assert count >= 10
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# the bugs issue 14 listed


def _case(case_id: str) -> Case:
    (case,) = [c for c in discover() if c.id == case_id]
    return case


def _plan_text(catalogue: Catalogue, case_id: str) -> tuple[str, list[str], list[str]]:
    """Plan text of a fixture case, with the remediation and rollback lines of its one fix."""
    case = _case(case_id)
    control = catalogue.by_id()[case.control_id]
    finding = evaluate_dir(control, case.platform, case.path / "evidence")
    assert finding.status in FAILED
    files = sorted((case.path / "evidence").glob("*.txt"))
    running = files[0].read_text(encoding="utf-8") if len(files) == 1 else None
    plan = plan_for_host(finding.host, case.platform, [finding], catalogue.by_id(), running, RUN_ID)
    (fix,) = plan.fixes
    return render_plan(plan), list(fix.remediation), list(fix.rollback)


def test_issue14_open_wifi_is_told_to_secure_the_ssid_not_timeout(catalogue: Catalogue) -> None:
    text, rem, _ = _plan_text(catalogue, "SEC-PON-005/huawei_ont/fail_open_ssid")
    assert not any(line.startswith("timeout") for line in rem)
    assert "# rollback" not in text  # prose for the ACS: no rollback is claimed
    assert rem == [
        '(via the ACS or the web UI) SSID 2 "ChinaNet-Guest": set the security mode to WPA2-PSK AES '
        "or WPA2/WPA3 with a per-device key"
    ]
    _, rem, back = _plan_text(catalogue, "SEC-PON-005/huawei_ont/fail_timeout_30_min")
    assert rem == ["timeout 10"]
    assert back == ["timeout 30"]


def test_issue14_type7_tacacs_key_is_not_told_to_change_a_username(catalogue: Catalogue) -> None:
    text, rem, _ = _plan_text(catalogue, "SEC-IAM-004/cisco_xr/warn_tacacs_key_type7")
    assert not any("username" in line or "secret" in line for line in rem)
    # 'password6 encryption aes' is already configured on this fixture: the minimal change drops it
    assert rem == ["tacacs-server host 10.20.4.10 port 49", " key 6 <key>", " exit"]
    assert "# REQUIRES VALUES: <key>" in text
    header = "# REQUIRES VALUES: 1 of 1 block(s) hold values the evidence did not give (<...>): SEC-IAM-004"
    assert header in text
    # a finding failing two rules gets the union of both fixes, and nothing else
    _, rem, _ = _plan_text(catalogue, "SEC-IAM-004/cisco_xr/warn_catalogue_5_4")
    assert rem == [
        "username noc",
        " secret 10 <password>",
        " exit",
        "password6 encryption aes",
        "tacacs-server host 10.20.4.10 port 49",
        " key 6 <key>",
        " exit",
    ]


def test_issue14_placeholders_are_filled_from_observed_values(catalogue: Catalogue) -> None:
    text, rem, back = _plan_text(catalogue, "SEC-PON-002/huawei_smartax/fail_gem_encrypt_off")
    assert rem == [
        "ont-lineprofile gpon profile-id 10",
        " gem add 1 eth tcont 1 encrypt on",
        " commit",
        " quit",
    ]
    assert back == [
        "ont-lineprofile gpon profile-id 10",
        " gem add 1 eth tcont 1 encrypt off",
        " commit",
        " quit",
    ]
    assert "REQUIRES VALUES" not in text
    assert not PLACEHOLDER.search(text)


def test_issue14_zxros_md5_finding_is_not_told_to_configure_md5(catalogue: Catalogue) -> None:
    for case_id in (
        "SEC-RTE-001/zte_zxros/warn_catalogue_5_3",
        "SEC-RTE-001/zte_zxros/fail_ospf_area_without_authentication",
    ):
        _, rem, _ = _plan_text(catalogue, case_id)
        assert rem
        assert not [line for line in rem if "md5" in line and not line.strip().startswith("no ")], rem
    _, rem, _ = _plan_text(catalogue, "SEC-RTE-001/zte_zxros/warn_catalogue_5_3")
    assert "  interface xgei-1/1/0/1" in rem


def test_issue14_xr_rollback_holds_no_bare_password_line(catalogue: Catalogue) -> None:
    _, rem, back = _plan_text(catalogue, "SEC-IAM-004/cisco_xr/fail_user_password_type7")
    assert rem == ["username noc", " no password", " secret 10 <password>", " exit"]
    assert back == ["username noc", " no secret 10 <password>", " password 7 REDACTED", " exit"]
    assert not [line for line in back if line.strip() in {"password", "secret"}], back
    # without a running configuration to compare with (the rule's lines, <u> unfilled)
    case = _case("SEC-IAM-004/cisco_xr/fail_user_password_type7")
    control = catalogue.by_id()[case.control_id]
    finding = evaluate_dir(control, case.platform, case.path / "evidence")
    unfilled = finding.model_copy(update={"remediation": ("username <u>", " secret 10 <p>", " no password")})
    running = sorted((case.path / "evidence").glob("*.txt"))[0].read_text(encoding="utf-8")
    plan = plan_for_host(finding.host, case.platform, [unfilled], catalogue.by_id(), running, RUN_ID)
    (fix,) = plan.fixes
    assert not [line for line in fix.rollback if line.strip() == "password"], fix.rollback
    assert any("'no password'" in note for note in fix.notes)
