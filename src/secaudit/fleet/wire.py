"""What crosses the broker: shards out, compressed evidence back. Nothing secret either way.

A shard is JSON: the run id, the operator, the targets (names, addresses, platforms; no
credentials) and each host's planned commands. A result is a small manifest: per host, the
collection state and the host's evidence as zlib-compressed JSON, inline while the manifest stays
under :data:`INLINE_LIMIT`, otherwise stored under the operator's key prefix and named by
reference (fetched and deleted by the coordinator). One host's compressed evidence may not exceed
:data:`HOST_LIMIT`; a host over it comes back as a collection error naming the limit, never cut.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from secaudit.collect.plan import PlannedCommand
from secaudit.models.enums import CollectionState
from secaudit.models.evidence import Evidence, HostEvidence
from secaudit.models.target import Target

#: Evidence kept inline in a result manifest up to this many compressed bytes (all hosts together).
INLINE_LIMIT = 4 * 1024 * 1024
#: The most compressed evidence one host may send back (well under the 32 MB that hangs results).
HOST_LIMIT = 24 * 1024 * 1024
#: How long by-reference evidence waits for the coordinator in Redis.
REFERENCE_TTL = 6 * 3600


def shard_message(
    run_id: str,
    shard_id: str,
    operator: str,
    targets: Sequence[Target],
    plan: Mapping[str, Sequence[PlannedCommand]],
) -> dict[str, Any]:
    """The task argument for one shard (JSON-safe).

    Examples:
        >>> from secaudit.models.enums import Environment, Platform, Role
        >>> t = Target(name="r1", hostname="127.0.0.1", platform=Platform.CISCO_XR, operator="telecom",
        ...            role=Role.EDGE5G, site="s1", environment=Environment.LAB, model="m")
        >>> plan = {"r1": [PlannedCommand("show clock", False)]}
        >>> msg = shard_message("run", "run/telecom/s1/0", "telecom", [t], plan)
        >>> msg["plan"]["r1"], msg["targets"][0]["name"]
        ([['show clock', False, False]], 'r1')
        >>> read_shard(msg)[2]["r1"]
        (PlannedCommand(command='show clock', is_config=False, optional=False),)
    """
    return {
        "run": run_id,
        "shard": shard_id,
        "operator": operator,
        "targets": [t.model_dump(mode="json") for t in targets],
        "plan": {
            t.name: [[p.command, p.is_config, p.optional] for p in plan.get(t.name, ())] for t in targets
        },
    }


def read_shard(
    msg: Mapping[str, Any],
) -> tuple[str, tuple[Target, ...], dict[str, tuple[PlannedCommand, ...]]]:
    """The operator, targets and plan of a shard message (validated models)."""
    targets = tuple(Target.model_validate(t) for t in msg["targets"])
    plan = {
        str(name): tuple(PlannedCommand(str(c), bool(cfg), bool(opt)) for c, cfg, opt in cmds)
        for name, cmds in dict(msg["plan"]).items()
    }
    return str(msg["operator"]), targets, plan


def pack_host(host: HostEvidence) -> bytes:
    """One host's collection outcome and evidence as compressed JSON (the target goes by name)."""
    doc = {
        "host": host.target.name,
        "state": host.state.value,
        "detail": host.detail,
        "collected_at": host.collected_at.isoformat() if host.collected_at else None,
        "seconds": host.seconds,
        "evidence": [e.model_dump(mode="json") for e in host.evidence],
    }
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8"), 6)


def unpack_host(blob: bytes, targets: Mapping[str, Target]) -> HostEvidence:
    """The inverse of :func:`pack_host`, for a host the coordinator sent out."""
    doc = json.loads(zlib.decompress(blob))
    target = targets[doc["host"]]
    when = datetime.fromisoformat(doc["collected_at"]) if doc["collected_at"] else None
    evidence = tuple(Evidence.model_validate(e) for e in doc["evidence"])
    if any(e.host != target.name for e in evidence):
        raise ValueError(f"evidence for another host inside {target.name}'s result")
    return HostEvidence(target, evidence, CollectionState(doc["state"]), doc["detail"], when, doc["seconds"])


def encode_blob(blob: bytes) -> str:
    """Bytes as text for the JSON manifest.

    Examples:
        >>> decode_blob(encode_blob(b"x"))
        b'x'
    """
    return base64.b64encode(blob).decode("ascii")


def decode_blob(text: str) -> bytes:
    """The inverse of :func:`encode_blob`."""
    return base64.b64decode(text.encode("ascii"), validate=True)
