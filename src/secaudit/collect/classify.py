"""Classify collection failures. netmiko's exceptions are coarse (almost everything at connect time
is ``NetmikoTimeoutException``); the root cause is in the exception chain (docs/collection-notes.md §7.7).
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator

from paramiko.ssh_exception import (
    AuthenticationException,
    BadHostKeyException,
    NoValidConnectionsError,
    SSHException,
)

from secaudit.models.enums import CollectionState, EvidenceState
from secaudit.models.evidence import Evidence


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def classify_exception(exc: BaseException) -> tuple[CollectionState, str]:
    """Map an exception from connecting or reading to a collection state and a one-line detail.

    Examples:
        >>> classify_exception(ConnectionRefusedError(111, "Connection refused"))[0]
        <CollectionState.UNREACHABLE: 'unreachable'>
        >>> classify_exception(SSHException("Server '[127.0.0.1]:2222' not found in known_hosts"))[0]
        <CollectionState.HOST_KEY_UNKNOWN: 'host_key_unknown'>
        >>> classify_exception(EOFError("channel closed"))[0]
        <CollectionState.DISCONNECTED: 'disconnected'>
    """
    chain = list(_chain(exc))
    text = " | ".join(str(e) for e in chain if str(e))
    first_line = (text.splitlines() or [""])[0][
        :300
    ] or f"{type(exc).__name__} (no answer within the timeout)"
    for e in chain:
        if isinstance(e, BadHostKeyException):
            return (
                CollectionState.HOST_KEY_CHANGED,
                "host key does not match the enrolled key (possible interception)",
            )
    for e in chain:
        if isinstance(e, SSHException) and "not found in known_hosts" in str(e):
            return CollectionState.HOST_KEY_UNKNOWN, "host key not enrolled (run `secaudit hostkeys scan`)"
    for e in chain:
        if isinstance(e, AuthenticationException) or "No authentication methods available" in str(e):
            return CollectionState.AUTH_FAILED, "authentication failed"
        if isinstance(e, (NoValidConnectionsError, ConnectionRefusedError, ConnectionResetError)):
            return CollectionState.UNREACHABLE, first_line
        if isinstance(e, OSError) and not isinstance(e, socket.timeout) and e.errno is not None:
            return CollectionState.UNREACHABLE, first_line
    lowered = text.lower()
    if "tcp connection to device failed" in lowered or "connection refused" in lowered:
        return CollectionState.UNREACHABLE, first_line
    if isinstance(exc, EOFError) or "socket is closed" in lowered or "stream closed" in lowered:
        return CollectionState.DISCONNECTED, f"session closed by the device: {first_line}"
    if "pattern not detected" in lowered or "timed-out" in lowered or "timeout" in lowered:
        return CollectionState.TIMEOUT, first_line
    if isinstance(exc, OSError) or "eof" in lowered:
        return CollectionState.DISCONNECTED, f"session closed during collection: {first_line}"
    return CollectionState.TIMEOUT, f"{type(exc).__name__}: {first_line}"


_FROM_EVIDENCE: tuple[tuple[EvidenceState, CollectionState], ...] = (
    (EvidenceState.PAGED, CollectionState.PAGING_NOT_DISABLED),
    (EvidenceState.DEVICE_ERROR, CollectionState.COMMAND_REJECTED),
    (EvidenceState.TRUNCATED, CollectionState.OUTPUT_TRUNCATED),
    (EvidenceState.EMPTY, CollectionState.EMPTY),
    (EvidenceState.MISSING, CollectionState.EVIDENCE_MISSING),
)


def state_from_evidence(
    evidence: Iterable[Evidence], optional: frozenset[str] = frozenset()
) -> tuple[CollectionState, str]:
    """Host state implied by its evidence, when the session itself succeeded.

    A rejected ``optional`` command (alternative syntax for other models) does not count.

    Examples:
        >>> state_from_evidence([])
        (<CollectionState.OK: 'ok'>, '')
        >>> from datetime import UTC, datetime
        >>> empty = Evidence(host="r1", platform="huawei_vrp", command="display version",
        ...     slug="display_version", text="", sha256="0" * 64, collected_at=datetime.now(UTC),
        ...     source="live", state=EvidenceState.EMPTY, detail="output is empty")
        >>> state_from_evidence([empty])
        (<CollectionState.EMPTY: 'empty'>, 'display version: output is empty')
    """
    items = [e for e in evidence if not (e.command in optional and e.state is EvidenceState.DEVICE_ERROR)]
    for ev_state, col_state in _FROM_EVIDENCE:
        bad = [e for e in items if e.state is ev_state]
        if bad:
            return col_state, f"{bad[0].command}: {bad[0].detail}" + (
                f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
            )
    return CollectionState.OK, ""
