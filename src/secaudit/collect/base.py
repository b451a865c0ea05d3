"""The collector protocol: every source of evidence yields one ``HostEvidence`` per target.

A collector is any object with a ``source`` and a ``collect(targets, plan)`` generator; the
pipeline (:func:`secaudit.pipeline.run_audit`) drives it, stores each host's evidence, reports
progress and evaluates the host as soon as it is yielded. Built-in collectors:

* :class:`secaudit.collect.live.LiveCollector`: Nornir + netmiko, streaming hosts as they finish;
* :class:`secaudit.collect.sharded.ShardedCollector`: several collector processes, evaluating
  in the workers (it yields hosts with ``findings`` and ``stored`` set);
* :class:`secaudit.collect.offline.OfflineCollector`: saved evidence folders (``run --offline``);
* :class:`secaudit.collect.files.FilesCollector`: saved files (``scan-config``, the corpus scorer).

A new source (the fleet engine, SNMP for FiberHome, ...) plugs in by implementing this protocol;
nothing in the pipeline changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from secaudit.collect.plan import PlannedCommand
from secaudit.collect.text import command_slug
from secaudit.models.enums import CollectionState, EvidenceSource, EvidenceState
from secaudit.models.evidence import Evidence, HostEvidence
from secaudit.models.target import Target
from secaudit.timing import StageTimes

#: The command plan: host name -> the commands the selected controls need on it.
Plan = Mapping[str, tuple[PlannedCommand, ...]]

#: The pipeline's processing of one collected host (parse, evaluate, policy, remediation), passed
#: to collectors that run it in their own worker processes; picklable. It returns the host with
#: ``processed`` set and may add stage times to the ``StageTimes`` it is given.
HostProcessor = Callable[[HostEvidence, StageTimes | None], HostEvidence]


@runtime_checkable
class Collector(Protocol):
    """Something that turns a command plan into evidence, one host at a time.

    ``collect`` must yield exactly one ``HostEvidence`` for every target (a host it could not
    reach is yielded with its collection state and no good evidence, never dropped), in any
    order, preferably as soon as each host is done.
    """

    @property
    def source(self) -> EvidenceSource:
        """Whether the evidence came from devices (live) or from saved files (offline)."""
        ...

    def collect(self, targets: tuple[Target, ...], plan: Plan) -> Iterator[HostEvidence]:
        """Yield each target's evidence."""
        ...


@runtime_checkable
class ProcessingCollector(Collector, Protocol):
    """A collector that can also process each host where it collects it (worker processes).

    The pipeline prefers :meth:`collect_processed` when a collector has it: the hosts come back
    processed, so parsing, evaluation and remediation run in parallel with collection.
    """

    def collect_processed(
        self, targets: tuple[Target, ...], plan: Plan, process: HostProcessor | None
    ) -> Iterator[HostEvidence]:
        """Yield each target, processed with ``process`` (when given) by the collector's workers."""
        ...


def failed_host(
    target: Target,
    plan: Sequence[PlannedCommand],
    state: CollectionState,
    detail: str,
    evidence_state: EvidenceState = EvidenceState.COLLECT_ERROR,
    *,
    source: EvidenceSource = EvidenceSource.LIVE,
) -> HostEvidence:
    """A host that was not collected: every planned command carries ``evidence_state`` and the reason.

    Examples:
        >>> from secaudit.models.enums import Environment, Platform, Role
        >>> t = Target(name="r1", hostname="127.0.0.1", platform=Platform.CISCO_XR, operator="telecom",
        ...            role=Role.EDGE5G, site="s1", environment=Environment.LAB, model="m")
        >>> h = failed_host(t, [PlannedCommand("show clock", False)], CollectionState.NOT_COLLECTED,
        ...                 "no worker", EvidenceState.NOT_COLLECTED)
        >>> h.state.value, h.evidence[0].state.value, h.evidence[0].detail
        ('not_collected', 'not_collected', 'no worker')
    """
    now = datetime.now(UTC)
    evidence = tuple(
        Evidence(
            host=target.name,
            platform=target.platform,
            command=p.command,
            slug=command_slug(p.command),
            text="",
            sha256="",
            collected_at=now,
            source=source,
            state=evidence_state,
            detail=detail,
        )
        for p in plan
    )
    return HostEvidence(target, evidence, state, detail, now)
