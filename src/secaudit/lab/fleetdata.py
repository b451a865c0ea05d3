"""Canned command outputs of the lab's hardened devices, and named non-compliance variants.

Data layout (shipped inside the package, read relative to this file)::

    data/<platform>/<command-slug>.txt   what a hardened device prints for that command
    data/variants.yaml                   per platform: named variants = literal text edits

A file name is the command's slug (:func:`secaudit.collect.text.command_slug`). Every command the
baseline needs is lower-case words separated by single spaces, so the slug maps back to exactly
one command (``_`` -> space); ``tests/lab/test_lab_data.py`` checks that round trip against the
catalogue. The only template is the token ``{{hostname}}`` (the device's own name), replaced by
:func:`platform_outputs`; nothing else is substituted.

A variant breaks a hardened device in a realistic, minimal way (Telnet on, an SNMPv2c community,
one NTP server without a key, ...) and names the controls it is expected to break. Each edit
replaces text that must occur exactly once in one command's output: ``command`` names it, and
defaults to the platform's configuration command (``display current-configuration``,
``show running-config``).

Examples:
    >>> outputs = platform_outputs("huawei_vrp", "CSR-LAB-01")
    >>> "sysname CSR-LAB-01" in outputs["display current-configuration"]
    True
    >>> telnet = load_variants()["huawei_vrp"]["telnet_on"]
    >>> broken = apply_variant(outputs, telnet)
    >>> "telnet server enable" in broken["display current-configuration"]
    True
    >>> "telnet server enable" in outputs["display current-configuration"]
    False
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from secaudit.models.control import CONTROL_ID_PATTERN
from secaudit.platforms import PLATFORMS

DATA_DIR = Path(__file__).resolve().parent / "data"
"""Where the canned outputs and ``variants.yaml`` live."""

HOSTNAME_TOKEN = "{{hostname}}"  # noqa: S105 - a template token, not a secret
"""The one template token in the data: the device's own name."""

_CONFIG_COMMANDS = frozenset(spec.config_command for spec in PLATFORMS.values() if spec.config_command)


class _Closed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Edit(_Closed):
    """One literal text edit: ``replace`` (must occur exactly once) becomes ``with``.

    ``command`` is the command whose output is edited; ``None`` means the platform's configuration
    command.
    """

    command: str | None = Field(default=None, min_length=1)
    replace: str = Field(min_length=1)
    with_: str = Field(alias="with")


class Variant(_Closed):
    """A named non-compliance variant: its edits and the controls it is expected to break."""

    breaks: tuple[str, ...] = Field(min_length=1)
    edits: tuple[Edit, ...] = Field(min_length=1)
    description: str = ""

    @field_validator("breaks")
    @classmethod
    def _control_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [cid for cid in value if not re.fullmatch(CONTROL_ID_PATTERN, cid)]
        if bad:
            raise ValueError(f"not control ids: {', '.join(bad)}")
        if len(set(value)) != len(value):
            raise ValueError("a control is listed twice")
        return value


_VARIANTS_FILE: TypeAdapter[dict[str, dict[str, Variant]]] = TypeAdapter(dict[str, dict[str, Variant]])


def lab_data_platforms() -> tuple[str, ...]:
    """Platforms that have canned outputs (one folder each under ``data/``).

    Examples:
        >>> "huawei_smartax" in lab_data_platforms()
        True
    """
    return tuple(sorted(p.name for p in DATA_DIR.iterdir() if p.is_dir() and not p.name.startswith(".")))


def command_from_slug(slug: str) -> str:
    """The command a data file name stands for (``_`` -> space; see the module docstring).

    Examples:
        >>> command_from_slug("display_ntp-service_status")
        'display ntp-service status'
    """
    return slug.replace("_", " ")


def platform_outputs(platform: str, hostname: str) -> dict[str, str]:
    """Command -> output of a hardened ``platform`` device whose own name is ``hostname``.

    Raises:
        ValueError: unknown platform, or a hostname that is empty or contains whitespace.
    """
    if not hostname or any(c.isspace() for c in hostname) or HOSTNAME_TOKEN in hostname:
        raise ValueError(f"hostname {hostname!r} must be one non-empty word")
    folder = DATA_DIR / platform
    if not folder.is_dir():
        raise ValueError(f"no lab data for platform {platform!r} (have: {', '.join(lab_data_platforms())})")
    outputs: dict[str, str] = {}
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        outputs[command_from_slug(path.stem)] = text.replace(HOSTNAME_TOKEN, hostname)
    return outputs


def load_variants(path: Path | None = None) -> dict[str, dict[str, Variant]]:
    """Platform -> variant name -> :class:`Variant`, from ``data/variants.yaml`` (or ``path``).

    Raises:
        ValueError: the file is not valid YAML or does not match the schema.
    """
    source = path or DATA_DIR / "variants.yaml"
    try:
        raw = YAML(typ="safe", pure=True).load(source.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise ValueError(f"{source}: cannot read variants: {exc}") from None
    try:
        return _VARIANTS_FILE.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{source}: {where}: {first['msg']}") from None


def _config_command(outputs: Mapping[str, str]) -> str:
    found = [cmd for cmd in outputs if cmd in _CONFIG_COMMANDS]
    if len(found) != 1:
        raise ValueError("the edit names no command and the outputs hold no single configuration command")
    return found[0]


def apply_variant(outputs: Mapping[str, str], variant: Variant) -> dict[str, str]:
    """A copy of ``outputs`` with the variant's edits applied in order.

    Raises:
        ValueError: an edit's command has no output, or its ``replace`` text does not occur
            exactly once.
    """
    result = dict(outputs)
    for edit in variant.edits:
        command = edit.command or _config_command(result)
        if command not in result:
            raise ValueError(f"edit for {command!r}: no such command in the outputs")
        count = result[command].count(edit.replace)
        if count != 1:
            raise ValueError(f"edit for {command!r}: {edit.replace!r} occurs {count} times, expected once")
        result[command] = result[command].replace(edit.replace, edit.with_)
    return result
