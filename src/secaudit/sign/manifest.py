"""Bundle manifests: digests of every file, canonical JSON bytes, signing and verification."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError

from secaudit.errors import SigningError, VerificationError
from secaudit.models.manifest import FileDigest, Manifest
from secaudit.sign.cms import CMS_SIGNATURE, verify_cms
from secaudit.sign.keys import key_id
from secaudit.sign.suites import SIGNATURE_FILES, SM2_ID, Signer, Verifier
from secaudit.sign.trust import TrustStore

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
RESERVED = frozenset({MANIFEST, SIGNATURE, "manifest.p7s", "manifest.sm2.sig"})


def canonical_bytes(manifest: Manifest) -> bytes:
    """Canonical JSON: sorted keys, no insignificant whitespace, UTF-8, one trailing newline.

    Fields that are ``None`` are left out, so adding an optional field never changes the bytes
    of a manifest that does not use it.

    Examples:
        >>> m = Manifest(bundle="b", run_id="r", tool_version="0", checks_digest="c", started_at="s",
        ...              finished_at="f", signed_at="t", key_id="k", files=())
        >>> canonical_bytes(m)[:30]
        b'{"algorithm":"ed25519","bundle'
    """
    data = manifest.model_dump(mode="json", exclude_none=True)
    return (json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode(
        "utf-8"
    )


def _digest(path: str, algorithm: str) -> tuple[str, int]:
    with open(path, "rb") as handle:  # noqa: PTH123 - a DirEntry path: no Path object per file
        if algorithm == "sm3":
            sm3 = hashes.Hash(hashes.SM3())
            data = handle.read()
            sm3.update(data)
            return sm3.finalize().hex(), len(data)
        sha = hashlib.sha256()
        size = 0
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


def _tree(bundle: Path) -> list[tuple[tuple[str, ...], os.DirEntry[str]]]:
    """Every entry under ``bundle`` with its relative path parts, sorted as ``sorted(rglob("*"))``.

    As ``Path.rglob``: a symlink is listed but never followed into.
    """
    entries: list[tuple[tuple[str, ...], os.DirEntry[str]]] = []
    folders: list[tuple[tuple[str, ...], str]] = [((), str(bundle))]
    while folders:
        prefix, folder = folders.pop()
        with os.scandir(folder) as listing:
            for entry in listing:
                parts = (*prefix, entry.name)
                entries.append((parts, entry))
                if entry.is_dir() and not entry.is_symlink():
                    folders.append((parts, entry.path))
    entries.sort(key=lambda item: item[0])
    return entries


def scan_files(bundle: Path, algorithm: str = "sha256") -> dict[str, FileDigest]:
    """Digest every regular file under ``bundle`` except the manifest and signatures.

    Symlinks are refused: a bundle must not point outside itself.
    """
    files: dict[str, FileDigest] = {}
    for parts, entry in _tree(bundle):
        rel = "/".join(parts)
        if entry.is_symlink():
            raise VerificationError(f"{bundle}: symlink {rel!r} in bundle; bundles hold regular files only")
        if not entry.is_file() or rel in RESERVED:
            continue
        digest, size = _digest(entry.path, algorithm)
        files[rel] = FileDigest(path=rel, sha256=digest, size=size)
    return files


@dataclass(frozen=True, slots=True)
class RunStamp:
    """Run provenance recorded in every manifest."""

    run_id: str
    tool_version: str
    checks_digest: str
    started_at: str
    finished_at: str


def sign_bundle(bundle: Path, signer: Signer | Ed25519PrivateKey, stamp: RunStamp) -> Manifest:
    """Write the signer's public material, ``manifest.json`` (canonical bytes) and the signature."""
    if isinstance(signer, Ed25519PrivateKey):
        signer = Signer("ed25519", key_id(signer.public_key()), "sha256", ed25519=signer)
    cosigner = signer.cosigner
    for name, data in {**signer.extra_files, **(cosigner.extra_files if cosigner else {})}.items():
        (bundle / name).write_bytes(data)
    files = scan_files(bundle, signer.digest)
    manifest = Manifest(
        bundle=bundle.name,
        run_id=stamp.run_id,
        tool_version=stamp.tool_version,
        checks_digest=stamp.checks_digest,
        started_at=stamp.started_at,
        finished_at=stamp.finished_at,
        signed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        key_id=signer.key_id,
        algorithm=signer.suite,
        digest=signer.digest,
        sm2_id=SM2_ID if signer.suite == "sm2" else None,
        files=tuple(files[k] for k in sorted(files)),
    )
    data = canonical_bytes(manifest)
    (bundle / MANIFEST).write_bytes(data)
    (bundle / signer.signature_file).write_bytes(signer.sign(data))
    if cosigner is not None:
        (bundle / cosigner.signature_file).write_bytes(cosigner.sign(data))
    return manifest


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Outcome of verifying one bundle. ``problems`` is empty when the bundle is intact."""

    bundle: Path
    manifest: Manifest | None
    problems: tuple[str, ...]
    signer: str = ""

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def verify_bundle(bundle: Path, verifier: Verifier | Ed25519PublicKey) -> VerifyReport:
    """Check signature (per the manifest's suite), canonical form, key id and every file."""
    if isinstance(verifier, Ed25519PublicKey):
        verifier = Verifier(ed25519_key=verifier)
    if not bundle.is_dir():
        raise SigningError(f"{bundle}: not a bundle folder")
    if any(part.startswith(".partial-") for part in bundle.resolve().parts):
        return VerifyReport(
            bundle, None, ("bundle belongs to an incomplete run (.partial-*: never renamed into place)",)
        )
    mpath = bundle / MANIFEST
    if not mpath.is_file():
        return VerifyReport(bundle, None, (f"{MANIFEST} is missing",))
    data = mpath.read_bytes()
    try:
        manifest = Manifest.model_validate_json(data)
    except ValidationError as exc:
        return VerifyReport(bundle, None, (f"{MANIFEST} is not a valid manifest: {exc.errors()[0]['msg']}",))
    problems: list[str] = []
    signer = ""
    sig_name = SIGNATURE_FILES.get(manifest.algorithm, SIGNATURE)
    spath = bundle / sig_name
    if not spath.is_file():
        return VerifyReport(bundle, manifest, (f"{sig_name} is missing",))
    cms = bundle / CMS_SIGNATURE
    cosigned = manifest.algorithm != "ecdsa-x509" and cms.is_file()
    only_cms = cosigned and verifier.trust is not None and verifier.pubkey is None
    if not (only_cms and verifier.ed25519_key is None):
        try:
            signer = verifier.check(
                manifest.algorithm, manifest.key_id, data, spath.read_bytes(), manifest.sm2_id
            )
        except VerificationError as exc:
            problems.append(str(exc))
    if cosigned and verifier.trust is not None:
        try:
            info = verify_cms(data, cms.read_bytes(), TrustStore(verifier.trust), at=datetime.now(UTC))
            signer = ", ".join(
                p for p in (signer, f"CMS co-signature {info.subject} (key {info.key_id[:16]})") if p
            )
        except VerificationError as exc:
            problems.append(f"{CMS_SIGNATURE}: {exc}")
    if canonical_bytes(manifest) != data:
        problems.append(f"{MANIFEST} is not in canonical form (it was re-written after signing)")
    try:
        actual = scan_files(bundle, manifest.digest)
    except VerificationError as exc:
        return VerifyReport(bundle, manifest, (*problems, str(exc)), signer)
    listed = {f.path: f for f in manifest.files}
    for path in sorted(set(listed) - set(actual)):
        problems.append(f"removed: {path}")
    for path in sorted(set(actual) - set(listed)):
        problems.append(f"added: {path}")
    for path in sorted(set(listed) & set(actual)):
        if listed[path].sha256 != actual[path].sha256 or listed[path].size != actual[path].size:
            problems.append(f"changed: {path}")
    return VerifyReport(bundle, manifest, tuple(problems), signer)
