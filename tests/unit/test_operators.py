"""Rule operators on small configurations: defaults, partial evidence, applicability."""

from __future__ import annotations

from secaudit.collect.text import assess
from secaudit.evaluate.operators import evaluate_rule
from secaudit.models.control import ConfigAbsent, ConfigNumber, ConfigPresent, MatchRule
from secaudit.models.enums import EvidenceSource, EvidenceState, Platform, Status
from secaudit.models.evidence import Evidence, EvidenceSpec, ParsedEvidence
from secaudit.models.knobs import Knobs
from secaudit.parse.evidence import parse_evidence
from secaudit.platforms import get_platform


def parsed(platform: str, text: str) -> ParsedEvidence:
    """Configuration text as the evaluator sees it (assessed and parsed like collected evidence)."""
    spec = get_platform(platform)
    command = str(spec.config_command)
    state, detail = assess(spec, command, text, is_config=True)
    evidence = Evidence(
        host="h",
        platform=Platform(platform),
        command=command,
        slug="c",
        text=text,
        sha256="0" * 64,
        source=EvidenceSource.OFFLINE,
        state=state,
        detail=detail,
    )
    return parse_evidence(evidence, EvidenceSpec(id="running", command="config", parser="config"))


IDLE = ConfigNumber(
    op="config_number",
    evidence="running",
    path=(MatchRule(re_search=r"^user-interface (con|vty) \d+"), MatchRule(re_search=r"^idle-timeout \d+")),
    value_regex=r"^idle-timeout (?P<value>\d+)",
    max_knob="idle_timeout_max_min",
    block_default=10,
    message="idle timeout too long",
)
VTY_NO_LINE = "#\nuser-interface vty 0 4\n authentication-mode aaa\n#\nreturn\n"


def test_block_default_is_judged_against_the_knob() -> None:
    ev = {"running": parsed("huawei_vrp", VTY_NO_LINE)}
    ok = evaluate_rule(IDLE, ev, Knobs())
    assert ok.status is Status.PASS
    assert any("platform default 10" in line for line in ok.observed)
    strict = evaluate_rule(IDLE, ev, Knobs(idle_timeout_max_min=5))
    assert strict.status is Status.FAIL
    assert "keep the default 10" in strict.message


def test_block_default_applies_when_no_block_exists() -> None:
    ev = {"running": parsed("huawei_vrp", "#\nsysname R1\n#\nreturn\n")}
    assert evaluate_rule(IDLE, ev, Knobs(idle_timeout_max_min=5)).status is Status.FAIL
    assert evaluate_rule(IDLE, ev, Knobs()).status is Status.PASS


def test_explicit_value_still_wins_over_the_default() -> None:
    text = "#\nuser-interface vty 0 4\n idle-timeout 30 0\n#\nreturn\n"
    assert evaluate_rule(IDLE, {"running": parsed("huawei_vrp", text)}, Knobs()).status is Status.FAIL


def test_block_default_never_judges_truncated_evidence() -> None:
    ev = {"running": parsed("huawei_vrp", "#\nuser-interface vty 0 4\n authentication-mode aaa\n")}
    assert evaluate_rule(IDLE, ev, Knobs()).status is Status.ERROR


TELNET_ABSENT = ConfigAbsent(
    op="config_absent",
    evidence="running",
    path=(MatchRule(re_search=r"^telnet (vrf \S+ )?ipv[46] server (?!max-servers 0\b)"),),
    message="a Telnet server is enabled",
)
SSH_PRESENT = ConfigPresent(
    op="config_present", evidence="running", path=(MatchRule(equals="ssh server v2"),), message="no SSHv2"
)


def test_truncated_configuration_proves_a_forbidden_line_present() -> None:
    cut = "hostname r1\ntelnet vrf default ipv4 server max-servers 5\nline default\n"
    ev = {"running": parsed("cisco_xr", cut)}
    assert ev["running"].state.value == "truncated"
    outcome = evaluate_rule(TELNET_ABSENT, ev, Knobs())
    assert outcome.status is Status.FAIL
    assert "seen in truncated evidence" in outcome.message
    assert outcome.observed == ("telnet vrf default ipv4 server max-servers 5",)


def test_truncated_configuration_never_passes() -> None:
    ev = {"running": parsed("cisco_xr", "hostname r1\nssh server v2\nline default\n")}
    assert evaluate_rule(TELNET_ABSENT, ev, Knobs()).status is Status.ERROR
    assert evaluate_rule(SSH_PRESENT, ev, Knobs()).status is Status.ERROR  # present rules never use it


def test_a_line_cut_at_end_of_file_proves_nothing() -> None:
    # 'max-servers 0' disables the server; the cut line must not read as an enabled server
    ev = {"running": parsed("cisco_xr", "hostname r1\ntelnet vrf default ipv4 server max-serv")}
    assert evaluate_rule(TELNET_ABSENT, ev, Knobs()).status is Status.ERROR


def test_lines_holding_a_pager_prompt_prove_nothing() -> None:
    paged = "hostname r1\n --More--  telnet vrf default ipv4 server max-servers 5\nend\n"
    ev = {"running": parsed("cisco_xr", paged)}
    assert ev["running"].state.value == "paged"
    assert evaluate_rule(TELNET_ABSENT, ev, Knobs()).status is Status.ERROR


def test_fallback_lets_the_live_status_decide_and_the_configuration_stand_in() -> None:
    from secaudit.models.control import Fallback, FieldEquals

    rule = Fallback(
        op="fallback",
        message="Telnet on",
        rules=(
            FieldEquals(
                op="field_equals",
                evidence="status",
                field="telnet_ipv4_server",
                value="Disable",
                message="on",
            ),
            ConfigPresent(
                op="config_present",
                evidence="running",
                path=(MatchRule(equals="undo telnet server enable"),),
                message="not switched off",
            ),
        ),
    )
    config = parsed("huawei_vrp", "#\nundo telnet server enable\n#\nreturn\n")
    missing = ParsedEvidence(
        evidence=config.evidence.model_copy(update={"command": "display telnet server status"}),
        state=EvidenceState.NOT_COLLECTED,
        detail="not in this run",
        text="",
    )
    assert evaluate_rule(rule, {"status": missing, "running": config}, Knobs()).status is Status.PASS
    enabled = ParsedEvidence(
        evidence=config.evidence,
        state=EvidenceState.OK,
        detail="",
        text="",
        rows=({"telnet_ipv4_server": "Enable"},),
    )
    assert evaluate_rule(rule, {"status": enabled, "running": config}, Knobs()).status is Status.FAIL
    rejected = ParsedEvidence(
        evidence=config.evidence, state=EvidenceState.DEVICE_ERROR, detail="rejected", text=""
    )
    assert evaluate_rule(rule, {"status": rejected, "running": config}, Knobs()).status is Status.ERROR
