"""Enumerations with explicit values (never ``auto()``: values are part of the file formats)."""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    """secaudit platform names (closed set; see ``secaudit.platforms``)."""

    HUAWEI_SMARTAX = "huawei_smartax"
    ZTE_ZXA10 = "zte_zxa10"
    HUAWEI_VRP = "huawei_vrp"
    ZTE_ZXROS = "zte_zxros"
    CISCO_XR = "cisco_xr"
    HUAWEI_ONT = "huawei_ont"
    HUAWEI_ONT_XML = "huawei_ont_xml"
    ZTE_ONT_XML = "zte_ont_xml"
    FIBERHOME_AN = "fiberhome_an"


class Role(StrEnum):
    """Device roles in the dual-gigabit network."""

    OLT = "olt"
    GATEWAY = "gateway"
    EDGE5G = "edge5g"


class Phase(StrEnum):
    """同规划、同建设、同运行: plan, build, operate."""

    PLAN = "plan"
    BUILD = "build"
    OPERATE = "operate"


class Severity(StrEnum):
    """Finding severity, most severe first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class Status(StrEnum):
    """Result of one control on one host."""

    PASS = "pass"  # noqa: S105 - a status, not a password
    FAIL = "fail"
    WARN = "warn"
    MANUAL = "manual"
    NOT_APPLICABLE = "not_applicable"
    NOT_COLLECTED = "not_collected"
    ERROR = "error"


class Environment(StrEnum):
    """Where a device lives; live collection is only meant for lab and staging."""

    LAB = "lab"
    STAGING = "staging"
    PRODUCTION = "production"


class EvidenceSource(StrEnum):
    """How evidence was obtained."""

    LIVE = "live"
    OFFLINE = "offline"


class EvidenceState(StrEnum):
    """Quality of one piece of evidence. Only ``ok`` evidence can ever support a ``pass``."""

    OK = "ok"
    MISSING = "missing"  # expected file or output absent
    EMPTY = "empty"  # nothing but whitespace
    TRUNCATED = "truncated"  # end marker absent
    PAGED = "paged"  # a pager prompt is still in the text
    DEVICE_ERROR = "device_error"  # the device rejected the command
    PARSE_ERROR = "parse_error"  # TextFSM/config parsing failed
    COLLECT_ERROR = "collect_error"  # transport-level failure (live)
    NOT_COLLECTED = "not_collected"  # never attempted (e.g. scan-config without that command)


class CollectionState(StrEnum):
    """Per-host collection outcome, shown in every report's collection-health section."""

    OK = "ok"
    AUTH_FAILED = "auth_failed"
    UNREACHABLE = "unreachable"
    HOST_KEY_UNKNOWN = "host_key_unknown"
    HOST_KEY_CHANGED = "host_key_changed"
    TIMEOUT = "timeout"
    COMMAND_REJECTED = "command_rejected"
    OUTPUT_TRUNCATED = "output_truncated"  # output cut mid-stream (then silence, or a cut structure)
    DISCONNECTED = "disconnected"  # the device closed the channel mid-session
    EMPTY = "empty"  # the session worked but a command's output was empty
    PAGING_NOT_DISABLED = "paging_not_disabled"
    EVIDENCE_MISSING = "evidence_missing"  # offline: files absent
    COLLECTOR_FAILED = "collector_failed"  # the collector itself failed (a worker process died)
    NOT_COLLECTED = "not_collected"  # never attempted (the fleet: no worker of the operator online)


SEVERITY_ORDER: dict[Severity, int] = {
    Severity.CRITICAL: 0,
    Severity.HIGH: 1,
    Severity.MEDIUM: 2,
    Severity.LOW: 3,
    Severity.INFO: 4,
}

#: Statuses that make a host or operator non-compliant.
BLOCKING_STATUSES: frozenset[Status] = frozenset({Status.FAIL, Status.ERROR, Status.NOT_COLLECTED})
