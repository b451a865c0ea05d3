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

from collections.abc import Iterator, Mapping
from typing import Protocol, runtime_checkable

from secaudit.collect.plan import PlannedCommand
from secaudit.models.enums import EvidenceSource
from secaudit.models.evidence import HostEvidence
from secaudit.models.target import Target

#: The command plan: host name -> the commands the selected controls need on it.
Plan = Mapping[str, tuple[PlannedCommand, ...]]


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
