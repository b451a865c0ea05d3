"""The result of one rule."""

from __future__ import annotations

from typing import NamedTuple

from secaudit.models.enums import Status


class Outcome(NamedTuple):
    """Status of one rule (pass, fail, warn, error or not_collected), why, and what was seen.

    ``message`` is English (with the engine's detail: counts, paths); ``message_zh`` is the same
    finding for a Chinese reader, from the control's own ``message_zh`` where the rule has one
    (empty: the report shows ``message``). A named tuple: immutable, and built in C (rules
    produce hundreds per host).

    Examples:
        >>> Outcome(Status.PASS, "ok").observed
        ()
        >>> Outcome(Status.PASS, "ok").message_zh
        ''
    """

    status: Status
    message: str
    observed: tuple[str, ...] = ()
    message_zh: str = ""
