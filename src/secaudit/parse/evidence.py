"""Parse one piece of evidence as a control's ``EvidenceSpec`` asks. Failures become states."""

from __future__ import annotations

from secaudit.errors import ParseError
from secaudit.models.enums import EvidenceState
from secaudit.models.evidence import Evidence, EvidenceSpec, ParsedEvidence
from secaudit.parse.config import to_tree
from secaudit.parse.textfsm import parse_rows
from secaudit.platforms import get_platform
from secaudit.platforms.frame import seen_lines

#: Configuration evidence that arrived damaged but readable: what was seen can still prove a fail.
_DAMAGED = frozenset({EvidenceState.TRUNCATED, EvidenceState.PAGED})


def parse_evidence(evidence: Evidence, spec: EvidenceSpec) -> ParsedEvidence:
    """Parse ``evidence`` with ``spec.parser``. Evidence that is not ``ok`` keeps its state.

    A parse failure gives state ``parse_error`` (never an empty result that could pass). A
    truncated or paged configuration also gets a ``partial_tree`` of the lines seen whole.
    """
    platform = get_platform(evidence.platform)
    if evidence.state is not EvidenceState.OK:
        partial = None
        if spec.parser == "config" and evidence.state in _DAMAGED:
            try:
                partial = to_tree(platform, seen_lines(platform, evidence.text))
            except ParseError:
                partial = None
        return ParsedEvidence(
            evidence=evidence,
            state=evidence.state,
            detail=evidence.detail,
            text=evidence.text,
            partial_tree=partial,
        )
    try:
        if spec.parser == "config":
            tree = to_tree(platform, evidence.text)
            return ParsedEvidence(
                evidence=evidence,
                state=EvidenceState.OK,
                detail="",
                text=evidence.text,
                tree=tree,
                template=f"hier_config:{platform.hconfig_platform}/{platform.config_layout}",
            )
        if spec.parser == "textfsm":
            result = parse_rows(
                platform.name.value,
                evidence.command,
                evidence.text,
                template=spec.template,
                allow_no_rows=spec.allow_no_rows,
            )
            return ParsedEvidence(
                evidence=evidence,
                state=EvidenceState.OK,
                detail="",
                text=evidence.text,
                rows=result.rows,
                template=result.template,
            )
    except ParseError as exc:
        return ParsedEvidence(
            evidence=evidence, state=EvidenceState.PARSE_ERROR, detail=str(exc), text=evidence.text
        )
    return ParsedEvidence(evidence=evidence, state=EvidenceState.OK, detail="", text=evidence.text)
