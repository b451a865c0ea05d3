"""Controls as content: the schema every ``checks/controls/<domain>/<ID>.yaml`` must follow."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from secaudit.models.base import Frozen
from secaudit.models.enums import Phase, Platform, Role, Severity, Status
from secaudit.models.evidence import EvidenceSpec

CONTROL_ID_PATTERN = r"^SEC-[A-Z]+-\d{3}$"


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc
    return value


class MatchRule(Frozen):
    """One level of a configuration path. Field names follow hier_config's ``MatchRule``.

    All given fields must match the line (logical AND).
    """

    equals: str | None = None
    startswith: str | None = None
    endswith: str | None = None
    contains: str | None = None
    re_search: str | None = None

    _re = field_validator("re_search")(_check_regex)

    @model_validator(mode="after")
    def _not_empty(self) -> MatchRule:
        if not any((self.equals, self.startswith, self.endswith, self.contains, self.re_search)):
            raise ValueError(
                "a match rule needs at least one of equals/startswith/endswith/contains/re_search"
            )
        return self


#: What a rule that does not hold means: a fail, a warn, or (``error``) that the evidence in hand is
#: not enough to judge the control (e.g. IOS XR usernames shown without their secrets because the
#: collecting account lacks the AAA read task): a proven fail elsewhere still wins.
OnFail = Literal["fail", "warn", "error"]

_ON_FAIL_STATUS = {"fail": Status.FAIL, "warn": Status.WARN, "error": Status.ERROR}


def on_fail_status(on_fail: OnFail) -> Status:
    """The status a rule that does not hold gives.

    Examples:
        >>> on_fail_status("warn")
        <Status.WARN: 'warn'>
    """
    return _ON_FAIL_STATUS[on_fail]


class FixShape(Frozen):
    """Another shape of a rule's failure with its own fix (``RuleFix.shapes``): an observed line
    ``fill_from`` matches gets this fix, filled from it."""

    fill_from: str
    remediation: tuple[str, ...] = Field(min_length=1)
    rollback: tuple[str, ...] = ()

    _fill_re = field_validator("fill_from")(_check_regex)


class RuleFix(Frozen):
    """A rule's own fix: what to send when this rule fails, and how to undo it.

    ``fill_from`` is a regular expression read against each observed line of the rule's failure
    (``parent > child`` text): every named group fills the placeholder of the same name in the fix
    (``(?P<id>\\d+)`` fills ``<id>``; ``_`` in a group name stands for ``-``: ``ip_1`` fills
    ``<ip-1>``). One copy of the fix is made per distinct set of values; placeholders no observed
    line gives stay as ``<...>`` (the plan then says REQUIRES VALUES). An observed line that
    ``fill_from`` does not match adds one unfilled copy, unless ``fill_skip`` matches it.
    """

    remediation: tuple[str, ...] = Field(
        default=(), description="this rule's own fix lines (empty: the check's remediation applies)"
    )
    rollback: tuple[str, ...] = Field(default=(), description="how to undo this rule's fix lines")
    fill_from: str | None = Field(
        default=None,
        description="regex with named groups over the observed lines that fill <name> placeholders",
    )

    shapes: tuple[FixShape, ...] = Field(
        default=(),
        description="other failure shapes, each with its own fill_from and fix; an observed line takes "
        "the first shape that matches it, then the rule's own fill_from",
    )
    fill_skip: str | None = Field(
        default=None,
        description="regex of observed lines 'fill_from' need not match (another rule's fix covers them)",
    )

    _fill_re = field_validator("fill_from", "fill_skip")(_check_regex)

    @model_validator(mode="after")
    def _fix_consistent(self) -> RuleFix:
        if self.rollback and not self.remediation:
            raise ValueError("a rule with 'rollback' needs its own 'remediation'")
        if self.fill_from is not None:
            if not self.remediation:
                raise ValueError("'fill_from' fills the rule's own 'remediation', which is missing")
            if not re.compile(self.fill_from).groupindex:
                raise ValueError("'fill_from' needs at least one named group (?P<name>...)")
        elif self.fill_skip is not None and not self.shapes:
            raise ValueError("'fill_skip' needs 'fill_from' or 'shapes'")
        return self


class RuleBase(RuleFix):
    """Fields every leaf rule has: its evidence, what a failure means, and how severe it is."""

    evidence: str
    on_fail: OnFail = "fail"
    message: str = Field(min_length=1, description="what a failure means, shown in the finding")
    message_zh: str | None = Field(default=None, min_length=1, description="``message`` in Chinese")
    expected: str | None = None
    expected_zh: str | None = Field(default=None, min_length=1, description="``expected`` in Chinese")


class ConfigPresent(RuleBase):
    """At least ``min`` (or knob ``min_knob``) and at most ``max`` (or ``max_knob``) lines match ``path``."""

    op: Literal["config_present"]
    path: tuple[MatchRule, ...] = Field(min_length=1)
    anywhere: bool = False
    min: int = Field(default=1, ge=1)
    min_knob: str | None = None
    max: int | None = Field(default=None, ge=1)
    max_knob: str | None = None


class ConfigAbsent(RuleBase):
    """No configuration line matches ``path``. On bad evidence this is ``error``, never ``pass``."""

    op: Literal["config_absent"]
    path: tuple[MatchRule, ...] = Field(min_length=1)
    anywhere: bool = False


class ConfigBlockHas(RuleBase):
    """Every block matching ``path`` has a child matching ``child`` (``min_blocks`` blocks needed).

    ``when_child`` narrows the blocks to those that have a child matching it (e.g. interfaces
    whose ``description`` marks them RAN-facing, or that run ``isis enable``).
    """

    op: Literal["config_block_has"]
    path: tuple[MatchRule, ...] = Field(min_length=1)
    child: MatchRule
    when_child: MatchRule | None = None
    anywhere: bool = False
    min_blocks: int = Field(default=1, ge=0)


class ConfigNumber(RuleBase):
    """Lines matching ``path`` carry a number (regex group ``value``) within ``[min, max]``.

    The bounds come from literals or knobs. ``if_missing`` says what no matching line means;
    ``block_default`` instead gives the value a block without the line has (the platform default).
    """

    op: Literal["config_number"]
    path: tuple[MatchRule, ...] = Field(min_length=1)
    value_regex: str
    anywhere: bool = False
    min: float | None = None
    max: float | None = None
    min_knob: str | None = None
    max_knob: str | None = None
    if_missing: Literal["fail", "warn", "pass"] = "fail"
    block_default: float | None = Field(
        default=None,
        description="the platform's documented value for a block (the path without its last element) "
        "that lacks the line, e.g. VRP 'idle-timeout' 10 on a user-interface; such blocks, or no block "
        "at all, are judged with it against the bounds instead of by if_missing",
    )

    _re = field_validator("value_regex")(_check_regex)

    @model_validator(mode="after")
    def _bounds(self) -> ConfigNumber:
        if "(?P<value>" not in self.value_regex:
            raise ValueError("value_regex needs a named group (?P<value>...)")
        if all(v is None for v in (self.min, self.max, self.min_knob, self.max_knob)):
            raise ValueError("config_number needs at least one of min, max, min_knob, max_knob")
        if self.block_default is not None and len(self.path) < 2:
            raise ValueError("block_default needs a path of at least two levels (block > line)")
        return self


Quantifier = Literal["all", "any", "none"]


class _FieldRule(RuleBase):
    where: Mapping[str, str] = Field(default_factory=dict, description="field -> regex filter on rows")
    field: str
    quantifier: Quantifier = "all"
    min_rows: int = Field(default=1, ge=0)


class FieldEquals(_FieldRule):
    """Parsed rows have ``field`` equal (case-insensitive) to ``value``."""

    op: Literal["field_equals"]
    value: str


class FieldIn(_FieldRule):
    """Parsed rows have ``field`` in ``values`` (case-insensitive)."""

    op: Literal["field_in"]
    values: tuple[str, ...] = Field(min_length=1)


class FieldMatch(_FieldRule):
    """Parsed rows have ``field`` matching ``re_search``."""

    op: Literal["field_match"]
    re_search: str

    _re = field_validator("re_search")(_check_regex)


class FieldNumber(RuleBase):
    """Parsed rows have a numeric ``field`` within ``[min, max]`` (literals or knobs)."""

    op: Literal["field_number"]
    where: Mapping[str, str] = Field(default_factory=dict)
    field: str
    min: float | None = None
    max: float | None = None
    min_knob: str | None = None
    max_knob: str | None = None
    min_rows: int = Field(default=1, ge=0)

    @model_validator(mode="after")
    def _bounds(self) -> FieldNumber:
        if all(v is None for v in (self.min, self.max, self.min_knob, self.max_knob)):
            raise ValueError("field_number needs at least one of min, max, min_knob, max_knob")
        return self


class RowCount(RuleBase):
    """The number of parsed rows (after ``where``) is within ``[min, max]`` (literals or knobs)."""

    op: Literal["row_count"]
    where: Mapping[str, str] = Field(default_factory=dict)
    min: int | None = None
    max: int | None = None
    min_knob: str | None = None
    max_knob: str | None = None


class VersionAtLeast(RuleBase):
    """A version string (a parsed field, or regex group ``value`` on raw text) is >= ``minimum``."""

    op: Literal["version_at_least"]
    field: str | None = None
    value_regex: str | None = None
    minimum: str = Field(min_length=1)

    @model_validator(mode="after")
    def _source(self) -> VersionAtLeast:
        if (self.field is None) == (self.value_regex is None):
            raise ValueError("version_at_least needs exactly one of field, value_regex")
        if self.value_regex is not None and "(?P<value>" not in self.value_regex:
            raise ValueError("value_regex needs a named group (?P<value>...)")
        return self


class PythonRule(RuleBase):
    """Escape hatch: a registered, unit-tested function in ``secaudit.evaluate.functions``."""

    op: Literal["python"]
    function: str


class AnyOf(RuleFix):
    """Passes when any sub-rule passes (e.g. VRP5 and VRP8 spellings of the same setting)."""

    op: Literal["any_of"]
    rules: tuple[Rule, ...] = Field(min_length=2)
    on_fail: OnFail = "fail"
    message: str = Field(min_length=1)
    message_zh: str | None = Field(default=None, min_length=1)
    expected: str | None = None
    expected_zh: str | None = Field(default=None, min_length=1)


class Fallback(RuleFix):
    """The first sub-rule whose evidence is in this run decides; later ones stand in for it.

    For a status a saved configuration cannot hold: 'display telnet server status' decides when
    it was collected (even against the configuration), and an explicit configuration line decides
    in a configuration scan. Only ``not_collected`` passes the decision on; evidence that was
    collected but is bad (rejected, truncated) stays an error.
    """

    op: Literal["fallback"]
    rules: tuple[Rule, ...] = Field(min_length=2)
    message: str = Field(min_length=1)
    message_zh: str | None = Field(default=None, min_length=1)
    expected: str | None = None
    expected_zh: str | None = Field(default=None, min_length=1)


Rule = Annotated[
    ConfigPresent
    | ConfigAbsent
    | ConfigBlockHas
    | ConfigNumber
    | FieldEquals
    | FieldIn
    | FieldMatch
    | FieldNumber
    | RowCount
    | VersionAtLeast
    | PythonRule
    | AnyOf
    | Fallback,
    Field(discriminator="op"),
]
AnyOf.model_rebuild()
Fallback.model_rebuild()

#: Rules made of sub-rules.
COMPOSITE = (AnyOf, Fallback)


def rule_evidence_ids(rule: Rule) -> tuple[str, ...]:
    """Evidence ids a rule reads (recursing into ``any_of`` and ``fallback``)."""
    if isinstance(rule, COMPOSITE):
        return tuple(eid for sub in rule.rules for eid in rule_evidence_ids(sub))
    return (rule.evidence,)


def rule_knobs(rule: Rule) -> tuple[str, ...]:
    """Knob names a rule uses (recursing into ``any_of`` and ``fallback``)."""
    if isinstance(rule, COMPOSITE):
        return tuple(k for sub in rule.rules for k in rule_knobs(sub))
    names = ("min_knob", "max_knob")
    return tuple(v for n in names if isinstance(v := getattr(rule, n, None), str))


class PlatformCheck(Frozen):
    """How one control is checked on one platform."""

    manual: bool = False
    attest: str | None = Field(default=None, description="what a human must attest (manual checks)")
    attest_zh: str | None = Field(default=None, min_length=1, description="``attest`` in Chinese")
    not_applicable: str | None = Field(
        default=None, description="why the control does not apply on this platform (e.g. L2-only OLT)"
    )
    not_applicable_zh: str | None = Field(
        default=None, min_length=1, description="``not_applicable`` in Chinese"
    )
    evidence: tuple[EvidenceSpec, ...] = ()
    applies_when: tuple[Rule, ...] = Field(
        default=(), description="all must pass, otherwise the control is not_applicable on this host"
    )
    rules: tuple[Rule, ...] = ()
    screens: tuple[Rule, ...] = Field(
        default=(),
        description="manual checks only: rules on evidence that can prove a fail (or warn) without "
        "a human; when none fails, a human still decides (status manual)",
    )
    remediation: tuple[str, ...] = ()
    rollback: tuple[str, ...] = ()
    notes: str = ""
    inferred: bool = Field(default=False, description="syntax marked [I] (inferred) in the catalogue")

    @property
    def evaluated(self) -> bool:
        """True when secaudit reads evidence for this block (automated, or manual with screens)."""
        return self.not_applicable is None and (not self.manual or bool(self.screens))

    @model_validator(mode="after")
    def _consistent(self) -> PlatformCheck:
        if self.not_applicable is not None:
            if self.manual or self.rules or self.evidence:
                raise ValueError("a not_applicable block has no manual flag, evidence or rules")
            return self
        if self.manual:
            if self.rules or self.applies_when:
                raise ValueError(
                    "a manual check has no rules; say what to attest (and screen with 'screens')"
                )
            if bool(self.evidence) != bool(self.screens):
                raise ValueError("a manual check declares evidence exactly when it has screens")
            if not self.attest:
                raise ValueError("a manual check needs 'attest': what a human must confirm")
        elif self.screens:
            raise ValueError("'screens' belong to manual checks; an automated check uses 'rules'")
        elif not self.rules:
            raise ValueError("an automated check needs at least one rule")
        ids = [e.id for e in self.evidence]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate evidence ids: {ids}")
        for rule in (*self.applies_when, *self.rules, *self.screens):
            for eid in rule_evidence_ids(rule):
                if eid not in ids:
                    raise ValueError(f"rule uses evidence {eid!r}, which is not declared (declared: {ids})")
        if self.inferred and "[I]" not in self.notes:
            raise ValueError("inferred: true needs notes that say which syntax is inferred ([I])")
        return self


class StandardRef(Frozen):
    """A reference into a standard (GB/T 22239, GB/T 28448, 3GPP TS 33.117, CIS, ...)."""

    scheme: str = Field(min_length=1)
    ref: str = Field(min_length=1)
    test_id: str | None = None
    title: str | None = None


class Control(Frozen):
    """One baseline control. The file stem must equal ``id``."""

    id: str = Field(pattern=CONTROL_ID_PATTERN)
    version: int = Field(default=1, ge=1)
    title: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    phase: Phase
    roles: tuple[Role, ...] = Field(min_length=1)
    severity: Severity
    rationale: str = Field(min_length=1)
    standards: tuple[StandardRef, ...] = Field(min_length=1)
    tags: tuple[str, ...] = ()
    knobs: tuple[str, ...] = ()
    platforms: Mapping[Platform, PlatformCheck] = Field(min_length=1)

    @model_validator(mode="after")
    def _knobs_declared(self) -> Control:
        used = {
            k
            for pc in self.platforms.values()
            for r in (*pc.applies_when, *pc.rules, *pc.screens)
            for k in rule_knobs(r)
        }
        missing = used - set(self.knobs)
        if missing:
            raise ValueError(f"rules use knobs not listed under 'knobs': {sorted(missing)}")
        return self
