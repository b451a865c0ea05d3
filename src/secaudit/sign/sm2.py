"""SM2 signatures with SM3 (the ``sm2`` suite): keys, PEM files, detached DER signatures.

Design (docs/signing-notes.md, section 4):

* SM2 arithmetic comes from ``gmalg`` (pure Python), kept behind two private functions
  (:func:`_backend_sign`, :func:`_backend_verify`) so a C backend can replace it. SM3 comes from
  ``cryptography`` (``hashes.SM3``), also inside the signature (``e = SM3(ZA || M)``).
* A signature is DER ``SEQUENCE { r INTEGER, s INTEGER }`` (GM/T 0009 SM2Signature), what
  ``openssl pkeyutl``/``dgst``, GmSSL and Tongsuo emit and read. Parsing is strict.
* The user ID is always explicit; the default is ``1234567812345678``. An empty ID is refused: it
  is OpenSSL 3.0's default and would let an ``openssl dgst -sign`` without ``distid`` slip through.
* Keys are PKCS#8 (``id-ecPublicKey`` + curve ``1.2.156.10197.1.301``) and SPKI PEM, as
  ``openssl genpkey -algorithm SM2`` writes them; private keys may be encrypted with
  PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC, which OpenSSL reads.
* The key id is the SM3 fingerprint (hex) of the SPKI DER, so the suite is SM-only end to end:
  ``openssl pkey -pubin -in sm2.pub -outform DER | openssl dgst -sm3``.

Verify with OpenSSL::

    openssl pkeyutl -verify -pubin -inkey sm2.pub -rawin -digest sm3 \\
        -pkeyopt distid:1234567812345678 -in manifest.json -sigfile manifest.sm2.sig
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]
from asn1crypto import pem as asn1_pem
from cryptography.hazmat.primitives import hashes
from gmalg import ellipticcurve as gm_ec  # type: ignore[import-untyped]
from gmalg.sm2 import SM2Core  # type: ignore[import-untyped]

from secaudit.errors import SigningError, VerificationError
from secaudit.sign.pbes2 import looks_encrypted, pbes2_decrypt, pbes2_encrypt
from secaudit.sign.x509 import read_private_file, write_private_file

DEFAULT_ID = b"1234567812345678"
SM2_CURVE_OID = "1.2.156.10197.1.301"
PBKDF2_ITERATIONS = 600_000
_MAX_ID_BYTES = 8191  # ENTL is a 16-bit count of bits

# SM2 recommended curve (GB/T 32918.5 / GM/T 0003.5)
P = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_00000000_FFFFFFFF_FFFFFFFF
A = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_00000000_FFFFFFFF_FFFFFFFC
B = 0x28E9FA9E_9D9F5E34_4D5A9E4B_CF6509A7_F39789F5_15AB8F92_DDBCBD41_4D940E93
GX = 0x32C4AE2C_1F198119_5F990446_6A39C994_8FE30BBF_F2660BE1_715A4589_334C74C7
GY = 0xBC3736A2_F4F6779C_59BDCEE3_6B692153_D0A9877C_C62A4740_02DF32E5_2139F0A0
N = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_7203DF6B_21C6052B_53BBF409_39D54123

_ECDLP = gm_ec.ECDLP(P, A, B, (GX, GY), N)
# asn1crypto's documented extension point for curves it does not know (idempotent).
asn1_keys.NamedCurve.register("sm2", SM2_CURVE_OID, 32)


def sm3_hex(data: bytes) -> str:
    """SM3 digest (GB/T 32905) of ``data``, lower-case hex.

    Examples:
        >>> sm3_hex(b"abc")
        '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0'
    """
    return _sm3(data).hex()


def _sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


class _SM3ForGmalg:
    """The hash object gmalg's SM2Core expects (reset/update/value), backed by ``cryptography``."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def reset(self) -> None:
        self._buffer = bytearray()

    def update(self, data: bytes) -> None:
        self._buffer.extend(data)

    def value(self) -> bytes:
        return _sm3(bytes(self._buffer))


