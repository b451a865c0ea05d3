"""The signed manifest of a bundle."""

from __future__ import annotations

from pydantic import Field

from secaudit.models.base import Frozen


class FileDigest(Frozen):
    """One file of a bundle."""

    path: str
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="file digest (SHA-256, or SM3 in the sm2 suite)"
    )
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
    digest: str = Field(default="sha256", pattern=r"^(sha256|sm3)$", description="file digest algorithm")
    sm2_id: str | None = None
    files: tuple[FileDigest, ...]
