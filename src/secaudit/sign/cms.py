"""Detached CMS (PKCS#7) signatures over the manifest, verifiable with plain OpenSSL.

``sign_cms`` builds a DER SignedData with ``cryptography``'s ``PKCS7SignatureBuilder``
(DetachedSignature + Binary; ECDSA P-256 + SHA-256 for generated identities; signed attributes
contentType, signingTime, messageDigest, smimeCapabilities; the signer certificate included).
``cryptography`` has no CMS verification API (only ``load_der_pkcs7_certificates``, which returns
the certificates), so ``verify_cms`` parses the structure with ``asn1crypto`` and checks the
signature with ``cryptography``, then the signer certificate with :func:`secaudit.sign.trust.verify_chain`.

OpenSSL equivalent (the caller stores the output as ``manifest.p7s``)::

    openssl cms -verify -binary -inform DER -in manifest.p7s -content manifest.json \\
        -CAfile signer.crt -out /dev/null
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms as asn1_cms  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from secaudit.errors import SigningError, VerificationError
from secaudit.sign.trust import TrustStore, verify_chain
from secaudit.sign.x509 import SigningKey, describe, key_id

CMS_SIGNATURE = "manifest.p7s"
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
# asn1crypto name of signatureAlgorithm -> (key family, hash bound by the OID or None)
_SIGNATURES: dict[str, tuple[str, str | None]] = {
    "ecdsa": ("ecdsa", None),
    "rsassa_pkcs1v15": ("rsa", None),
    **{f"{h}_ecdsa": ("ecdsa", h) for h in ("sha256", "sha384", "sha512")},
    **{f"{h}_rsa": ("rsa", h) for h in ("sha256", "sha384", "sha512")},
}


@dataclass(frozen=True, slots=True)
class SignerInfo:
    """Who signed a verified CMS signature, and how."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    key_id: str
    subject: str
    serial: int
    digest_algorithm: str
    signing_time: datetime | None


