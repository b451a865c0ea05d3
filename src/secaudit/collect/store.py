"""Evidence store: each host's redacted evidence is written as soon as that host is done.

Layout (the offline collector reads the same): ``<root>/<host>/<command-slug>.txt`` and
``<root>/<host>/meta.json`` with the collection state and, per command, its evidence state,
detail and SHA-256. Evidence text is already redacted (see :mod:`secaudit.redact`); what is stored
is exactly what was evaluated, so its SHA-256 equals the one in the findings.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from secaudit.collect.text import sha256_hex
from secaudit.models.enums import CollectionState
from secaudit.models.evidence import Evidence
from secaudit.models.target import Target


class EvidenceStore:
    """Writes per-host evidence folders under ``root`` (thread-safe)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        root.mkdir(parents=True, exist_ok=True)

    def write_host(
        self,
        target: Target,
        evidence: Iterable[Evidence],
        state: CollectionState,
        detail: str,
        collected_at: datetime | None,
    ) -> Path:
        """Write one host's evidence and meta.json; returns the host folder."""
        host_dir = self.root / target.name
        items = list(evidence)
        commands: dict[str, Any] = {}
        with self._lock:
            host_dir.mkdir(parents=True, exist_ok=True)
            for ev in items:
                data = ev.text.encode("utf-8")
                if ev.text:
                    (host_dir / f"{ev.slug}.txt").write_bytes(data)
                commands[ev.slug] = {
                    "command": ev.command,
                    "state": ev.state.value,
                    "detail": ev.detail,
                    "sha256": sha256_hex(data) if ev.text else "",
                }
            meta = {
                "host": target.name,
                "platform": target.platform.value,
                "operator": target.operator,
                "source": items[0].source.value if items else "offline",
                "collected_at": collected_at.isoformat() if collected_at else None,
                "collection": {"state": state.value, "detail": detail},
                "commands": commands,
            }
            (host_dir / "meta.json").write_text(
                json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        return host_dir
