"""The city plan's 10G-PON share, measured from OLT board inventories."""

from __future__ import annotations

from secaudit.collect.text import command_slug, sha256_hex
from secaudit.evaluate.city import census_for, share_rows
from secaudit.evaluate.loader import load_boards, load_city_targets
from secaudit.lab.fleetdata import platform_outputs
from secaudit.models.enums import Environment, EvidenceSource, EvidenceState, Platform, Role
from secaudit.models.evidence import Evidence
from secaudit.models.target import Target

from conftest import CHECKS

TARGETS = load_city_targets(CHECKS)
BOARDS = load_boards(CHECKS)


def _olt(name: str, operator: str, platform: str, text: str, state: EvidenceState = EvidenceState.OK):  # type: ignore[no-untyped-def]
    target = Target(
        name=name,
        hostname="127.0.0.1",
        platform=Platform(platform),
        operator=operator,
        role=Role.OLT,
        site="s",
        environment=Environment.LAB,
        model="m",
    )
    assert TARGETS is not None
    source = TARGETS.census[target.platform]
    ev = Evidence(
        host=name,
        platform=target.platform,
        command=source.command,
        slug=command_slug(source.command),
        text=text,
        sha256=sha256_hex(text.encode()),
        source=EvidenceSource.LIVE,
        state=state,
    )
    return census_for(target, [ev], source, BOARDS[target.platform])


def test_census_counts_ports_by_technology() -> None:
    text = platform_outputs("huawei_smartax", "OLT1")["display board 0"]
    census = _olt("olt-1", "unicom", "huawei_smartax", text)
    assert census.complete, census.detail
    assert census.total > census.ten_g > 0
    zte = _olt("olt-2", "unicom", "zte_zxa10", platform_outputs("zte_zxa10", "OLT2")["show card"])
    assert zte.complete, zte.detail


def test_unknown_board_or_bad_evidence_makes_the_share_incomplete() -> None:
    text = platform_outputs("huawei_smartax", "OLT1")["display board 0"]
    unknown = _olt("olt-1", "telecom", "huawei_smartax", text.replace("H901GPSF", "H999ZZZZ"))
    assert not unknown.complete
    assert "H999ZZZZ" in unknown.unknown_boards
    paged = _olt("olt-2", "mobile", "huawei_smartax", text, EvidenceState.PAGED)
    assert not paged.complete and paged.total == 0
    assert TARGETS is not None
    rows = {r.operator: r for r in share_rows(TARGETS, [unknown, paged], ["telecom", "mobile"])}
    assert rows["telecom"].meets is None and rows["mobile"].meets is None


def test_share_against_annex_target() -> None:
    text = platform_outputs("huawei_smartax", "OLT1")["display board 0"]
    census = _olt("olt-1", "unicom", "huawei_smartax", text)
    assert TARGETS is not None
    [row] = share_rows(TARGETS, [census], ["unicom"])
    assert row.target_pct == 33.0
    assert row.measured_pct == round(100 * census.ten_g / census.total, 1)
    assert row.measured_pct is not None
    assert row.meets is (row.measured_pct >= 33.0)
