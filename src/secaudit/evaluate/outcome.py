"""The result of one rule."""

from __future__ import annotations

from typing import NamedTuple

from secaudit.models.enums import Status


class Outcome(NamedTuple):
    """Status of one rule (pass, fail, warn, error or not_collected), why, and what was seen.

    A named tuple: immutable, and built in C (rules produce hundreds per host).

    Examples:
        >>> Outcome(Status.PASS, "ok").observed
        ()
    """

    status: Status
    message: str
    observed: tuple[str, ...] = ()
