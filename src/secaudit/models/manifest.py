"""The signed manifest of a bundle."""

from __future__ import annotations

from pydantic import Field

from secaudit.models.base import Frozen


class FileDigest(Frozen):
    """One file of a bundle."""

    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class Manifest(Frozen):
    """Digest of every other file of a bundle plus run provenance. Signed as canonical JSON."""

    manifest_version: int = 1
    bundle: str
    run_id: str
    tool_version: str
    checks_digest: str
    started_at: str
    finished_at: str
    signed_at: str
    key_id: str
    algorithm: str = "ed25519"
    files: tuple[FileDigest, ...]
