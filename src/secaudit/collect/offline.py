"""Offline collector: ``DIR/<host>/<command-slug>.txt`` (+ optional ``meta.json``) -> ``Evidence``.

Slug rule: :func:`secaudit.collect.text.command_slug` (lower-case; every run of characters other
than ``a-z``, ``0-9`` and ``-`` becomes one ``_``; leading/trailing ``_`` removed). A live run's
evidence folder has the same layout, so ``run --offline <run>/evidence`` replays it.

``meta.json`` (optional) records per command what the live collector saw::

    {"host": "olt-1", "platform": "huawei_smartax", "collected_at": "2026-11-25T20:00:00+00:00",
     "commands": {"display_version": {"command": "display version", "state": "ok", "detail": ""}}}

A state other than ``ok`` recorded there is kept (a file cannot be better than its collection).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from secaudit.collect.classify import state_from_evidence
from secaudit.collect.plan import PlannedCommand
from secaudit.collect.text import assess, command_slug, decode_output, repair_text, sha256_hex
from secaudit.models.enums import CollectionState, EvidenceSource, EvidenceState
from secaudit.models.evidence import Evidence, HostEvidence
from secaudit.models.target import Target
from secaudit.platforms import get_platform
from secaudit.redact import redact_text

#: Larger evidence files are not read (they are reported as errors, never parsed).
MAX_EVIDENCE_BYTES = 64 * 1024 * 1024


def _read_meta(host_dir: Path) -> tuple[Mapping[str, Any], str]:
    path = host_dir / "meta.json"
    if not path.is_file():
        return {}, ""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {}, f"{path}: unreadable meta.json ({exc}); evidence states re-assessed from the files"
    return (data if isinstance(data, dict) else {}), ""


def _collected_at(meta: Mapping[str, Any]) -> datetime | None:
    raw = meta.get("collected_at")
    if not isinstance(raw, str):
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _recorded_state(meta: Mapping[str, Any], slug: str) -> tuple[EvidenceState, str] | None:
    """A non-``ok`` state that meta.json recorded for this command at collection time."""
    commands = meta.get("commands")
    recorded = commands.get(slug) if isinstance(commands, dict) else None
    if not isinstance(recorded, dict) or recorded.get("state") in (None, EvidenceState.OK.value):
        return None
    try:
        state = EvidenceState(recorded["state"])
    except ValueError:
        return None
    return state, str(recorded.get("detail") or f"recorded as {state.value} at collection")


def read_evidence(
    target: Target, command: PlannedCommand, host_dir: Path, meta: Mapping[str, Any]
) -> Evidence:
    """Read and assess one evidence file."""
    spec = get_platform(target.platform)
    slug = command_slug(command.command)
    path = host_dir / f"{slug}.txt"
    base = {
        "host": target.name,
        "platform": target.platform,
        "command": command.command,
        "slug": slug,
        "source": EvidenceSource.OFFLINE,
        "collected_at": _collected_at(meta),
    }
    recorded = _recorded_state(meta, slug)
    if not host_dir.is_dir():
        return Evidence(
            **base,
            text="",
            sha256=sha256_hex(b""),
            state=EvidenceState.MISSING,
            detail=f"no evidence folder {host_dir}",
        )
    if path.is_symlink() or host_dir.is_symlink():
        return Evidence(
            **base,
            text="",
            sha256=sha256_hex(b""),
            state=EvidenceState.COLLECT_ERROR,
            detail=f"{path.name}: symlinks are refused in evidence folders",
        )
    if not path.is_file():
        state, detail = recorded or (EvidenceState.MISSING, f"missing evidence file {path.name}")
        return Evidence(**base, text="", sha256=sha256_hex(b""), state=state, detail=detail)
    size = path.stat().st_size
    if size > MAX_EVIDENCE_BYTES:
        return Evidence(
            **base,
            text="",
            sha256="",
            state=EvidenceState.TRUNCATED,
            detail=f"{path.name} is {size} bytes, over the {MAX_EVIDENCE_BYTES}-byte limit; not parsed",
        )
    data = path.read_bytes()
    text = redact_text(repair_text(spec, decode_output(data), is_config=command.is_config))
    state, detail = recorded or assess(spec, command.command, text, is_config=command.is_config)
    return Evidence(**base, text=text, sha256=sha256_hex(text.encode("utf-8")), state=state, detail=detail)


def collect_offline(
    root: Path, targets: tuple[Target, ...], plan: Mapping[str, tuple[PlannedCommand, ...]]
) -> Iterator[HostEvidence]:
    """Yield, per host, its evidence, its collection state (as recorded, else derived) and a note."""
    for target in targets:
        host_dir = root / target.name
        meta, note = _read_meta(host_dir)
        evidence = tuple(read_evidence(target, cmd, host_dir, meta) for cmd in plan.get(target.name, ()))
        recorded = meta.get("collection") if isinstance(meta.get("collection"), dict) else None
        try:
            state = CollectionState(recorded["state"]) if recorded else None
        except (KeyError, ValueError):
            state = None
        if state is not None and recorded is not None and state is not CollectionState.OK:
            detail = str(recorded.get("detail", ""))
        elif not host_dir.is_dir():
            state, detail = CollectionState.EVIDENCE_MISSING, f"no evidence folder {host_dir.name}/"
        else:
            optional = frozenset(p.command for p in plan.get(target.name, ()) if p.optional)
            state, detail = state_from_evidence(evidence, optional)
        yield HostEvidence(target, evidence, state, detail, _collected_at(meta), note=note)


class OfflineCollector:
    """Saved evidence folders (``run --offline DIR``, a run's ``evidence/`` replayed)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def source(self) -> EvidenceSource:
        """Offline evidence."""
        return EvidenceSource.OFFLINE

    def collect(
        self, targets: tuple[Target, ...], plan: Mapping[str, tuple[PlannedCommand, ...]]
    ) -> Iterator[HostEvidence]:
        """Yield each target's saved evidence (see :func:`collect_offline`)."""
        yield from collect_offline(self.root, targets, plan)
