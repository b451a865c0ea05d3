"""The sm2 suite: GM/T 0003.5 known answer, OpenSSL interop both ways, strict negatives, properties."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secaudit.errors import SigningError, VerificationError
from secaudit.sign.sm2 import (
    DEFAULT_ID,
    GX,
    GY,
    A,
    B,
    N,
    SM2PrivateKey,
    SM2PublicKey,
    _backend_sign,
    decode_signature,
    encode_signature,
    generate_sm2_keypair,
    key_id,
    load_sm2_private_key,
    load_sm2_private_key_file,
    load_sm2_public_key,
    load_sm2_public_key_file,
    sign_sm2,
    signature_problem,
    sm3_hex,
    verify_sm2,
)

# GM/T 0003.5-2012 Annex A (quoted in OpenSSL test/sm2_internal_test.c, sm2_sig_test)
KAT_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
KAT_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
KAT_X = 0x09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020
KAT_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
KAT_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
KAT_ZA = "b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3"
KAT_MSG = b"message digest"

KEY = SM2PrivateKey.from_scalar(KAT_D)
MANIFEST = b'{"algorithm":"sm2","bundle":"telecom","files":[]}\n'
DISTID = "distid:1234567812345678"


def _openssl_has_sm2() -> bool:
    if shutil.which("openssl") is None:
        return False
    out = subprocess.run(
        ["openssl", "list", "-public-key-algorithms"], capture_output=True, text=True, check=False
    )
    return out.returncode == 0 and "SM2" in out.stdout


needs_openssl_sm2 = pytest.mark.skipif(
    not _openssl_has_sm2(), reason="openssl with SM2 (openssl list -public-key-algorithms) not available"
)


def openssl(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, input=stdin, check=False)


# --- known answers ---------------------------------------------------------------------------


def test_sm3_vectors() -> None:
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3_hex(b"abcd" * 16) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_kat_public_key_and_za() -> None:
    assert KEY.public_key.x == KAT_X
    entl = (len(DEFAULT_ID) * 8).to_bytes(2, "big")
    za_input = (
        entl
        + DEFAULT_ID
        + b"".join(v.to_bytes(32, "big") for v in (A, B, GX, GY, KEY.public_key.x, KEY.public_key.y))
    )
    assert sm3_hex(za_input) == KAT_ZA


def test_kat_fixed_nonce_signature() -> None:
    r, s = _backend_sign(KEY.d, KEY.public_key.point, KAT_MSG, DEFAULT_ID, rnd_fn=lambda bits: KAT_K)
    assert (r, s) == (KAT_R, KAT_S)
    der = encode_signature(r, s)
    assert der.hex() == "3046022100" + f"{KAT_R:064x}" + "022100" + f"{KAT_S:064x}"
    assert verify_sm2(KAT_MSG, der, KEY.public_key)
    assert not verify_sm2(KAT_MSG, encode_signature(r, s ^ 1), KEY.public_key)


# --- keys --------------------------------------------------------------------------------------


def test_pem_round_trip_and_repr_hides_scalar() -> None:
    assert load_sm2_private_key(KEY.pkcs8_pem()) == KEY
    assert load_sm2_public_key(KEY.public_key.spki_pem()) == KEY.public_key
    assert f"{KAT_D:x}" not in repr(KEY).lower() and str(KAT_D) not in repr(KEY)


def test_encrypted_key_round_trip() -> None:
    pem = KEY.pkcs8_pem(b"s3cret", iterations=2048)
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert load_sm2_private_key(pem, b"s3cret") == KEY
    with pytest.raises(SigningError, match="passphrase is needed"):
        load_sm2_private_key(pem)
    with pytest.raises(SigningError, match="wrong passphrase"):
        load_sm2_private_key(pem, b"wrong")


def test_keypair_files(tmp_path: Path) -> None:
    private, public, kid = generate_sm2_keypair(tmp_path / "keys", "sm2")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    key = load_sm2_private_key_file(private)
    assert load_sm2_public_key_file(public) == key.public_key
    assert kid == key_id(key.public_key) == sm3_hex(key.public_key.spki_der())
    with pytest.raises(SigningError, match="refusing to overwrite"):
        generate_sm2_keypair(tmp_path / "keys", "sm2")
    private.chmod(0o644)
    with pytest.raises(SigningError, match="chmod 600"):
        load_sm2_private_key_file(private)
    enc_private, _, enc_kid = generate_sm2_keypair(tmp_path / "keys", "enc", passphrase=b"pw")
    assert b"ENCRYPTED PRIVATE KEY" in enc_private.read_bytes()
    assert key_id(load_sm2_private_key_file(enc_private, b"pw").public_key) == enc_kid


def test_invalid_points_and_scalars_refused() -> None:
    with pytest.raises(SigningError, match="not on the SM2 curve"):
        SM2PublicKey(KAT_X, KEY.public_key.y ^ 1)
    with pytest.raises(SigningError, match="out of range"):
        SM2PrivateKey.from_scalar(N - 1)
    with pytest.raises(SigningError, match="do not match"):
        SM2PrivateKey(KAT_D + 1, KEY.public_key)


# --- negatives ---------------------------------------------------------------------------------


def _der(r: int, s: int) -> bytes:
    """DER without the range check, to build out-of-range signatures."""

    def integer(v: int) -> bytes:
        raw = v.to_bytes(v.bit_length() // 8 + 1, "big")
        if len(raw) > 1 and raw[0] == 0 and raw[1] < 0x80:
            raw = raw[1:]
        return b"\x02" + bytes([len(raw)]) + raw

    body = integer(r) + integer(s)
    return b"\x30" + bytes([len(body)]) + body


def test_negatives() -> None:
    sig = sign_sm2(MANIFEST, KEY)
    assert verify_sm2(MANIFEST, sig, KEY.public_key)
    r, s = decode_signature(sig)
    tampered = MANIFEST.replace(b"telecom", b"telecon")
    assert not verify_sm2(tampered, sig, KEY.public_key)
    assert "does not verify" in (signature_problem(tampered, sig, KEY.public_key) or "")
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert not verify_sm2(MANIFEST, raw, KEY.public_key)
    assert not verify_sm2(MANIFEST, _der(r, s + N), KEY.public_key)
    assert not verify_sm2(MANIFEST, _der(r, 0), KEY.public_key)
    assert not verify_sm2(MANIFEST, sig + b"\x00", KEY.public_key)
    assert not verify_sm2(MANIFEST, sig, KEY.public_key, uid=b"ALICE123@YAHOO.COM")
    other = SM2PrivateKey.from_scalar(12345)
    assert not verify_sm2(MANIFEST, sig, other.public_key)
    with pytest.raises(SigningError, match="user ID is empty"):
        verify_sm2(MANIFEST, sig, KEY.public_key, uid=b"")
    with pytest.raises(SigningError, match="user ID is empty"):
        sign_sm2(MANIFEST, KEY, uid=b"")


@pytest.mark.parametrize(
    ("hex_sig", "reason"),
    [
        ("300702020001020102", "not minimally encoded"),
        ("3006020181020101", "negative"),
        ("3007020101020101" + "00", "trailing bytes|SEQUENCE length"),
        ("30080201010201010000", "trailing bytes"),
        ("3181060201010201020000", "not a DER SEQUENCE"),
        ("300602010102010300", "SEQUENCE length"),
        ("3006020100020101", "out of range"),
    ],
)
def test_strict_der(hex_sig: str, reason: str) -> None:
    with pytest.raises(VerificationError, match=reason):
        decode_signature(bytes.fromhex(hex_sig))


# --- properties --------------------------------------------------------------------------------


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(message=st.binary(max_size=512), position=st.integers(min_value=0), flip=st.integers(1, 255))
def test_round_trip_and_any_byte_flip_fails(message: bytes, position: int, flip: int) -> None:
    sig = sign_sm2(message, KEY)
    # canonical DER of two integers in [1, n-1]: at most 72 bytes, shorter when r or s has leading
    # zero bytes (about 1 signature in 128 is 69 bytes or less, so no lower bound holds)
    assert len(sig) <= 72
    assert encode_signature(*decode_signature(sig)) == sig
    assert verify_sm2(message, sig, KEY.public_key)
    broken = bytearray(sig)
    broken[position % len(sig)] ^= flip
    assert not verify_sm2(message, bytes(broken), KEY.public_key)


def test_short_signature_is_minimal_der_and_verifies() -> None:
    """About 1 signature in 256 is 69 bytes or less (r or s below 2**248): minimal DER, and valid."""

    def signature(k: int) -> tuple[int, int]:
        return _backend_sign(KEY.d, KEY.public_key.point, b"short", DEFAULT_ID, rnd_fn=lambda bits: k)

    r, s = next(rs for rs in map(signature, range(1, 5000)) if len(encode_signature(*rs)) < 70)
    sig = encode_signature(r, s)
    assert decode_signature(sig) == (r, s)
    assert verify_sm2(b"short", sig, KEY.public_key)
    assert not verify_sm2(b"short", sig[:-1] + bytes([sig[-1] ^ 1]), KEY.public_key)


# --- OpenSSL interop -----------------------------------------------------------------------------


@needs_openssl_sm2
def test_secaudit_signature_verified_by_openssl(tmp_path: Path) -> None:
    private, _public, kid = generate_sm2_keypair(tmp_path, "sm2")
    key = load_sm2_private_key_file(private)
    (tmp_path / "manifest.json").write_bytes(MANIFEST)
    (tmp_path / "manifest.json.sig").write_bytes(sign_sm2(MANIFEST, key))
    assert b"Key is valid" in openssl(tmp_path, "pkey", "-in", "sm2.key", "-check", "-noout").stdout
    verify = [
        "pkeyutl", "-verify", "-pubin", "-inkey", "sm2.pub", "-rawin", "-digest", "sm3",
        "-pkeyopt", DISTID, "-in", "manifest.json", "-sigfile", "manifest.json.sig",
    ]  # fmt: skip
    done = openssl(tmp_path, *verify)
    assert done.returncode == 0, done.stderr
    assert b"Signature Verified Successfully" in done.stdout
    dgst = ["dgst", "-sm3", "-verify", "sm2.pub", "-sigopt", DISTID, "-signature", "manifest.json.sig"]
    assert openssl(tmp_path, *dgst, "manifest.json").returncode == 0
    without_distid = [a for a in verify if a not in {"-pkeyopt", DISTID}]
    assert openssl(tmp_path, *without_distid).returncode != 0
    (tmp_path / "manifest.json").write_bytes(MANIFEST.replace(b"telecom", b"telecon"))
    assert openssl(tmp_path, *verify).returncode != 0
    # key id = SM3 of the SPKI DER, reproducible with openssl
    assert (
        openssl(tmp_path, "pkey", "-pubin", "-in", "sm2.pub", "-outform", "DER", "-out", "pub.der").returncode
        == 0
    )
    out = openssl(tmp_path, "dgst", "-sm3", "-r", "pub.der").stdout.decode()
    assert out.split()[0] == kid


@needs_openssl_sm2
def test_encrypted_key_read_by_openssl(tmp_path: Path) -> None:
    (tmp_path / "enc.key").write_bytes(KEY.pkcs8_pem(b"pw-123", iterations=2048))
    done = openssl(tmp_path, "pkey", "-in", "enc.key", "-passin", "pass:pw-123", "-check", "-noout")
    assert b"Key is valid" in done.stdout, done.stderr
    assert openssl(tmp_path, "pkey", "-in", "enc.key", "-passin", "pass:nope", "-noout").returncode != 0


@needs_openssl_sm2
def test_openssl_signature_verified_by_secaudit(tmp_path: Path) -> None:
    assert openssl(tmp_path, "genpkey", "-algorithm", "SM2", "-out", "sm2.key").returncode == 0
    assert openssl(tmp_path, "pkey", "-in", "sm2.key", "-pubout", "-out", "sm2.pub").returncode == 0
    (tmp_path / "manifest.json").write_bytes(MANIFEST)
    sign = ["pkeyutl", "-sign", "-inkey", "sm2.key", "-rawin", "-digest", "sm3", "-in", "manifest.json"]
    done = openssl(tmp_path, *sign, "-pkeyopt", DISTID, "-out", "with.sig")
    assert done.returncode == 0, done.stderr
    assert openssl(tmp_path, *sign, "-out", "without.sig").returncode == 0
    key = load_sm2_private_key((tmp_path / "sm2.key").read_bytes())
    public = load_sm2_public_key((tmp_path / "sm2.pub").read_bytes())
    assert key.public_key == public
    assert verify_sm2(MANIFEST, (tmp_path / "with.sig").read_bytes(), public)
    assert not verify_sm2(MANIFEST, (tmp_path / "without.sig").read_bytes(), public)
    # OpenSSL-encrypted PKCS#8 (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC) and SEC1 keys load too
    topk8 = ["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256", "-in", "sm2.key"]
    assert openssl(tmp_path, *topk8, "-passout", "pass:pw", "-out", "enc.key").returncode == 0
    assert load_sm2_private_key((tmp_path / "enc.key").read_bytes(), b"pw") == key
    assert openssl(tmp_path, "ec", "-in", "sm2.key", "-out", "sec1.key").returncode == 0
    assert load_sm2_private_key((tmp_path / "sec1.key").read_bytes()) == key