# --- the two-function backend interface -------------------------------------------------------


def _backend_sign(
    d: int, point: tuple[int, int], message: bytes, uid: bytes, rnd_fn: Callable[[int], int] | None = None
) -> tuple[int, int]:
    """SM2 sign (e = SM3(ZA || M)); ``rnd_fn`` is for known-answer tests only (fixed k)."""
    core: Any = SM2Core(_ECDLP, _SM3ForGmalg(), rnd_fn)
    r, s = core.sign(message, d, uid, point)
    return int(r), int(s)


def _backend_verify(point: tuple[int, int], message: bytes, r: int, s: int, uid: bytes) -> bool:
    core: Any = SM2Core(_ECDLP, _SM3ForGmalg())
    return bool(core.verify(message, r, s, uid, point))


def _point_is_valid(point: tuple[int, int]) -> bool:
    core: Any = SM2Core(_ECDLP, _SM3ForGmalg())
    return bool(core.verify_pk(point))


def _public_point(d: int) -> tuple[int, int]:
    core: Any = SM2Core(_ECDLP, _SM3ForGmalg())
    x, y = core.generate_pk(d)
    return int(x), int(y)


# --- keys ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SM2PublicKey:
    """A point on the SM2 curve (validated on construction)."""

    x: int
    y: int

    def __post_init__(self) -> None:
        if not (0 <= self.x < P and 0 <= self.y < P) or not _point_is_valid((self.x, self.y)):
            raise SigningError("not a valid SM2 public key (point is not on the SM2 curve)")

    @property
    def point(self) -> tuple[int, int]:
        """The affine point."""
        return self.x, self.y

    def point_bytes(self) -> bytes:
        """Uncompressed SEC1 encoding ``04 || X || Y`` (65 bytes)."""
        return b"\x04" + self.x.to_bytes(32, "big") + self.y.to_bytes(32, "big")

    def spki_der(self) -> bytes:
        """DER SubjectPublicKeyInfo (id-ecPublicKey, curve 1.2.156.10197.1.301)."""
        info = asn1_keys.PublicKeyInfo(
            {"algorithm": {"algorithm": "ec", "parameters": _sm2_params()}, "public_key": self.point_bytes()}
        )
        return bytes(info.dump())

    def spki_pem(self) -> bytes:
        """SPKI as PEM (``-----BEGIN PUBLIC KEY-----``), as ``openssl pkey -pubout`` writes it."""
        return bytes(asn1_pem.armor("PUBLIC KEY", self.spki_der()))


@dataclass(frozen=True, slots=True)
class SM2PrivateKey:
    """An SM2 private scalar and its public key. ``repr`` never shows the scalar."""

    d: int = field(repr=False)
    public_key: SM2PublicKey

    def __post_init__(self) -> None:
        # d = n-1 makes 1+d non-invertible, so the valid range is [1, n-2].
        if not 1 <= self.d <= N - 2:
            raise SigningError("not a valid SM2 private key (scalar out of range)")
        if _public_point(self.d) != self.public_key.point:
            raise SigningError("SM2 private key and public key do not match")

    @classmethod
    def from_scalar(cls, d: int) -> SM2PrivateKey:
        """Build a key from its scalar, deriving the public point."""
        if not 1 <= d <= N - 2:
            raise SigningError("not a valid SM2 private key (scalar out of range)")
        x, y = _public_point(d)
        return cls(d, SM2PublicKey(x, y))

    def pkcs8_der(self) -> bytes:
        """Unencrypted PKCS#8 PrivateKeyInfo with the public key inside (as OpenSSL writes it)."""
        ec_key = asn1_keys.ECPrivateKey(
            {"version": "ecPrivkeyVer1", "private_key": self.d, "public_key": self.public_key.point_bytes()}
        )
        ec_key["private_key"].set_encoded_width(32)
        info = asn1_keys.PrivateKeyInfo(
            {
                "version": 0,
                "private_key_algorithm": {"algorithm": "ec", "parameters": _sm2_params()},
                "private_key": ec_key,
            }
        )
        return bytes(info.dump())

    def pkcs8_pem(self, passphrase: bytes | None = None, *, iterations: int = PBKDF2_ITERATIONS) -> bytes:
        """PKCS#8 PEM; with a passphrase, PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)."""
        if not passphrase:
            return bytes(asn1_pem.armor("PRIVATE KEY", self.pkcs8_der()))
        return bytes(
            asn1_pem.armor("ENCRYPTED PRIVATE KEY", pbes2_encrypt(self.pkcs8_der(), passphrase, iterations))
        )


