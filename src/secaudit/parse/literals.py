"""Literal text a regular expression requires, read from the regex's own parse.

Used to answer "which lines can this pattern match?" without running it on every line: a line
can only match ``^snmp-agent community`` if it starts with ``snmp-agent community``, and only
match ``.*speed.*`` if it contains ``speed``.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # type: ignore[import-not-found]  # the standard library's
import re._parser as sre_parse  # type: ignore[import-not-found]  # own regex parser
from functools import lru_cache


@lru_cache(maxsize=8192)
def regex_literals(pattern: str) -> tuple[str | None, str | None]:
    r"""(anchored literal prefix, longest literal every match must contain) of a regex.

    Read from the regex's own parse (the standard library's ``re._parser``), so both are exact:
    a line matching ``^snmp-agent community`` starts with ``snmp-agent community``; a line
    matching ``ssh server cipher .*cbc`` contains ``ssh server cipher ``. Case-insensitive
    patterns give no literals; anything unexpected gives none (the rule is then tried on every
    line).

    Examples:
        >>> regex_literals(r"^snmp-agent community (?:read|write)\s+\S+")
        ('snmp-agent community ', 'snmp-agent community ')
        >>> regex_literals(r"undo\s+telnet server")
        (None, 'telnet server')
        >>> regex_literals(r"(?i)^telnet")
        (None, None)
    """
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError):  # pragma: no cover - the loader rejects bad regexes
        return None, None
    if parsed.state.flags & re.IGNORECASE:
        return None, None
    items = list(parsed)
    anchored = bool(items) and items[0] == (sre_constants.AT, sre_constants.AT_BEGINNING)
    runs: list[str] = []
    current: list[str] = []
    prefix: str | None = None
    for op, value in items[1:] if anchored else items:
        if op is sre_constants.LITERAL:
            current.append(chr(value))
            continue
        if anchored and prefix is None:
            prefix = "".join(current)
        runs.append("".join(current))
        current = []
    runs.append("".join(current))
    if anchored and prefix is None:
        prefix = "".join(current)
    longest = max(runs, key=len)
    return (prefix or None), (longest or None)
