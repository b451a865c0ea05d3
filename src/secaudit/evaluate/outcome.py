"""The result of one rule."""

from __future__ import annotations

from dataclasses import dataclass

from secaudit.models.enums import Status


@dataclass(frozen=True, slots=True)
class Outcome:
    """Status of one rule (pass, fail, warn, error or not_collected), why, and what was seen."""

    status: Status
    message: str
    observed: tuple[str, ...] = ()
