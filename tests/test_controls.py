"""Every fixture case under tests/controls gives its expected verdict."""

from __future__ import annotations

import pytest

from fixtures import PREFIXES, Case, discover, evaluate_dir

CASES = discover()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture_verdict(case: Case, catalogue) -> None:  # type: ignore[no-untyped-def]
    control = catalogue.by_id()[case.control_id]
    finding = evaluate_dir(control, case.platform, case.path / "evidence")
    assert finding.status.value == case.expected["status"], finding.message
    assert PREFIXES[case.kind] == case.expected["status"], "case name prefix must match its expected status"
    if "message_contains" in case.expected:
        assert case.expected["message_contains"] in finding.message
    if finding.status.value == "pass":
        assert finding.remediation == ()
    if finding.status.value in ("error", "not_collected"):
        assert finding.status.value != "pass"


def test_there_are_cases() -> None:
    assert len(CASES) >= 30
