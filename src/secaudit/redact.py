"""Redaction of secrets in configuration lines, keeping what a check needs (type, not value).

Applied to every observed line before it reaches a finding, and (from the live collector) to
raw evidence before it is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# keyword, then an optional encoding word, then the secret token.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Huawei: password cipher %^%#...%^%#, irreversible-cipher $1c$..$, authentication-mode sha cipher X
    (re.compile(r"(?P<k>\b(?:irreversible-cipher|cipher))\s+(?P<v>\S+)", re.IGNORECASE), "cipher"),
    # Cisco/ZTE: secret 5 <hash>, password 7 <x>, key 7 <x>, encrypted <x>
    (re.compile(r"(?P<k>\b(?:secret|password|key)\s+[0-9])\s+(?P<v>\S+)", re.IGNORECASE), "encoded"),
    (re.compile(r"(?P<k>\bencrypted)\s+(?P<v>\S+)", re.IGNORECASE), "encrypted"),
    # SNMP communities: community [read|write] <name>
    (
        re.compile(
            r"(?P<k>\bcommunity(?:\s+(?:read|write|ro|rw))?)\s+(?P<v>(?!cipher\b|view\b|acl\b)\S+)",
            re.IGNORECASE,
        ),
        "community",
    ),
    # plain: password <x>, secret <x>, key <x> (cleartext)
    (
        re.compile(
            r"(?P<k>\b(?:password|secret|pre-shared-key|shared-key|key-string))\s+(?P<v>(?!cipher\b|irreversible-cipher\b|\d\b|encrypted\b|simple\b|policy\b|expire\b|history\b)\S+)",
            re.IGNORECASE,
        ),
        "cleartext",
    ),
    (re.compile(r"(?P<k>\bsimple)\s+(?P<v>\S+)", re.IGNORECASE), "cleartext"),
)


def redact_line(line: str) -> str:
    """Replace secret values with ``<redacted:TYPE>``; keywords stay so checks remain checkable.

    Examples:
        >>> redact_line("local-user noc password cipher %^%#abc%^%#")
        'local-user noc password cipher <redacted:cipher>'
        >>> redact_line("snmp-agent community read public")
        'snmp-agent community read <redacted:community>'
        >>> redact_line("username admin secret 5 $1$xyz")
        'username admin secret 5 <redacted:encoded>'
        >>> redact_line("ntp-service unicast-server 10.0.0.1")
        'ntp-service unicast-server 10.0.0.1'
    """
    out = line
    for pattern, kind in _PATTERNS:
        out = pattern.sub(_replacer(kind), out)
    return out


def _replacer(kind: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return f"{match.group('k')} <redacted:{kind}>"

    return replace


def redact_text(text: str) -> str:
    """Redact every line of a text (see :func:`redact_line`)."""
    return "\n".join(redact_line(line) for line in text.split("\n"))
