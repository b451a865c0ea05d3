"""Auditor identities as X.509 certificates (the ``ecdsa-x509`` suite); trust is in :mod:`.trust`.

An identity is an ECDSA P-256 private key (PKCS#8 PEM, mode 0600, optionally encrypted) plus a
certificate: self-signed from :func:`generate_identity`, or issued by an organisation CA and loaded
with :func:`import_identity`. Bundles signed with it carry a detached CMS signature
(:mod:`secaudit.sign.cms`) that plain OpenSSL verifies::

    openssl cms -verify -binary -inform DER -in manifest.p7s -content manifest.json \\
        -CAfile signer.crt -out /dev/null

Generated certificates are end-entity certificates (``CA:FALSE``, critical) with key usage
``digitalSignature`` (critical) and extended key usage ``emailProtection`` + ``documentSigning``
(RFC 9336). ``emailProtection`` is what ``openssl cms -verify``'s default purpose (S/MIME signing)
requires when an EKU is present; a certificate whose EKU lacks it (code signing or document signing
only) fails with "unsuitable certificate purpose" unless ``-purpose any`` is given.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from secaudit.errors import SigningError, VerificationError

#: RFC 9336 id-kp-documentSigning
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
#: Extended key usages accepted on a signer certificate (when it has an EKU extension at all).
SIGNING_EKUS = frozenset(
    {
        ExtendedKeyUsageOID.EMAIL_PROTECTION,
        DOCUMENT_SIGNING,
        ExtendedKeyUsageOID.CODE_SIGNING,
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    }
)
REVOKED_FILE = "revoked.txt"
MAX_CHAIN = 8
CLOCK_SKEW = timedelta(minutes=5)

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey
_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)


# --- private files (shared with sm2.py) --------------------------------------------------------


def write_private_file(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 (never overwriting) and write ``data``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)


def read_private_file(path: Path) -> bytes:
    """Read a private key file; refuses files accessible by group or others."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{path}: cannot read private key: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningError(
            f"{path}: private key is accessible by group/others (mode {mode & 0o777:o}); chmod 600 it"
        )
    return data


# --- key ids and names -------------------------------------------------------------------------


def key_id(obj: x509.Certificate | PublicKey | SigningKey) -> str:
    """SHA-256 (hex) of the DER SubjectPublicKeyInfo of a certificate or key.

    Same as ``openssl x509 -in signer.crt -noout -pubkey | openssl pkey -pubin -outform DER |
    sha256sum``.

    Examples:
        >>> k = ec.derive_private_key(1, ec.SECP256R1())
        >>> key_id(k) == key_id(k.public_key())
        True
        >>> len(key_id(k))
        64
    """
    public = obj.public_key() if isinstance(obj, x509.Certificate | SigningKey) else obj
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def describe(cert: x509.Certificate) -> str:
    """Short human name of a certificate: subject and serial (hex)."""
    return f"'{cert.subject.rfc4514_string()}' (serial {cert.serial_number:x})"


def fmt_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# --- identities --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Identity:
    """An auditor's signing key and certificate (plus any intermediate certificates)."""

    key_path: Path
    cert_path: Path
    private_key: SigningKey = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def key_id(self) -> str:
        """SHA-256 of the SPKI DER (see :func:`key_id`)."""
        return key_id(self.certificate)


def generate_identity(
    out_dir: Path,
    name: str,
    *,
    common_name: str,
    organization: str | None = None,
    days: int = 730,
    passphrase: bytes | None = None,
    not_before: datetime | None = None,
    cert_name: str | None = None,
) -> Identity:
    """Write ``<name>.key`` (ECDSA P-256, PKCS#8 PEM, mode 0600, encrypted when a passphrase is
    given) and ``<cert_name>.crt`` (default ``<name>.crt``; self-signed, SHA-256, valid ``days``
    days from ``not_before``, which defaults to five minutes ago). Refuses to overwrite."""
    if days < 1:
        raise SigningError(f"certificate validity must be at least one day, not {days}")
    if not common_name.strip():
        raise SigningError("an identity needs a common name")
    out_dir.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = out_dir / f"{name}.key", out_dir / f"{cert_name or name}.crt"
    for path in (key_path, cert_path):
        if path.exists():
            raise SigningError(f"{path}: already exists; refusing to overwrite an identity")
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    subject = x509.Name(attributes)
    start = (not_before or datetime.now(UTC) - CLOCK_SKEW).astimezone(UTC).replace(microsecond=0)
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    write_private_file(
        key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return Identity(key_path, cert_path, key, certificate)


def load_certificates(path: Path) -> list[x509.Certificate]:
    """All certificates of a PEM file (or the one of a DER file)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{path}: cannot read certificate: {exc.strerror}") from None
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise SigningError(f"{path}: not a PEM or DER X.509 certificate") from None


def import_identity(key_path: Path, cert_path: Path, passphrase: bytes | None = None) -> Identity:
    """Load an identity: a private key (EC P-256/384/521 or RSA >= 2048, PKCS#8 or traditional PEM,
    mode 0600) and its certificate file (leaf first or anywhere; other certificates in the file are
    kept as intermediates). Checks that key and certificate match, that the certificate allows
    signing, and that it has not expired."""
    data = read_private_file(key_path)
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError:
        if passphrase:
            raise SigningError(f"{key_path}: a passphrase was given but the key is not encrypted") from None
        raise SigningError(f"{key_path}: private key is encrypted; a passphrase is needed") from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningError(f"{key_path}: not a readable private key (wrong passphrase or format)") from None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, _CURVES):
            raise SigningError(f"{key_path}: EC curve {key.curve.name} is not supported (use P-256)")
    elif isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise SigningError(f"{key_path}: RSA key of {key.key_size} bits is too short (2048 minimum)")
    else:
        raise SigningError(f"{key_path}: not an ECDSA or RSA private key (CMS cannot sign with it)")
    certificates = load_certificates(cert_path)
    wanted = key_id(key)
    leaves = [c for c in certificates if key_id(c) == wanted]
    if not leaves:
        raise SigningError(f"{cert_path}: no certificate in this file matches the private key {key_path}")
    leaf = leaves[0]
    try:
        check_signing_usage(leaf)
    except VerificationError as exc:
        raise SigningError(f"{cert_path}: {exc}") from None
    now = datetime.now(UTC)
    if now > leaf.not_valid_after_utc:
        raise SigningError(
            f"{cert_path}: certificate {describe(leaf)} expired on {fmt_time(leaf.not_valid_after_utc)}"
        )
    chain = tuple(c for c in certificates if c is not leaf)
    return Identity(key_path, cert_path, key, leaf, chain)


def check_signing_usage(cert: x509.Certificate) -> None:
    """Raise :class:`VerificationError` unless the certificate may sign documents: key usage (if
    present) has digitalSignature or nonRepudiation, extended key usage (if present) has one of
    :data:`SIGNING_EKUS`."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        pass
    else:
        if not (usage.digital_signature or usage.content_commitment):
            raise VerificationError(
                f"certificate {describe(cert)} does not allow signing (key usage lacks digitalSignature)"
            )
    try:
        extended = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not SIGNING_EKUS & set(extended):
        raise VerificationError(
            f"certificate {describe(cert)} does not allow document signing (extended key usage "
            "needs emailProtection, documentSigning, codeSigning or anyExtendedKeyUsage)"
        )


# --- trust store ---------------------------------------------------------------------------------
