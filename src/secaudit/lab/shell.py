"""The interactive CLI of one simulated device: bytes in, effects out (no sockets, no threads).

``DeviceShell.feed`` turns what the client typed into a list of effects for the server to carry
out in order: bytes to send (echo, output and prompt merged so they leave in as few packets as
possible), a ``Pause`` (think time) or a ``Hangup`` (close the session).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from secaudit.lab.config import DeviceConfig, typed_line_ok
from secaudit.lab.model import DeviceSpec, FaultMode, normalize_command
from secaudit.lab.platforms import (
    CONFIG_COMMANDS,
    CliProfile,
    answer_lines,
    error_lines,
    garbage,
    get_profile,
    is_paging_off,
    pager_erase,
)

SMART_PROMPT = "{ <cr>||<K> }:"
CRLF = "\r\n"


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait ``seconds`` before carrying out the following effects."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Hangup:
    """Close the SSH session (after sending everything before it)."""


Effect = bytes | Pause | Hangup


class _State(Enum):
    LINE = "line"
    PASSWORD = "password"  # noqa: S105 - a mode name, not a secret
    PAGER = "pager"
    SMART = "smart"
    CONFIRM = "confirm"
    UNCOMMITTED = "uncommitted"
    HUNG = "hung"
    CLOSED = "closed"


class DeviceShell:
    """CLI state machine of one SSH session on one simulated device.

    Order of handling for a command line: an injected command-level fault first, then the
    platform's own commands (enable, paging off, logout, entering configuration mode on a
    writable device; refused on a read-only one), then setter lines (``ConfigSession.setters``),
    then ``outputs`` (SmartAX smart mode and the pager apply here), else the platform's error
    text. In configuration mode every line goes to :meth:`_config_line`: it changes the shared
    :class:`~secaudit.lab.config.DeviceConfig` (at once, or at ``commit`` on a candidate platform).
    Every command line is recorded; passwords and pager keys are not.

    Examples:
        >>> spec = DeviceSpec("r1", "huawei_vrp", "R1", "u", "p", {"display clock": "10:00"})
        >>> sh = DeviceShell(spec, record=lambda cmd: None)
        >>> sh.start()
        [b'<R1>']
        >>> sh.feed(b"display clock\\n")
        [b'display clock\\r\\n10:00\\r\\n<R1>']
        >>> sh.feed(b"system-view\\n")[0].decode().splitlines()
        ['system-view', '[R1]']
        >>> sh.feed(b"ip <ip-1>\\n")[0].decode().splitlines()[1:]
        ['    ^', "Error: Unrecognized command found at '^' position.", '[R1]']
        >>> sh.feed(b"return\\n")
        [b'return\\r\\n<R1>']
        >>> sh.feed(b"quit\\n")
        [b'quit\\r\\n', Hangup()]
    """

    def __init__(
        self, spec: DeviceSpec, record: Callable[[str], None], device: DeviceConfig | None = None
    ) -> None:
        self.spec = spec
        self.device = device or DeviceConfig(spec)
        self._views: list[tuple[int, str]] | None = None  # configuration mode: the section stack
        self._candidate: list[tuple[tuple[str, ...], str]] = []
        self.profile: CliProfile = get_profile(spec.platform)
        self._record = record
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._state = _State.LINE
        self._enabled = False
        self._paging = self.profile.pager is not None
        self._smart = self.profile.smart_mode
        self._line = ""
        self._after_cr = False
        self._pending_lines: list[str] = []
        self._pending_command = ""
        self._effects: list[Effect] = []

    @property
    def closed(self) -> bool:
        """True once the session has been hung up."""
        return self._state is _State.CLOSED

    @property
    def prompt(self) -> str:
        """The prompt for the current mode."""
        session = self.device.session
        if self._views is not None and session is not None:
            path = tuple(text for _, text in self._views)
            while path and not self.device.is_section(path):
                path = path[:-1]
            if path:
                view = path[-1].split()[0]
                return session.view_prompt.format(name=self.spec.hostname_prompt, view=view)
            return session.prompt.format(name=self.spec.hostname_prompt)
        template = self.profile.enable_prompt if self._enabled else self.profile.user_prompt
        return (template or self.profile.user_prompt).format(name=self.spec.hostname_prompt)

    def start(self) -> list[Effect]:
        """Effects right after the shell opens: the first prompt (then silence if hung)."""
        self._emit(self.prompt)
        if self.spec.fault is FaultMode.HANG_AFTER_LOGIN and self.spec.fault_command is None:
            self._state = _State.HUNG
        return self._take()

    def feed(self, data: bytes) -> list[Effect]:
        """Process client input; NUL bytes are ignored (netmiko's SmartAX logout loop sends them)."""
        for ch in self._decoder.decode(data).replace("\x00", ""):
            if self._state in (_State.HUNG, _State.CLOSED):
                break
            if ch == "\n" and self._after_cr:  # CR LF is one Enter
                self._after_cr = False
                continue
            self._after_cr = ch == "\r"
            if self._state is _State.PAGER:
                self._pager_key(ch)
            elif ch in "\r\n":
                line, self._line = self._line, ""
                self._emit(CRLF)
                self._submit(line)
            elif ch in "\x7f\x08":
                if self._line:
                    self._line = self._line[:-1]
                    self._emit("\b \b")
            elif ch == "\x03":
                self._line = ""
                self._state = _State.LINE
                self._emit("^C" + CRLF + self.prompt)
            elif ch >= " ":
                self._line += ch
                if self._state is not _State.PASSWORD:
                    self._emit(ch)
        return self._take()

    # -- output plumbing -------------------------------------------------------------------------

    def _emit(self, data: str | bytes) -> None:
        chunk = data.encode() if isinstance(data, str) else data
        if self._effects and isinstance(self._effects[-1], bytes):
            self._effects[-1] += chunk
        else:
            self._effects.append(chunk)

    def _take(self) -> list[Effect]:
        effects, self._effects = self._effects, []
        return effects

    def _prompt(self) -> None:
        self._state = _State.LINE
        self._emit(self.prompt)

    def _lines_then_prompt(self, lines: list[str]) -> None:
        self._emit("".join(line + CRLF for line in lines))
        self._prompt()

    def _hangup(self) -> None:
        self._state = _State.CLOSED
        self._effects.append(Hangup())

    # -- input handling --------------------------------------------------------------------------

    def _submit(self, line: str) -> None:
        state = self._state
        if state is _State.PASSWORD:  # any enable password, even an empty one, is accepted
            self._enabled = True
            self._prompt()
        elif state is _State.CONFIRM:
            if line.strip().lower() in ("y", "yes"):
                self._hangup()
            else:
                self._prompt()
        elif state is _State.UNCOMMITTED:
            answer = line.strip().lower()
            if answer in ("yes", "no"):
                if answer == "yes":
                    self.device.apply(self._candidate)
                self._candidate = []
                self._views = None
            self._prompt()
        elif state is _State.SMART:
            extra = normalize_command(line)
            command = f"{self._pending_command} {extra}" if extra else self._pending_command
            self._answer(command)
        else:
            command = normalize_command(line)
            if not command:
                self._prompt()
                return
            self._record(command)
            if self._views is not None:
                self._config_line(line, command)
            else:
                self._command(command)

    def _fault_hits(self, command: str) -> bool:
        target = self.spec.fault_command
        return command == target if target is not None else command in self.spec.outputs

    def _command(self, command: str) -> None:
        if self._fault_hits(command):
            if self.spec.fault is FaultMode.SLOW_THINK:
                self._effects.append(Pause(self.spec.think_time_s))
            elif self.spec.fault in _COMMAND_FAULTS:
                self._answer(command)
                return
        if not self._builtin(command.lower()):
            self._answer(command)

    def _builtin(self, low: str) -> bool:
        """Handle the platform's own commands; False means "look the command up in outputs"."""
        p = self.profile
        if low == p.disable_command and self._enabled:
            self._enabled = False
        elif low in p.logout:
            if p.logout_confirm:
                self._state = _State.CONFIRM
                self._emit(p.logout_confirm)
            else:
                self._hangup()
            return True
        elif low == p.enable_command and not self._enabled:
            if p.enable_password:
                self._state = _State.PASSWORD
                self._emit("Password:")
                return True
            self._enabled = True
        elif is_paging_off(p, low):
            self._paging = self._paging and self.spec.fault is FaultMode.PAGER_LEFT_ON
        elif p.smart_mode and low in ("smart", "undo smart"):
            self._smart = low == "smart"
        elif self._enters_config(low):
            self._views = []
        elif low in CONFIG_COMMANDS:
            self._lines_then_prompt(error_lines(p, self.prompt))
            return True
        elif self.spec.writable and self._enabled_or_open() and self.device.set(low):
            pass
        elif low not in p.accepted and low != p.enable_command:
            return False
        self._prompt()
        return True

    # -- configuration mode ----------------------------------------------------------------------

    def _enters_config(self, low: str) -> bool:
        session = self.device.session
        return (
            self.spec.writable
            and session is not None
            and low in session.enter
            and self._enabled_or_open()
            and self.device.platform.config_command is not None
        )

    def _enabled_or_open(self) -> bool:
        return self._enabled or self.profile.enable_command is None

    def _config_line(self, raw: str, command: str) -> None:
        """One line in configuration mode: leave, commit, or a configuration line."""
        session = self.device.session
        assert session is not None and self._views is not None  # noqa: S101 - set together
        low = command.lower()
        if low in session.exit or (low in session.leave and not self._views):
            if self._candidate and session.uncommitted:
                self._state = _State.UNCOMMITTED
                self._emit(session.uncommitted)
                return
            self._views = None
        elif low in session.leave:
            self._views.pop()
        elif low in session.leave_all:
            self._views.clear()
        elif session.commit is not None and low == session.commit:
            self.device.apply(self._candidate)
            self._candidate = []
        elif low == "abort" and session.candidate:
            self._candidate, self._views = [], None
        elif (
            not typed_line_ok(command)
            or not self.device.knows(command)
            or (self.spec.fault is FaultMode.COMMAND_REJECTED and self.spec.fault_command == command)
        ):
            self._lines_then_prompt(error_lines(self.profile, self.prompt))
            return
        else:
            indent = len(raw) - len(raw.lstrip())
            while self._views and self._views[-1][0] >= indent:
                self._views.pop()
            path = tuple(text for _, text in self._views)
            if session.candidate:
                self._candidate.append((path, command))
            else:
                self.device.apply([(path, command)])
            self._views.append((indent, command))
        self._prompt()

    def _answer(self, command: str) -> None:
        """Answer a command from ``outputs``, with the device's fault applied if it hits."""
        spec, p = self.spec, self.profile
        text = self.device.output(command)
        if self._fault_hits(command):
            fault = spec.fault
            if fault is FaultMode.HANG_AFTER_LOGIN:
                self._state = _State.HUNG
                return
            if fault is FaultMode.COMMAND_REJECTED:
                self._lines_then_prompt(error_lines(p, self.prompt))
                return
            if fault is FaultMode.GARBAGE_OUTPUT:
                self._emit(garbage(command) + CRLF.encode())
                self._prompt()
                return
            if fault in (FaultMode.DISCONNECT_MID_OUTPUT, FaultMode.TRUNCATE_THEN_HANG):
                full = CRLF.join(answer_lines(p, text or ""))
                self._emit(full[: max(1, len(full) // 2)])
                if fault is FaultMode.DISCONNECT_MID_OUTPUT:
                    self._hangup()
                else:
                    self._state = _State.HUNG
                return
            if fault is FaultMode.EMPTY_OUTPUT:
                self._prompt()
                return
        if text is None:
            self._lines_then_prompt(error_lines(p, self.prompt))
        elif self._smart and self._state is not _State.SMART and command.lower().startswith("display"):
            self._state = _State.SMART
            self._pending_command = command
            self._emit(SMART_PROMPT)
        else:
            self._pending_lines = answer_lines(p, text)
            self._page(p.page_lines)

    def _page(self, count: int) -> None:
        """Print ``count`` more pending lines, then the pager prompt or, when done, the prompt."""
        pager = self.profile.pager
        if not (self._paging and pager) or len(self._pending_lines) <= count:
            lines, self._pending_lines = self._pending_lines, []
            self._lines_then_prompt(lines)
            return
        head, self._pending_lines = self._pending_lines[:count], self._pending_lines[count:]
        self._emit("".join(line + CRLF for line in head) + pager)
        self._state = _State.PAGER

    def _pager_key(self, key: str) -> None:
        self._emit(pager_erase(self.profile.pager or ""))
        if key in "qQ\x03":
            self._pending_lines = []
            self._prompt()
        else:
            self._page(1 if key in "\r\n" else self.profile.page_lines)


_COMMAND_FAULTS = frozenset(
    {
        FaultMode.HANG_AFTER_LOGIN,
        FaultMode.COMMAND_REJECTED,
        FaultMode.GARBAGE_OUTPUT,
        FaultMode.DISCONNECT_MID_OUTPUT,
        FaultMode.TRUNCATE_THEN_HANG,
        FaultMode.EMPTY_OUTPUT,
    }
)
