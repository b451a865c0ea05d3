"""Live collector: Nornir (threaded runner) + nornir-netmiko, strictly read-only.

* Only commands on the platform's read-only allowlist are sent (checked in code, per command);
  configuration mode is never entered.
* Strict host keys: ``ssh_strict=True``, no system host keys, a per-host known_hosts file that
  must exist (a missing file fails closed before any connection is attempted).
* One connection per host; per-command read timeouts; every failure is classified and becomes
  evidence states, never an exception out of the run.
* Raw output is turned into the same ``Evidence`` as the offline collector produces (decoded,
  assessed by :func:`secaudit.collect.text.assess`); TextFSM runs once, in the parse stage, and a
  parse failure there is an evidence error (the equivalent of netmiko's ``raise_parsing_error``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nornir.core import Nornir
from nornir.core.inventory import ConnectionOptions, Host
from nornir.core.task import MultiResult, Result, Task
from nornir.plugins.runners import ThreadedRunner

from secaudit.collect.classify import classify_exception, state_from_evidence
from secaudit.collect.credentials import Credential, scrub
from secaudit.collect.hostkeys import known_hosts_path
from secaudit.collect.plan import PlannedCommand
from secaudit.collect.text import assess, command_slug, decode_output, repair_text, sha256_hex
from secaudit.collect.transport import CONNECTION, ChannelClosedError, ChannelWatch
from secaudit.models.enums import CollectionState, EvidenceSource, EvidenceState
from secaudit.models.evidence import Evidence, HostEvidence
from secaudit.models.target import Target
from secaudit.platforms import get_platform
from secaudit.platforms.base import PlatformSpec
from secaudit.redact import redact_text

#: Never sent, whatever a control asks for: anything that changes state or enters config mode.
FORBIDDEN_WORDS: frozenset[str] = frozenset(
    {
        "system-view",
        "configure",
        "config",
        "conf",
        "reset",
        "reboot",
        "reload",
        "delete",
        "undo",
        "save",
        "write",
        "copy",
        "format",
        "clear",
        "debug",
        "commit",
        "rollback",
        "erase",
        "set",
        "install",
    }
)


class ReadOnlyViolationError(ValueError):
    """A command outside the platform's read-only allowlist."""


def check_read_only(spec: PlatformSpec, command: str) -> None:
    """Refuse any command that is not a plain read-only ``display``/``show`` command.

    Examples:
        >>> from secaudit.platforms import get_platform
        >>> check_read_only(get_platform("huawei_vrp"), "display current-configuration")
        >>> check_read_only(get_platform("huawei_vrp"), "system-view")
        Traceback (most recent call last):
        ...
        secaudit.collect.live.ReadOnlyViolationError: 'system-view' is not on the huawei_vrp read-only ...
    """
    words = command.strip().lower().split()
    allowed = any(command.strip().lower().startswith(p) for p in spec.read_only_prefixes)
    if (
        not words
        or not allowed
        or any(w in FORBIDDEN_WORDS for w in words[1:2])
        or any(c in command for c in ";\n\r")
    ):
        raise ReadOnlyViolationError(f"{command!r} is not on the {spec.name} read-only allowlist")


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """Timeouts and limits of a live run."""

    known_hosts_dir: Path
    conn_timeout: float = 10.0
    command_timeout: float = 30.0
    config_timeout: float | None = None  # None: the configuration read is bounded by command_timeout
    num_workers: int = 20

    def read_timeout(self, *, is_config: bool) -> float:
        """The read timeout of one command: ``config_timeout`` only when one was given.

        Examples:
            >>> opts = LiveOptions(Path("kh"), command_timeout=8.0)
            >>> opts.read_timeout(is_config=True), opts.read_timeout(is_config=False)
            (8.0, 8.0)
            >>> LiveOptions(Path("kh"), command_timeout=8.0, config_timeout=30.0).read_timeout(is_config=True)
            30.0
        """
        if is_config and self.config_timeout is not None:
            return self.config_timeout
        return self.command_timeout


def _evidence(
    target: Target, command: str, text: str, state: EvidenceState, detail: str, *, when: datetime
) -> Evidence:
    stored = redact_text(text)
    return Evidence(
        host=target.name,
        platform=target.platform,
        command=command,
        slug=command_slug(command),
        text=stored,
        sha256=sha256_hex(stored.encode("utf-8")),
        collected_at=when,
        source=EvidenceSource.LIVE,
        state=state,
        detail=detail,
    )


