"""What a simulated device is: its platform, credentials, canned outputs and injected fault."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from secaudit.platforms import lab_platforms

LAB_PLATFORMS: tuple[str, ...] = tuple(spec.name.value for spec in lab_platforms())
"""secaudit platforms the lab can simulate (those whose spec has a lab profile), in registry order."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def normalize_command(line: str) -> str:
    """A command line as the lab matches it: surrounding and repeated inner whitespace removed.

    Examples:
        >>> normalize_command("  display   current-configuration ")
        'display current-configuration'
    """
    return " ".join(line.split())


class FaultMode(StrEnum):
    """A failure the simulated device injects. Values are stable (used in files and on the CLI).

    Connection-level faults: ``wrong_password``, ``changed_host_key``, ``closed_port`` and
    ``hang_after_login`` (without ``fault_command``). Command-level faults apply to
    ``DeviceSpec.fault_command``, or to every command with a canned output when it is ``None``:
    ``hang_after_login`` with a ``fault_command`` hangs when that command arrives;
    ``slow_think`` delays the answer by ``think_time_s``; ``pager_left_on`` ignores the paging-off
    command (no effect on a platform without a pager, such as the Huawei ONT CLI);
    ``disconnect_mid_output`` sends half the output and closes the session;
    ``truncate_then_hang`` sends half the output and then nothing more (the session stays open);
    ``empty_output`` answers with nothing but the next prompt.
    """

    NONE = "none"
    HANG_AFTER_LOGIN = "hang_after_login"
    DISCONNECT_MID_OUTPUT = "disconnect_mid_output"
    GARBAGE_OUTPUT = "garbage_output"
    COMMAND_REJECTED = "command_rejected"
    PAGER_LEFT_ON = "pager_left_on"
    SLOW_THINK = "slow_think"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 - a fault name, not a secret
    CHANGED_HOST_KEY = "changed_host_key"
    CLOSED_PORT = "closed_port"
    TRUNCATE_THEN_HANG = "truncate_then_hang"
    EMPTY_OUTPUT = "empty_output"


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """One simulated device.

    ``outputs`` maps an exact command (see :func:`normalize_command`) to its output text *without*
    pager prompts: the simulated device paginates by itself until the platform's paging-off
    command. ``think_time_s`` is the delay before each answer under ``FaultMode.SLOW_THINK``.
    ``writable``: the device accepts its platform's configuration sessions (a read-only device
    refuses them with the platform's error, as every lab device did before ``remediate apply``).

    Examples:
        >>> spec = DeviceSpec("olt1", "huawei_smartax", "MA5800-X7", "audit", "pw",
        ...                   {"display version": "VERSION : MA5800V100R019C10"})
        >>> spec.fault, spec.outputs["display version"]
        (<FaultMode.NONE: 'none'>, 'VERSION : MA5800V100R019C10')
        >>> "pw" in repr(spec)
        False
        >>> DeviceSpec("bad name", "huawei_vrp", "R1", "u", "p")
        Traceback (most recent call last):
        ...
        ValueError: device name 'bad name' must match [A-Za-z0-9][A-Za-z0-9._-]{0,62}
    """

    name: str
    platform: str
    hostname_prompt: str
    username: str
    password: str = field(repr=False)
    outputs: Mapping[str, str] = field(default_factory=dict, hash=False)
    fault: FaultMode = FaultMode.NONE
    think_time_s: float = 0.0
    fault_command: str | None = None
    writable: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "fault", FaultMode(self.fault))
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"device name {self.name!r} must match {_NAME.pattern}")
        if self.platform not in LAB_PLATFORMS:
            raise ValueError(f"{self.name}: platform {self.platform!r} not in {', '.join(LAB_PLATFORMS)}")
        if not self.hostname_prompt or any(c.isspace() for c in self.hostname_prompt):
            raise ValueError(f"{self.name}: hostname_prompt must be one non-empty word")
        if self.think_time_s < 0:
            raise ValueError(f"{self.name}: think_time_s must be >= 0")
        if self.fault is FaultMode.SLOW_THINK and self.think_time_s == 0:
            raise ValueError(f"{self.name}: slow_think needs think_time_s > 0")
        outputs = {normalize_command(cmd): text for cmd, text in self.outputs.items()}
        object.__setattr__(self, "outputs", MappingProxyType(outputs))
        if self.fault_command is not None:
            object.__setattr__(self, "fault_command", normalize_command(self.fault_command))
