"""Redaction of secrets in configuration lines, keeping what a check needs (type, not value).

Applied to every observed line before it reaches a finding, and (from the live collector) to
raw evidence before it is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

#: Words that follow "password"/"secret" as configuration keywords, not values.
_KEYWORDS = "|".join(
    re.escape(w)
    for w in (
        "cipher",
        "irreversible-cipher",
        "simple",
        "encrypted",
        "policy",
        "expire",
        "expired",
        "history",
        "security-length",
        "security",
        "min-length",
        "minimum-length",
        "max-length",
        "length",
        "complexity",
        "complexity-check",
        "check",
        "lock",
        "lock-time",
        "change",
        "aging",
        "control",
        "alert",
        "alert-before-expire",
        "mode",
        "recovery",
        "encryption",
        "auto",
        "restriction",
        "strength",
        "never",
        "prompt",
        "validity",
        "days",
        "remind",
        "first-login",
        "level",
        "hash",
        "type",
        "sha256",
        "md5",
        "password",
        "clear",
        "keychain",
        "key-chain",
        "inheritance-disable",
    )
)

# Each pattern: a keyword part (kept) and a value (replaced by <redacted:TYPE[:FLAG]>).
_SECRETISH = (
    r"(?:(?:[A-Za-z0-9]+-)*password|passwd|pass|secret|key"
    r"|(?:[A-Za-z0-9]+-)*authentication-mode \S+|privacy-mode \S+"
    r"|community(?: read| write)?|pre-shared-key|shared-key|key-string)"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Huawei: "<secretish> cipher|irreversible-cipher <blob>" (never "ssh server cipher aes...")
    (
        re.compile(
            rf"(?P<k>(?<![\w-]){_SECRETISH}\s+(?:irreversible-cipher|cipher))\s+(?P<v>\S+)", re.IGNORECASE
        ),
        "cipher",
    ),
    # Cisco/ZTE: secret 5 <hash>, password 7 <x>, key 7 <x> (type 0 = cleartext, 7 = reversible)
    (re.compile(r"(?P<k>(?<![\w-])(?:secret|password)\s+\d{1,2})\s+(?P<v>\S+)", re.IGNORECASE), "encoded"),
    (re.compile(r"(?P<k>(?<![\w-])key\s+[07])\s+(?P<v>\S+)", re.IGNORECASE), "encoded"),
    (re.compile(r"(?P<k>(?<![\w-])encrypted)\s+(?P<v>\S+)", re.IGNORECASE), "encrypted"),
    # ZTE/XR SNMPv3 and NTP keys: "auth sha <a>", "priv aes 128 <p>", "authentication-key 1 md5 <k>"
    (
        re.compile(
            r"(?P<k>(?<![\w-])auth\s+(?:md5|sha\S*))\s+(?P<v>(?!encrypted\b|clear\b|priv\b)\S+)",
            re.IGNORECASE,
        ),
        "cleartext",
    ),
    (
        re.compile(
            r"(?P<k>(?<![\w-])priv\s+(?:aes(?:\s+\d+)?|aes-\d+|des\S*|3des))\s+(?P<v>(?!encrypted\b|clear\b|\d+(?:\s|$))\S+)",
            re.IGNORECASE,
        ),
        "cleartext",
    ),
    (
        re.compile(
            r"(?P<k>(?<![\w-])authentication-key\s+\d+\s+(?:md5|sha\S*|hmac-sha\S*))\s+(?P<v>(?!encrypted\b|cipher\b|clear\b|\d\b)\S+)",
            re.IGNORECASE,
        ),
        "cleartext",
    ),
    # SmartAX V800R015 prints encrypted communities as "$...$" without the 'cipher' keyword
    (re.compile(r"(?P<k>(?<![\w-])community (?:read|write))\s+(?P<v>\$\S*\$)(?=\s|$)"), "cipher"),
    # SNMP communities: community [read|write|ro|rw] <name> (Huawei, ZTE "snmp-server community X view")
    (
        re.compile(
            r"(?P<k>(?<![\w-])community(?:\s+(?:read|write|ro|rw))?)\s+(?P<v>(?!(?:read|write|ro|rw|cipher|view|acl|encrypted|showclear|hidden|complexity-check)\b|<redacted)\S+)",
            re.IGNORECASE,
        ),
        "community",
    ),
    # IOS XR key chains: "key-string password <type-7 blob>" is the encrypted form ("clear" is not)
    (
        re.compile(r"(?P<k>(?<![\w-])key-string\s+password)\s+(?P<v>(?!<redacted)\S+)", re.IGNORECASE),
        "encoded",
    ),
    # "... clear <value>" (IOS XR key chains, passwords): explicitly cleartext
    (
        re.compile(
            r"(?P<k>(?<![\w-])(?:key-string|(?:[A-Za-z0-9]+-)*password(?:\s+(?:text|hmac-md5|md5))?|secret|authentication-key\s+\d+\s+\S+)\s+clear)"
            r"\s+(?P<v>(?!<redacted)\S+)",
            re.IGNORECASE,
        ),
        "cleartext",
    ),
    # ZTE/IOS: "message-digest-key 1 md5 <k>", "tacacs-server host ... key <k>" (cleartext unless encrypted)
    (
        re.compile(
            r"(?P<k>(?<![\w-])message-digest-key\s+\d+\s+md5)\s+(?P<v>(?!encrypted\b|cipher\b|\d\b|<redacted)\S+)",
            re.IGNORECASE,
        ),
        "cleartext",
    ),
    (
        re.compile(
            r"(?P<k>(?<![\w-])key)\s+(?P<v>(?!(?:encrypted|cipher|clear|chain|string|id)\b|\d+(?:\s|$)|<redacted)\S+)",
            re.IGNORECASE,
        ),
        "cleartext",
    ),
    # VRP LDP: "md5-password plain|cipher <peer> <password>" (the value is the second token)
    (
        re.compile(
            r"(?P<k>(?<![\w-])md5-password\s+(?:plain|cipher)\s+\S+)\s+(?P<v>(?!<redacted)\S+)", re.IGNORECASE
        ),
        "cleartext",
    ),
    # ZTE ONU profiles: "ssid auth wpa|wep <ssid-if> key <psk>" (the PSK may be all digits, which the
    # generic 'key' pattern leaves alone as a key id)
    (
        re.compile(r"(?P<k>(?<![\w-])ssid auth \S+ \S+ key)\s+(?P<v>(?!<redacted)\S+)", re.IGNORECASE),
        "cleartext",
    ),
    # SmartAX local users: "terminal user name buildrun_new_password <user> <hash> ..." (the *...$*
    # hash may hold a stray space where a hard wrap was joined by hand; it is redacted whole)
    (
        re.compile(
            r"(?P<k>terminal user name (?:buildrun_new_password|history_password) \S+)\s+"
            r"(?P<v>(?!<redacted)(?:\*\S.*?\$\*(?=\s|$)|\S+))"
        ),
        "hash",
    ),
    # plain: password <x>, secret <x>, pre-shared-key <x> (cleartext)
    (
        re.compile(
            r"(?P<k>(?<![\w-])(?:password|secret|pre-shared-key|shared-key|key-string))\s+"
            rf"(?P<v>(?!(?:{_KEYWORDS})(?:\s|$)|[a-z]+(?:-[a-z]+)+(?:\s|$)|\d\b|<redacted)\S+)",
            re.IGNORECASE,
        ),
        "cleartext",
    ),
    (
        re.compile(
            r"(?P<k>(?<![\w-])(?:simple|plain))\s+(?P<v>(?!(?:cipher|irreversible-cipher)\b|<redacted)\S+)",
            re.IGNORECASE,
        ),
        "cleartext",
    ),
)

#: Well-known default values: flagged as ``:default`` so "no default community/password" stays checkable.
DEFAULT_VALUES: frozenset[str] = frozenset(
    {
        "public",
        "private",
        "community",
        "cisco",
        "huawei",
        "zte",
        "admin",
        "manager",
        "secret",
        "password",
        "admin123",
        "huawei123",
        "zte123",
        "12345678",
        "telecomadmin",
        "admintelecom",
        "nE7jA%5m",
        "aDm8H%MdA",
        "adminHW",
        "CUAdmin",
        "CMCCAdmin",
        "Zte521",
        "root",
    }
)


# Gateway XML exports: Huawei attributes (Password="...", ConnectionRequestPassword="...") and ZTE
# <DM name="Password" val="..."/>. Values become &lt;redacted:TYPE&gt; so the XML stays well formed;
# an empty value is kept (it means "no password set", which checks must see).
#: Attribute / DM names that hold secrets in real exports (Huawei hw_ctree.xml, ZTE db_user_cfg.xml):
#: ...Password/PassWord/Pwd/Pass, PSK and WPA secrets, RADIUS and routing keys, certificate key
#: seeds, the Huawei super-mode value. Flags and indexes (IsSynUserPass, WEPKeyIndex) are not secrets.
_XML_SECRET_NAME = (
    r"(?!Is[A-Z])\w*(?:[Pp]ass[Ww]ord|[Pp]asswd|[Pp]assphrase|PreSharedKey|WEPKey\d?|Pass|Pwd|PSK"  # noqa: S105
    r"|Secret|AuthKey|RadiusKey|[Kk]eySeed|SuperModeValue)"
)
_XML_SECRET = (
    re.compile(rf'(?P<k>\b{_XML_SECRET_NAME}=)"(?P<v>(?!&lt;redacted|<redacted)[^"]+)"'),
    re.compile(rf'(?P<k>\bname="{_XML_SECRET_NAME}"\s+val=)"(?P<v>(?!&lt;redacted|<redacted)[^"]+)"'),
)


_DEFAULTS_LOWER = frozenset(d.lower() for d in DEFAULT_VALUES)

#: Every secret pattern above needs one of these words in the line (case-insensitive; "cipher",
#: "clear" and "terminal user name" patterns all need "pass", "secret", "key", "auth" or "priv"
#: too), so a line without any of them is returned as it is without trying the patterns one by
#: one. "Same result with and without this pre-check" is tested on every line of the fixtures and
#: the lab, plus one line per word that has only that word (tests/unit/test_redact.py).
_TRIGGER = re.compile(r"pass|secret|key|encrypted|auth|priv|community|simple|plain", re.IGNORECASE)


def _xml_replace(match: re.Match[str]) -> str:
    value = match.group("v")
    if value.startswith("$"):
        kind = "cipher"  # Huawei $2...$ / ZTE $...$ encrypted forms
    elif re.fullmatch(r"[0-9a-fA-F]{64}", value):
        kind = "hash"
    else:
        kind = "cleartext"
    flag = ":default" if value.lower() in _DEFAULTS_LOWER else ""
    if not flag and kind == "cleartext" and len(value) < 8:
        flag = ":weak"
    return f'{match.group("k")}"&lt;redacted:{kind}{flag}&gt;"'


def redact_line(line: str) -> str:
    """Replace secret values with ``<redacted:TYPE>``; keywords stay so checks remain checkable.

    Examples:
        >>> redact_line("local-user noc password cipher %^%#abc%^%#")
        'local-user noc password cipher <redacted:cipher>'
        >>> redact_line("snmp-agent community read public")
        'snmp-agent community read <redacted:community:default>'
        >>> redact_line("ssh server cipher aes256_gcm aes128_ctr")
        'ssh server cipher aes256_gcm aes128_ctr'
        >>> redact_line("snmp-server user nms NMS v3 auth sha S3cr3tAuth priv aes 128 S3cr3tPriv")
        'snmp-server user nms NMS v3 auth sha <redacted:cleartext> priv aes 128 <redacted:cleartext>'
        >>> redact_line("username admin secret 5 $1$xyz")
        'username admin secret 5 <redacted:encoded>'
        >>> redact_line("ntp-service unicast-server 10.0.0.1")
        'ntp-service unicast-server 10.0.0.1'
    """
    return _redact_cached(line) if len(line) <= _CACHED_LINE else _redact(line, prefilter=True)


#: Lines up to this length are remembered: observed lines repeat across rules, hosts and runs.
_CACHED_LINE = 512


@lru_cache(maxsize=65536)
def _redact_cached(line: str) -> str:
    return _redact(line, prefilter=True)


def redact_line_unfiltered(line: str) -> str:
    """:func:`redact_line` without its pre-check: every pattern is tried (for the property test)."""
    return _redact(line, prefilter=False)


def _redact(line: str, *, prefilter: bool) -> str:
    out = line
    if '="' in out:
        for xml_pattern in _XML_SECRET:
            out = xml_pattern.sub(_xml_replace, out)
    if prefilter and _TRIGGER.search(out) is None:
        return out
    for pattern, replace in _REPLACERS:
        out = pattern.sub(replace, out)
    return out


def _replacer(kind: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        value = match.group("v").strip("\"'")
        if kind == "hash" and not re.fullmatch(r"\*\S.*\*", value):
            return f"{match.group('k')} <redacted:cleartext>"  # SmartAX stores *hash*; anything else is clear
        flag = ""
        if value.lower() in _DEFAULTS_LOWER:
            flag = ":default"
        elif kind in ("cleartext", "community") and len(value) < 8:
            flag = ":weak"
        return f"{match.group('k')} <redacted:{kind}{flag}>"

    return replace


_REPLACERS = tuple((pattern, _replacer(kind)) for pattern, kind in _PATTERNS)


def _ordinal(n: int) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return f"<redacted:{match.group(1)}:{n}>"

    return replace


_LAST_PLACEHOLDER = re.compile(r"<redacted:([^>]*)>(?!.*<redacted:)")


def redact_text(text: str) -> str:
    """Redact every line of a text (see :func:`redact_line`).

    Two different lines that would become identical (two communities with the same view, say)
    stay distinct: the later one's last placeholder gets an ordinal, so configuration parsers do
    not see a duplicate line and the stored text still has one line per original line.

    Examples:
        >>> two = ["snmp-agent community read Alpha1x acl 2000", "snmp-agent community read Beta2yz acl 2000"]
        >>> redact_text(chr(10).join(two)).split(chr(10))[1]
        'snmp-agent community read <redacted:community:weak:2> acl 2000'
    """
    out: list[str] = []
    origin: dict[str, str] = {}
    counts: dict[str, int] = {}
    for line in text.split("\n"):
        redacted = redact_line(line)
        if redacted != line and origin.setdefault(redacted, line) != line:
            counts[redacted] = counts.get(redacted, 1) + 1
            n = counts[redacted]
            redacted = _LAST_PLACEHOLDER.sub(_ordinal(n), redacted)
        out.append(redacted)
    return "\n".join(out)
