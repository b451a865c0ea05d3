"""PBES2 encryption of PKCS#8 private keys (PBKDF2-HMAC-SHA256, AES-256-CBC), as OpenSSL writes them.

Used for the SM2 key files, which ``cryptography`` cannot load or write; Ed25519 and ECDSA keys
use ``cryptography``'s own serialisation.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from asn1crypto import algos as asn1_algos  # type: ignore[import-untyped]
from asn1crypto import core as asn1_core
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from secaudit.errors import SigningError

_MAX_ITERATIONS = 10_000_000
_PRFS: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_PBES2_CIPHERS = {"aes128_cbc": 16, "aes192_cbc": 24, "aes256_cbc": 32}


def looks_encrypted(der: bytes) -> bool:
    try:
        info = asn1_keys.EncryptedPrivateKeyInfo.load(der, strict=True)
        return bool(info["encryption_algorithm"]["algorithm"].native == "pbes2")
    except (ValueError, TypeError, KeyError):
        return False


def pbes2_encrypt(plain: bytes, passphrase: bytes, iterations: int) -> bytes:
    salt, iv = os.urandom(16), os.urandom(16)
    key = PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(passphrase)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    info = asn1_keys.EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": {
                "algorithm": "pbes2",
                "parameters": {
                    "key_derivation_func": {
                        "algorithm": "pbkdf2",
                        "parameters": {
                            "salt": asn1_algos.Pbkdf2Salt(name="specified", value=salt),
                            "iteration_count": iterations,
                            "prf": {"algorithm": "sha256", "parameters": asn1_core.Null()},
                        },
                    },
                    "encryption_scheme": {"algorithm": "aes256_cbc", "parameters": iv},
                },
            },
            "encrypted_data": ciphertext,
        }
    )
    return bytes(info.dump())


def pbes2_decrypt(der: bytes, passphrase: bytes, what: str) -> bytes:
    try:
        info = asn1_keys.EncryptedPrivateKeyInfo.load(der, strict=True)
        algorithm = info["encryption_algorithm"]
        if algorithm["algorithm"].native != "pbes2":
            raise SigningError(f"{what}: unsupported key encryption {algorithm['algorithm'].dotted}")
        kdf = algorithm["parameters"]["key_derivation_func"]
        scheme = algorithm["parameters"]["encryption_scheme"]
        if kdf["algorithm"].native != "pbkdf2":
            raise SigningError(f"{what}: unsupported key derivation {kdf['algorithm'].dotted}")
        prf = str(kdf["parameters"]["prf"]["algorithm"].native)
        cipher = str(scheme["algorithm"].native)
        salt = bytes(kdf["parameters"]["salt"].native)
        iterations = int(kdf["parameters"]["iteration_count"].native)
        iv = bytes(scheme["parameters"].native)
        ciphertext = bytes(info["encrypted_data"].native)
    except (ValueError, TypeError, KeyError):
        raise SigningError(f"{what}: malformed encrypted private key") from None
    if prf not in _PRFS or cipher not in _PBES2_CIPHERS:
        raise SigningError(
            f"{what}: unsupported key encryption ({prf}/{cipher}); re-encrypt with "
            "'openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256'"
        )
    if not 1 <= iterations <= _MAX_ITERATIONS or len(iv) != 16 or not ciphertext or len(ciphertext) % 16:
        raise SigningError(f"{what}: malformed encrypted private key")
    key = PBKDF2HMAC(_PRFS[prf](), _PBES2_CIPHERS[cipher], salt, iterations).derive(passphrase)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise SigningError(f"{what}: wrong passphrase") from None
