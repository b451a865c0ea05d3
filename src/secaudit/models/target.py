"""Audit targets (devices) and operators, built from the Nornir inventory. No credentials here."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from secaudit.models.base import Frozen
from secaudit.models.enums import Environment, Platform, Role

OPERATOR_IDS: tuple[str, ...] = ("telecom", "mobile", "unicom", "tower", "cable")


class OperatorInfo(Frozen):
    """An operator (tenant). Display names come from inventory group data, never from code."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    display_name: str
    display_name_en: str
    lang: str = "zh-CN"


class Target(Frozen):
    """One device to audit."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    hostname: str
    port: int | None = None
    platform: Platform
    operator: str
    role: Role
    site: str
    environment: Environment
    model: str
    tags: frozenset[str] = frozenset()


def operators_of(targets: Iterable[Target]) -> list[str]:
    """Operators present among ``targets``, in the canonical order.

    Examples:
        >>> operators_of([])
        []
    """
    present = {t.operator for t in targets}
    return [o for o in OPERATOR_IDS if o in present]