def _netmiko_extras(
    spec: PlatformSpec, known_hosts: Path, opts: LiveOptions, cred: Credential
) -> dict[str, Any]:
    # Nornir does not merge `extras` across host/group/defaults (docs/collection-notes.md §7.10):
    # the complete set is built here, per host, every time.
    extras: dict[str, Any] = {
        "ssh_strict": True,
        "system_host_keys": False,
        "alt_host_keys": True,
        "alt_key_file": str(known_hosts),
        "fast_cli": True,
        "conn_timeout": opts.conn_timeout,
        "auth_timeout": opts.conn_timeout,
        "banner_timeout": opts.conn_timeout,
        "allow_agent": False,
        "use_keys": False,
        # the tail of the session, in memory only, to tell a pager left on from a plain timeout
        "session_log": TailBuffer(),
    }
    if cred.secret:
        extras["secret"] = cred.secret
    return extras


def prepare_host(
    host: Host, target: Target, cred: Credential | None, opts: LiveOptions
) -> tuple[CollectionState, str]:
    """Set credentials and strict netmiko options on a Nornir host; fail closed when impossible."""
    spec = get_platform(target.platform)
    if spec.netmiko_device_type is None:
        return CollectionState.UNREACHABLE, f"platform {spec.name} has no live driver (offline only)"
    if cred is None:
        return (
            CollectionState.AUTH_FAILED,
            f"no credentials for operator {target.operator} (see README: Credentials)",
        )
    known = known_hosts_path(opts.known_hosts_dir, target.name)
    if not known.is_file():
        return (
            CollectionState.HOST_KEY_UNKNOWN,
            f"no enrolled host key ({known}); run `secaudit hostkeys scan`",
        )
    host.username = cred.username
    host.password = cred.password
    host.connection_options[CONNECTION] = ConnectionOptions(
        platform=spec.netmiko_device_type, extras=_netmiko_extras(spec, known, opts, cred)
    )
    return CollectionState.OK, ""


def _not_collected(
    target: Target, plan: tuple[PlannedCommand, ...], state: CollectionState, detail: str
) -> HostEvidence:
    """A host that was never reached (or whose task raised): every planned command is a collect error."""
    now = datetime.now(UTC)
    reason = f"{state.value}: {detail}"
    evidence = tuple(
        _evidence(target, p.command, "", EvidenceState.COLLECT_ERROR, reason, when=now) for p in plan
    )
    return HostEvidence(target, evidence, state, detail, now)


