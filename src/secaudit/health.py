"""Collection health of a run: which hosts were not fully collected, and whether the run is complete.

A run in which half or more of the in-scope hosts failed collection is ``collection_incomplete``:
its scores measure missing evidence, not device configuration. The console warns loudly, the
history records the run as such and the trend line leaves it out (it is still shown, apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from secaudit.models.enums import CollectionState
from secaudit.models.finding import CollectionRecord, RunResult


class Completeness(StrEnum):
    """How complete a run's collection was (stored in the run history)."""

    COMPLETE = "complete"
    COLLECTION_INCOMPLETE = "collection_incomplete"


@dataclass(frozen=True, slots=True)
class CollectionHealth:
    """The hosts of a run that were not fully collected, out of ``in_scope`` hosts."""

    failed: tuple[CollectionRecord, ...]
    in_scope: int

    @property
    def completeness(self) -> Completeness:
        """``collection_incomplete`` when half or more of the in-scope hosts failed collection.

        Examples:
            >>> ok = CollectionRecord(host="a", operator="x", state=CollectionState.OK)
            >>> bad = CollectionRecord(host="b", operator="x", state=CollectionState.TIMEOUT)
            >>> CollectionHealth((bad,), 2).completeness.value, CollectionHealth((bad,), 3).completeness.value
            ('collection_incomplete', 'complete')
            >>> CollectionHealth((), 0).completeness.value
            'complete'
        """
        if self.in_scope and 2 * len(self.failed) >= self.in_scope:
            return Completeness.COLLECTION_INCOMPLETE
        return Completeness.COMPLETE

    @property
    def incomplete(self) -> bool:
        """True for a ``collection_incomplete`` run."""
        return self.completeness is Completeness.COLLECTION_INCOMPLETE

    def lines(self) -> list[str]:
        """One line per host not fully collected: host, operator, class, detail (sorted by host).

        Examples:
            >>> rec = CollectionRecord(host="r1", operator="telecom", state=CollectionState.AUTH_FAILED,
            ...                        detail="no credentials for operator telecom")
            >>> CollectionHealth((rec,), 4).lines()
            ['r1  telecom  auth_failed  no credentials for operator telecom']
        """
        rows = sorted(self.failed, key=lambda r: (r.host, r.operator))
        if not rows:
            return []
        width_h = max(len(r.host) for r in rows)
        width_o = max(len(r.operator) for r in rows)
        width_s = max(len(r.state.value) for r in rows)
        return [
            f"{r.host:<{width_h}}  {r.operator:<{width_o}}  {r.state.value:<{width_s}}  {r.detail}".rstrip()
            for r in rows
        ]

    def warning(self) -> str:
        """The loud warning of an incomplete run ("" for a complete one)."""
        if not self.incomplete:
            return ""
        share = round(100 * len(self.failed) / self.in_scope)
        return (
            f"COLLECTION INCOMPLETE: {len(self.failed)} of {self.in_scope} hosts ({share} %) were not "
            "fully collected. The scores of this run measure missing evidence, not device "
            "configuration; it is recorded in history as collection_incomplete and left out of the trend."
        )


def collection_health(result: RunResult) -> CollectionHealth:
    """The collection health of a run: every host whose collection state is not ``ok``.

    A target without any collection record counts as not collected.
    """
    recorded = {r.host for r in result.collection}
    failed = [r for r in result.collection if r.state is not CollectionState.OK]
    failed += [
        CollectionRecord(
            host=t.name,
            operator=t.operator,
            state=CollectionState.COLLECTOR_FAILED,
            detail="no collection record for this host",
        )
        for t in result.targets
        if t.name not in recorded
    ]
    return CollectionHealth(tuple(failed), len(result.targets))


__all__ = ["CollectionHealth", "Completeness", "collection_health"]
