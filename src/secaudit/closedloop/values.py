"""Values a fix needs (placeholders such as ``<ip-1>`` or ``<password>``), and which fixes can be
pushed at all.

Values come only from the environment (``SECAUDIT_FIX_<NAME>``) or the ``fix_values`` entry of the
secrets file, never from the plan text. A value redacted from the evidence (``<redacted:...>``),
advice in parentheses, or a placeholder without a value keeps its fix out of the push, with the
reason in the bundle.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from secaudit.remediate import ControlFix

_TOKEN = re.compile(r"<([^<>\s]+)>")


def env_name(placeholder: str) -> str:
    """The environment variable holding a placeholder's value.

    Examples:
        >>> env_name("ip-1"), env_name("named-admin")
        ('SECAUDIT_FIX_IP_1', 'SECAUDIT_FIX_NAMED_ADMIN')
    """
    return "SECAUDIT_FIX_" + re.sub(r"[^A-Za-z0-9]", "_", placeholder).upper()


@dataclass(frozen=True, slots=True)
class Values:
    """Placeholder values for one host (from the secrets file, then the environment)."""

    host: str
    from_file: Mapping[str, str]
    environ: Mapping[str, str]

    def get(self, name: str, control: str = "") -> str | None:
        """The value of placeholder ``name`` in ``control``'s fix: the environment first, then the
        file's ``host/control/name``, ``control/name``, ``host/name`` and ``name``.

        Examples:
            >>> v = Values("r1", {"ip": "10.0.0.1", "SEC-X-001/ip": "10.0.0.9"}, {})
            >>> v.get("ip"), v.get("ip", "SEC-X-001"), v.get("key")
            ('10.0.0.1', '10.0.0.9', None)
        """
        env = self.environ.get(env_name(name))
        if env:
            return env
        keys = (f"{self.host}/{control}/{name}", f"{control}/{name}", f"{self.host}/{name}", name)
        return next((self.from_file[k] for k in keys if k in self.from_file), None)

    @classmethod
    def of(cls, host: str, from_file: Mapping[str, str], environ: Mapping[str, str] | None = None) -> Values:
        """Values for ``host`` (``environ`` defaults to the process environment)."""
        return cls(host, from_file, os.environ if environ is None else environ)


@dataclass(frozen=True, slots=True)
class Pushable:
    """A fix ready to push: its filled lines, its filled rollback, and the values used."""

    fix: ControlFix
    lines: tuple[str, ...]
    rollback: tuple[str, ...]
    secrets: tuple[str, ...]


def fill(
    lines: tuple[str, ...], values: Values, control: str = ""
) -> tuple[tuple[str, ...], set[str], set[str]]:
    """Lines with placeholders filled; the values used; the placeholders left without a value.

    Examples:
        >>> v = Values("r1", {"ip-1": "10.0.0.1"}, {})
        >>> fill(("ntp server <ip-1> key <key>",), v)
        (('ntp server 10.0.0.1 key <key>',), {'10.0.0.1'}, {'key'})
        >>> fill(("community <redacted:cipher>",), v)[2]
        {'redacted:cipher'}
    """
    used: set[str] = set()
    missing: set[str] = set()

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        value = None if name.startswith("redacted") else values.get(name, control)
        if value is None:
            missing.add(name)
            return match.group(0)
        used.add(value)
        return value

    return tuple(_TOKEN.sub(sub, line) for line in lines), used, missing


def pushable(fix: ControlFix, values: Values, *, from_config: bool = True) -> Pushable | str:
    """The fix ready to push, or why it cannot be pushed. ``from_config``: the control is judged
    from the configuration (a fix of a control judged from runtime state is advice)."""
    if not fix.remediation:
        return "no configuration lines (see the finding message)"
    if not from_config:
        return "the control is judged from runtime state, not the configuration: its lines are advice"
    advice = [line for line in (*fix.remediation, *fix.rollback) if line.strip().startswith("(")]
    if advice:
        return f"advice, not configuration: {advice[0].strip()}"
    lines, used, missing = fill(fix.remediation, values, fix.control_id)
    back, used_back, missing_back = fill(fix.rollback, values, fix.control_id)
    missing |= missing_back
    redacted = sorted(m for m in missing if m.startswith("redacted"))
    if redacted:
        return f"needs values redacted in the evidence ({', '.join(redacted)}): take them from the device"
    if missing:
        names = sorted(missing)
        return "needs values: " + ", ".join(
            f"<{n}> ({env_name(n)} or fix_values in the secrets file)" for n in names
        )
    secrets = tuple(sorted(used | used_back, key=len, reverse=True))
    return Pushable(fix, lines, back, secrets)
