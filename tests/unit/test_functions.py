"""The python escape hatch: a registry with per-instance state, refusing duplicates."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from secaudit.evaluate.functions import FunctionRegistry
from secaudit.evaluate.outcome import Outcome
from secaudit.models.control import PythonRule
from secaudit.models.enums import Status
from secaudit.models.evidence import ParsedEvidence
from secaudit.models.knobs import Knobs


def test_registries_do_not_share_entries() -> None:
    a, b = FunctionRegistry(), FunctionRegistry()

    @a.register("always_pass")
    def always_pass(rule: PythonRule, ev: Mapping[str, ParsedEvidence], knobs: Knobs) -> Outcome:
        return Outcome(Status.PASS, "ok")

    assert a.names() == {"always_pass"}
    assert b.names() == frozenset()
    rule = PythonRule(op="python", evidence="x", function="always_pass", message="m")
    assert a.get("always_pass")(rule, {}, Knobs()).status is Status.PASS
    with pytest.raises(KeyError, match="unknown python check function"):
        b.get("always_pass")
    with pytest.raises(ValueError, match="already registered"):
        a.register("always_pass")(always_pass)


def test_unknown_function_is_a_lint_problem(tmp_path, catalogue) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from secaudit.evaluate.loader import load_catalogue

    from conftest import CHECKS

    checks = tmp_path / "checks"
    shutil.copytree(CHECKS, checks)
    path = checks / "controls" / "ntp" / "SEC-NTP-001.yaml"
    old = (
        "      - op: config_present\n        evidence: running\n"
        "        path: [{equals: ntp-service server disable}]"
    )
    text = path.read_text()
    assert old in text
    text = text.replace(
        old, "      - op: python\n        evidence: running\n        function: not_registered", 1
    )
    path.write_text(text)
    problems: list[str] = []
    load_catalogue(checks, collect_problems=problems)
    assert any("unknown python function 'not_registered'" in p for p in problems), problems


def _xr(text: str) -> dict[str, ParsedEvidence]:
    from secaudit.models.enums import EvidenceSource, EvidenceState, Platform
    from secaudit.models.evidence import Evidence, EvidenceSpec
    from secaudit.parse.evidence import parse_evidence

    ev = Evidence(
        host="h",
        platform=Platform.CISCO_XR,
        command="show running-config",
        slug="s",
        text=text,
        sha256="0" * 64,
        source=EvidenceSource.OFFLINE,
        state=EvidenceState.OK,
    )
    return {"running": parse_evidence(ev, EvidenceSpec(id="running", command="config", parser="config"))}


VTY_RULE = PythonRule(op="python", evidence="running", function="xr_vty_access_class", message="no ACL")


@pytest.mark.parametrize(
    ("config", "status"),
    [
        ("line default\n access-class ingress M\n!\nend\n", Status.PASS),  # implicit default pool
        ("line default\n exec-timeout 10 0\n!\nend\n", Status.FAIL),
        # the VTYs use template T (with an ACL); template U is used by no pool and is not judged
        (
            "line template T\n access-class ingress M\n!\nline template U\n exec-timeout 5 0\n!\n"
            "vty-pool default 0 15 line-template T\nend\n",
            Status.PASS,
        ),
        ("line template T\n exec-timeout 5 0\n!\nvty-pool default 0 15 line-template T\nend\n", Status.FAIL),
        ("vty-pool ops 5 9 line-template GONE\nline default\n access-class ingress M\n!\nend\n", Status.FAIL),
    ],
)
def test_xr_vty_access_class(config: str, status: Status) -> None:
    from secaudit.evaluate.functions import FUNCTIONS

    assert FUNCTIONS.get("xr_vty_access_class")(VTY_RULE, _xr(config), Knobs()).status is status
