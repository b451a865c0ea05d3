"""Credentials per operator: environment variables or a 0600 secrets file outside the repository.

Environment: ``SECAUDIT_<OPERATOR>_USERNAME`` and ``SECAUDIT_<OPERATOR>_PASSWORD`` (optional
``SECAUDIT_<OPERATOR>_SECRET`` for an enable secret), e.g. ``SECAUDIT_TELECOM_PASSWORD``.
Secrets file (YAML, mode 0600, not inside a git work tree)::

    telecom: {username: auditor, password: "..."}
    mobile: {username: auditor, password: "...", secret: "..."}

Environment variables win over the file. Values never appear in ``repr``/``str``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from secaudit.errors import ConfigurationError
from secaudit.yamlio import YamlError, load_yaml


@dataclass(frozen=True, slots=True)
class Credential:
    """A username and password; ``repr`` never shows the password."""

    username: str
    password: str = field(repr=False)
    secret: str = field(default="", repr=False)


def env_names(operator: str) -> tuple[str, str, str]:
    """Environment variable names for one operator.

    Examples:
        >>> env_names("telecom")
        ('SECAUDIT_TELECOM_USERNAME', 'SECAUDIT_TELECOM_PASSWORD', 'SECAUDIT_TELECOM_SECRET')
    """
    base = f"SECAUDIT_{operator.upper()}"
    return f"{base}_USERNAME", f"{base}_PASSWORD", f"{base}_SECRET"


def _inside_git_tree(path: Path) -> Path | None:
    for parent in path.resolve().parents:
        if (parent / ".git").exists():
            return parent
    return None


FIX_VALUES_KEY = "fix_values"
"""The secrets-file entry holding the values ``remediate apply`` puts into placeholders."""


def load_secret_yaml(path: Path) -> object:
    """A secrets file's YAML after checking its mode (0600 or stricter) and location."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read secrets file: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"{path}: secrets file mode is {mode & 0o777:o}; it must be 600 (chmod 600 {path})"
        )
    repo = _inside_git_tree(path)
    if repo is not None:
        raise ConfigurationError(f"{path}: secrets file is inside the git work tree {repo}; keep it outside")
    try:
        return load_yaml(path) or {}
    except YamlError as exc:
        raise ConfigurationError(str(exc).split(":", 1)[0] + ": secrets file is not valid YAML") from None


def load_secrets_file(path: Path) -> dict[str, Credential]:
    """Read a secrets file after checking its mode (0600 or stricter) and location.

    The optional ``fix_values`` entry (placeholder values for ``remediate apply``) is not an
    operator; :func:`load_fix_values` reads it.
    """
    data = load_secret_yaml(path)
    out: dict[str, Credential] = {}
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{path}: secrets file must map operator -> {{username, password}}")
    for operator, entry in data.items():
        if operator == FIX_VALUES_KEY:
            continue
        if not isinstance(entry, Mapping) or "username" not in entry or "password" not in entry:
            raise ConfigurationError(f"{path}: operator {operator!r} needs username and password")
        out[str(operator)] = Credential(
            str(entry["username"]), str(entry["password"]), str(entry.get("secret", ""))
        )
    return out


def load_fix_values(path: Path) -> dict[str, str]:
    """The ``fix_values`` entry of a secrets file: placeholder name (``ip-1``, or ``host/ip-1``
    for one host) -> value."""
    data = load_secret_yaml(path)
    entry = data.get(FIX_VALUES_KEY, {}) if isinstance(data, Mapping) else {}
    if not isinstance(entry, Mapping) or not all(isinstance(v, (str, int)) for v in entry.values()):
        raise ConfigurationError(f"{path}: {FIX_VALUES_KEY} must map placeholder name -> value")
    return {str(k): str(v) for k, v in entry.items()}


def resolve(
    operators: list[str], secrets_file: Path | None, environ: Mapping[str, str] | None = None
) -> dict[str, Credential]:
    """Credentials per operator; operators without any are absent from the result."""
    env = os.environ if environ is None else environ
    from_file = load_secrets_file(secrets_file) if secrets_file is not None else {}
    out: dict[str, Credential] = {}
    for op in operators:
        user_var, pass_var, secret_var = env_names(op)
        if user_var in env and pass_var in env:
            out[op] = Credential(env[user_var], env[pass_var], env.get(secret_var, ""))
        elif op in from_file:
            out[op] = from_file[op]
    return out


def secret_values(creds: Mapping[str, Credential]) -> tuple[str, ...]:
    """Every secret value, for scrubbing exception text and logs (longest first)."""
    values = {v for c in creds.values() for v in (c.password, c.secret) if v}
    return tuple(sorted(values, key=len, reverse=True))


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace any known secret value in ``text``.

    Examples:
        >>> scrub("login as x with hunter22 failed", ("hunter22",))
        'login as x with <redacted> failed'
    """
    for value in secrets:
        if len(value) >= 3:
            text = text.replace(value, "<redacted>")
    return text