def sign_cms(
    manifest_bytes: bytes,
    key: SigningKey,
    cert: x509.Certificate,
    *,
    extra_certs: Sequence[x509.Certificate] = (),
) -> bytes:
    """Detached DER CMS SignedData over ``manifest_bytes`` (SHA-256), with ``cert`` (and
    ``extra_certs``, e.g. intermediates) included."""
    if key_id(key) != key_id(cert):
        raise SigningError(f"the signing key does not match certificate {describe(cert)}")
    builder = pkcs7.PKCS7SignatureBuilder().set_data(manifest_bytes).add_signer(cert, key, hashes.SHA256())
    for extra in extra_certs:
        builder = builder.add_certificate(extra)
    return builder.sign(
        serialization.Encoding.DER,
        [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
    )


def _fail(message: str) -> VerificationError:
    return VerificationError(f"{CMS_SIGNATURE}: {message}")


def _parse(p7s_bytes: bytes) -> tuple[Any, Any, list[Any]]:
    """Return (SignedData, the single SignerInfo, asn1crypto certificates)."""
    try:
        info = asn1_cms.ContentInfo.load(p7s_bytes, strict=True)
        if info["content_type"].native != "signed_data":
            raise _fail(f"not a CMS SignedData (content type {info['content_type'].dotted})")
        signed = info["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "data":
            raise _fail(f"signed content type is {encap['content_type'].dotted}, not data")
        if encap["content"].native is not None:
            raise _fail("the signature is not detached (it embeds content)")
        signers = list(signed["signer_infos"])
        certificates = [c.chosen for c in signed["certificates"] or () if c.name == "certificate"]
    except (ValueError, TypeError, KeyError):
        raise _fail("not a DER CMS structure") from None
    if len(signers) != 1:
        raise _fail(f"expected exactly one signer, found {len(signers)}")
    return signed, signers[0], certificates


def _signer_certificate(
    signer: Any, certificates: list[Any]
) -> tuple[x509.Certificate, list[x509.Certificate]]:
    sid = signer["sid"]
    chosen = None
    for cert in certificates:
        if sid.name == "issuer_and_serial_number":
            if (
                cert.issuer == sid.chosen["issuer"]
                and cert.serial_number == sid.chosen["serial_number"].native
            ):
                chosen = cert
                break
        elif cert.key_identifier is not None and cert.key_identifier == sid.chosen.native:
            chosen = cert
            break
    if chosen is None:
        raise _fail("the signer's certificate is not included")
    try:
        others = [x509.load_der_x509_certificate(c.dump()) for c in certificates if c is not chosen]
        return x509.load_der_x509_certificate(chosen.dump()), others
    except ValueError:
        raise _fail("contains a malformed certificate") from None


def _attribute(attrs: Any, name: str) -> list[Any]:
    values: list[Any] = []
    for attr in attrs:
        if attr["type"].native == name:
            values.extend(attr["values"])
    return values


def verify_cms(
    manifest_bytes: bytes,
    p7s_bytes: bytes,
    trust: TrustStore,
    *,
    at: datetime | None = None,
) -> SignerInfo:
    """Verify a detached CMS signature over ``manifest_bytes`` and its signer against ``trust``.

    Certificates are checked at ``at`` (default: now, as ``openssl cms -verify`` does; pass the
    signing time to accept bundles whose certificate has expired since). Raises
    :class:`VerificationError` naming the first problem.
    """
    _signed, signer, certificates = _parse(p7s_bytes)
    try:
        digest_name = str(signer["digest_algorithm"]["algorithm"].native)
        signature_algorithm = signer["signature_algorithm"]
        signature_name = str(signature_algorithm["algorithm"].native)
        signature = bytes(signer["signature"].native)
        attrs = signer["signed_attrs"]
        has_attrs = attrs.native is not None and len(attrs) > 0
    except (ValueError, TypeError, KeyError):
        raise _fail("malformed SignerInfo") from None
    if digest_name not in _HASHES:
        raise _fail(f"unsupported digest algorithm {digest_name}")
    algorithm = _HASHES[digest_name]()
    certificate, others = _signer_certificate(signer, certificates)
    signing_time: datetime | None = None
    if has_attrs:
        try:
            content_types = [v.native for v in _attribute(attrs, "content_type")]
            digests = [bytes(v.native) for v in _attribute(attrs, "message_digest")]
            times = [v.native for v in _attribute(attrs, "signing_time")]
            signed_bytes = b"\x31" + bytes(attrs.dump())[1:]  # signed over the SET OF, not [0]
        except (ValueError, TypeError, KeyError):
            raise _fail("malformed signed attributes") from None
        if content_types != ["data"]:
            raise _fail("signed attributes lack content-type data")
        if len(digests) != 1:
            raise _fail("signed attributes need exactly one message digest")
        actual = hashes.Hash(algorithm)
        actual.update(manifest_bytes)
        if not hmac.compare_digest(actual.finalize(), digests[0]):
            raise VerificationError(
                f"manifest.json does not match the digest signed in {CMS_SIGNATURE} (changed after signing)"
            )
        if len(times) == 1 and isinstance(times[0], datetime):
            signing_time = times[0].astimezone(UTC)
    else:
        signed_bytes = manifest_bytes
    _check_signature(
        certificate,
        signature_name=signature_name,
        digest_name=digest_name,
        signature=signature,
        signed_bytes=signed_bytes,
        algorithm=algorithm,
    )
    chain = verify_chain(certificate, trust, at or datetime.now(UTC), intermediates=others)
    return SignerInfo(
        certificate=certificate,
        chain=chain,
        key_id=key_id(certificate),
        subject=certificate.subject.rfc4514_string(),
        serial=certificate.serial_number,
        digest_algorithm=digest_name,
        signing_time=signing_time,
    )


def _check_signature(
    certificate: x509.Certificate,
    *,
    signature_name: str,
    digest_name: str,
    signature: bytes,
    signed_bytes: bytes,
    algorithm: hashes.HashAlgorithm,
) -> None:
    public = certificate.public_key()
    if signature_name not in _SIGNATURES:
        raise _fail(f"unsupported signature algorithm {signature_name}")
    family, bound_hash = _SIGNATURES[signature_name]
    if bound_hash is not None and bound_hash != digest_name:
        raise _fail(f"signature algorithm {signature_name} does not match digest {digest_name}")
    try:
        if family == "ecdsa" and isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, signed_bytes, ec.ECDSA(algorithm))
        elif family == "rsa" and isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, signed_bytes, padding.PKCS1v15(), algorithm)
        else:
            raise _fail(f"signature algorithm {signature_name} does not fit the signer's key")
    except InvalidSignature:
        raise VerificationError(
            f"{CMS_SIGNATURE} does not verify with the signer certificate's key "
            "(signature or signed attributes changed)"
        ) from None
