"""City-level measures: the 10G-PON port share per operator from OLT board inventories. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from secaudit.errors import ParseError
from secaudit.models.city import Board, CensusSource, CityTargets, DeclaredKpis, PonCensus
from secaudit.models.enums import EvidenceState, Platform
from secaudit.models.evidence import Evidence
from secaudit.models.target import Target
from secaudit.parse.textfsm import parse_rows


def census_for(
    target: Target,
    evidence: Iterable[Evidence],
    source: CensusSource,
    boards: Mapping[str, Board],
) -> PonCensus:
    """Count one OLT's PON ports by technology. Bad or missing evidence → ``complete=False``."""
    ev = next((e for e in evidence if e.command == source.command), None)
    if ev is None:
        return PonCensus(
            host=target.name,
            operator=target.operator,
            complete=False,
            detail=f"'{source.command}' not collected (select SEC-PON-007)",
        )
    if ev.state is not EvidenceState.OK:
        return PonCensus(
            host=target.name,
            operator=target.operator,
            complete=False,
            detail=f"'{source.command}' evidence is {ev.state.value}: {ev.detail}",
        )
    try:
        rows = parse_rows(target.platform.value, ev.command, ev.text).rows
    except ParseError as exc:
        return PonCensus(host=target.name, operator=target.operator, complete=False, detail=str(exc))
    ports: dict[str, int] = {}
    unknown: list[str] = []
    for row in rows:
        name = row.get(source.board_field, "").strip()
        if not name:
            continue
        board = boards.get(name)
        if board is None:
            unknown.append(name)
            continue
        if board.tech != "other":
            ports[board.tech] = ports.get(board.tech, 0) + board.ports
    detail = f"unknown board names: {', '.join(sorted(set(unknown)))}" if unknown else ""
    return PonCensus(
        host=target.name,
        operator=target.operator,
        ports=ports,
        complete=not unknown,
        detail=detail,
        unknown_boards=tuple(sorted(set(unknown))),
    )


@dataclass(frozen=True, slots=True)
class ShareRow:
    """One operator's measured 10G-PON share against its target."""

    operator: str
    target_pct: float | None
    measured_pct: float | None
    ten_g_ports: int
    total_ports: int
    olts: int
    complete: bool
    meets: bool | None


def share_rows(targets: CityTargets, census: Iterable[PonCensus], operators: Iterable[str]) -> list[ShareRow]:
    """Measured 10G-PON share per operator; ``meets`` is None when the census is incomplete."""
    wanted = next((t for t in targets.targets if t.id == "pon_10g_port_share_pct"), None)
    census = list(census)
    rows = []
    for op in operators:
        mine = [c for c in census if c.operator == op]
        total = sum(c.total for c in mine)
        ten = sum(c.ten_g for c in mine)
        complete = bool(mine) and all(c.complete for c in mine)
        measured = round(100.0 * ten / total, 1) if total else None
        target = wanted.values.get(op) if wanted is not None else None
        meets = None if (not complete or measured is None or target is None) else measured >= target
        rows.append(ShareRow(op, target, measured, ten, total, len(mine), complete, meets))
    return rows


def run_census(
    targets: CityTargets,
    boards: Mapping[Platform, Mapping[str, Board]],
    hosts: Iterable[tuple[Target, Iterable[Evidence]]],
) -> tuple[PonCensus, ...]:
    """Census of every host whose platform has a census source."""
    out = []
    for target, evidence in hosts:
        source = targets.census.get(target.platform)
        if source is not None:
            out.append(census_for(target, evidence, source, boards.get(target.platform, {})))
    return tuple(out)


__all__ = ["DeclaredKpis", "ShareRow", "census_for", "run_census", "share_rows"]