def collect_host(
    task: Task,
    target: Target,
    plan: tuple[PlannedCommand, ...],
    opts: LiveOptions,
    secrets: tuple[str, ...],
) -> HostEvidence:
    """The Nornir task: one connection, session set-up, the planned commands, clean close."""
    spec = get_platform(target.platform)
    started = datetime.now(UTC)
    evidence: list[Evidence] = []
    done: set[str] = set()

    def fail_rest(state: EvidenceState, detail: str) -> None:
        for item in plan:
            if item.command not in done:
                evidence.append(_evidence(target, item.command, "", state, detail, when=started))

    try:
        conn = task.host.get_connection(CONNECTION, task.nornir.config)
    except Exception as exc:
        state, detail = classify_exception(exc)
        detail = scrub(detail, secrets)
        fail_rest(EvidenceState.COLLECT_ERROR, f"{state.value}: {detail}")
        seconds = (datetime.now(UTC) - started).total_seconds()
        return HostEvidence(target, tuple(evidence), state, detail, started, seconds)
    state, detail = CollectionState.OK, ""
    failed = False
    watch = ChannelWatch(conn)
    try:
        if spec.enable_before_commands and not conn.check_enable_mode():
            conn.enable()  # the platform's commands need it, or leaving user mode is slow
        # The prompt is the same for the whole session (configuration mode is never entered), so
        # it is matched as a pattern instead of being asked for again before every command
        # (netmiko's find_prompt: a round trip and about 45 ms of fixed sleeps per command).
        prompt = exec_prompt_pattern(conn.base_prompt)
        for command in spec.session_setup:  # reviewed, per-platform terminal settings only
            watch.mark(command)
            conn.send_command(command, read_timeout=opts.command_timeout, expect_string=prompt)
        for item in plan:
            check_read_only(spec, item.command)
            timeout = opts.read_timeout(is_config=item.is_config)
            watch.mark(item.command)
            raw = conn.send_command(
                item.command,
                read_timeout=timeout,
                expect_string=prompt,
                strip_prompt=True,
                strip_command=True,
            )
            text = decode_output(raw.encode("utf-8", errors="replace")) if isinstance(raw, str) else ""
            text = repair_text(spec, text, is_config=item.is_config)
            ev_state, ev_detail = assess(spec, item.command, text, is_config=item.is_config)
            evidence.append(
                _evidence(target, item.command, text, ev_state, ev_detail, when=datetime.now(UTC))
            )
            done.add(item.command)
    except ReadOnlyViolationError as exc:
        failed = True
        state, detail = CollectionState.COMMAND_REJECTED, f"refused by secaudit: {exc}"
        fail_rest(EvidenceState.COLLECT_ERROR, detail)
    except ChannelClosedError as exc:
        failed = True
        state, detail = CollectionState.DISCONNECTED, str(exc)
        fail_rest(EvidenceState.COLLECT_ERROR, f"{state.value}: {detail}")
    except Exception as exc:
        failed = True
        state, detail = classify_exception(exc)
        detail = scrub(detail, secrets)
        if state is CollectionState.TIMEOUT:
            state, detail = _timeout_state(spec, _session_tail(conn), watch, detail)
        fail_rest(EvidenceState.COLLECT_ERROR, f"{state.value}: {detail}")
    finally:
        watch.detach()
        if failed:
            # No goodbye dialog with a device in an unknown state (SmartAX waits 30 s for its
            # logout question): drop the transport and forget the connection.
            with contextlib.suppress(Exception):
                conn.paramiko_cleanup()
            task.host.connections.pop(CONNECTION, None)
        else:
            # Every command ended at the exec prompt, so the session is not in configuration mode:
            # the driver's goodbye need not probe for it (VRP's probe waits 2 s for silence).
            conn.check_config_mode = _not_in_config_mode
            with contextlib.suppress(Exception):  # a failed goodbye does not change what was collected
                task.host.close_connection(CONNECTION)
    if state is CollectionState.OK:
        state, detail = state_from_evidence(evidence, frozenset(p.command for p in plan if p.optional))
    seconds = (datetime.now(UTC) - started).total_seconds()
    return HostEvidence(target, tuple(evidence), state, detail, started, seconds)


def _timeout_state(
    spec: PlatformSpec, tail: str, watch: ChannelWatch, detail: str
) -> tuple[CollectionState, str]:
    """What a read that ended without the prompt means: a pager left on, output cut mid-stream
    (some output, then silence), or a device that never answered."""
    if any(m in tail for m in spec.pager_markers):
        return CollectionState.PAGING_NOT_DISABLED, "pager prompt still active: paging was not disabled"
    lines = watch.output_lines()
    if lines:
        return (
            CollectionState.OUTPUT_TRUNCATED,
            f"{watch.command!r}: output stopped mid-stream after {len(lines)} line(s), "
            "no prompt before the read timeout",
        )
    return CollectionState.TIMEOUT, detail


def exec_prompt_pattern(base_prompt: str) -> str:
    """The regular expression that ends every command's output: the device's prompt.

    netmiko's ``base_prompt`` is the prompt without its terminator (and, on Huawei, without the
    leading ``<``); what follows it up to ``>``, ``#`` or ``]`` is the rest of the prompt. The
    prompt must end what has been read so far (trailing blanks aside): a configuration line that
    happens to hold the device name and a ``#`` (a description, a banner) does not end the read.

    Examples:
        >>> import re
        >>> pattern = exec_prompt_pattern("NE40E-GW1")
        >>> [bool(re.search(pattern, s)) for s in ("<NE40E-GW1>", "sysname NE40E-GW1\\r\\n")]
        [True, False]
        >>> bool(re.search(pattern, " description to NE40E-GW1#2\\r\\n interface GE0/0/1\\r\\n"))
        False
        >>> bool(re.search(exec_prompt_pattern("RP/0/RSP0/CPU0:XR1"), "RP/0/RSP0/CPU0:XR1#"))
        True
    """
    return re.escape(base_prompt) + r"\S*[>#\]]\s*$"


