"""Redaction: secret values go, keywords and secret types stay (so checks remain checkable)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from secaudit.redact import redact_line, redact_line_unfiltered

CASES = [
    # (line, secret that must vanish or None, text that must remain)
    ("local-user noc password cipher %^%#Zx8q1%^%#", "%^%#Zx8q1%^%#", "password cipher <redacted:cipher>"),
    (
        "local-user admin password irreversible-cipher $1c$abcdef$",
        "$1c$abcdef$",
        "irreversible-cipher <redacted",
    ),
    ("snmp-agent community read cipher %^%#Qw1%^%# acl 2001", "%^%#Qw1%^%#", "acl 2001"),
    ("snmp-agent community read public", "public", "<redacted:community:default>"),
    ("snmp-agent community write Xy7!pQ2z9k", "Xy7!pQ2z9k", "community write <redacted:community>"),
    (
        "snmp-agent usm-user v3 nms authentication-mode sha cipher %^%#A1%^%#",
        "%^%#A1%^%#",
        "authentication-mode sha",
    ),
    (
        "ntp-service authentication-keyid 1 authentication-mode hmac-sha256 cipher %^%#K9%^%#",
        "%^%#K9%^%#",
        "hmac-sha256",
    ),
    (
        "ssh server cipher aes256_gcm aes128_gcm aes256_ctr",
        None,
        "ssh server cipher aes256_gcm aes128_gcm aes256_ctr",
    ),
    ("ssh client cipher aes128_ctr", None, "ssh client cipher aes128_ctr"),
    ("username admin secret 5 $1$salt$hash", "$1$salt$hash", "secret 5 <redacted:encoded>"),
    ("username noc password 0 Plain123x", "Plain123x", "password 0 <redacted:encoded>"),
    ("tacacs-server host 10.20.4.10 port 49 key 7 0822455D0A16", "0822455D0A16", "key 7 <redacted:encoded>"),
    ("ntp server vrf MGMT 10.0.0.1 key 1 prefer", None, "key 1 prefer"),
    # secret attribute/DM names of real gateway exports (ZTE db_user_cfg.xml, Huawei hw_ctree.xml)
    ('<DM name="TS_UPwd" val="Tn7xQ2pL9"/>', "Tn7xQ2pL9", 'val="&lt;redacted:cleartext&gt;"'),
    ('<DM name="SSH_PassWord" val="Sx8kW3mZ"/>', "Sx8kW3mZ", 'val="&lt;redacted:cleartext&gt;"'),
    ('<DM name="WPAPSK" val="Wp4sk9Hq"/>', "Wp4sk9Hq", 'val="&lt;redacted:cleartext&gt;"'),
    ('<DM name="PKCS12CertkeySeed" val="Pk12SeedX"/>', "Pk12SeedX", "redacted"),
    ('<I SuperModeValue="1234567890abcdef" PassMode="2"/>', "1234567890abcdef", 'PassMode="2"'),
    ('<I X_HW_RadiusKey="Rk1x" SecondaryRadiusSecret="Rs2y"/>', "Rk1x", "SecondaryRadiusSecret"),
    ('<W WEPKeyIndex="1" IsSynUserPass="1"/>', None, 'WEPKeyIndex="1" IsSynUserPass="1"'),
    # a hyphenated community name is a secret too (seen in a real VRP3 configuration)
    ("snmp-agent community read br01-zone acl 2000", "br01-zone", "read <redacted:community> acl 2000"),
    ("snmp-agent community read wens-zone acl 2000", "wens-zone", "acl 2000"),
    ("snmp-agent community complexity-check disable", None, "community complexity-check disable"),
    # a ZTE ONU profile's Wi-Fi PSK may be all digits (seen in a real C300 configuration)
    ("  ssid auth wpa wifi_0/1 key 88990011223", "88990011223", "key <redacted:cleartext>"),
    (
        " authentication-key 1 hmac-sha2 encrypted 0A1B2C",
        "0A1B2C",
        "hmac-sha2 encrypted <redacted:encrypted>",
    ),
    (
        "snmp-server user nms NMS v3 auth sha AuthS3cret priv aes 128 PrivS3cret",
        "AuthS3cret",
        "priv aes 128 <redacted:cleartext>",
    ),
    (
        "snmp-server user U G v3 auth md5 encrypted 1234ABCD",
        "1234ABCD",
        "auth md5 encrypted <redacted:encrypted>",
    ),
    ("ntp authentication-key 1 md5 NtpK3yZte", "NtpK3yZte", "authentication-key 1 md5 <redacted:cleartext>"),
    ("    password encrypted *21*abcdef", "*21*abcdef", "password encrypted <redacted:encrypted>"),
    (
        "snmp-server community private view AllView rw",
        "private",
        "<redacted:community:default> view AllView rw",
    ),
    ("local-aaa-user password policy administrator", None, "local-aaa-user password policy administrator"),
    ("password history record number 5", None, "password history record number 5"),
    ("peer 10.10.0.1 password cipher %^%#Bgp%^%#", "%^%#Bgp%^%#", "peer 10.10.0.1 password cipher"),
    ("radius-server shared-key cipher %^%#Rk%^%#", "%^%#Rk%^%#", "shared-key cipher <redacted:cipher>"),
    (
        "ike peer gnb pre-shared-key simple Ik3Secret",
        "Ik3Secret",
        "pre-shared-key simple <redacted:cleartext>",
    ),
    ("local-user x password simple abc", "abc", "password simple <redacted:cleartext:weak>"),
    ("  key-string password 0822455D0A16", "0822455D0A16", "key-string password <redacted:encoded>"),
    ("  key-string clear S3cretClear", "S3cretClear", "key-string clear <redacted:cleartext>"),
    (" password inheritance-disable", None, "password inheritance-disable"),
    (
        "ospf authentication-mode simple cipher %^%#Zz%^%#",
        "%^%#Zz%^%#",
        "authentication-mode simple cipher <redacted",
    ),
    ("system user password security-length 12", None, "system user password security-length 12"),
    ("strong-password length 8 character-set-num 3", None, "strong-password length 8"),
    (" terminal user name buildrun_new_password root *AbC12* 7 0000", "*AbC12*", "root <redacted:hash> 7"),
    (" terminal user name buildrun_new_password root Plain1 7 0000", "Plain1", "root <redacted:cleartext> 7"),
    (
        "snmp-server community encrypted 8ZxQ view AllView ro",
        "8ZxQ",
        "community encrypted <redacted:encrypted>",
    ),
]


@pytest.mark.parametrize(("line", "secret", "kept"), CASES)
def test_redact(line: str, secret: str | None, kept: str) -> None:
    out = redact_line(line)
    if secret is not None:
        assert secret not in out
    assert kept in out


def test_idempotent() -> None:
    for line, _, _ in CASES:
        once = redact_line(line)
        assert redact_line(once) == once


# Lines that hold exactly one of the pre-check's words, so that no word of it goes untested.
ONE_TRIGGER_WORD = [
    "snmp-server user nms grp v3 auth sha AuthVal1x",
    "snmp-server user nms grp v3 priv aes 128 PrivVal1x",
    "username noc encrypted 0xDEADBEEF01",
    "ppp chap simple Hello123x",
    "isis plain Xy7qWz12",
    "snmp-server community N0tPublic9 view all",
    "local-user x pass Hunter2x",
    "tacacs-server host 10.0.0.9 key Hunter2key",
    "enable secret 0 Hunter2sec",
]


def _all_lines() -> list[str]:
    """Every line of every device text in the repository (fixtures, lab data, samples, traits)."""
    root = Path(__file__).resolve().parents[2]
    folders = [
        root / "tests" / "controls",
        root / "tests" / "data",
        root / "tests" / "realworld" / "traits",
        root / "tests" / "parse",
        root / "src" / "secaudit" / "lab" / "data",
        root / "examples" / "evidence",
    ]
    corpus = os.environ.get("SECAUDIT_CORPUS")
    if corpus:
        folders.append(Path(corpus))
    lines: set[str] = set(ONE_TRIGGER_WORD)
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in {".txt", ".cfg", ".xml", ".raw", ".log", ".yaml", ""}:
                lines.update(path.read_bytes().decode("utf-8", "replace").splitlines())
    return sorted(lines)


def test_the_pre_check_never_changes_a_redaction() -> None:
    """redact_line skips lines without a trigger word; on every line we have, that changes nothing."""
    lines = _all_lines()
    changed = [line for line in lines if redact_line_unfiltered(line) != line]
    assert len(lines) > 2000 and len(changed) > 100  # a broad sample, with many secrets in it
    different = [line for line in lines if redact_line(line) != redact_line_unfiltered(line)]
    assert not different, different[:5]