def generate_sm2_key() -> SM2PrivateKey:
    """A fresh SM2 key pair (nonce and scalar from ``secrets``)."""
    core: Any = SM2Core(_ECDLP, _SM3ForGmalg())
    d, (x, y) = core.generate_keypair()
    return SM2PrivateKey(int(d), SM2PublicKey(int(x), int(y)))


def key_id(public_key: SM2PublicKey) -> str:
    """Key id of an SM2 key: SM3 (hex) of the DER SubjectPublicKeyInfo.

    Same as ``openssl pkey -pubin -in sm2.pub -outform DER | openssl dgst -sm3``.
    """
    return sm3_hex(public_key.spki_der())


def _sm2_params() -> Any:
    return asn1_keys.ECDomainParameters(name="named", value=SM2_CURVE_OID)


def _check_sm2_algorithm(algorithm: Any, what: str) -> None:
    if algorithm["algorithm"].native != "ec":
        raise SigningError(f"{what}: not an EC key (algorithm {algorithm['algorithm'].dotted})")
    params = algorithm["parameters"]
    if params.name != "named" or params.chosen.dotted != SM2_CURVE_OID:
        raise SigningError(f"{what}: EC key is not on the SM2 curve ({SM2_CURVE_OID})")


def _point_from_bytes(data: bytes, what: str) -> SM2PublicKey:
    if len(data) != 65 or data[0] != 0x04:
        raise SigningError(f"{what}: SM2 public key must be an uncompressed point (04 || X || Y)")
    return SM2PublicKey(int.from_bytes(data[1:33], "big"), int.from_bytes(data[33:], "big"))


def _unarmor(data: bytes, what: str) -> tuple[str | None, bytes]:
    if asn1_pem.detect(data):
        try:
            label, _headers, der = asn1_pem.unarmor(data)
        except ValueError:
            raise SigningError(f"{what}: malformed PEM") from None
        return str(label), bytes(der)
    return None, data


def load_sm2_public_key(data: bytes, *, what: str = "public key") -> SM2PublicKey:
    """Load an SM2 public key from SPKI PEM or DER (``openssl pkey -pubout`` output).

    ``what`` names the source (for example a path) in error messages.
    """
    label, der = _unarmor(data, what)
    if label not in (None, "PUBLIC KEY"):
        raise SigningError(f"{what}: expected a PUBLIC KEY PEM, found {label!r}")
    try:
        info = asn1_keys.PublicKeyInfo.load(der, strict=True)
        _check_sm2_algorithm(info["algorithm"], what)
        point = bytes(info["public_key"].native)
    except (ValueError, TypeError, KeyError):
        raise SigningError(f"{what}: not a DER/PEM SubjectPublicKeyInfo") from None
    return _point_from_bytes(point, what)


