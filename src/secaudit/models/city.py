"""The city plan's targets, operator-declared KPIs and the measured PON port census."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import AwareDatetime, Field

from secaudit.models.base import Frozen
from secaudit.models.enums import Platform

PonTech = Literal["gpon", "xg-pon", "xgs-pon", "combo", "epon", "10g-epon", "other"]
TEN_G: frozenset[str] = frozenset({"xg-pon", "xgs-pon", "combo", "10g-epon"})


class Target(Frozen):
    """One annex row: per-operator target values."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    title_en: str
    unit: str = ""
    kind: Literal["measured", "declared"]
    values: Mapping[str, float]


class CensusSource(Frozen):
    """Where the board inventory of one platform comes from."""

    command: str
    board_field: str


class CityTargets(Frozen):
    """``checks/data/city_targets.yaml``."""

    targets: tuple[Target, ...]
    census: Mapping[Platform, CensusSource] = Field(default_factory=dict)


class Board(Frozen):
    """One board type."""

    tech: PonTech
    ports: int = Field(ge=0)


class DeclaredKpis(Frozen):
    """An operator-declared KPI file."""

    declared_at: AwareDatetime
    source: str = Field(min_length=3)
    operators: Mapping[str, Mapping[str, float]]


class PonCensus(Frozen):
    """PON ports of one OLT by technology, from its board inventory."""

    host: str
    operator: str
    ports: Mapping[str, int] = Field(default_factory=dict)
    complete: bool
    detail: str = ""
    unknown_boards: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """All PON ports."""
        return sum(self.ports.values())

    @property
    def ten_g(self) -> int:
        """10G-capable PON ports (XG-PON, XGS-PON, combo, 10G-EPON)."""
        return sum(n for tech, n in self.ports.items() if tech in TEN_G)
