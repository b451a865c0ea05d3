"""Trust for X.509 signers: a trust directory (CA and signer certificates, ``revoked.txt``, CRLs)
and chain verification (validity with a small clock skew, CA constraints, revocation).

Split from :mod:`secaudit.sign.x509`, which makes and loads signing identities.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from secaudit.errors import SigningError, VerificationError
from secaudit.sign.x509 import (
    MAX_CHAIN,
    REVOKED_FILE,
    check_signing_usage,
    describe,
    fmt_time,
    key_id,
    load_certificates,
)

_KEY_ID = re.compile(r"^[0-9a-f]{64}$")
_SERIAL = re.compile(r"^(?:serial\s*[=:]\s*|0x)?([0-9a-f]+(?::[0-9a-f]+)*)$")


def parse_revocation_line(line: str) -> tuple[str, str | int] | None:
    """Parse one line of ``revoked.txt``: a 64-hex-digit key id, or a certificate serial in hex as
    ``openssl x509 -noout -serial`` prints it (``serial=`` / ``0x`` prefixes and colons allowed).
    ``#`` starts a comment. Returns ``("key_id", hex)``, ``("serial", int)`` or None (blank).

    Examples:
        >>> parse_revocation_line("serial=3A:5F  # lost laptop")
        ('serial', 14943)
        >>> parse_revocation_line("  # only a comment") is None
        True
        >>> parse_revocation_line("AB" * 32)[0]
        'key_id'
    """
    text = line.split("#", 1)[0].strip().lower()
    if not text:
        return None
    if _KEY_ID.match(text):
        return ("key_id", text)
    match = _SERIAL.match(text)
    if not match:
        raise ValueError(f"not a key id (64 hex digits) or a hex certificate serial: {text!r}")
    return ("serial", int(match.group(1).replace(":", ""), 16))


class TrustStore:
    """Trusted certificates (CA or pinned self-signed), revocations and CRLs from one folder.

    * ``*.crt`` / ``*.pem``: certificates (PEM, several per file allowed; DER for ``.crt``).
    * ``revoked.txt``: one key id or certificate serial per line (see :func:`parse_revocation_line`).
    * ``*.crl``: CRLs (PEM or DER); each must be signed by the issuer of the certificates it lists.

    Serial revocations in ``revoked.txt`` match any issuer (serials are random 64+ bit numbers).
    """

    __slots__ = ("_crls", "anchors", "description", "revoked_key_ids", "revoked_serials")

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise SigningError(f"{directory}: trust store folder does not exist")
        anchors: list[x509.Certificate] = []
        crls: list[tuple[Path, x509.CertificateRevocationList]] = []
        for path in sorted(directory.iterdir()):
            if not path.is_file():
                continue
            suffix = path.suffix.lower()
            if suffix in {".crt", ".pem"}:
                anchors.extend(load_certificates(path))
            elif suffix == ".crl":
                crls.append((path, _load_crl(path)))
        if not anchors:
            raise SigningError(f"{directory}: trust store has no certificates (*.crt, *.pem)")
        key_ids: set[str] = set()
        serials: set[int] = set()
        revoked = directory / REVOKED_FILE
        if revoked.is_file():
            for number, line in enumerate(revoked.read_text(encoding="utf-8").splitlines(), start=1):
                try:
                    entry = parse_revocation_line(line)
                except ValueError as exc:
                    raise SigningError(f"{revoked}:{number}: {exc}") from None
                if entry is None:
                    continue
                if entry[0] == "key_id":
                    key_ids.add(str(entry[1]))
                else:
                    serials.add(int(entry[1]))
        self._setup(anchors, key_ids, serials, crls, str(directory))

    @classmethod
    def from_certificates(
        cls,
        anchors: Iterable[x509.Certificate],
        *,
        revoked_key_ids: Iterable[str] = (),
        revoked_serials: Iterable[int] = (),
        crls: Iterable[x509.CertificateRevocationList] = (),
    ) -> TrustStore:
        """An in-memory trust store (no folder)."""
        store = cls.__new__(cls)
        store._setup(
            list(anchors),
            {k.lower() for k in revoked_key_ids},
            set(revoked_serials),
            [(Path("<memory>"), crl) for crl in crls],
            "<memory>",
        )
        return store

    def _setup(
        self,
        anchors: list[x509.Certificate],
        key_ids: set[str],
        serials: set[int],
        crls: list[tuple[Path, x509.CertificateRevocationList]],
        description: str,
    ) -> None:
        if not anchors:
            raise SigningError("a trust store needs at least one certificate")
        self.anchors: tuple[x509.Certificate, ...] = tuple(anchors)
        self.revoked_key_ids: frozenset[str] = frozenset(key_ids)
        self.revoked_serials: frozenset[int] = frozenset(serials)
        self._crls: tuple[tuple[Path, x509.CertificateRevocationList], ...] = tuple(crls)
        self.description: str = description

    def is_anchor(self, cert: x509.Certificate) -> bool:
        """True when ``cert`` itself is one of the trusted certificates."""
        return any(cert == anchor for anchor in self.anchors)

    def revocation(self, cert: x509.Certificate) -> str | None:
        """Why ``cert`` is listed in ``revoked.txt`` (None when it is not)."""
        kid = key_id(cert)
        if kid in self.revoked_key_ids:
            return f"key id {kid} is listed in {REVOKED_FILE}"
        if cert.serial_number in self.revoked_serials:
            return f"serial {cert.serial_number:x} is listed in {REVOKED_FILE}"
        return None

    def crl_revocation(self, cert: x509.Certificate, issuer: x509.Certificate) -> str | None:
        """Why a CRL from ``issuer`` revokes ``cert`` (None when none does). A CRL naming the issuer
        but not signed by it is an error, not a silent pass."""
        for path, crl in self._crls:
            if crl.issuer != cert.issuer:
                continue
            public = issuer.public_key()
            if not isinstance(public, ec.EllipticCurvePublicKey | rsa.RSAPublicKey) or not (
                crl.is_signature_valid(public)
            ):
                raise VerificationError(f"{path}: CRL is not signed by its issuer {describe(issuer)}")
            entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            if entry is not None:
                return f"revoked on {fmt_time(entry.revocation_date_utc)} by CRL {path.name}"
        return None


def _load_crl(path: Path) -> x509.CertificateRevocationList:
    data = path.read_bytes()
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError:
        raise SigningError(f"{path}: not a PEM or DER CRL") from None


# --- chain verification ------------------------------------------------------------------------


def _check_time(cert: x509.Certificate, at: datetime) -> None:
    if at < cert.not_valid_before_utc:
        raise VerificationError(
            f"certificate {describe(cert)} is not valid before {fmt_time(cert.not_valid_before_utc)} "
            f"(checked at {fmt_time(at)})"
        )
    if at > cert.not_valid_after_utc:
        raise VerificationError(
            f"certificate {describe(cert)} expired on {fmt_time(cert.not_valid_after_utc)} "
            f"(checked at {fmt_time(at)})"
        )


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _check_ca(cert: x509.Certificate) -> None:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise VerificationError(f"certificate {describe(cert)} issued another certificate but is not a CA")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not usage.key_cert_sign:
        raise VerificationError(f"CA certificate {describe(cert)} lacks the keyCertSign key usage")


def verify_chain(
    cert: x509.Certificate,
    trust: TrustStore,
    at: datetime,
    *,
    intermediates: Sequence[x509.Certificate] = (),
) -> tuple[x509.Certificate, ...]:
    """Check that ``cert`` may sign at time ``at`` (timezone-aware) and chains to ``trust``.

    Checks, for every certificate on the path: notBefore/notAfter, ``revoked.txt`` entries, CRLs of
    its issuer, the issuer's signature (and the self-signature of a self-signed anchor), CA flags of
    issuers, and the signing usage of ``cert``. ``intermediates`` (for example the certificates in a
    CMS) may bridge to an anchor but are never trusted themselves. Returns the path, leaf first.
    """
    if at.tzinfo is None:
        raise SigningError("verify_chain needs a timezone-aware time")
    check_signing_usage(cert)
    path = [cert]
    current = cert
    for _ in range(MAX_CHAIN):
        _check_time(current, at)
        reason = trust.revocation(current)
        if reason:
            raise VerificationError(f"certificate {describe(current)} is revoked: {reason}")
        if trust.is_anchor(current):
            if current.issuer == current.subject and not _issued_by(current, current):
                raise VerificationError(f"trusted certificate {describe(current)} has a bad self-signature")
            return tuple(path)
        candidates = [*trust.anchors, *intermediates]
        issuer = next(
            (
                c
                for c in candidates
                if c.subject == current.issuer and c != current and _issued_by(current, c)
            ),
            None,
        )
        if issuer is None:
            raise VerificationError(
                f"certificate {describe(current)} is not trusted: it is not in, and not issued by, any "
                f"certificate of the trust store {trust.description}"
            )
        _check_ca(issuer)
        reason = trust.crl_revocation(current, issuer)
        if reason:
            raise VerificationError(f"certificate {describe(current)} is revoked: {reason}")
        path.append(issuer)
        current = issuer
    raise VerificationError(f"certificate chain of {describe(cert)} is longer than {MAX_CHAIN}")