def load_sm2_private_key(
    data: bytes, passphrase: bytes | None = None, *, what: str = "private key"
) -> SM2PrivateKey:
    """Load an SM2 private key: PKCS#8 (plain or PBES2-encrypted) or SEC1 ``EC PRIVATE KEY`` PEM/DER.

    The point and the private/public match are checked.
    """
    label, der = _unarmor(data, what)
    if label == "ENCRYPTED PRIVATE KEY" or (label is None and looks_encrypted(der)):
        if not passphrase:
            raise SigningError(f"{what}: private key is encrypted; a passphrase is needed")
        der = pbes2_decrypt(der, passphrase, what)
        label = "PRIVATE KEY"
    elif passphrase:
        raise SigningError(f"{what}: a passphrase was given but the private key is not encrypted")
    try:
        if label in {"EC PRIVATE KEY", "SM2 PRIVATE KEY"}:  # SEC1, as `openssl ec` writes it
            ec_key = asn1_keys.ECPrivateKey.load(der, strict=True)
            params = ec_key["parameters"]
            if params.native is None or params.name != "named" or params.chosen.dotted != SM2_CURVE_OID:
                raise SigningError(f"{what}: EC key is not on the SM2 curve ({SM2_CURVE_OID})")
        elif label in (None, "PRIVATE KEY"):
            info = asn1_keys.PrivateKeyInfo.load(der, strict=True)
            _check_sm2_algorithm(info["private_key_algorithm"], what)
            ec_key = info["private_key"].parsed
        else:
            raise SigningError(f"{what}: expected a PRIVATE KEY PEM, found {label!r}")
        d = int(ec_key["private_key"].native)
        embedded = ec_key["public_key"].native
    except (ValueError, TypeError, KeyError):
        raise SigningError(f"{what}: not a PKCS#8 SM2 private key (wrong passphrase or format)") from None
    key = SM2PrivateKey.from_scalar(d)
    if embedded is not None and _point_from_bytes(bytes(embedded), what) != key.public_key:
        raise SigningError(f"{what}: the public key inside the private key file does not match it")
    return key


# --- files -----------------------------------------------------------------------------------


def generate_sm2_keypair(out_dir: Path, name: str, passphrase: bytes | None = None) -> tuple[Path, Path, str]:
    """Write ``<name>.key`` (PKCS#8 PEM, mode 0600, PBES2-encrypted with a passphrase) and
    ``<name>.pub`` (SPKI PEM). Refuses to overwrite. Returns both paths and the key id (SM3)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out_dir / f"{name}.key", out_dir / f"{name}.pub"
    for path in (private_path, public_path):
        if path.exists():
            raise SigningError(f"{path}: already exists; refusing to overwrite a key")
    key = generate_sm2_key()
    write_private_file(private_path, key.pkcs8_pem(passphrase))
    public_path.write_bytes(key.public_key.spki_pem())
    return private_path, public_path, key_id(key.public_key)


def load_sm2_private_key_file(path: Path, passphrase: bytes | None = None) -> SM2PrivateKey:
    """Load an SM2 private key file; refuses files readable by group or others."""
    return load_sm2_private_key(read_private_file(path), passphrase, what=str(path))


def load_sm2_public_key_file(path: Path) -> SM2PublicKey:
    """Load an SM2 public key file (SPKI PEM or DER)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{path}: cannot read public key: {exc.strerror}") from None
    return load_sm2_public_key(data, what=str(path))


# --- signatures ------------------------------------------------------------------------------


def _check_uid(uid: bytes) -> None:
    if not isinstance(uid, bytes):
        raise SigningError("SM2 user ID must be bytes")
    if not uid:
        raise SigningError(
            "SM2 user ID is empty; refusing (an empty ID is OpenSSL 3.0's default, and signatures "
            f"made without -pkeyopt distid must not pass); the standard ID is {DEFAULT_ID.decode()}"
        )
    if len(uid) > _MAX_ID_BYTES:
        raise SigningError(f"SM2 user ID is longer than {_MAX_ID_BYTES} bytes")


def encode_signature(r: int, s: int) -> bytes:
    """DER ``SEQUENCE { r INTEGER, s INTEGER }`` for 1 <= r, s <= n-1.

    Examples:
        >>> encode_signature(1, 0x80).hex()
        '300702010102020080'
        >>> decode_signature(encode_signature(5, N - 1)) == (5, N - 1)
        True
    """
    if not (1 <= r < N and 1 <= s < N):
        raise SigningError("SM2 signature values out of range")
    body = _der_integer(r) + _der_integer(s)
    return b"\x30" + bytes([len(body)]) + body


