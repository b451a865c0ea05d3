"""A CMS co-signature (`run --cosign KEY:CERT`): `manifest.p7s` beside the Ed25519 `manifest.sig`,
over the same manifest bytes; secaudit verifies either or both, and plain OpenSSL verifies both
with the commands the README shows."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from secaudit.errors import SigningError
from secaudit.sign.keys import generate_keypair
from secaudit.sign.manifest import RunStamp, sign_bundle, verify_bundle
from secaudit.sign.suites import Verifier, load_signer, with_cms_cosigner
from secaudit.sign.x509 import generate_identity

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
STAMP = RunStamp(
    run_id="20260101T000000Z-abcdef",
    tool_version="0.1.0",
    checks_digest="0" * 64,
    started_at="2026-01-01T00:00:00+00:00",
    finished_at="2026-01-01T00:01:00+00:00",
)


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, Path, Path]:
    keys = tmp_path / "keys"
    private, public, _ = generate_keypair(keys, "demo")
    ident = generate_identity(keys, "demo-cms", common_name="secaudit demo", cert_name="demo")
    assert ident.cert_path == keys / "demo.crt"
    bundle = tmp_path / "telecom"
    bundle.mkdir()
    (bundle / "findings.json").write_text('{"x": 1}\n')
    signer = with_cms_cosigner(load_signer(private), ident.key_path, ident.cert_path)
    sign_bundle(bundle, signer, STAMP)
    trust = tmp_path / "trust"
    trust.mkdir()
    shutil.copy(ident.cert_path, trust / "demo.crt")
    return bundle, public, trust


def test_bundle_carries_both_signatures(signed: tuple[Path, Path, Path]) -> None:
    bundle, public, trust = signed
    assert (bundle / "manifest.sig").is_file()
    assert (bundle / "manifest.p7s").is_file()
    assert '"signer.crt"' in (bundle / "manifest.json").read_text()  # the certificate is covered
    for verifier in (Verifier(pubkey=public), Verifier(trust=trust), Verifier(pubkey=public, trust=trust)):
        report = verify_bundle(bundle, verifier)
        assert report.ok, report.problems
    assert (
        "CMS co-signature CN=secaudit demo"
        in verify_bundle(bundle, Verifier(pubkey=public, trust=trust)).signer
    )


def test_a_changed_co_signature_is_caught(signed: tuple[Path, Path, Path]) -> None:
    bundle, public, trust = signed
    p7s = bundle / "manifest.p7s"
    data = bytearray(p7s.read_bytes())
    data[-5] ^= 0x01
    p7s.write_bytes(bytes(data))
    assert verify_bundle(bundle, Verifier(pubkey=public)).ok  # the Ed25519 signature is intact
    report = verify_bundle(bundle, Verifier(pubkey=public, trust=trust))
    assert not report.ok
    assert any(p.startswith("manifest.p7s:") for p in report.problems)


def test_a_cms_main_signature_takes_no_co_signature(tmp_path: Path) -> None:
    ident = generate_identity(tmp_path, "x", common_name="x")
    with pytest.raises(SigningError, match="already CMS"):
        with_cms_cosigner(load_signer(ident.key_path, cert=ident.cert_path), ident.key_path, ident.cert_path)


@needs_openssl
def test_openssl_verifies_both_as_the_readme_shows(signed: tuple[Path, Path, Path]) -> None:
    bundle, public, trust = signed
    cms = [
        "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "manifest.p7s",
        "-content", "manifest.json", "-CAfile", str(trust / "demo.crt"), "-out", "/dev/null",
    ]  # fmt: skip
    ed25519 = [
        "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(public), "-rawin",
        "-in", "manifest.json", "-sigfile", "manifest.sig",
    ]  # fmt: skip
    for command in (cms, ed25519):
        res = subprocess.run(command, cwd=bundle, capture_output=True, check=False)
        assert res.returncode == 0, res.stderr
    (bundle / "manifest.json").write_bytes(
        (bundle / "manifest.json").read_bytes().replace(b"0.1.0", b"0.1.1")
    )
    for command in (cms, ed25519):
        assert subprocess.run(command, cwd=bundle, capture_output=True, check=False).returncode != 0
