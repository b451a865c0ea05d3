"""Sign/verify round trip plus one tamper test per kind of change."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from secaudit.errors import SigningError
from secaudit.sign.keys import generate_keypair, load_private_key, load_public_key
from secaudit.sign.manifest import MANIFEST, SIGNATURE, RunStamp, sign_bundle, verify_bundle

STAMP = RunStamp(
    "20260101T000000Z-abcdef", "0.1.0", "0" * 64, "2026-01-01T00:00:00+00:00", "2026-01-01T00:01:00+00:00"
)


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public, _ = generate_keypair(tmp_path / "keys", "t")
    return private, public


@pytest.fixture
def bundle(tmp_path: Path, keys: tuple[Path, Path]) -> Path:
    b = tmp_path / "telecom"
    (b / "evidence" / "h1").mkdir(parents=True)
    (b / "report.html").write_text("<html>ok</html>")
    (b / "findings.json").write_text("{}\n")
    (b / "evidence" / "h1" / "x.txt").write_text("return\n")
    sign_bundle(b, load_private_key(keys[0]), STAMP)
    return b


def problems(bundle: Path, keys: tuple[Path, Path]) -> tuple[str, ...]:
    return verify_bundle(bundle, load_public_key(keys[1])).problems


def test_round_trip(bundle: Path, keys: tuple[Path, Path]) -> None:
    report = verify_bundle(bundle, load_public_key(keys[1]))
    assert report.ok
    assert report.manifest is not None
    assert {f.path for f in report.manifest.files} == {"report.html", "findings.json", "evidence/h1/x.txt"}


def test_private_key_mode_is_0600(keys: tuple[Path, Path]) -> None:
    assert stat.S_IMODE(keys[0].stat().st_mode) == 0o600


def test_changed_file(bundle: Path, keys: tuple[Path, Path]) -> None:
    (bundle / "report.html").write_text("<html>forged</html>")
    assert problems(bundle, keys) == ("changed: report.html",)


def test_added_file(bundle: Path, keys: tuple[Path, Path]) -> None:
    (bundle / "extra.txt").write_text("x")
    assert problems(bundle, keys) == ("added: extra.txt",)


def test_removed_file(bundle: Path, keys: tuple[Path, Path]) -> None:
    (bundle / "evidence" / "h1" / "x.txt").unlink()
    assert problems(bundle, keys) == ("removed: evidence/h1/x.txt",)


def test_changed_manifest(bundle: Path, keys: tuple[Path, Path]) -> None:
    data = (bundle / MANIFEST).read_bytes().replace(b'"tool_version":"0.1.0"', b'"tool_version":"9.9.9"')
    (bundle / MANIFEST).write_bytes(data)
    found = problems(bundle, keys)
    assert any("does not verify" in p for p in found)


def test_changed_signature(bundle: Path, keys: tuple[Path, Path]) -> None:
    sig = bytearray((bundle / SIGNATURE).read_bytes())
    sig[0] ^= 1
    (bundle / SIGNATURE).write_bytes(bytes(sig))
    assert any("does not verify" in p for p in problems(bundle, keys))


def test_truncated_signature(bundle: Path, keys: tuple[Path, Path]) -> None:
    (bundle / SIGNATURE).write_bytes((bundle / SIGNATURE).read_bytes()[:10])
    assert any("does not verify" in p for p in problems(bundle, keys))


def test_missing_signature(bundle: Path, keys: tuple[Path, Path]) -> None:
    (bundle / SIGNATURE).unlink()
    assert problems(bundle, keys) == (f"{SIGNATURE} is missing",)


def test_wrong_key(bundle: Path, tmp_path: Path) -> None:
    _, other_pub, _ = generate_keypair(tmp_path / "other", "o")
    found = verify_bundle(bundle, load_public_key(other_pub)).problems
    assert any("does not verify" in p for p in found)
    assert any("not by the given key" in p for p in found)


def test_symlink_refused(bundle: Path, keys: tuple[Path, Path]) -> None:
    (bundle / "link.txt").symlink_to("/etc/hostname")
    assert any("symlink" in p for p in problems(bundle, keys))


def test_non_canonical_manifest(bundle: Path, keys: tuple[Path, Path]) -> None:
    # Same JSON content, different bytes: the signature no longer matches and the form is flagged.
    import json

    data = json.loads((bundle / MANIFEST).read_bytes())
    (bundle / MANIFEST).write_text(json.dumps(data, indent=2))
    found = problems(bundle, keys)
    assert any("canonical" in p for p in found)


def test_encrypted_key_needs_passphrase(tmp_path: Path) -> None:
    private, _, _ = generate_keypair(tmp_path, "enc", b"correct horse")
    with pytest.raises(SigningError, match="passphrase"):
        load_private_key(private)
    with pytest.raises(SigningError, match="wrong passphrase"):
        load_private_key(private, b"wrong")
    assert load_private_key(private, b"correct horse") is not None


def test_group_readable_key_refused(keys: tuple[Path, Path]) -> None:
    keys[0].chmod(0o640)
    with pytest.raises(SigningError, match="chmod 600"):
        load_private_key(keys[0])


def test_refuses_to_overwrite(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    with pytest.raises(SigningError, match="already exists"):
        generate_keypair(keys[0].parent, "t")


def test_bundle_of_an_incomplete_run_never_verifies(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    b = tmp_path / ".partial-20260101T000000Z-abcdef" / "telecom"
    b.mkdir(parents=True)
    (b / "report.html").write_text("x")
    sign_bundle(b, load_private_key(keys[0]), STAMP)
    found = problems(b, keys)
    assert found == ("bundle belongs to an incomplete run (.partial-*: never renamed into place)",)


def test_bundle_signed_by_an_expired_certificate_is_invalid(tmp_path: Path) -> None:
    import subprocess
    import sys
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives import serialization

    from secaudit.sign.suites import Signer
    from secaudit.sign.x509 import generate_identity

    ident = generate_identity(
        tmp_path / "k",
        "old",
        common_name="Old auditor",
        days=30,
        not_before=datetime.now(UTC) - timedelta(days=400),
    )
    b = tmp_path / "run" / "telecom"
    b.mkdir(parents=True)
    (b / "report.html").write_text("x")
    pem = ident.certificate.public_bytes(serialization.Encoding.PEM)
    sign_bundle(b, Signer("ecdsa-x509", ident.key_id, "sha256", {"signer.crt": pem}, identity=ident), STAMP)
    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "old.crt").write_bytes(pem)
    proc = subprocess.run(
        [sys.executable, "-m", "secaudit", "verify", str(b), "--trust", str(trust)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "expired" in proc.stdout
    assert "Traceback" not in proc.stderr
