"""Signature suites for bundles. The manifest names its suite; verification dispatches on it.

* ``ed25519``: ``manifest.sig`` (raw 64 bytes), ``signer.pub``, SHA-256 file digests.
* ``ecdsa-x509``: ``manifest.p7s`` (detached DER CMS, ECDSA P-256), ``signer.crt``, SHA-256;
  ``openssl cms -verify -binary -inform DER -in manifest.p7s -content manifest.json -CAfile C``.
* ``sm2``: ``manifest.sm2.sig`` (DER SEQUENCE{r, s}, ID 1234567812345678), ``signer.pub``, SM3;
  ``openssl pkeyutl -verify -pubin -inkey P -rawin -digest sm3 -pkeyopt distid:1234567812345678``.

Trust never comes from the ``signer.*`` file inside a bundle: verification takes the public key
(Ed25519, SM2) or a trust directory (X.509) from the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from secaudit.errors import SigningError, VerificationError
from secaudit.sign import sm2, trust, x509
from secaudit.sign.cms import sign_cms, verify_cms
from secaudit.sign.keys import key_id as ed25519_key_id
from secaudit.sign.keys import load_private_key

Suite = Literal["ed25519", "ecdsa-x509", "sm2"]
SIGNATURE_FILES: dict[str, str] = {
    "ed25519": "manifest.sig",
    "ecdsa-x509": "manifest.p7s",
    "sm2": "manifest.sm2.sig",
}
SM2_ID = "1234567812345678"


@dataclass(frozen=True, slots=True)
class Signer:
    """A ready-to-use signer of one suite."""

    suite: Suite
    key_id: str
    digest: Literal["sha256", "sm3"]
    extra_files: dict[str, bytes] = field(default_factory=dict)
    ed25519: Ed25519PrivateKey | None = None
    identity: x509.Identity | None = None
    sm2_key: sm2.SM2PrivateKey | None = None
    cosigner: Signer | None = None  # an ecdsa-x509 signer adding manifest.p7s beside the signature

    @property
    def signature_file(self) -> str:
        """Name of the signature file this suite writes."""
        return SIGNATURE_FILES[self.suite]

    def sign(self, data: bytes) -> bytes:
        """Sign the canonical manifest bytes."""
        if self.ed25519 is not None:
            return self.ed25519.sign(data)
        if self.identity is not None:
            return sign_cms(
                data, self.identity.private_key, self.identity.certificate, extra_certs=self.identity.chain
            )
        if self.sm2_key is not None:
            return sm2.sign_sm2(data, self.sm2_key, SM2_ID.encode())
        raise SigningError("signer has no key")


def with_cms_cosigner(signer: Signer, key: Path, cert: Path, passphrase: bytes | None = None) -> Signer:
    """``signer`` plus an X.509 co-signer: each bundle also gets ``manifest.p7s`` (detached CMS over
    the same ``manifest.json`` bytes) and ``signer.crt``, verifiable with ``openssl cms -verify``.

    For an Ed25519 or SM2 main signature (CMS with Ed25519 or SM2 cannot be made by
    ``cryptography`` nor by OpenSSL 3.0: docs/signing-notes.md), so the co-signing key is an
    ECDSA/RSA key with its certificate.
    """
    if signer.suite == "ecdsa-x509":
        raise SigningError(
            "the main signature is already CMS (manifest.p7s); a CMS co-signature adds nothing"
        )
    cosigner = load_signer(key, passphrase, cert)
    return replace(signer, cosigner=cosigner)


def load_signer(key: Path, passphrase: bytes | None = None, cert: Path | None = None) -> Signer:
    """Build a signer from key files: ``--cert`` selects X.509/CMS; otherwise Ed25519 or SM2 by key type."""
    if cert is not None:
        identity = x509.import_identity(key, cert, passphrase)
        pem = identity.certificate.public_bytes(serialization.Encoding.PEM)
        return Signer("ecdsa-x509", identity.key_id, "sha256", {"signer.crt": pem}, identity=identity)
    try:
        ed = load_private_key(key, passphrase)
    except SigningError as ed_error:
        try:
            sm2_key = sm2.load_sm2_private_key_file(key, passphrase)
        except (SigningError, VerificationError, ValueError, UnsupportedAlgorithm):
            raise ed_error from None
        pub = sm2_key.public_key
        return Signer("sm2", sm2.key_id(pub), "sm3", {"signer.pub": pub.spki_pem()}, sm2_key=sm2_key)
    pub_pem = ed.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Signer("ed25519", ed25519_key_id(ed.public_key()), "sha256", {"signer.pub": pub_pem}, ed25519=ed)


@dataclass(frozen=True, slots=True)
class Verifier:
    """What the verifier trusts: a pinned public key (Ed25519 or SM2) and/or an X.509 trust directory."""

    pubkey: Path | None = None
    trust: Path | None = None
    ed25519_key: Ed25519PublicKey | None = None

    def check(
        self, suite: str, key_id: str, manifest_bytes: bytes, signature: bytes, sm2_id: str | None
    ) -> str:
        """Verify one signature; returns a description of the signer. Raises VerificationError."""
        if suite == "ed25519":
            public = self._ed25519()
            problems = []
            try:
                public.verify(signature, manifest_bytes)
            except InvalidSignature:
                problems.append(
                    "manifest.sig does not verify over manifest.json with this public key "
                    "(manifest or signature changed, or wrong key)"
                )
            if key_id != ed25519_key_id(public):
                problems.append(f"manifest was signed by key {key_id[:16]}…, not by the given key")
            if problems:
                raise VerificationError("; ".join(problems))
            return f"Ed25519 key {key_id[:16]}"
        if suite == "ecdsa-x509":
            if self.trust is None:
                raise VerificationError(
                    "an X.509/CMS bundle needs --trust DIR (the signer or CA certificates)"
                )
            info = verify_cms(manifest_bytes, signature, trust.TrustStore(self.trust), at=datetime.now(UTC))
            if info.key_id != key_id:
                raise VerificationError("the CMS signer is not the key named in the manifest")
            return f"{info.subject} (X.509, key {info.key_id[:16]})"
        if suite == "sm2":
            if not sm2_id:
                raise VerificationError(
                    "an sm2 manifest must record its user ID (sm2_id); an empty ID is refused"
                )
            public_sm2 = self._sm2()
            problem = sm2.signature_problem(manifest_bytes, signature, public_sm2, sm2_id.encode())
            if problem:
                raise VerificationError(f"manifest.sm2.sig: {problem}")
            if key_id != sm2.key_id(public_sm2):
                raise VerificationError(
                    f"manifest was signed by SM2 key {key_id[:16]}…, not by the given key"
                )
            return f"SM2 key {key_id[:16]} (ID {sm2_id})"
        raise VerificationError(f"unknown signature suite {suite!r}")

    def _ed25519(self) -> Ed25519PublicKey:
        if self.ed25519_key is not None:
            return self.ed25519_key
        if self.pubkey is None:
            raise VerificationError("an Ed25519 bundle needs --pubkey FILE")
        try:
            key = serialization.load_pem_public_key(self.pubkey.read_bytes())
        except (OSError, ValueError, UnsupportedAlgorithm):
            raise VerificationError(f"{self.pubkey}: not an Ed25519 public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise VerificationError(f"{self.pubkey}: not an Ed25519 public key")
        return key

    def _sm2(self) -> sm2.SM2PublicKey:
        if self.pubkey is None:
            raise VerificationError("an sm2 bundle needs --pubkey FILE (the pinned SM2 public key)")
        try:
            return sm2.load_sm2_public_key_file(self.pubkey)
        except SigningError as exc:
            raise VerificationError(f"wrong key for an sm2 bundle: {exc}") from None
