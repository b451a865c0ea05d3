"""The ecdsa-x509 suite: identities, trust stores, chain checks, detached CMS and `openssl cms -verify`."""

from __future__ import annotations

import shutil
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from secaudit.errors import SigningError, VerificationError
from secaudit.sign.cms import sign_cms, verify_cms
from secaudit.sign.trust import TrustStore, verify_chain
from secaudit.sign.x509 import (
    DOCUMENT_SIGNING,
    Identity,
    generate_identity,
    import_identity,
    key_id,
)

MANIFEST = b'{"algorithm":"ecdsa-x509","bundle":"telecom","files":[]}\n'
NOW = datetime.now(UTC)

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")


def cms_verify(cwd: Path, ca_file: str) -> subprocess.CompletedProcess[bytes]:
    """The documented command, run without a shell."""
    command = [
        "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "manifest.p7s",
        "-content", "manifest.json", "-CAfile", ca_file, "-out", "/dev/null",
    ]  # fmt: skip
    return subprocess.run(command, cwd=cwd, capture_output=True, check=False)


def trust_dir(tmp_path: Path, *certs: Path, revoked: str | None = None, name: str = "trust") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for cert in certs:
        shutil.copy(cert, folder / cert.name)
    if revoked is not None:
        (folder / "revoked.txt").write_text(revoked)
    return folder


@pytest.fixture
def identity(tmp_path: Path) -> Identity:
    return generate_identity(tmp_path / "keys", "auditor", common_name="Auditor A", organization="ACME Audit")


def test_self_signed_round_trip(tmp_path: Path, identity: Identity) -> None:
    assert stat.S_IMODE(identity.key_path.stat().st_mode) == 0o600
    cert = identity.certificate
    assert cert.signature_hash_algorithm is not None and cert.signature_hash_algorithm.name == "sha256"
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    eku = set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert eku == {ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING}
    loaded = import_identity(identity.key_path, identity.cert_path)
    assert loaded.key_id == identity.key_id == key_id(identity.private_key)
    p7s = sign_cms(MANIFEST, loaded.private_key, loaded.certificate)
    signer = verify_cms(MANIFEST, p7s, TrustStore(trust_dir(tmp_path, identity.cert_path)))
    assert signer.key_id == identity.key_id
    assert "CN=Auditor A" in signer.subject and "O=ACME Audit" in signer.subject
    assert signer.digest_algorithm == "sha256"
    assert signer.signing_time is not None and abs(signer.signing_time - NOW) < timedelta(hours=1)
    with pytest.raises(SigningError, match="refusing to overwrite"):
        generate_identity(tmp_path / "keys", "auditor", common_name="x")


def test_tampering_detected(tmp_path: Path, identity: Identity) -> None:
    trust = TrustStore(trust_dir(tmp_path, identity.cert_path))
    p7s = sign_cms(MANIFEST, identity.private_key, identity.certificate)
    with pytest.raises(VerificationError, match="does not match the digest"):
        verify_cms(MANIFEST.replace(b"telecom", b"telecon"), p7s, trust)
    broken = bytearray(p7s)
    broken[-10] ^= 0x01  # inside the ECDSA signature value, the last field of the SignerInfo
    with pytest.raises(VerificationError, match="does not verify with the signer certificate"):
        verify_cms(MANIFEST, bytes(broken), trust)
    with pytest.raises(VerificationError, match="not a DER CMS"):
        verify_cms(MANIFEST, b"\x30\x03\x02\x01\x01", trust)


@needs_openssl
def test_openssl_cms_verify_documented_command(tmp_path: Path, identity: Identity) -> None:
    (tmp_path / "manifest.json").write_bytes(MANIFEST)
    (tmp_path / "manifest.p7s").write_bytes(sign_cms(MANIFEST, identity.private_key, identity.certificate))
    shutil.copy(identity.cert_path, tmp_path / "signer.crt")
    done = cms_verify(tmp_path, "signer.crt")
    assert done.returncode == 0, done.stderr
    assert b"Verification successful" in done.stderr
    changed = bytearray(MANIFEST)
    changed[2] ^= 0x01
    (tmp_path / "manifest.json").write_bytes(bytes(changed))
    assert cms_verify(tmp_path, "signer.crt").returncode != 0


def test_expired_certificate_rejected_naming_the_date(tmp_path: Path) -> None:
    start = datetime(2024, 3, 1, tzinfo=UTC)
    old = generate_identity(tmp_path / "keys", "old", common_name="Old", days=30, not_before=start)
    trust = TrustStore(trust_dir(tmp_path, old.cert_path))
    p7s = sign_cms(MANIFEST, old.private_key, old.certificate)
    with pytest.raises(VerificationError, match=r"expired on 2024-03-31 00:00:00 UTC"):
        verify_cms(MANIFEST, p7s, trust)
    with pytest.raises(VerificationError, match="is not valid before 2024-03-01"):
        verify_chain(old.certificate, trust, datetime(2024, 2, 1, tzinfo=UTC))
    signer = verify_cms(MANIFEST, p7s, trust, at=datetime(2024, 3, 15, tzinfo=UTC))
    assert signer.key_id == old.key_id
    with pytest.raises(SigningError, match="expired on 2024-03-31"):
        import_identity(old.key_path, old.cert_path)


