"""File collector: saved files (configuration backups, exports, captured outputs) as evidence.

``scan-config`` and the real-world scorer read files that nobody collected for secaudit: an
Oxidized/RANCID backup, a gateway's decrypted XML export, a ``display version`` someone saved.
Each file is the output of one command on one host; every other command a control plans is
``not_collected`` (the evaluator fills those in), so a control decides on what is in hand.

The text is decoded and redacted exactly as the offline collector does it, and judged by the
same :func:`secaudit.collect.text.assess`; the evidence digest is the SHA-256 of the file's bytes,
so a finding names the file it came from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from secaudit.collect.classify import state_from_evidence
from secaudit.collect.plan import PlannedCommand
from secaudit.collect.text import assess, command_slug, decode_output, repair_text, sha256_hex
from secaudit.models.enums import EvidenceSource, EvidenceState
from secaudit.models.evidence import Evidence, HostEvidence
from secaudit.models.target import Target
from secaudit.platforms import get_platform
from secaudit.redact import redact_text

#: Larger files are not read (reported as errors, never parsed).
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """One saved file and the command whose output it holds (``None``: the configuration)."""

    path: Path
    command: str | None = None


def file_evidence(target: Target, file: EvidenceFile) -> Evidence:
    """Read, decode, redact and assess one saved file as evidence for ``target``.

    Raises ``OSError`` when the file cannot be read (the caller names the file to the user).
    """
    spec = get_platform(target.platform)
    command = file.command or spec.config_command
    if command is None:
        raise ValueError(f"platform {spec.name} has no configuration format to read from a file")
    base = {
        "host": target.name,
        "platform": target.platform,
        "command": command,
        "slug": command_slug(command),
        "source": EvidenceSource.OFFLINE,
    }
    size = file.path.stat().st_size
    mtime = datetime.fromtimestamp(file.path.stat().st_mtime, UTC)
    if size > MAX_FILE_BYTES:
        return Evidence(
            **base,
            text="",
            sha256="",
            collected_at=mtime,
            state=EvidenceState.TRUNCATED,
            detail=f"{file.path.name} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit; not parsed",
        )
    data = file.path.read_bytes()
    is_config = command == spec.config_command
    text = redact_text(repair_text(spec, decode_output(data), is_config=is_config))
    state, detail = assess(spec, command, text, is_config=is_config)
    return Evidence(
        **base, text=text, sha256=sha256_hex(data), collected_at=mtime, state=state, detail=detail
    )


class FilesCollector:
    """A collector over saved files: ``files`` maps each host name to its files."""

    def __init__(self, files: Mapping[str, Sequence[EvidenceFile]]) -> None:
        self._files = {host: tuple(entries) for host, entries in files.items()}

    @property
    def source(self) -> EvidenceSource:
        """Offline evidence (saved files)."""
        return EvidenceSource.OFFLINE

    def collect(
        self, targets: tuple[Target, ...], plan: Mapping[str, tuple[PlannedCommand, ...]]
    ) -> Iterator[HostEvidence]:
        """Yield each target's file evidence; planned commands without a file stay uncollected."""
        for target in targets:
            evidence = tuple(file_evidence(target, f) for f in self._files.get(target.name, ()))
            yield HostEvidence(target, evidence, *state_from_evidence(evidence))
