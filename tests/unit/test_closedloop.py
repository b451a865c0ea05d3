"""``remediate apply`` pieces that need no device: placeholder values, pushability, gate, tally."""

from __future__ import annotations

import pytest

from secaudit.closedloop.loop import Change, HostOutcome, Verdict
from secaudit.closedloop.record import exit_code, tally
from secaudit.closedloop.rollback import derive
from secaudit.closedloop.source import RefusedError, lab_gate
from secaudit.closedloop.values import Pushable, Values, pushable
from secaudit.models.enums import Environment, Platform, Role, Severity, Status
from secaudit.models.target import Target
from secaudit.platforms import get_platform
from secaudit.remediate import ControlFix


def _fix(lines: tuple[str, ...], rollback: tuple[str, ...] = ()) -> ControlFix:
    return ControlFix(
        control_id="SEC-LOG-001",
        control_version=1,
        title="t",
        severity=Severity.HIGH,
        status=Status.FAIL,
        message="m",
        method="template",
        remediation=lines,
        rollback=rollback,
        rollback_known=bool(rollback),
    )


def test_values_come_from_the_environment_or_the_secrets_file_never_the_plan() -> None:
    fix = _fix(("loghost add <ip-1> <name-1>",))
    assert isinstance(pushable(fix, Values.of("olt1", {}, {})), str)  # the plan's text is not a value
    env = Values.of("olt1", {}, {"SECAUDIT_FIX_IP_1": "10.0.0.1", "SECAUDIT_FIX_NAME_1": "S1"})
    ready = pushable(fix, env)
    assert isinstance(ready, Pushable) and ready.lines == ("loghost add 10.0.0.1 S1",)
    assert set(ready.secrets) == {"10.0.0.1", "S1"}  # scrubbed from every recorded answer
    per_host = Values.of("olt1", {"olt1/SEC-LOG-001/ip-1": "10.9.9.9", "ip-1": "10.0.0.2", "name-1": "S"}, {})
    ready = pushable(fix, per_host)
    assert isinstance(ready, Pushable) and ready.lines == ("loghost add 10.9.9.9 S",)


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (("undo snmp-agent community <redacted:cipher>",), "needs values redacted in the evidence"),
        (("(or) ont add 0 1 loid-auth <loid>",), "advice, not configuration"),
        ((), "no configuration lines"),
    ],
)
def test_fixes_that_cannot_be_pushed_say_why(lines: tuple[str, ...], reason: str) -> None:
    result = pushable(_fix(lines), Values.of("r1", {"loid": "x"}, {}))
    assert isinstance(result, str) and result.startswith(reason)


def test_runtime_state_controls_are_advice() -> None:
    result = pushable(_fix(("board confirm 0/2",)), Values.of("r1", {}, {}), from_config=False)
    assert isinstance(result, str) and "runtime state" in result


@pytest.mark.parametrize("env", [Environment.STAGING, Environment.PRODUCTION])
def test_only_lab_hosts_pass_the_gate(env: Environment) -> None:
    target = Target(
        name="r1",
        hostname="127.0.0.1",
        platform=Platform.HUAWEI_VRP,
        operator="telecom",
        role=Role.EDGE5G,
        site="s",
        environment=env,
        model="m",
    )
    with pytest.raises(RefusedError, match="writes only to hosts whose inventory environment is lab"):
        lab_gate(target)
    lab_gate(target.model_copy(update={"environment": Environment.LAB}))


def test_tally_and_exit_codes() -> None:
    fixed = HostOutcome("a", "huawei_vrp", "telecom", Verdict.FIXED, failing_with_fix=("X", "Y"))
    fixed.changes = (Change("X", "fail", "pass", None, True), Change("Y", "fail", "fail", None, False))
    back = HostOutcome("b", "huawei_vrp", "telecom", Verdict.ROLLED_BACK, failing_with_fix=("X",))
    assert tally([fixed, back]) == (1, 3)
    assert exit_code([fixed]) == 0
    assert exit_code([fixed, back]) == 1
    assert exit_code([HostOutcome("c", "p", "o", Verdict.INCOMPLETE)]) == 3
    assert exit_code([HostOutcome("c", "p", "o", Verdict.REFUSED), back]) == 2


def test_derived_rollback_restores_single_values_and_removes_new_lines() -> None:
    spec = get_platform("zte_zxros")
    before = "line telnet idle-timeout 30\nline telnet server enable\nend"
    back, lost = derive(
        spec, before, ("line telnet idle-timeout 10", "line telnet server disable", "dcn", "  dcn disable")
    )
    assert not lost
    assert set(back) == {"line telnet idle-timeout 30", "line telnet server enable", "no dcn"}