def test_revoked_key_id_and_serial_rejected(tmp_path: Path, identity: Identity) -> None:
    p7s = sign_cms(MANIFEST, identity.private_key, identity.certificate)
    by_key = TrustStore(
        trust_dir(tmp_path, identity.cert_path, revoked=f"# lost laptop\n{identity.key_id}  # 2026-01\n")
    )
    with pytest.raises(VerificationError, match=f"revoked: key id {identity.key_id}"):
        verify_cms(MANIFEST, p7s, by_key)
    serial = f"serial={identity.certificate.serial_number:X}\n"
    by_serial = TrustStore(trust_dir(tmp_path, identity.cert_path, revoked=serial, name="t2"))
    with pytest.raises(VerificationError, match="revoked: serial"):
        verify_cms(MANIFEST, p7s, by_serial)
    with pytest.raises(SigningError, match=r"revoked.txt:1: not a key id"):
        TrustStore(trust_dir(tmp_path, identity.cert_path, revoked="not-hex!\n", name="t3"))


def test_wrong_trust_store_rejected(tmp_path: Path, identity: Identity) -> None:
    other = generate_identity(tmp_path / "other", "other", common_name="Auditor A")  # same name, other key
    p7s = sign_cms(MANIFEST, identity.private_key, identity.certificate)
    with pytest.raises(VerificationError, match="not trusted"):
        verify_cms(MANIFEST, p7s, TrustStore(trust_dir(tmp_path, other.cert_path)))
    with pytest.raises(SigningError, match="no certificates"):
        TrustStore(trust_dir(tmp_path, name="empty"))


def test_passphrase_protected_key(tmp_path: Path) -> None:
    ident = generate_identity(tmp_path / "keys", "p", common_name="P", passphrase=b"correct horse")
    assert b"ENCRYPTED PRIVATE KEY" in ident.key_path.read_bytes()
    with pytest.raises(SigningError, match="passphrase is needed"):
        import_identity(ident.key_path, ident.cert_path)
    with pytest.raises(SigningError, match="wrong passphrase"):
        import_identity(ident.key_path, ident.cert_path, b"battery staple")
    assert import_identity(ident.key_path, ident.cert_path, b"correct horse").key_id == ident.key_id
    ident.key_path.chmod(0o640)
    with pytest.raises(SigningError, match="chmod 600"):
        import_identity(ident.key_path, ident.cert_path, b"correct horse")


# --- an organisation CA ------------------------------------------------------------------------


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _organisation(tmp_path: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate, Path, Path, Path]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Org Root CA"))
        .issuer_name(_name("Org Root CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("Auditor B"))
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    org = tmp_path / "org"
    org.mkdir()
    key_path, cert_path, ca_path = org / "b.key", org / "b.crt", org / "ca.crt"
    key_path.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return ca_key, ca, key_path, cert_path, ca_path


def test_organisation_ca_chain_and_crl(tmp_path: Path) -> None:
    ca_key, ca, key_path, cert_path, ca_path = _organisation(tmp_path)
    ident = import_identity(key_path, cert_path)
    p7s = sign_cms(MANIFEST, ident.private_key, ident.certificate)
    signer = verify_cms(MANIFEST, p7s, TrustStore(trust_dir(tmp_path, ca_path)))
    assert [c.subject.rfc4514_string() for c in signer.chain] == ["CN=Auditor B", "CN=Org Root CA"]
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(NOW - timedelta(hours=1))
        .next_update(NOW + timedelta(days=7))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(ident.certificate.serial_number)
            .revocation_date(NOW - timedelta(minutes=30))
            .build()
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder = trust_dir(tmp_path, ca_path, name="with-crl")
    (folder / "org.crl").write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(VerificationError, match=r"revoked on .* by CRL org\.crl"):
        verify_cms(MANIFEST, p7s, TrustStore(folder))
    with pytest.raises(SigningError, match="no certificate in this file matches"):
        import_identity(key_path, ca_path)


@needs_openssl
def test_openssl_accepts_organisation_chain(tmp_path: Path) -> None:
    _, _, key_path, cert_path, ca_path = _organisation(tmp_path)
    ident = import_identity(key_path, cert_path)
    (tmp_path / "manifest.json").write_bytes(MANIFEST)
    (tmp_path / "manifest.p7s").write_bytes(sign_cms(MANIFEST, ident.private_key, ident.certificate))
    done = cms_verify(tmp_path, str(ca_path))
    assert done.returncode == 0, done.stderr


@needs_openssl
@pytest.mark.parametrize("extra", [[], ["-keyid"], ["-noattr"]])
def test_openssl_made_cms_verified_by_secaudit(tmp_path: Path, identity: Identity, extra: list[str]) -> None:
    (tmp_path / "manifest.json").write_bytes(MANIFEST)
    sign = [
        "openssl", "cms", "-sign", "-binary", "-in", "manifest.json", "-signer", str(identity.cert_path),
        "-inkey", str(identity.key_path), "-outform", "DER", "-out", "manifest.p7s", *extra,
    ]  # fmt: skip
    done = subprocess.run(sign, cwd=tmp_path, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    p7s = (tmp_path / "manifest.p7s").read_bytes()
    trust = TrustStore(trust_dir(tmp_path, identity.cert_path))
    assert verify_cms(MANIFEST, p7s, trust).key_id == identity.key_id
    with pytest.raises(VerificationError):
        verify_cms(MANIFEST + b" ", p7s, trust)
