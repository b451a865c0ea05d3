"""Evidence: what a device said (live) or what a saved file holds (offline); same model for both."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import AwareDatetime, Field, model_validator

from secaudit.models.base import Frozen
from secaudit.models.enums import CollectionState, EvidenceSource, EvidenceState, Platform
from secaudit.models.finding import Finding
from secaudit.models.target import Target

if TYPE_CHECKING:  # the evaluation tree is built by the parse stage; models only name it
    from secaudit.parse.tree import ConfigTree

Parser = Literal["textfsm", "config", "raw"]


class EvidenceSpec(Frozen):
    """What a control needs from a device: one command and how to parse its output.

    ``command: config`` is a shorthand for the platform's full running-configuration command, so
    every control shares one collected configuration per host.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    command: str = Field(min_length=1)
    parser: Parser
    template: str | None = None
    allow_no_rows: bool = False
    optional: bool = Field(
        default=False,
        description="an alternative-syntax command some models reject (e.g. ZTE C300 vs C600); its "
        "rejection does not mark the host's collection as failed. Rules on it still give error.",
    )

    @model_validator(mode="after")
    def _template_only_for_textfsm(self) -> EvidenceSpec:
        if self.template is not None and self.parser != "textfsm":
            raise ValueError("'template' is only valid with parser: textfsm")
        if self.command == "config" and self.parser != "config":
            raise ValueError("command 'config' (the running configuration) needs parser: config")
        return self


class Evidence(Frozen):
    """One command's output for one host, with its quality assessment."""

    host: str
    platform: Platform
    command: str
    slug: str
    text: str
    sha256: str
    collected_at: AwareDatetime | None = None
    source: EvidenceSource
    state: EvidenceState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ParsedEvidence:
    """Evidence after parsing, as the evaluator sees it (in memory only).

    ``state`` is the evidence state, downgraded to ``parse_error`` when parsing failed; ``rows``
    is set for TextFSM evidence, ``tree`` for configuration evidence, ``text`` always.
    ``partial_tree`` is set for a truncated or paged configuration: the lines that were received
    whole, which can prove a forbidden line present (a fail) and nothing else.
    """

    evidence: Evidence
    state: EvidenceState
    detail: str
    text: str
    rows: tuple[dict[str, str], ...] | None = None
    tree: ConfigTree | None = None
    template: str | None = None
    partial_tree: ConfigTree | None = None  # truncated/paged configuration: what was seen whole


@dataclass(frozen=True, slots=True)
class HostEvidence:
    """What a collector produced for one host, live or offline: the one shape every collector yields."""

    target: Target
    evidence: tuple[Evidence, ...]
    state: CollectionState = CollectionState.OK
    detail: str = ""
    collected_at: datetime | None = None
    seconds: float | None = None
    note: str = ""
    findings: tuple[Finding, ...] | None = None  # already evaluated (by a collector worker process)
    stored: bool = False  # the collector already wrote the evidence to the run's store
    remediation: str | None = None  # the rendered remediation plan, when a worker made it
    cpu: Mapping[str, float] | None = None  # CPU seconds per stage spent on it in a worker process
    processed: bool = False  # findings are final and remediation made (by a collector worker)
