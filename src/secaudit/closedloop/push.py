"""The one place secaudit writes to a device: a netmiko configuration session on a lab host.

Strict host keys and credentials exactly as the live collector uses them; the platform's
configuration session (``PlatformSpec.config_session``) gives the enter, commit and exit
commands. Every answer of the device is returned (the caller redacts it before storing it).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

from netmiko import ConnectHandler

from secaudit.collect.credentials import Credential
from secaudit.collect.hostkeys import known_hosts_path
from secaudit.collect.live import LiveOptions, _netmiko_extras
from secaudit.models.target import Target
from secaudit.platforms import get_platform

_ANY_PROMPT = r"[>#\]]\s*$"


@dataclass(frozen=True, slots=True)
class PushResult:
    """What the device answered, and the lines it rejected (with the platform's error text)."""

    answers: str
    rejected: tuple[str, ...]


def rejected_lines(answers: str, markers: tuple[str, ...], lines: tuple[str, ...]) -> tuple[str, ...]:
    """The pushed lines whose echo is followed by a failure marker before the next prompt.

    Examples:
        >>> out = "[R1]ntp a\\n[R1]bad x\\n    ^\\nError: Unrecognized command\\n[R1]"
        >>> rejected_lines(out, ("Error:",), ("ntp a", "bad x"))
        ('bad x',)
    """
    found: list[str] = []
    rest = answers
    for line in lines:
        at = rest.find(line.strip())
        if at < 0:
            continue
        rest = rest[at + len(line.strip()) :]
        nxt = min(
            (rest.find(ln.strip()) for ln in lines if ln.strip() and rest.find(ln.strip()) >= 0), default=-1
        )
        chunk = rest if nxt < 0 else rest[:nxt]
        if any(m in chunk for m in markers):
            found.append(line.strip())
    return tuple(found)


def push(target: Target, cred: Credential, options: LiveOptions, lines: tuple[str, ...]) -> PushResult:
    """Open a strict SSH session, enter configuration mode, send ``lines``, commit, leave."""
    spec = get_platform(target.platform)
    session = spec.config_session
    if session is None or spec.netmiko_device_type is None:
        raise ValueError(f"{target.name}: platform {spec.name} has no configuration session")
    known = known_hosts_path(options.known_hosts_dir, target.name)
    extras = _netmiko_extras(spec, known, options, cred)
    extras.pop("session_log", None)
    conn: Any = ConnectHandler(
        device_type=spec.netmiko_device_type,
        host=target.hostname,
        port=target.port or 22,
        username=cred.username,
        password=cred.password,
        **extras,
    )
    marker = session.mode_marker

    def in_config_mode(*_: Any, **__: Any) -> bool:
        # the driver's own check waits for silence (2 s on VRP); the prompt says it at once
        conn.write_channel(conn.RETURN)
        return marker in conn.read_until_pattern(pattern=_ANY_PROMPT)

    try:
        answers = ""
        if (session.enable or spec.enable_before_commands) and not conn.check_enable_mode():
            answers += conn.enable()
        if session.enter:
            conn.check_config_mode = in_config_mode
        answers += conn.send_config_set(
            list(lines),
            config_mode_command=session.enter[0] if session.enter else None,
            exit_config_mode=False,
            read_timeout=options.command_timeout,
        )
        if session.commit is not None:
            answers += conn.send_command(session.commit, expect_string=_ANY_PROMPT, strip_prompt=False)
        if session.enter:
            answers += conn.exit_config_mode(exit_config=session.exit[0])
        return PushResult(answers, rejected_lines(answers, spec.failure_markers, lines))
    finally:
        with contextlib.suppress(Exception):
            conn.check_config_mode = lambda *_a, **_k: False
            conn.disconnect()


def strip_ansi(text: str) -> str:
    """Terminal escape sequences removed (stored answers are plain text).

    Examples:
        >>> strip_ansi("a\\x1b[10Db")
        'ab'
    """
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