def _not_in_config_mode(*_: Any, **__: Any) -> bool:
    """Stands in for a connection's ``check_config_mode`` once collection ended at the exec prompt."""
    return False


class TailBuffer(io.BufferedIOBase):
    """A write-only buffer keeping the last ``size`` bytes (netmiko ``session_log`` target)."""

    def __init__(self, size: int = 4096) -> None:
        super().__init__()
        self.size = size
        self._data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = data.encode("utf-8", errors="replace") if isinstance(data, str) else bytes(data)
        self._data += chunk
        del self._data[: max(0, len(self._data) - self.size)]
        return len(chunk)

    def tail(self) -> str:
        """The retained bytes as text."""
        return self._data.decode("utf-8", errors="replace")


def _session_tail(conn: Any) -> str:
    log = getattr(getattr(conn, "session_log", None), "session_log", None)
    return log.tail() if isinstance(log, TailBuffer) else ""


def _alive(conn: Any) -> bool:
    try:
        return bool(conn.is_alive())
    except Exception:
        return False


_DONE = object()


@dataclass
class LiveCollector:
    """Collect from every target with Nornir's threaded runner; yield each host as it finishes.

    Nornir runs in a background thread; each host's evidence is yielded as soon as its session
    ends, so the pipeline stores and evaluates it while the other sessions are still running.
    """

    nornir: Nornir
    credentials: Mapping[str, Credential]
    options: LiveOptions
    on_host: Callable[[HostEvidence], None] | None = None
    secrets: tuple[str, ...] = ()
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def source(self) -> EvidenceSource:
        """Live evidence."""
        return EvidenceSource.LIVE

    def collect(
        self, targets: tuple[Target, ...], plan: Mapping[str, tuple[PlannedCommand, ...]]
    ) -> Iterator[HostEvidence]:
        """Run the collection; yields one ``HostEvidence`` per target (failures included)."""
        for name in ("nornir", "paramiko", "netmiko"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        by_name = {t.name: t for t in targets}
        runnable: list[str] = []
        for target in targets:
            host = self.nornir.inventory.hosts[target.name]
            state, detail = prepare_host(host, target, self.credentials.get(target.operator), self.options)
            if state is CollectionState.OK:
                runnable.append(target.name)
                continue
            yield self._emit(_not_collected(target, plan.get(target.name, ()), state, detail))
        if not runnable:
            return
        nr = self.nornir.filter(filter_func=lambda h: h.name in set(runnable))
        finished: queue.Queue[object] = queue.Queue()

        def task(t: Task) -> Result:
            collected = collect_host(
                t, by_name[t.host.name], plan.get(t.host.name, ()), self.options, self.secrets
            )
            finished.put(collected)
            return Result(host=t.host, result=collected)

        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["results"] = nr.with_runner(ThreadedRunner(num_workers=self.options.num_workers)).run(
                    task=task, on_failed=True
                )
            except BaseException as exc:  # re-raised in the consumer below
                outcome["error"] = exc
            finally:
                finished.put(_DONE)

        runner = threading.Thread(target=run, name="secaudit-nornir", daemon=True)
        runner.start()
        seen: set[str] = set()
        while (item := finished.get()) is not _DONE:
            assert isinstance(item, HostEvidence)  # noqa: S101 - only the task puts into the queue
            seen.add(item.target.name)
            yield self._emit(item)
        runner.join()
        if "error" in outcome:
            raise outcome["error"]
        aggregated = outcome["results"]
        for name in runnable:
            if name in seen:
                continue
            multi: MultiResult = aggregated[name]  # the task itself raised: keep the host, classify it
            exc = multi[0].exception or RuntimeError("task failed")
            state, detail = classify_exception(exc)
            yield self._emit(
                _not_collected(by_name[name], plan.get(name, ()), state, scrub(detail, self.secrets))
            )

    def _emit(self, collected: HostEvidence) -> HostEvidence:
        if self.on_host is not None:
            with self._lock:
                self.on_host(collected)
        return collected
