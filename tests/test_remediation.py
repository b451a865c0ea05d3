"""Remediation plans (``secaudit.remediate``): rendering, ordering, and the circular test.

The circular test: for every configuration-based ``fail_`` fixture on huawei_vrp and cisco_xr,
plan the fix from the fixture's running configuration (redacted, as the pipeline plans from the
redacted evidence), fill in the placeholders the observed lines did not give (tables below),
apply the plan's remediation with hier_config ``future()``, write the configuration back in the
platform's own text form and evaluate the control again: it must pass.

* ``warn`` is accepted only where :data:`ALLOW_WARN` says why.
* A case whose control remediation cannot fix the fixture is ``xfail(strict=True)`` with the
  content gap in :data:`XFAIL` (the control YAML is content: it is fixed there, not here).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.evaluate.fixes import merge_blocks
from secaudit.evaluate.loader import Catalogue
from secaudit.models.control import Control
from secaudit.models.enums import Platform, Status
from secaudit.models.finding import Finding
from secaudit.platforms import PLATFORMS
from secaudit.platforms.base import RemediationRules
from secaudit.redact import redact_text
from secaudit.remediate import RemediationPlan, needs_plan, plan_for_host, render_plan
from secaudit.remediate.minimal import config_text, parse_lines, placeholders, running_tree

from fixtures import Case, discover, evaluate_dir

RUN_ID = "20240603T101500Z-a1b2c3"
#: platforms whose fixes hier_config computes (a remediation driver table in the registry)
HCONFIG_PLATFORMS = tuple(p.value for p, spec in PLATFORMS.items() if spec.remediation is not None)


def _rules(platform: Platform) -> RemediationRules:
    rules = PLATFORMS[platform].remediation
    assert rules is not None
    return rules


# --------------------------------------------------------------------------------------------
# placeholder -> realistic value, per control and platform (circular test only)

_VRP_KEY = "%^%#Gq0X,N7v5P!eR2d%^%#"
_XR_KEY = "1511021F07257A767B"
_SHA512 = "$6$Tq9dLr2S$wq0tY7bJ0rX3"

VALUES: dict[str, dict[str, dict[str, str]]] = {
    "SEC-IAM-001": {
        "huawei_vrp": {"<named-admin>": "netops02", "<password>": "$1c$Qk7w9s$Vb0Xz2", "<u>": "audit01"},
        "cisco_xr": {"<named-user>": "noc", "<password>": _SHA512},
    },
    "SEC-IAM-002": {"cisco_xr": {"<u>": "noc"}},
    "SEC-IAM-003": {"cisco_xr": {"<u>": "noc"}},
    "SEC-IAM-004": {
        "huawei_vrp": {"<u>": "audit01", "<password>": "$1c$Qk7w9s$Vb0Xz2", "<key>": _VRP_KEY},
        "cisco_xr": {"<u>": "noc", "<password>": _SHA512, "<key>": _XR_KEY},
    },
    "SEC-IAM-005": {"cisco_xr": {"<task>": "bgp", "<operator>": "noc"}},
    "SEC-IAM-006": {
        "huawei_vrp": {"<ip>": "10.20.4.10", "<key>": _VRP_KEY},
        "cisco_xr": {"<ip>": "10.20.4.10"},
    },
    "SEC-LOG-001": {
        "huawei_vrp": {"<ip-1>": "10.20.3.11", "<ip-2>": "10.20.3.12"},
        "cisco_xr": {"<ip-1>": "10.20.3.11", "<ip-2>": "10.20.3.12"},
    },
    "SEC-LOG-004": {"huawei_vrp": {"<ip>": "10.20.1.5", "<user>": "nmsuser"}},
    "SEC-MGMT-001": {"cisco_xr": {"<vrf>": "MGMT"}},
    "SEC-MGMT-003": {
        "huawei_vrp": {
            "<mgmt-net>": "10.20.0.0",
            "<wildcard>": "0.0.0.15",
            "<mgmt-net6>": "2001:db8:20::/64",
        },
        "cisco_xr": {"<mgmt-net>": "10.20.0.0", "<len>": "28"},
    },
    "SEC-MGMT-004": {"cisco_xr": {"<template>": "NOC"}},
    "SEC-MGMT-005": {"cisco_xr": {"<user>": "admin"}},
    "SEC-NTP-001": {
        "huawei_vrp": {"<key>": _VRP_KEY, "<ip-1>": "10.20.2.1", "<ip-2>": "10.20.2.2"},
        "cisco_xr": {"<key>": _XR_KEY, "<vrf>": "MGMT", "<ip-1>": "10.20.2.1", "<ip-2>": "10.20.2.2"},
    },
    "SEC-PLAN-001": {
        "huawei_vrp": {"<asn>": "65000", "<n>": "999", "<mgmt-ip>": "10.20.9.32", "<mask>": "255.255.255.0"},
        "cisco_xr": {"<mgmt-if>": "MgmtEth0/RP0/CPU0/0", "<bastion-prefix>": "10.20.0.0/28"},
    },
    "SEC-PLAN-002": {
        "huawei_vrp": {
            "<asn>": "65000",
            "<n>": "100",
            "<ran-sub-interface>": "GigabitEthernet0/2/1.100",
            "<ip>": "10.40.1.5",
            "<mask>": "255.255.255.252",
            "<mgmt-n>": "999",
            "<mgmt-ip>": "10.20.9.32",
            "<mgmt-mask>": "255.255.255.0",
        },
        "cisco_xr": {
            "<rt>": "65000:100",
            "<ran-sub-interface>": "TenGigE0/0/0/4.100",
            "<mgmt-if>": "MgmtEth0/RP0/CPU0/0",
        },
    },
    "SEC-RTE-001": {
        "huawei_vrp": {
            "<key>": _VRP_KEY,
            "<igp-interface>": "GigabitEthernet0/2/0",
            "<ip>": "10.10.0.1",
            "<peer-lsr-id>": "10.10.0.1",
            "<process-id>": "2",
            "<router-id>": "10.10.0.102",
            "<area>": "0.0.0.20",
            "<key-chain>": "LDP-KC",
        },
        "cisco_xr": {
            "<key>": _XR_KEY,
            "<id>": "CORE",
            "<if>": "TenGigE0/0/0/0",
            "<process-id>": "RAN",
            "<as>": "65000",
            "<ip>": "10.10.0.2",
            "<vrf>": "ENT-0044",
            "<vrf-neighbor>": "10.50.0.10",
        },
    },
    "SEC-SNMP-001": {
        "huawei_vrp": {"<name>": "<redacted:cipher>", "<auth-key>": _VRP_KEY, "<priv-key>": _VRP_KEY},
        "cisco_xr": {
            "<name>": "<redacted:community>",
            "<auth-group>": "sev1group",
            "<weak-user>": "sev1user",
            "<weak-user-group>": "NMS",
            "<auth-key>": "Auth-K1",
            "<priv-key>": "Priv-K1",
        },
    },
    "SEC-SNMP-002": {
        "huawei_vrp": {"<old-name>": "<redacted:cipher>", "<name>": "<redacted:cipher>"},
        "cisco_xr": {
            "<old-name>": "<redacted:community>",
            "<name>": "<redacted:community>",
            "<V>": "NMS-VIEW",
        },
    },
}

#: Per-case values where the fixture names a different account, peer or community.
CASE_VALUES: dict[str, dict[str, str]] = {
    "SEC-IAM-001/cisco_xr/fail_type7_password": {"<named-user>": "netops01"},
    "SEC-NTP-001/cisco_xr/fail_server_without_key": {"<vrf>": "management", "<ip-2>": "ipv6 2001:db8:20::2"},
    "SEC-RTE-001/cisco_xr/fail_password_inheritance_disabled": {"<ip>": "10.10.0.1"},
    "SEC-SNMP-001/cisco_xr/fail_catalogue_5_4": {"<name>": "<redacted:community:default>"},
    "SEC-SNMP-002/cisco_xr/fail_catalogue_5_4": {"<old-name>": "public"},
    "SEC-SNMP-002/cisco_xr/fail_private_name": {"<old-name>": "<redacted:community:default>"},
    "SEC-SNMP-002/huawei_vrp/fail_clear_default_name": {"<old-name>": "<redacted:community:default>"},
}

#: Controls whose fixed configuration may still warn, and why.
ALLOW_WARN: dict[str, str] = {}

#: Cases the control's remediation cannot fix (content gaps, to be fixed in the control YAML).
XFAIL: dict[str, str] = {
    "SEC-SNMP-002/cisco_xr/fail_rw_community": (
        "fixture, not control: the RO and the RW community are both redacted to '<redacted:community>', "
        "so a remediation by name cannot tell them apart (with distinct names the control's lines fix it)"
    ),
    "SEC-SNMP-002/huawei_vrp/fail_write_community": (
        "fixture, not control: the read and the write community are both redacted to "
        "'<redacted:cipher>', so a remediation by name cannot tell them apart"
    ),
}


def _config_only(control: Control, platform: str) -> bool:
    check = control.platforms.get(Platform(platform))
    return check is not None and bool(check.evidence) and all(e.parser == "config" for e in check.evidence)


def _circular_cases() -> list[Case]:
    from secaudit.evaluate.loader import load_catalogue

    from conftest import CHECKS

    by_id = load_catalogue(CHECKS).by_id()
    return [
        c
        for c in discover()
        if c.kind == "fail"
        and c.platform in HCONFIG_PLATFORMS
        and _config_only(by_id[c.control_id], c.platform)
    ]


CIRCULAR = _circular_cases()


def _param(case: Case):  # type: ignore[no-untyped-def]
    marks = [pytest.mark.xfail(strict=True, reason=XFAIL[case.id])] if case.id in XFAIL else []
    return pytest.param(case, id=case.id, marks=marks)


def _fill(case: Case, lines: tuple[str, ...]) -> list[str]:
    values = {**VALUES.get(case.control_id, {}).get(case.platform, {}), **CASE_VALUES.get(case.id, {})}
    out = []
    for line in lines:
        filled = line
        for name, value in values.items():
            filled = filled.replace(name, value)
        out.append(filled)
    return out


def _evidence_file(case: Case) -> Path:
    files = sorted((case.path / "evidence").glob("*.txt"))
    assert len(files) == 1, f"{case.id}: expected one configuration file, found {files}"
    return files[0]


@pytest.mark.parametrize("case", [_param(c) for c in CIRCULAR])
def test_circular_remediation_fixes_the_fixture(case: Case, catalogue: Catalogue, tmp_path: Path) -> None:
    control = catalogue.by_id()[case.control_id]
    evidence = _evidence_file(case)
    # the pipeline plans from the redacted evidence, as the engine saw it (fills come from it)
    running_text = redact_text(evidence.read_text(encoding="utf-8"))
    finding = evaluate_dir(control, case.platform, evidence.parent)
    assert finding.status is Status.FAIL

    plan = plan_for_host(finding.host, case.platform, [finding], catalogue.by_id(), running_text, RUN_ID)
    (fix,) = plan.fixes
    assert fix.method == "minimal"
    assert fix.remediation, "hier_config found nothing to change"
    # filled in, a placeholder section may name one the fix already opens ('username <user>' and
    # 'username admin'): the engineer's block is one configuration
    lines = list(merge_blocks([tuple(_fill(case, fix.remediation))]))
    assert not placeholders(lines), f"no value for {placeholders(lines)} in the test's VALUES table"

    platform = Platform(case.platform)
    future = running_tree(platform, running_text).future(parse_lines(platform, lines))
    (tmp_path / evidence.name).write_text(config_text(platform, future), encoding="utf-8")
    after = evaluate_dir(control, case.platform, tmp_path)
    allowed = {Status.PASS}
    if f"{case.control_id}/{case.platform}" in ALLOW_WARN:
        allowed.add(Status.WARN)
    shown = "\n".join(lines)
    assert after.status in allowed, f"{after.status.value}: {after.message}\nremediation:\n{shown}"


def test_circular_covers_every_config_fail_fixture() -> None:
    assert len(CIRCULAR) >= 150
    assert set(XFAIL) <= {c.id for c in CIRCULAR}, "an XFAIL entry names no circular case"
    assert set(CASE_VALUES) <= {c.id for c in CIRCULAR}, "a CASE_VALUES entry names no circular case"


def _paths(tree, platform: Platform) -> set[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    """Configuration lines as paths; literal negations, defaults and empty hardware sections aside."""
    neg = tree.driver.negation_prefix
    keep = _rules(platform).keep_sections
    return {
        tuple(c.path())
        for c in tree.all_children()
        if not any(p.startswith(neg) for p in c.path())
        and c.text not in _rules(platform).default_on
        and not (keep.match(c.text) and not c.children)
    }


NO_PLACEHOLDER_CASES = [
    c
    for c in CIRCULAR
    if c.id not in XFAIL and not VALUES.get(c.control_id, {}).get(c.platform) and c.id not in CASE_VALUES
]


@pytest.mark.parametrize("case", NO_PLACEHOLDER_CASES, ids=[c.id for c in NO_PLACEHOLDER_CASES])
def test_rollback_returns_to_the_running_configuration(case: Case, catalogue: Catalogue) -> None:
    """Without placeholders the rollback is exact: remediation then rollback is the original."""
    control = catalogue.by_id()[case.control_id]
    evidence = _evidence_file(case)
    text = evidence.read_text(encoding="utf-8")
    finding = evaluate_dir(control, case.platform, evidence.parent)
    (fix,) = plan_for_host(finding.host, case.platform, [finding], catalogue.by_id(), text, RUN_ID).fixes
    if fix.requires_values:
        pytest.skip("placeholders: the rollback is computed as if their objects were new")
    assert fix.rollback_known
    platform = Platform(case.platform)
    running = running_tree(platform, text)
    future = running.future(parse_lines(platform, fix.remediation))
    back = future.future(parse_lines(platform, fix.rollback))
    assert _paths(back, platform) == _paths(running, platform)


# --------------------------------------------------------------------------------------------
# plan content and rendering


def _finding(
    control: Control, platform: str, status: Status, *, host: str = "r1", waived: bool = False
) -> Finding:
    plat = Platform(platform)
    return Finding(
        fingerprint=f"{control.id}-{host}",
        control_id=control.id,
        control_version=control.version,
        title=control.title,
        title_zh=control.title_zh,
        host=host,
        operator="telecom",
        role=control.roles[0],
        platform=plat,
        phase=control.phase,
        severity=control.severity,
        status=status,
        waived=waived,
        message=f"{control.id} is not met",
        remediation=control.platforms[plat].remediation,
    )


def _case_text(case_id: str) -> str:
    (case,) = [c for c in discover() if c.id == case_id]
    return _evidence_file(case).read_text(encoding="utf-8")


def _plan_for_case(catalogue: Catalogue, case_id: str) -> RemediationPlan:
    """The plan for one failing finding of a fixture case ``CONTROL/platform/name`` on host r1."""
    control_id, platform, _ = case_id.split("/")
    by_id = catalogue.by_id()
    finding = _finding(by_id[control_id], platform, Status.FAIL)
    return plan_for_host("r1", platform, [finding], by_id, _case_text(case_id), RUN_ID)


def test_plan_header_order_and_filtering(catalogue: Catalogue) -> None:
    by_id = catalogue.by_id()
    findings = [
        _finding(by_id["SEC-MGMT-008"], "huawei_vrp", Status.FAIL),  # low
        _finding(by_id["SEC-LOG-003"], "huawei_vrp", Status.WARN),  # medium, warn
        _finding(by_id["SEC-IAM-002"], "huawei_vrp", Status.FAIL),  # high
        _finding(by_id["SEC-IAM-001"], "huawei_vrp", Status.FAIL),  # critical
        _finding(by_id["SEC-LOG-001"], "huawei_vrp", Status.PASS),
        _finding(by_id["SEC-MGMT-005"], "huawei_vrp", Status.FAIL, waived=True),
        _finding(by_id["SEC-MGMT-004"], "huawei_vrp", Status.FAIL, host="r2"),
    ]
    text = _case_text("SEC-IAM-002/huawei_vrp/fail_min_len_6")
    plan = plan_for_host("r1", "huawei_vrp", findings, by_id, text, RUN_ID)
    assert [f.control_id for f in plan.fixes] == ["SEC-IAM-001", "SEC-IAM-002", "SEC-MGMT-008", "SEC-LOG-003"]
    assert plan.waived == ("SEC-MGMT-005",)
    assert all(f.method == "minimal" for f in plan.fixes)

    out = render_plan(plan)
    head = out.split("\n## ", 1)[0]
    assert f"run {RUN_ID}" in head
    assert "# host: r1" in head
    assert "# platform: huawei_vrp" in head
    assert "GENERATED" in head
    assert "SEC-IAM-001 v1, SEC-IAM-002 v1, SEC-MGMT-008 v1, SEC-LOG-003 v1" in head
    assert "# waived (no block): SEC-MGMT-005" in head
    assert "## SEC-IAM-002 v1 Password complexity enforced [high]" in out
    assert "SEC-LOG-001" not in out
    assert "SEC-MGMT-004" not in out
    block = out.split("## SEC-IAM-002", 1)[1].split("\n## ", 1)[0]
    assert block.split("# remediation\n", 1)[1].split("# rollback\n") == [
        "user-security-policy enable\naaa\n user-security-policy enable\n user-password min-len 12\n quit\n",
        "aaa\n user-password min-len 6\n quit\n",
    ]


def test_placeholders_mark_the_block(catalogue: Catalogue) -> None:
    plan = _plan_for_case(catalogue, "SEC-LOG-001/huawei_vrp/fail_one_loghost")
    (fix,) = plan.fixes
    assert fix.requires_values == ("<ip-1>", "<ip-2>")
    assert any("<ip-1>" in line for line in fix.remediation)
    assert "# REQUIRES VALUES: <ip-1>, <ip-2>" in render_plan(plan)


def test_template_platforms_use_the_control_lines(catalogue: Catalogue) -> None:
    by_id = catalogue.by_id()
    findings = [_finding(by_id["SEC-IAM-002"], "zte_zxa10", Status.FAIL, host="olt1")]
    zte = plan_for_host("olt1", "zte_zxa10", findings, by_id, None, RUN_ID)
    (fix,) = zte.fixes
    assert fix.method == "template"
    assert fix.remediation == by_id["SEC-IAM-002"].platforms[Platform.ZTE_ZXA10].remediation
    assert not fix.rollback_known
    assert "# rollback" not in render_plan(zte)
    findings = [_finding(by_id["SEC-MGMT-001"], "huawei_smartax", Status.FAIL, host="olt1")]
    smartax = plan_for_host("olt1", "huawei_smartax", findings, by_id, None, RUN_ID)
    check = by_id["SEC-MGMT-001"].platforms[Platform.HUAWEI_SMARTAX]
    assert smartax.fixes[0].rollback == check.rollback
    assert smartax.fixes[0].rollback_known == bool(check.rollback)


def test_vrp_without_a_usable_running_configuration_falls_back_to_templates(catalogue: Catalogue) -> None:
    by_id = catalogue.by_id()
    findings = [_finding(by_id["SEC-IAM-002"], "huawei_vrp", Status.FAIL)]
    for text in (None, "<R1>display current-configuration\n#\nreturn\n"):
        plan = plan_for_host("r1", "huawei_vrp", findings, by_id, text, RUN_ID)
        assert not plan.running_config
        assert plan.fixes[0].method == "template"
        assert plan.fixes[0].remediation == by_id["SEC-IAM-002"].platforms[Platform.HUAWEI_VRP].remediation
        assert "# method: the controls' own lines" in render_plan(plan)
        assert plan.notes


def test_rollback_never_removes_a_placeholder_section(catalogue: Catalogue) -> None:
    plan = _plan_for_case(catalogue, "SEC-IAM-002/cisco_xr/fail_user_unbound")
    (fix,) = plan.fixes
    assert fix.remediation == ("username <u>", " policy SEC", " exit")
    assert fix.rollback == ("username <u>", " no policy SEC", " exit")
    assert not any(line.startswith("no username") for line in fix.rollback)


def test_noop_negations_are_neither_sent_nor_rolled_back(catalogue: Catalogue) -> None:
    plan = _plan_for_case(catalogue, "SEC-MGMT-006/cisco_xr/fail_http_server")
    (fix,) = plan.fixes
    # the control's own 'no http server' (it removed 'http server vrf MGMT' by prefix); no 'no tftp
    # ...', 'no telnet ...', 'grpc' / 'no no-tls' for servers that are not configured
    assert fix.remediation == ("no http server",)
    assert fix.rollback == ("http server vrf MGMT",)


def test_one_off_commands_are_listed_apart_without_rollback(catalogue: Catalogue) -> None:
    plan = _plan_for_case(catalogue, "SEC-MGMT-002/huawei_vrp/fail_md5_hmac")
    (fix,) = plan.fixes
    assert fix.exec_commands == ("rsa local-key-pair create",)
    assert not any("local-key-pair" in line for line in (*fix.remediation, *fix.rollback))
    assert "ssh server hmac sha2_512 sha2_256" in fix.remediation
    out = render_plan(plan)
    one_off = out.index("# one-off commands")
    assert one_off < out.index("\nrsa local-key-pair create\n") < out.index("# rollback")


def test_version_drift_is_noted(catalogue: Catalogue) -> None:
    by_id = catalogue.by_id()
    finding = _finding(by_id["SEC-MGMT-008"], "huawei_vrp", Status.FAIL).model_copy(
        update={"control_version": 7}
    )
    plan = plan_for_host("r1", "huawei_vrp", [finding], by_id, None, RUN_ID)
    assert plan.fixes[0].control_version == 7
    assert "## SEC-MGMT-008 v7 " in render_plan(plan)
    assert any("re-run the audit" in n for n in plan.fixes[0].notes)


def test_redacted_values_require_values(catalogue: Catalogue) -> None:
    plan = _plan_for_case(catalogue, "SEC-SNMP-001/cisco_xr/fail_community")
    (fix,) = plan.fixes
    # the rollback restores the old user line, whose keys the evidence redacted
    assert any("<redacted:encrypted>" in line for line in fix.rollback)
    assert "<redacted:encrypted>" in fix.requires_values
    assert any("values redacted in the evidence" in n for n in fix.notes)


def test_nothing_to_remediate() -> None:
    plan = plan_for_host("r1", "cisco_xr", [], {}, None, RUN_ID)
    assert "# nothing to remediate" in render_plan(plan)
    assert placeholders(render_plan(plan).splitlines()) == ()


def test_which_hosts_need_a_plan(catalogue: Catalogue) -> None:
    """What the pipeline asks before planning: a fail or warn finding that is not waived."""
    by_id = catalogue.by_id()
    findings = [
        _finding(by_id["SEC-MGMT-008"], "cisco_xr", Status.FAIL, host="a"),
        _finding(by_id["SEC-MGMT-008"], "cisco_xr", Status.FAIL, host="b", waived=True),
        _finding(by_id["SEC-MGMT-008"], "cisco_xr", Status.PASS, host="c"),
    ]
    assert [h for h in "abc" if needs_plan(findings, h)] == ["a"]