def _der_integer(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")  # one extra byte keeps the sign bit 0
    if len(raw) > 1 and raw[0] == 0 and raw[1] < 0x80:
        raw = raw[1:]
    return b"\x02" + bytes([len(raw)]) + raw


def decode_signature(signature: bytes) -> tuple[int, int]:
    """Strict DER parse of an SM2 signature: one SEQUENCE of two minimal positive INTEGERs, short-form
    lengths, nothing after it, and 1 <= r, s <= n-1. Raises :class:`VerificationError` with the reason.

    Examples:
        >>> decode_signature(bytes.fromhex("3006020101020102"))
        (1, 2)
        >>> decode_signature(bytes.fromhex("300702020001020102"))
        Traceback (most recent call last):
        ...
        secaudit.errors.VerificationError: SM2 signature: INTEGER is not minimally encoded
    """
    if len(signature) < 8 or signature[0] != 0x30:
        raise VerificationError("SM2 signature: not a DER SEQUENCE{r, s} (raw r||s is not accepted)")
    if signature[1] >= 0x80 or signature[1] != len(signature) - 2:
        raise VerificationError("SM2 signature: wrong SEQUENCE length or trailing bytes")
    values: list[int] = []
    pos = 2
    for _ in range(2):
        if pos + 2 > len(signature) or signature[pos] != 0x02:
            raise VerificationError("SM2 signature: expected an INTEGER")
        length = signature[pos + 1]
        raw = signature[pos + 2 : pos + 2 + length]
        if length == 0 or length >= 0x80 or len(raw) != length:
            raise VerificationError("SM2 signature: bad INTEGER length")
        if raw[0] & 0x80:
            raise VerificationError("SM2 signature: negative INTEGER")
        if length > 1 and raw[0] == 0 and raw[1] < 0x80:
            raise VerificationError("SM2 signature: INTEGER is not minimally encoded")
        values.append(int.from_bytes(raw, "big"))
        pos += 2 + length
    if pos != len(signature):
        raise VerificationError("SM2 signature: trailing bytes after the two INTEGERs")
    r, s = values
    if not (1 <= r < N and 1 <= s < N):
        raise VerificationError("SM2 signature: r or s out of range [1, n-1]")
    return r, s


def sign_sm2(message: bytes, private_key: SM2PrivateKey, uid: bytes = DEFAULT_ID) -> bytes:
    """Sign ``message`` (e = SM3(ZA || M), ZA from ``uid``); returns the DER signature (at most 72 bytes)."""
    _check_uid(uid)
    r, s = _backend_sign(private_key.d, private_key.public_key.point, message, uid)
    return encode_signature(r, s)


def verify_sm2(message: bytes, signature: bytes, public_key: SM2PublicKey, uid: bytes = DEFAULT_ID) -> bool:
    """True when ``signature`` (strict DER) is a valid SM2 signature of ``message`` under ``uid``.

    Malformed signatures give False; an empty or non-bytes ``uid`` raises :class:`SigningError`.
    """
    _check_uid(uid)
    try:
        r, s = decode_signature(signature)
    except VerificationError:
        return False
    return _backend_verify(public_key.point, message, r, s, uid)


def signature_problem(
    message: bytes, signature: bytes, public_key: SM2PublicKey, uid: bytes = DEFAULT_ID
) -> str | None:
    """Like :func:`verify_sm2`, but returns a one-line reason for a failure (None when valid)."""
    _check_uid(uid)
    try:
        r, s = decode_signature(signature)
    except VerificationError as exc:
        return str(exc)
    if not _backend_verify(public_key.point, message, r, s, uid):
        return (
            "SM2 signature does not verify over the message with this public key and user ID "
            f"{uid!r} (message or signature changed, wrong key, or signed without that ID)"
        )
    return None
