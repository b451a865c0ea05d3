"""Bundle manifests: digests of every file, canonical JSON bytes, signing and verification."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError

from secaudit.errors import SigningError, VerificationError
from secaudit.models.manifest import FileDigest, Manifest
from secaudit.sign.keys import key_id

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
RESERVED = frozenset({MANIFEST, SIGNATURE})


def canonical_bytes(manifest: Manifest) -> bytes:
    """Canonical JSON: sorted keys, no insignificant whitespace, UTF-8, one trailing newline.

    Examples:
        >>> m = Manifest(bundle="b", run_id="r", tool_version="0", checks_digest="c", started_at="s",
        ...              finished_at="f", signed_at="t", key_id="k", files=())
        >>> canonical_bytes(m)[:30]
        b'{"algorithm":"ed25519","bundle'
    """
    data = manifest.model_dump(mode="json")
    return (json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode(
        "utf-8"
    )


def _digest(path: Path) -> FileDigest:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return FileDigest(path="", sha256=sha.hexdigest(), size=size)


def scan_files(bundle: Path) -> dict[str, FileDigest]:
    """Digest every regular file under ``bundle`` except the manifest and signature.

    Symlinks are refused: a bundle must not point outside itself.
    """
    files: dict[str, FileDigest] = {}
    for path in sorted(bundle.rglob("*")):
        rel = path.relative_to(bundle).as_posix()
        if path.is_symlink():
            raise VerificationError(f"{bundle}: symlink {rel!r} in bundle; bundles hold regular files only")
        if not path.is_file() or rel in RESERVED:
            continue
        digest = _digest(path)
        files[rel] = FileDigest(path=rel, sha256=digest.sha256, size=digest.size)
    return files


@dataclass(frozen=True, slots=True)
class RunStamp:
    """Run provenance recorded in every manifest."""

    run_id: str
    tool_version: str
    checks_digest: str
    started_at: str
    finished_at: str


def sign_bundle(bundle: Path, private_key: Ed25519PrivateKey, stamp: RunStamp) -> Manifest:
    """Write ``manifest.json`` (canonical bytes) and ``manifest.sig`` (raw 64-byte Ed25519)."""
    files = scan_files(bundle)
    manifest = Manifest(
        bundle=bundle.name,
        run_id=stamp.run_id,
        tool_version=stamp.tool_version,
        checks_digest=stamp.checks_digest,
        started_at=stamp.started_at,
        finished_at=stamp.finished_at,
        signed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        key_id=key_id(private_key.public_key()),
        files=tuple(files[k] for k in sorted(files)),
    )
    data = canonical_bytes(manifest)
    (bundle / MANIFEST).write_bytes(data)
    (bundle / SIGNATURE).write_bytes(private_key.sign(data))
    return manifest


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Outcome of verifying one bundle. ``problems`` is empty when the bundle is intact."""

    bundle: Path
    manifest: Manifest | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def verify_bundle(bundle: Path, public_key: Ed25519PublicKey) -> VerifyReport:
    """Check signature, canonical form, key id and every file (added, removed, changed)."""
    if not bundle.is_dir():
        raise SigningError(f"{bundle}: not a bundle folder")
    mpath, spath = bundle / MANIFEST, bundle / SIGNATURE
    problems: list[str] = []
    if not mpath.is_file():
        return VerifyReport(bundle, None, (f"{MANIFEST} is missing",))
    if not spath.is_file():
        return VerifyReport(bundle, None, (f"{SIGNATURE} is missing",))
    data = mpath.read_bytes()
    try:
        public_key.verify(spath.read_bytes(), data)
    except InvalidSignature:
        problems.append(
            f"{SIGNATURE} does not verify over {MANIFEST} with this public key "
            "(manifest or signature changed, or wrong key)"
        )
    try:
        manifest = Manifest.model_validate_json(data)
    except ValidationError as exc:
        return VerifyReport(
            bundle, None, (*problems, f"{MANIFEST} is not a valid manifest: {exc.errors()[0]['msg']}")
        )
    if canonical_bytes(manifest) != data:
        problems.append(f"{MANIFEST} is not in canonical form (it was re-written after signing)")
    if manifest.key_id != key_id(public_key):
        problems.append(
            f"manifest was signed by key {manifest.key_id[:16]}…, "
            f"not by the given key {key_id(public_key)[:16]}…"
        )
    try:
        actual = scan_files(bundle)
    except VerificationError as exc:
        return VerifyReport(bundle, manifest, (*problems, str(exc)))
    listed = {f.path: f for f in manifest.files}
    for path in sorted(set(listed) - set(actual)):
        problems.append(f"removed: {path}")
    for path in sorted(set(actual) - set(listed)):
        problems.append(f"added: {path}")
    for path in sorted(set(listed) & set(actual)):
        if listed[path].sha256 != actual[path].sha256 or listed[path].size != actual[path].size:
            problems.append(f"changed: {path}")
    return VerifyReport(bundle, manifest, tuple(problems))
